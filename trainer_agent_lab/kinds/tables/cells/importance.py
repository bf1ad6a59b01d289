"""Which inputs the trained model relies on: permutation importance on the test split, within its seconds."""
# ruff: noqa: E402  (as in the notebook: a cell's parameters come first, its imports after them)

# %% [context]
import time

import numpy as np
import pandas as pd
import plotly.express as px

from .context import CLASSIFY, OBJECTIVE, SEED, X_test, _report, model, y_test

# %% [parameters]
IMPORTANCE_SECONDS = 10.0

# isort: split
# %% Which inputs matter: the drop in the optimised metric (or the usual one) when each input is shuffled on
# the test split. Permutation costs one scoring pass per input and repeat, so it is kept within
# IMPORTANCE_SECONDS: when not every input fits, only those the model's predictions follow most closely (a cheap
# first pass: correlation for numbers, the correlation ratio for categories) are shuffled, and the cell says so.
from sklearn.metrics import get_scorer


def follows(frame, scores):
    """How closely the model's scores follow each input (0 to 1; the largest over the score columns)."""
    scores = np.asarray(scores, dtype=float).reshape(len(frame), -1)
    scores = (scores - scores.mean(axis=0)) / (scores.std(axis=0) + 1e-12)
    numbers = frame.select_dtypes("number")
    values = numbers.to_numpy(dtype=float)
    values = np.nan_to_num(np.where(np.isnan(values), numbers.mean().to_numpy(dtype=float), values))
    values = (values - values.mean(axis=0)) / (values.std(axis=0) + 1e-12)
    closeness = pd.Series(np.abs(values.T @ scores / len(frame)).max(axis=1), index=numbers.columns)
    for col in frame.columns.difference(numbers.columns):  # eta: the share of the scores' spread between groups
        groups = pd.DataFrame(scores).groupby(pd.factorize(frame[col].astype(str))[0])
        closeness[col] = float(np.sqrt((groups.mean() ** 2).mul(groups.size(), axis=0).sum() / len(frame)).max())
    return closeness.fillna(0.0).reindex(frame.columns)


scoring = {"accuracy": "accuracy", "r2": "r2", "mae": "neg_mean_absolute_error",
           "rmse": "neg_root_mean_squared_error"}.get(OBJECTIVE, "accuracy" if CLASSIFY else "r2")
scorer = get_scorer(scoring)
importance_began = time.perf_counter()
X_shuffled, y_scored = X_test.iloc[:400].copy(), y_test[:400]
baseline = scorer(model, X_shuffled, y_scored)
per_pass = max(time.perf_counter() - importance_began, 1e-4)
n_inputs = X_test.shape[1]
repeats = 3 if 3 * per_pass * n_inputs <= IMPORTANCE_SECONDS else 1
n_fit = max(1, int((IMPORTANCE_SECONDS - 2 * per_pass) / (repeats * per_pass)))
by_closeness = list(X_test.columns)
if n_fit < n_inputs:  # not every input fits: shuffle those the predictions follow most closely first
    first = model.predict_proba(X_shuffled) if CLASSIFY else model.predict(X_shuffled)
    by_closeness = list(follows(X_shuffled, first).sort_values(ascending=False, kind="stable").index)
shuffler, drops = np.random.default_rng(SEED), {}
for col in by_closeness:
    if drops and time.perf_counter() + repeats * per_pass > importance_began + IMPORTANCE_SECONDS:
        break
    unshuffled = X_shuffled[col].to_numpy().copy()
    passes = []
    for _ in range(repeats):
        X_shuffled.loc[:, col] = unshuffled[shuffler.permutation(len(unshuffled))]
        passes.append(baseline - scorer(model, X_shuffled, y_scored))
    X_shuffled.loc[:, col] = unshuffled
    drops[col] = float(np.mean(passes))
importance = pd.Series(drops).sort_values(ascending=False, kind="stable")[:15]
note = None if len(drops) == n_inputs else (
    f"Permutation importance shuffled {len(drops):,} of the {n_inputs:,} inputs (the ones the model's predictions "
    f"follow most closely), as many as fit in its {IMPORTANCE_SECONDS:g} s; the others were not measured.")
print(note or f"Permutation importance: every input shuffled {repeats}x, "
      f"in {time.perf_counter() - importance_began:.1f} s of its {IMPORTANCE_SECONDS:g} s.")
px.bar(x=importance.values, y=importance.index.astype(str), orientation="h",
       labels={"x": f"drop in {scoring} when shuffled", "y": "input"},
       title="Permutation importance (test)" + (f", {len(drops):,} of {n_inputs:,} inputs" if note else "")
       ).update_yaxes(autorange="reversed").show()
_report(importance={str(k): float(v) for k, v in importance.items()}, importance_note=note)
