"""The metrics of a tabular model, how the search scores them against the targets, and the threshold tuning."""

# %% [context]
import numpy as np
from sklearn import metrics as skm

from .context import CLASSIFY, MARGIN, METRIC_CONSTRAINTS, N_CLASSES, OBJECTIVE, POS_LABEL

# %% The metrics, computed the same way for the search (out-of-fold) and the test: from probabilities for
# classification (the positive class's threshold applied on binary tasks), from predictions for regression.
HIGHER_IS_BETTER = {"accuracy", "precision", "recall", "f1", "roc_auc", "r2"}


def compute_metrics(y_true, scores, threshold=None):
    """Test metrics from probabilities (classification) or predictions (regression)."""
    if not CLASSIFY:
        return {"mae": skm.mean_absolute_error(y_true, scores),
                "rmse": float(np.sqrt(skm.mean_squared_error(y_true, scores))),
                "r2": skm.r2_score(y_true, scores)}
    if N_CLASSES == 2:
        pos = scores[:, POS_LABEL]
        pred = np.where(pos >= (0.5 if threshold is None else threshold), POS_LABEL, 1 - POS_LABEL)
        return {"accuracy": skm.accuracy_score(y_true, pred),
                "precision": skm.precision_score(y_true, pred, pos_label=POS_LABEL, zero_division=0),
                "recall": skm.recall_score(y_true, pred, pos_label=POS_LABEL, zero_division=0),
                "f1": skm.f1_score(y_true, pred, pos_label=POS_LABEL, zero_division=0),
                "roc_auc": skm.roc_auc_score(y_true == POS_LABEL, pos)}
    pred = scores.argmax(axis=1)
    return {"accuracy": skm.accuracy_score(y_true, pred),
            "precision": skm.precision_score(y_true, pred, average="macro", zero_division=0),
            "recall": skm.recall_score(y_true, pred, average="macro", zero_division=0),
            "f1": skm.f1_score(y_true, pred, average="macro", zero_division=0),
            "roc_auc": skm.roc_auc_score(y_true, scores, multi_class="ovr")
            if len(np.unique(y_true)) == N_CLASSES else float("nan")}


# %% How a candidate is scored: the metric to optimise, minus a heavy penalty for every target it misses;
# on binary tasks the decision threshold is tuned to the targets too (out-of-fold, never on the test split).
def satisfaction(values, margin):
    """Objective: the optimised metric, minus a heavy penalty for each target missed (by > margin)."""
    primary = values[OBJECTIVE] if OBJECTIVE in HIGHER_IS_BETTER else -values[OBJECTIVE]
    missed = 0.0
    for c in METRIC_CONSTRAINTS:
        value, goal = values[c["name"]], c["value"]
        want = goal + margin if c["op"].startswith(">") else goal - margin
        missed += max(0.0, want - value) if c["op"].startswith(">") else max(0.0, value - want)
    return primary - 10 * missed, missed == 0


def tune_threshold(y_true, proba):
    """The probability threshold on the positive class that best meets the targets (binary tasks)."""
    pos = proba[:, POS_LABEL]
    grid = np.unique(np.quantile(pos, np.linspace(0.01, 0.99, 197)))
    best = (None, 0.5, None)
    for thr in np.append(grid, 0.5):
        values = compute_metrics(y_true, proba, thr)
        score, meets = satisfaction(values, MARGIN)
        if best[0] is None or score > best[0][0]:
            best = ((score, meets), float(thr), values)
    return best[1], best[2]
