"""How the model search cross-validates: repeated folds on small data, and the best out-of-fold predictions kept."""

# %% [context]
import numpy as np
from IPython.display import Markdown, display
from sklearn.model_selection import KFold, StratifiedKFold

from .context import CLASSIFY, SEED, N, X_train, y_train

# isort: split
# %% How each candidate is cross-validated on the training split: 5 folds under 1,000 rows, else 3. On small data
# the folds are repeated with fresh shuffles (3 times under 500 rows, twice under 1,000), so that the choice between
# close candidates is not the noise of one split; each row's out-of-fold prediction is its mean over the repeats.
from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold
from threadpoolctl import threadpool_limits

# The search fits many small models one after another: a multi-threaded BLAS only fights over the cores for them
# (on a busy machine a logistic regression on 150 rows took 20 times longer), so BLAS runs on one thread from here on.
threadpool_limits(1, user_api="blas")

N_FOLDS = 5 if N < 1000 else 3
if CLASSIFY:  # stratified folds need every fold to see a class: never more folds than the largest class has rows
    N_FOLDS = max(2, min(N_FOLDS, int(np.unique(np.asarray(y_train), return_counts=True)[1].max())))
REPEATS = 3 if N < 500 else 2 if N < 1000 else 1
if REPEATS > 1:
    folds = (RepeatedStratifiedKFold if CLASSIFY else RepeatedKFold)(n_splits=N_FOLDS, n_repeats=REPEATS,
                                                                     random_state=SEED)
else:
    folds = (StratifiedKFold if CLASSIFY else KFold)(n_splits=N_FOLDS, shuffle=True, random_state=SEED)
#: The validation rows of each fold of the first repeat (what the threshold check holds out, fold by fold).
FIRST_FOLDS = [val_rows for _, val_rows in list(folds.split(X_train, y_train))[:N_FOLDS]]
display(Markdown(f"Cross-validation: {N_FOLDS} folds" + (f", repeated {REPEATS} times with fresh shuffles "
                                                         f"({N:,} training rows: one split alone would be noise)"
                                                         if REPEATS > 1 else "") + "."))

# The best out-of-fold predictions of each family within the limits (what a soft vote of the best members would
# have predicted is their mean, with no further training).
best_out_of_fold = {}


def remember_out_of_fold(trial, family, oof, score, over):
    """Keep ``oof`` when ``trial`` is its family's best within the limits so far."""
    if not over and (family not in best_out_of_fold or score > best_out_of_fold[family]["score"]):
        best_out_of_fold[family] = {"score": score, "oof": np.array(oof, copy=True), "trial": trial.number}
