"""The signal test every feasibility probe shares (tables, texts, images): is there any signal at all?"""

# %% [context]
import numpy as np
import pandas as pd

from .context import SEED

# isort: split
# %% The signal test every feasibility probe uses: the score it is judged on, a permutation test
# against shuffled targets, and the no-signal line.
import time

from sklearn.model_selection import cross_val_score


def signal_metric(y, ranking=True):
    """The score a probe's signal is judged on, and its chance level. A ranking score where the probe can rank:
    at the default threshold a weak signal in a rare class predicts the majority class and looks like chance."""
    counts = pd.Series(y).value_counts()
    if ranking and len(counts) == 2:
        return "roc_auc", 0.5
    if ranking and counts.min() >= 3:
        return "roc_auc_ovr", 0.5
    return "balanced_accuracy", 1 / len(counts)


def permutation_p_value(probe, X, y, cv, scoring, score, seconds):
    """How often shuffled targets score as well as the real ones; returns the p-value and the shuffled scores.
    At least 9 shuffles, or the p-value could never reach the 0.1 line and a slow machine would refuse data with
    signal; then more while ``seconds`` last, 29 at most."""
    rng, permuted, began = np.random.default_rng(SEED), [], time.perf_counter()
    while len(permuted) < 29 and (len(permuted) < 9 or time.perf_counter() - began < seconds):
        permuted.append(cross_val_score(probe, X, rng.permutation(y), cv=cv, scoring=scoring).mean())
    return (sum(s >= score for s in permuted) + 1) / (len(permuted) + 1), permuted


def shows_no_signal(score, chance, p_value):
    """No signal: shuffled targets do as well (p > 0.1), or the score is within 0.02 of chance."""
    return bool((p_value is not None and p_value > 0.1) or score < chance + 0.02)
