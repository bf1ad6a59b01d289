"""How the model search cross-validates: repeated folds on small data, fewer folds where one fit is dear (a wide
table) so that a trial fits the search's time, and the best out-of-fold predictions kept."""

# %% [context]
import time

import numpy as np
from IPython.display import Markdown, display
from sklearn.base import clone

from .context import (
    CLASSIFY,
    DEFAULTS,
    N_SEARCH,
    SEED,
    TIME_BUDGET_S,
    TIME_COLUMN,
    X_search,
    _report,
    make_model,
    y_search,
)

# isort: split
# %% How each candidate is cross-validated on the training split: 5 folds under 1,000 rows, else 3. On small data
# the folds are repeated with fresh shuffles (3 times under 500 rows, twice under 1,000), so that the choice between
# close candidates is not the noise of one split; each row's out-of-fold prediction is its mean over the repeats.
# After a split in time order (the test rows are the newest) the folds are contiguous blocks of time, unshuffled
# and not repeated: shuffled folds let a model learn each row's neighbours in time, so the search would choose the
# model that interpolates best (a forest that follows the level of the months around a month) where the test asks
# for the one that carries on past the rows it learned from. The training rows are in time order (the split sorted
# them; a large table's sample keeps their order).
from sklearn.model_selection import KFold, RepeatedKFold, RepeatedStratifiedKFold, StratifiedKFold
from threadpoolctl import threadpool_limits

# The search fits many small models one after another: a multi-threaded BLAS only fights over the cores for them
# (on a busy machine a logistic regression on 150 rows took 20 times longer), so BLAS runs on one thread from here on.
threadpool_limits(1, user_api="blas")
# The search slices the training rows twice per fit: one block of numbers (not one per column, as a table read column
# by column is held) makes each slice and each preprocessing pass cheap however wide the table is. Same values.
X_search = X_search.copy()

N_FOLDS = 5 if N_SEARCH < 1000 else 3
if CLASSIFY:  # stratified folds need every fold to see a class: never more folds than the largest class has rows
    N_FOLDS = max(2, min(N_FOLDS, int(np.unique(np.asarray(y_search), return_counts=True)[1].max())))
IN_TIME = TIME_COLUMN is not None
if IN_TIME and CLASSIFY:  # a class that only begins late in time is absent from the earlier blocks' training rows
    labels = np.asarray(y_search)
    IN_TIME = all(len(np.unique(labels[fit_rows])) == len(np.unique(labels))
                  for fit_rows, _ in KFold(n_splits=N_FOLDS, shuffle=False).split(X_search))
    if not IN_TIME:
        print(f"Some blocks of time would train without one of the classes, so the search's folds are shuffled and "
              f"stratified as for a random split, though the test rows are the newest by {TIME_COLUMN}.")
REPEATS = 1 if IN_TIME else 3 if N_SEARCH < 500 else 2 if N_SEARCH < 1000 else 1


def make_folds(n_folds, repeats, repeated=False):
    """The splitter: blocks of time after a split in time order; else shuffled folds, stratified for classes,
    repeated with fresh shuffles when ``repeats`` > 1 (or ``repeated``: the repeated splitter, however many)."""
    if IN_TIME:
        return KFold(n_splits=n_folds, shuffle=False)
    if repeats > 1 or repeated:
        return (RepeatedStratifiedKFold if CLASSIFY else RepeatedKFold)(n_splits=n_folds, n_repeats=repeats,
                                                                         random_state=SEED)
    return (StratifiedKFold if CLASSIFY else KFold)(n_splits=n_folds, shuffle=True, random_state=SEED)


folds = make_folds(N_FOLDS, REPEATS)

# %% What one fit costs on this table: the first default's fit and prediction on one fold, timed. A trial
# cross-validates every fold; where that would take over TRIAL_SHARE of the search's seconds (a wide table: every
# fit preprocesses each of its columns), the search uses fewer fits (no repeats, then 3 folds, then 2) and says so.
TRIAL_SHARE = 0.25
pilot_fit, pilot_val = next(iter(folds.split(X_search, y_search)))
pilot_began = time.perf_counter()
try:
    pilot = clone(make_model(DEFAULTS[0])).fit(X_search.iloc[pilot_fit], y_search[pilot_fit])
    (pilot.predict_proba if CLASSIFY else pilot.predict)(X_search.iloc[pilot_val])
except ValueError:  # the search reports a family that fails on this data: nothing to time here
    pass
FOLD_SECONDS = time.perf_counter() - pilot_began  # one fit and prediction: the estimate for each fold of a trial
planned = N_FOLDS * REPEATS
for n_folds, repeats in ((N_FOLDS, 1), (min(N_FOLDS, 3), 1), (2, 1)):
    if N_FOLDS * REPEATS * FOLD_SECONDS <= TRIAL_SHARE * TIME_BUDGET_S:
        break
    N_FOLDS, REPEATS = n_folds, repeats
CV_NOTE = "" if N_FOLDS * REPEATS == planned else (
    f"One fit of {DEFAULTS[0]['family']} on this table ({X_search.shape[1]:,} input columns) "
    f"took {FOLD_SECONDS:.2f} s: "
    f"{planned} fits per trial would take about {planned * FOLD_SECONDS:.0f} s of the search's {TIME_BUDGET_S:.0f} s, "
    f"so each trial cross-validates {N_FOLDS * REPEATS} folds instead (noisier scores, more trials within the time).")
if CV_NOTE:  # the fewer folds: as many shuffles of the repeated splitter as are left (one, as a rule)
    folds = make_folds(N_FOLDS, REPEATS, repeated=True)
    _report(cv_plan={"folds": N_FOLDS, "repeats": REPEATS, "planned_fits": planned,
                     "fold_seconds": round(FOLD_SECONDS, 3)}, say=[CV_NOTE])

# %% The folds the search uses, as a reader sees them.
#: The validation rows of each fold of the first repeat (what the threshold check holds out, fold by fold).
FIRST_FOLDS = [val_rows for _, val_rows in list(folds.split(X_search, y_search))[:N_FOLDS]]
REPEATED = (f", repeated {REPEATS} times with fresh shuffles ({N_SEARCH:,} training rows: one split alone would "
            "be noise)"
            if REPEATS > 1 else "")
IN_ORDER = (f", each a block of time in order ({TIME_COLUMN}: the split tests on the newest rows, so each fold "
            "is a stretch of time the model did not learn from, not rows scattered among those it did)"
            if IN_TIME else "")
display(Markdown(f"Cross-validation: {N_FOLDS} folds{REPEATED}{IN_ORDER}." + (f" {CV_NOTE}" if CV_NOTE else "")))

# The best out-of-fold predictions of each family within the limits (what a soft vote of the best members would
# have predicted is their mean, with no further training).
best_out_of_fold = {}


def remember_out_of_fold(trial, family, oof, score, over):
    """Keep ``oof`` when ``trial`` is its family's best within the limits so far."""
    if not over and (family not in best_out_of_fold or score > best_out_of_fold[family]["score"]):
        best_out_of_fold[family] = {"score": score, "oof": np.array(oof, copy=True), "trial": trial.number}
