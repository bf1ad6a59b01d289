"""Split into train and test (stratified for classes) and define preprocessing that exports to ONNX."""

# %% [context]
import json
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from .context import RECIPE, SEED, _report, date_values, df

# isort: split
# %% Split into train and test (stratified for classes, or in time order) and define preprocessing that exports to
# ONNX with the model. First the preprocessing: impute (and scale) numbers, flag the numbers that had gaps (a gap can
# itself be a signal: an age nobody recorded), one-hot encode text (dense, so that every estimator takes it; the
# column types step capped each text column's categories).
import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.compose import ColumnTransformer
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


class Columns:
    """A ColumnTransformer's columns by name, found in the frame it is fitted on with a dictionary (scikit-learn looks
    each name up in a list: columns x columns, 0.4 s a fit for 5,000 columns). It hands scikit-learn their positions;
    transforming a frame still selects them by name."""

    def __init__(self, names):
        self.names = list(names)

    def __call__(self, frame):
        where = {name: position for position, name in enumerate(frame.columns)}
        missing = [name for name in self.names if name not in where]
        if missing:
            raise KeyError(f"columns {missing[:5]} are not in the frame (it has {len(where)} columns)")
        return [where[name] for name in self.names]

    def __repr__(self):
        return f"Columns({', '.join(self.names[:5])}{', ...' if len(self.names) > 5 else ''}: {len(self.names)})"


def make_preprocessor(scale=True):
    """Impute (and scale) numbers, flag the numbers that had gaps in the training rows (a 0/1 column each, after the
    others), one-hot encode text (a dense block): all of it exports to ONNX.

    Trees get unscaled inputs: ONNX scales in float32, and a value scaled onto a split threshold can fall
    on the other side of it, so an unscaled tree is the one the ONNX model reproduces exactly.
    """
    steps = [("impute", SimpleImputer(strategy="median"))] + ([("scale", StandardScaler())] if scale else [])
    numeric = Pipeline(steps)
    categorical = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    parts = [("num", numeric, Columns(NUMERIC_FEATURES)), ("cat", categorical, Columns(CATEGORICAL_FEATURES))]
    gaps = [c for c in NUMERIC_FEATURES if c in NUMBERS_WITH_GAPS]  # the same columns in every fold
    if gaps:
        parts.append(("gaps", MissingIndicator(features="all"), Columns(gaps)))
    return ColumnTransformer(parts)


# %% [parameters]
TARGET = "target"
TASK = "classification"
POSITIVE_CLASS = None
TEST_SIZE = 0.25
TIME_COLUMN = None
TIME_REASON = ""

# %% The inputs as the model sees them (numbers as float64, missing text as its own category), the target
# as int codes for classes, then the split: in time order when TIME_COLUMN is set (the newest rows are the test
# set), else at random, stratified where every class has rows enough, so each part keeps the classes' shares.
X = df.drop(columns=[TARGET])
NUMERIC_FEATURES = [c for c, dtype in X.dtypes.items() if pd.api.types.is_numeric_dtype(dtype)]  # booleans too
numeric_names = set(NUMERIC_FEATURES)  # a set: a list's `in` would cost columns x columns on a wide table
CATEGORICAL_FEATURES = [c for c in X.columns if c not in numeric_names]
to_float = {c: "float64" for c, dtype in X.dtypes.items() if c in numeric_names and dtype != "float64"}
X = X.astype(to_float) if to_float else X  # one pass, however wide (and none where every number is float64)
MISSING_CATEGORY = "missing"
for col in CATEGORICAL_FEATURES:
    X[col] = X[col].astype(object).where(X[col].notna(), MISSING_CATEGORY).astype(str)
X = X.copy()  # one block per dtype: after a cast or a set per column, each column is its own block, and every
# later selection of columns (the splits, each fit's preprocessing) would pay for every one of them

if TASK == "classification":
    CLASSES = sorted(df[TARGET].astype(str).unique().tolist())
    y = df[TARGET].astype(str).map({name: code for code, name in enumerate(CLASSES)}).to_numpy()
    POS_LABEL = CLASSES.index(POSITIVE_CLASS) if len(CLASSES) == 2 else None
    n_test = int(np.ceil(TEST_SIZE * len(y)))
    can_stratify = np.bincount(y).min() >= 2 and min(n_test, len(y) - n_test) >= len(CLASSES)
    stratify = y if can_stratify else None
else:
    CLASSES, POS_LABEL, stratify = None, None, None
    y = df[TARGET].to_numpy(dtype="float64")

if TIME_COLUMN is not None:
    moments = date_values(next(s for s in RECIPE["columns"] if s["column"] == TIME_COLUMN)).loc[X.index]
    order = np.argsort(moments.fillna(-np.inf).to_numpy(), kind="stable")  # rows without a date train
    cut = len(order) - int(np.ceil(TEST_SIZE * len(order)))
    X_train, X_test, y_train, y_test = X.iloc[order[:cut]], X.iloc[order[cut:]], y[order[:cut]], y[order[cut:]]
    HOW = (f"in time order by {TIME_COLUMN}: the newest {TEST_SIZE:.0%} of the rows are the test set ({TIME_REASON})")
    display(Markdown(f"**Chronological split**: {HOW}. A random split of rows that follow each other in time "
                     "would let the model learn from the future it is tested on."))
else:
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=TEST_SIZE, random_state=SEED, stratify=stratify)
    HOW = ("the cleaned rows, train_test_split(test_size, random_state=seed"
           + (", stratified for classes)" if stratify is not None else ")"))
TEST_ROWS = X_test.index  # which rows of the cleaned table are the test rows
X_train, X_test = X_train.reset_index(drop=True), X_test.reset_index(drop=True)
gap_counts = X_train[NUMERIC_FEATURES].isna().sum()
gap_counts = gap_counts[gap_counts.to_numpy() > 0].sort_values(ascending=False, kind="stable")
MAX_GAP_FLAGS = 200  # a wide table's flags stay a bounded share of its width: the columns with the most gaps
NUMBERS_WITH_GAPS = set(gap_counts.index[:MAX_GAP_FLAGS])  # each gets a "was missing" flag

# %% Keep the exact rows of each split beside the notebook (split/train.parquet, split/test.parquet, split.json):
# the run can be reproduced from them, and other tools can be compared with it on the same rows. The numbers go to
# Parquet in one block (pandas' writer takes each column on its own: seconds on a table of thousands of columns).
def write_parquet(inputs, target, target_values, path):
    """Write the ``inputs`` frame and the ``target`` column as a Parquet file (no index)."""
    numbers = inputs[NUMERIC_FEATURES].to_numpy(dtype="float64")
    where = {c: i for i, c in enumerate(NUMERIC_FEATURES)}
    columns = {c: numbers[:, where[c]] if c in where else pa.array(inputs[c].to_numpy(dtype=object), pa.string())
               for c in inputs.columns}
    columns[target] = pa.array(np.asarray(target_values).tolist())
    pq.write_table(pa.table(columns), path)


SPLIT_DIR = Path("split")
SPLIT_DIR.mkdir(exist_ok=True)
for split_name, split_X, split_y in (("train", X_train, y_train), ("test", X_test, y_test)):
    split_target = np.asarray(CLASSES, dtype=object)[split_y] if CLASSES is not None else split_y
    write_parquet(split_X, TARGET, split_target, SPLIT_DIR / f"{split_name}.parquet")
(SPLIT_DIR / "split.json").write_text(json.dumps({
    "target": TARGET, "task": TASK, "classes": CLASSES, "pos_label": None if POS_LABEL is None else POSITIVE_CLASS,
    "text_column": None, "source": "agents", "seed": SEED, "test_size": TEST_SIZE,
    "how": HOW, "chronological": TIME_COLUMN is not None}, indent=2))

# %% What the model gets: rows in each part, features after encoding, and each part's class balance.
N_ENCODED = make_preprocessor().fit(X_train).transform(X_train[:5]).shape[1]
print(f"train {len(X_train):,} rows, test {len(X_test):,} rows; {len(NUMERIC_FEATURES)} numeric and "
      f"{len(CATEGORICAL_FEATURES)} categorical inputs, {N_ENCODED} features after encoding")
if CLASSES is not None:
    display(pd.DataFrame({"train": np.bincount(y_train, minlength=len(CLASSES)),
                          "test": np.bincount(y_test, minlength=len(CLASSES))}, index=CLASSES))
_report(n_train=len(X_train), n_test=len(X_test), n_features=N_ENCODED, numeric=NUMERIC_FEATURES,
        categorical=CATEGORICAL_FEATURES, classes=CLASSES, pos_label=POS_LABEL)
