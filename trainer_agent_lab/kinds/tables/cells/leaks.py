"""Inputs that give the target away on their own: a column worked out from the target, or recorded after it."""

# %% [context]
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from .context import SEED, TARGET, TASK, _report, count_unique, df

# %% [parameters]
LEAK_RHO = 0.999
LEAK_ROWS = 20_000

# %% Inputs that give the target away: a number whose ranks follow the target's almost exactly (|Spearman| >=
# LEAK_RHO: "logwage" beside "wage"), a number that separates two classes with no overlap (AUC beyond LEAK_RHO), or a
# column of few values each of which holds one class only (a status code written from the label). Such a column is
# not known when a prediction is made, and a model that leans on it scores well here and fails in use. The check
# says so and keeps the column: only the user knows whether it is available at prediction time. It reads a seeded
# sample of LEAK_ROWS rows, the complete numbers all at once (a wide table costs one pass), those with gaps one by one.
def rank_correlation(frame, other):
    """Pearson's r of each (complete) column's ranks with ``other``: Spearman's rho where ``other`` is ranks."""
    x = frame.rank().to_numpy()
    x, y = x - x.mean(axis=0), other - other.mean()
    spread = np.sqrt((x * x).sum(axis=0) * (y * y).sum())
    return np.divide(y @ x, spread, out=np.zeros(x.shape[1]), where=spread > 0)


def numbers_following(numbers, labels):
    """Each number whose ranks follow a numeric target's: the complete ones at once, those with gaps one by one."""
    complete = numbers.columns[numbers.notna().all().to_numpy()]
    rho = dict(zip(complete, rank_correlation(numbers[complete], labels.rank().to_numpy(dtype="float64")),
                   strict=True))
    gappy = [c for c in numbers.columns if c not in set(complete)][:500]  # each on its present rows
    values = labels.astype("float64")
    rho.update({c: numbers[c].corr(values, method="spearman") for c in gappy})
    return {col: f"its ranks follow {TARGET}'s almost exactly (rank correlation {r:+.4f})"
            for col, r in rho.items() if abs(r) >= LEAK_RHO}


def numbers_separating(numbers, labels):
    """Each number that tells two classes apart with no overlap: its AUC (Mann-Whitney) over its present rows."""
    positive = (labels == labels.value_counts().index[-1]).to_numpy()[:, None]
    ranks = numbers.rank().to_numpy()  # ranks among each column's present rows; NaN where missing
    present = ~np.isnan(ranks)
    n_pos = (present & positive).sum(axis=0)
    n_neg = present.sum(axis=0) - n_pos
    rank_sum = np.where(present & positive, ranks, 0.0).sum(axis=0)
    auc = np.divide(rank_sum - n_pos * (n_pos + 1) / 2, n_pos * n_neg, out=np.full(len(n_pos), 0.5),
                    where=(n_pos > 0) & (n_neg > 0))
    return {col: f"it separates the two classes of {TARGET} with almost no overlap (AUC {a:.4f})"
            for col, a in zip(numbers.columns, auc, strict=True) if abs(a - 0.5) >= LEAK_RHO - 0.5}


# %% A column of few values (a code, a status) gives a class target away when each of its values holds one class
# only; then the check of the whole table, and what it says.
def values_naming_classes(inputs, labels, distinct):
    """Each column of few values (a code, a status) whose every value goes with one class (its rows' purity)."""
    classes = pd.factorize(labels)[0]
    n_classes, found = classes.max() + 1, {}
    for col in [c for c in inputs.columns if 2 <= distinct[c] <= min(100, len(inputs) // 10)]:
        codes, values = pd.factorize(inputs[col])  # missing values are -1: left out
        kept = codes >= 0
        counts = np.bincount(codes[kept] * n_classes + classes[kept], minlength=len(values) * n_classes)
        purity = counts.reshape(len(values), n_classes).max(axis=1).sum() / max(kept.sum(), 1)
        if purity >= LEAK_RHO and kept.mean() >= 0.5:
            found[col] = f"each of its {len(values)} values goes with one class of {TARGET} ({purity:.2%} of the rows)"
    return found


def find_giveaways(frame):
    """The inputs of ``frame`` (a seeded sample of LEAK_ROWS rows of it) that give the target away, and why."""
    frame = frame if len(frame) <= LEAK_ROWS else frame.sample(LEAK_ROWS, random_state=SEED)
    inputs, labels = frame.drop(columns=[TARGET]), frame[TARGET]
    distinct = count_unique(inputs)  # the clean step's count: one sort for every number, however wide the table
    numbers = inputs.select_dtypes(include=["number", "bool"]).astype("float64")
    numbers = numbers[[c for c in numbers.columns if distinct[c] >= 10]]  # a flag or a code: judged by its values
    found = {}
    if numbers.shape[1] and TASK == "regression":
        found.update(numbers_following(numbers, labels))
    elif numbers.shape[1] and labels.nunique() == 2 and labels.value_counts().min() >= 20:
        found.update(numbers_separating(numbers, labels))
    if TASK == "classification" and labels.value_counts(normalize=True).max() < 0.9:
        found.update({c: why for c, why in values_naming_classes(inputs, labels, distinct).items() if c not in found})
    return found


giveaways = find_giveaways(df)
leak_notes = [f"{col} gives {TARGET} away on its own: {why}. A column worked out from {TARGET}, or recorded after "
              "it, is not known when a prediction is made, and a model that leans on it scores well here but fails "
              f"in use. It is kept: if it is not known at prediction time, remove {col} from the data and run again."
              for col, why in giveaways.items()]
if leak_notes:
    display(Markdown("**Inputs that give the target away**\n\n" + "\n".join(f"- {note}" for note in leak_notes)))
_report(leak_notes=leak_notes, suspected_leaks=list(giveaways))  # in the order of the notes
