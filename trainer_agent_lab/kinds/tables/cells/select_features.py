"""Choose the model's inputs as the request asks: never these columns, only those, at most N of them."""

# %% [context]
import re

import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .context import (
    CATEGORICAL_FEATURES,
    NUMERIC_FEATURES,
    ORIGINAL_NAMES,
    SEED,
    TASK,
    Pipeline,
    X_test,
    X_train,
    _report,
    make_preprocessor,
    y_train,
)

# isort: split
# %% Choose the model's inputs as the request asks: the columns it excludes, the only ones it allows, how many
# the model may read. The libraries of the choice: mutual information, and forward selection with quick probes.
from time import perf_counter

from sklearn import feature_selection, linear_model, model_selection
from sklearn import tree as sk_tree

# %% [parameters]
NEVER = []  # columns the request excludes, as it writes them
NEVER_IF_PRESENT = []  # a category the request excludes ("protected attributes"): dropped where the data has them
ONLY = []  # the only columns the request allows (empty: every column)
MAX_INPUTS = None  # the most input columns the model may read
MONOTONIC_IN = {}  # column -> "increasing" | "decreasing" | "from_data": the prediction is monotonic in these
SELECT_SECONDS = 10.0  # the time the forward selection may take


# %% Match the columns the request names to the data's: case, spaces and underscores aside, else every column
# whose name holds all of the name's words ("radius" -> "mean radius", "worst radius"). A name no column
# matches is reported (`missing`), never silently dropped.
def column_key(name):
    """A column name with case, spaces, underscores and punctuation left out ("Zip Code" -> "zipcode")."""
    return re.sub(r"[\W_]+", "", str(name).lower())


def name_words(name):
    """The words of a column name, singular ("mean radius" -> {"mean", "radius"})."""
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in re.findall(r"[^\W_]+", str(name).lower())}


CANDIDATES = list(NUMERIC_FEATURES) + list(CATEGORICAL_FEATURES)


def matching(written):
    """The input columns a name from the request stands for (under the data's names or the file's)."""
    key, names = column_key(written), {c: (c, ORIGINAL_NAMES.get(c, c)) for c in CANDIDATES}
    exact = [c for c in CANDIDATES if key in {column_key(n) for n in names[c]}]
    words = name_words(written)
    return exact or [c for c in CANDIDATES if words and any(words <= name_words(n) for n in names[c])]


why_not = {}  # column -> why the model may not read it
missing = [name for name in NEVER + ONLY + list(MONOTONIC_IN) if not matching(name)]
for name in NEVER:
    for col in matching(name):
        why_not.setdefault(col, f"the request excludes {name!r}")
for name in NEVER_IF_PRESENT:
    for col in matching(name):
        why_not.setdefault(col, f"a protected attribute ({name}): the request excludes those")
allowed = {col for name in ONLY for col in matching(name)}
for col in CANDIDATES:
    if ONLY and col not in allowed:
        why_not.setdefault(col, "not among the columns the request allows")
kept = [c for c in CANDIDATES if c not in why_not]
# monotonic constraints hold on numbers only: a text column or an excluded one cannot carry one
monotonic_columns = {c: way for name, way in MONOTONIC_IN.items() for c in matching(name) if c in kept
             and c in NUMERIC_FEATURES}
not_monotonic = [name for name in MONOTONIC_IN if matching(name) and not set(matching(name)) & set(monotonic_columns)]
must = list(monotonic_columns)
# "monotonic in X" with no direction: the sign of X's Spearman correlation with the target on the training split
# (classes as their sorted codes: for two classes, the direction of the second class's probability)
target_codes = pd.Series(np.unique(np.asarray(y_train), return_inverse=True)[1] if TASK == "classification"
                         else np.asarray(y_train, dtype=float), dtype=float)
from_data = {}
for c in [c for c, way in monotonic_columns.items() if way == "from_data"]:
    rho = X_train[c].reset_index(drop=True).astype(float).corr(target_codes, method="spearman")
    from_data[c] = None if pd.isna(rho) else round(float(rho), 3)
    monotonic_columns[c] = "decreasing" if from_data[c] is not None and rho < 0 else "increasing"
    display(Markdown(f"**Monotonic in `{ORIGINAL_NAMES.get(c, c)}`**: the request gives no direction, so the data "
                     f"decides: its Spearman correlation with the target on the training split is "
                     + (f"{rho:+.3f}" if from_data[c] is not None else "undefined (a constant column)")
                     + f", so the prediction must **{monotonic_columns[c].replace('ing', 'e')}** with it."))
print(f"{len(kept)} of {len(CANDIDATES)} input columns allowed" + (f"; not in the data: {missing}" if missing else ""))
_report(allowed=kept, excluded=sorted(set(CANDIDATES) - set(kept)), missing=missing, monotonic=monotonic_columns,
        not_monotonic=not_monotonic, monotonic_from_data=from_data)

# %% At most `MAX_INPUTS` inputs: rank the allowed columns by mutual information with the target, then pick
# them by forward selection: each step adds the column (of the best-ranked ones) that most improves the
# cross-validated score of two quick, interpretable probes (a linear model and a depth-3 tree, the better of the
# two), so a column that repeats one already chosen is not picked. Should `SELECT_SECONDS` run out, the places
# left go to the columns of most mutual information and least rank correlation with those chosen (mRMR).
classify = TASK == "classification"
rows = np.random.default_rng(SEED).permutation(len(X_train))[:2000]
X_rank, y_rank = X_train.iloc[rows].reset_index(drop=True), y_train[rows]
codes = X_rank[kept].apply(lambda s: s if s.name in NUMERIC_FEATURES else s.astype("category").cat.codes)
codes = codes.fillna(codes.median(numeric_only=True))
mi = (feature_selection.mutual_info_classif if classify else feature_selection.mutual_info_regression)(
    codes, y_rank, discrete_features=[c in CATEGORICAL_FEATURES for c in kept], random_state=SEED) if kept else []
MUTUAL_INFORMATION = dict(zip(kept, np.round(mi, 4), strict=True))
ranked = sorted(kept, key=lambda c: -MUTUAL_INFORMATION[c])
redundancy = codes.rank().corr().abs().fillna(0.0)  # |Spearman| between columns
folds = (model_selection.StratifiedKFold if classify else model_selection.KFold)(3, shuffle=True, random_state=SEED)
shallow_tree = sk_tree.DecisionTreeClassifier if classify else sk_tree.DecisionTreeRegressor
probes = [linear_model.LogisticRegression(max_iter=2000) if classify else linear_model.Ridge(),
          shallow_tree(max_depth=3, random_state=SEED)]
blocks = {}  # each column encoded once for the probes (imputed and scaled, or one-hot): a probe's score, not a model


def probe_score(cols):
    """The better cross-validated score (accuracy or R2) of the two probes on these columns."""
    for c in cols:
        if c not in blocks:
            enc = (Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
                   if c in NUMERIC_FEATURES else OneHotEncoder(handle_unknown="ignore", sparse_output=False))
            blocks[c] = enc.fit_transform(X_rank[[c]])
    features = np.hstack([blocks[c] for c in cols])
    return max(model_selection.cross_val_score(p, features, y_rank, cv=folds).mean() for p in probes)


def least_redundant(chosen, n):
    """`n` more columns by mutual information, each discounted by its rank correlation with those chosen."""
    picks = []
    for _ in range(n):
        rest = [c for c in ranked if c not in chosen + picks]
        if not rest:
            break
        penalty = {c: max([redundancy.loc[c, o] for o in chosen + picks] or [0.0]) for c in rest}
        picks.append(max(rest, key=lambda c: MUTUAL_INFORMATION[c] * (1 - penalty[c])))
    return picks


chosen, began = list(dict.fromkeys(must)), perf_counter()
steps = {c: (i + 1, None, "the prediction must be monotonic in it") for i, c in enumerate(chosen)}
selecting = MAX_INPUTS is not None and len(kept) > MAX_INPUTS
limit = len(kept) if not selecting else max(MAX_INPUTS, len(chosen))
pool = ranked[:max(15, 3 * limit)]
while selecting and len(chosen) < limit:
    scores = {}
    for c in (c for c in pool if c not in chosen):
        if perf_counter() - began > SELECT_SECONDS:
            break
        scores[c] = probe_score(chosen + [c])
    if scores:
        best = max(scores, key=scores.get)
        chosen.append(best)
        steps[best] = (len(chosen), round(float(scores[best]), 4), "forward selection")
    if not scores or perf_counter() - began > SELECT_SECONDS:
        fill = least_redundant(chosen, limit - len(chosen))
        steps.update({c: (len(chosen) + i + 1, None, "mutual information, least redundant (time was up)")
                      for i, c in enumerate(fill)})
        chosen += fill
        break
INPUTS = [c for c in CANDIDATES if c in (chosen if selecting else kept)]

# %% The choice, column by column: its mutual information with the target, whether the model reads it, and why.
table = pd.DataFrame([{
    "column": ORIGINAL_NAMES.get(c, c), "mutual information": MUTUAL_INFORMATION.get(c),
    "input": "yes" if c in INPUTS else "no",
    "picked at step": steps.get(c, (None,))[0], "cross-validated score then": steps.get(c, (None, None))[1],
    "why": why_not.get(c) or (steps[c][2] if c in steps else "allowed" if c in INPUTS else
                               f"not among the {MAX_INPUTS} best (the request allows at most {MAX_INPUTS})")}
    for c in CANDIDATES]).sort_values(["input", "picked at step", "mutual information"],
                                      ascending=[False, True, False], na_position="last")
display(Markdown(f"**Inputs**: {len(INPUTS)} of {len(CANDIDATES)} columns"
                 + (f" (at most {MAX_INPUTS} asked; chosen in {perf_counter() - began:.1f} s)" if selecting else "")))
display(table.head(40).astype({"picked at step": "Int64"}).reset_index(drop=True))

# From here on the model sees only these inputs: the search, the fit, the ONNX export and the bundle.
X_train, X_test = X_train[INPUTS], X_test[INPUTS]
NUMERIC_FEATURES = [c for c in NUMERIC_FEATURES if c in INPUTS]
CATEGORICAL_FEATURES = [c for c in CATEGORICAL_FEATURES if c in INPUTS]
N_ENCODED = make_preprocessor().fit(X_train).transform(X_train[:5]).shape[1]
_report(inputs=[ORIGINAL_NAMES.get(c, c) for c in INPUTS], input_columns=INPUTS, n_inputs=len(INPUTS),
        n_features=N_ENCODED, numeric=NUMERIC_FEATURES, categorical=CATEGORICAL_FEATURES,
        selection=table.to_dict("records"), method="forward selection over mutual information" if selecting else
        "the request's column lists")
