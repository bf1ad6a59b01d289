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


#: Shuffles that resolve the 0.1 line (p = 1/10 when none scores as well), the most a test runs, and the shuffles
#: scoring as well as the real targets after which no number of further ones could bring p to 0.1.
RESOLVING_SHUFFLES, MAX_SHUFFLES, SETTLED_BEATEN = 9, 29, 3


class PValue(float):
    """A permutation test's p-value, (beaten + 1) / (shuffles + 1), that keeps ``beaten`` (the shuffles that scored as
    well as the real targets) and ``shuffles``. Where none did, the value is the test's resolution, not evidence."""

    def __new__(cls, beaten, shuffles):
        value = super().__new__(cls, (beaten + 1) / (shuffles + 1))
        value.beaten, value.shuffles = beaten, shuffles
        return value


def permutation_p_value(probe, X, y, cv, scoring, score, seconds):
    """How often shuffled targets score as well as the real ones; returns the p-value and the shuffled scores.
    As many shuffles as ``seconds`` allow (a shuffle starts only when one more, at the mean cost so far, would end
    within them), at least one and at most MAX_SHUFFLES; it stops early once SETTLED_BEATEN shuffles scored as well
    (no further shuffle could bring p under 0.1). With fewer than RESOLVING_SHUFFLES it says its resolution: p can
    then not reach 0.1, and where no shuffle scored as well the data is not refused on it (``shows_no_signal``)."""
    rng, permuted, began = np.random.default_rng(SEED), [], time.perf_counter()
    while len(permuted) < MAX_SHUFFLES and sum(s >= score for s in permuted) < SETTLED_BEATEN:
        spent = time.perf_counter() - began
        if permuted and spent + spent / len(permuted) > seconds:
            break
        permuted.append(cross_val_score(probe, X, rng.permutation(y), cv=cv, scoring=scoring).mean())
    p_value = PValue(sum(s >= score for s in permuted), len(permuted))
    if len(permuted) < RESOLVING_SHUFFLES and p_value.beaten < SETTLED_BEATEN:
        print(f"permutation test: {len(permuted)} shuffles in its {seconds:.1f} s (one took "
              f"{(time.perf_counter() - began) / len(permuted):.2f} s; {RESOLVING_SHUFFLES} resolve the 0.1 line), so "
              f"its p-value's resolution is {1 / (len(permuted) + 1):.2f}"
              + ("; no shuffled target scored as well as the real ones: the data is not refused on it"
                 if p_value.beaten == 0 else ""))
    return p_value, permuted


def shows_no_signal(score, chance, p_value):
    """No signal: shuffled targets do as well (p > 0.1, and at least one shuffle scored as well as the real targets:
    a test with too few shuffles to resolve 0.1 refuses nothing), or the score is within 0.02 of chance."""
    beaten = getattr(p_value, "beaten", 1)
    return bool((p_value is not None and p_value > 0.1 and beaten > 0) or score < chance + 0.02)
