"""The metrics of a tabular model, how the search scores them against the targets, and the tuning the metric
rewards: the decision threshold (binary F-scores, precision, recall) or the cut-points of an ordinal target (kappa)."""

# %% [context]
import numpy as np
from sklearn import metrics as skm

from .context import CLASSIFY, MARGIN, METRIC_CONSTRAINTS, N_CLASSES, OBJECTIVE, POS_LABEL, TUNE_THRESHOLD, y_train

# %% [parameters]
LOWER_IS_BETTER = ["log_loss", "brier", "rmsle", "mape", "pinball", "mae", "mse", "rmse"]
CUT_POINT_METRICS = ["qwk", "cohen_kappa"]

# %% The metrics, computed the same way for the search (out-of-fold) and the test: from probabilities for
# classification (the positive class's threshold applied on binary tasks), from predictions for regression (on an
# ordinal target, the predictions cut into its ordered values at `cuts`, for the kappas).
NAMED = {OBJECTIVE} | {c["name"] for c in METRIC_CONSTRAINTS}
ORDINAL = not CLASSIFY and bool(NAMED & set(CUT_POINT_METRICS))
ORDERED_VALUES = np.unique(y_train) if ORDINAL else None
#: The metrics the search computes for each candidate: the named ones and a few every reader knows.
SEARCHED = sorted(NAMED | {"accuracy", "f1", "roc_auc", "log_loss"})


def cut(values, cuts):
    """Predictions cut into the ordered values of the target at ``cuts`` (midpoints when None)."""
    cuts = (ORDERED_VALUES[1:] + ORDERED_VALUES[:-1]) / 2 if cuts is None else np.asarray(cuts)
    return ORDERED_VALUES[np.searchsorted(cuts, values)]


def regression_metrics(y_true, pred, cuts=None):
    """Error metrics of numeric predictions; RMSLE where no value is below -1, MAPE where none is zero."""
    y_true, pred = np.asarray(y_true, dtype=float), np.asarray(pred, dtype=float)
    values = {"mae": skm.mean_absolute_error(y_true, pred), "mse": skm.mean_squared_error(y_true, pred),
              "rmse": float(np.sqrt(skm.mean_squared_error(y_true, pred))), "r2": skm.r2_score(y_true, pred),
              "pinball": skm.mean_pinball_loss(y_true, pred, alpha=0.5)}
    if y_true.min() > -1:
        values["rmsle"] = float(np.sqrt(np.mean((np.log1p(np.clip(pred, 0, None)) - np.log1p(y_true)) ** 2)))
    if (y_true != 0).all():
        values["mape"] = skm.mean_absolute_percentage_error(y_true, pred)
    if ORDINAL:
        labels = cut(pred, cuts)
        values["qwk"] = skm.cohen_kappa_score(y_true, labels, weights="quadratic")
        values["cohen_kappa"] = skm.cohen_kappa_score(y_true, labels)
        values["accuracy"] = skm.accuracy_score(y_true, labels)
    return values


# %% Classification metrics: of the predicted classes, and of their probabilities (log loss, Brier, the AUCs).
def class_metrics(y_true, scores, pred, names=None):
    """Metrics of predicted classes and their probabilities (binary ones on the positive class); only ``names`` (and
    accuracy) when given, as the threshold search needs."""
    binary = {"pos_label": POS_LABEL, "average": "binary"} if N_CLASSES == 2 else {"average": "macro"}
    onehot = np.eye(N_CLASSES)[np.asarray(y_true, dtype=int)]
    proba = np.clip(scores, 1e-15, 1.0)
    everyone = N_CLASSES == 2 or len(np.unique(y_true)) == N_CLASSES
    ranked = (y_true == POS_LABEL, scores[:, POS_LABEL]) if N_CLASSES == 2 else (onehot, scores)
    measures = {
        "accuracy": lambda: skm.accuracy_score(y_true, pred),
        "balanced_accuracy": lambda: skm.balanced_accuracy_score(y_true, pred),
        "precision": lambda: skm.precision_score(y_true, pred, zero_division=0, **binary),
        "recall": lambda: skm.recall_score(y_true, pred, zero_division=0, **binary),
        "f1": lambda: skm.f1_score(y_true, pred, zero_division=0, **binary),
        "f2": lambda: skm.fbeta_score(y_true, pred, beta=2, zero_division=0, **binary),
        "cohen_kappa": lambda: skm.cohen_kappa_score(y_true, pred),
        "qwk": lambda: skm.cohen_kappa_score(y_true, pred, weights="quadratic"),
        **{f"{name}_{average}": (lambda score=score, average=average: score(y_true, pred, average=average,
                                                                           zero_division=0))
           for average in ("macro", "weighted")
           for name, score in (("precision", skm.precision_score), ("recall", skm.recall_score),
                               ("f1", skm.f1_score))},
        "log_loss": lambda: float(-np.mean(np.log((proba / proba.sum(axis=1, keepdims=True))[onehot == 1]))),
        "brier": lambda: float(np.mean((scores[:, POS_LABEL] - onehot[:, POS_LABEL]) ** 2)) if N_CLASSES == 2
        else float(np.mean(np.sum((scores - onehot) ** 2, axis=1))),
        "roc_auc": lambda: skm.roc_auc_score(*ranked) if N_CLASSES == 2 else
        skm.roc_auc_score(y_true, scores, multi_class="ovr") if everyone else float("nan"),
        "pr_auc": lambda: skm.average_precision_score(*ranked, average="macro") if everyone else float("nan"),
    }
    wanted = measures if names is None else [n for n in measures if n in set(names) | {"accuracy"}]
    return {name: measures[name]() for name in wanted}


def compute_metrics(y_true, scores, threshold=None, names=None):
    """Test metrics from probabilities (classification) or predictions (regression); ``threshold`` is the positive
    class's decision threshold (binary) or the cut-points of an ordinal target (a list); ``names``: only those."""
    if not CLASSIFY:
        return regression_metrics(y_true, scores, threshold)
    if N_CLASSES == 2:
        pred = np.where(scores[:, POS_LABEL] >= (0.5 if threshold is None else threshold), POS_LABEL, 1 - POS_LABEL)
    else:
        pred = scores.argmax(axis=1)
    return class_metrics(y_true, scores, pred, names)


# %% How a candidate is scored: the metric to optimise, minus a heavy penalty for every target it misses; the
# tuning the metric rewards is done on the out-of-fold predictions (never on the test split): the decision threshold
# on binary tasks whose targets are F-scores, precision or recall; the cut-points of an ordinal target for kappa.
def satisfaction(values, margin):
    """Objective: the optimised metric, minus a heavy penalty for each target missed (by > margin)."""
    primary = -values[OBJECTIVE] if OBJECTIVE in LOWER_IS_BETTER else values[OBJECTIVE]
    missed = 0.0
    for c in METRIC_CONSTRAINTS:
        value, goal = values.get(c["name"], float("nan")), c["value"]
        want = goal + margin if c["op"].startswith(">") else goal - margin
        missed += max(0.0, want - value) if c["op"].startswith(">") else max(0.0, value - want)
    return primary - 10 * missed, missed == 0


def counted_metrics(y_true, pos, thresholds):
    """The named metrics that a binary decision threshold moves, for every threshold at once, from the confusion
    counts (one array per metric); None when one of them is not counted here."""
    actual, thresholds = np.asarray(y_true) == POS_LABEL, np.asarray(thresholds)
    n, n_pos = len(actual), int(actual.sum())
    # the rows at or above each threshold, among the positives and the negatives (sorted once: no rows x thresholds)
    tp = n_pos - np.searchsorted(np.sort(pos[actual]), thresholds, side="left")
    fp = (n - n_pos) - np.searchsorted(np.sort(pos[~actual]), thresholds, side="left")
    fn, tn = n_pos - tp, (n - n_pos) - fp

    def ratio(a, b):  # 0 where the denominator is (zero_division=0)
        return np.divide(a, b, out=np.zeros(len(tp)), where=b > 0)

    per_class = {"precision": (ratio(tp, tp + fp), ratio(tn, tn + fn)),
                 "recall": (ratio(tp, tp + fn), ratio(tn, tn + fp)),
                 "f1": (ratio(2 * tp, 2 * tp + fp + fn), ratio(2 * tn, 2 * tn + fn + fp))}
    expected = ((tp + fp) * (tp + fn) + (tn + fn) * (tn + fp)) / n**2
    kappa = ratio((tp + tn) / n - expected, 1 - expected)
    counted = {"accuracy": (tp + tn) / n, "precision": per_class["precision"][0], "recall": per_class["recall"][0],
               "f1": per_class["f1"][0], "f2": ratio(5 * tp, 5 * tp + 4 * fn + fp), "cohen_kappa": kappa, "qwk": kappa,
               "balanced_accuracy": (per_class["recall"][0] + per_class["recall"][1]) / 2,
               **{f"{name}_macro": (a + b) / 2 for name, (a, b) in per_class.items()},
               **{f"{name}_weighted": (n_pos * a + (n - n_pos) * b) / n for name, (a, b) in per_class.items()}}
    moved = NAMED - {"log_loss", "brier", "roc_auc", "pr_auc"}  # scores of probabilities: the same at every threshold
    return {name: counted[name] for name in moved | {"accuracy"}} if moved <= set(counted) else None


def tune_threshold(y_true, proba):
    """The probability threshold on the positive class that best meets the targets (binary tasks): the metrics the
    threshold moves are counted for all ~200 candidate thresholds at once; the others are computed once."""
    pos = proba[:, POS_LABEL]
    candidates = np.append(np.unique(np.quantile(pos, np.linspace(0.01, 0.99, 197))), 0.5)
    counted = counted_metrics(y_true, pos, candidates)
    fixed = compute_metrics(y_true, proba, 0.5, NAMED - set(counted or NAMED)) if counted is not None else {}
    best = (None, 0.5)
    for i, thr in enumerate(candidates):
        # a metric not counted here: the catalogue, threshold by threshold
        values = {**fixed, **{name: float(v[i]) for name, v in counted.items()}} if counted is not None else \
            compute_metrics(y_true, proba, thr, NAMED)
        score = satisfaction(values, MARGIN)[0]
        if best[0] is None or score > best[0]:
            best = (score, float(thr))
    return best[1], compute_metrics(y_true, proba, best[1], SEARCHED)


# %% Ordinal targets: the kappas from one confusion matrix, the cut-points tuned on the out-of-fold predictions, and
# how a candidate's out-of-fold predictions are scored.
def kappas(y_true, labels):
    """Quadratic weighted and plain Cohen's kappa, and accuracy, of ordered labels (one confusion matrix for all)."""
    k = len(ORDERED_VALUES)
    cm = np.bincount(np.searchsorted(ORDERED_VALUES, y_true) * k + np.searchsorted(ORDERED_VALUES, labels),
                     minlength=k * k).reshape(k, k).astype(float)
    expected = np.outer(cm.sum(axis=1), cm.sum(axis=0)) / cm.sum()
    i, j = np.indices((k, k))
    out = {}
    for name, weights in (("qwk", (i - j) ** 2 / max(1, (k - 1) ** 2)), ("cohen_kappa", (i != j).astype(float))):
        denominator = (weights * expected).sum()
        out[name] = 1 - (weights * cm).sum() / denominator if denominator else 0.0
    out["accuracy"] = np.trace(cm) / cm.sum()
    return out


def tune_cut_points(y_true, pred, passes=2, steps=24):
    """Cut-points between the ordered values that best meet the targets (coordinate search from the midpoints);
    only the kappas and accuracy depend on them, so only those are recomputed per candidate."""
    cuts = (ORDERED_VALUES[1:] + ORDERED_VALUES[:-1]) / 2
    fixed = regression_metrics(y_true, pred, cuts)
    best = satisfaction(fixed, MARGIN)[0]
    for _ in range(passes):
        for i in range(len(cuts)):
            lo = cuts[i - 1] if i else ORDERED_VALUES[0] - 0.5
            hi = cuts[i + 1] if i + 1 < len(cuts) else ORDERED_VALUES[-1] + 0.5
            for value in np.linspace(lo, hi, steps + 2)[1:-1]:
                trial = cuts.copy()
                trial[i] = value
                score = satisfaction({**fixed, **kappas(y_true, cut(pred, trial))}, MARGIN)[0]
                if score > best:
                    best, cuts = score, trial
    return [float(c) for c in cuts], regression_metrics(y_true, pred, cuts)


def score_out_of_fold(y_true, oof):
    """(the threshold or cut-points tuned on the out-of-fold predictions, or None; their metrics)."""
    if CLASSIFY and N_CLASSES == 2 and TUNE_THRESHOLD:
        return tune_threshold(y_true, oof)
    if ORDINAL:
        return tune_cut_points(y_true, oof)
    return None, compute_metrics(y_true, oof, names=SEARCHED)
