"""Cells the Model agent writes for tabular data: search within the budget, fit, evaluate."""

from __future__ import annotations

from typing import Any

from .base import code_cell
from .render import Cell, render

_SEARCH = '''
import time

import optuna
from sklearn import metrics as skm
from sklearn.base import clone
from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor, GradientBoostingClassifier,
                              GradientBoostingRegressor, HistGradientBoostingClassifier,
                              HistGradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.svm import SVC, SVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from tqdm.auto import tqdm

optuna.logging.set_verbosity(optuna.logging.WARNING)
warnings.filterwarnings("ignore", category=ConvergenceWarning)
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
warnings.filterwarnings("ignore", category=UserWarning, module="sklearn")
warnings.filterwarnings("ignore", message="Fixed parameter .* is out of range")
warnings.filterwarnings("ignore", message="The value .* of the parameter .* is out of the range")

CLASSIFY = TASK == "classification"
N_CLASSES = len(CLASSES) if CLASSIFY else 0
OUTPUTS = N_CLASSES if N_CLASSES > 2 else 1  # decision values per row
LEAF_OUTPUTS = N_CLASSES if CLASSIFY else 1  # values stored per leaf of a single tree
HIGHER_IS_BETTER = {"accuracy", "precision", "recall", "f1", "roc_auc", "r2"}
D = N_ENCODED
N = len(X_train)
TREES = ("decision_tree", "gradient_boosting", "hist_gradient_boosting", "random_forest", "extra_trees")


def count_parameters(estimator):
    """Parameters of a fitted model, counted as the zoo documents (preprocessing excluded)."""
    est = estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator

    def tree_params(tree):
        leaves = tree.children_left == -1
        return int(2 * (~leaves).sum() + tree.value.shape[1] * tree.value.shape[2] * leaves.sum())

    if hasattr(est, "tree_"):
        return tree_params(est.tree_)
    if hasattr(est, "_predictors"):  # histogram gradient boosting
        leaves = [p.nodes["is_leaf"].astype(bool) for stage in est._predictors for p in stage]
        return int(sum(2 * (~leaf).sum() + leaf.sum() for leaf in leaves) + np.size(est._baseline_prediction))
    if hasattr(est, "estimators_"):
        trees = np.ravel(est.estimators_)
        return sum(tree_params(t.tree_) for t in trees) + int(getattr(est, "n_trees_per_iteration_", 0))
    if hasattr(est, "coefs_"):
        return int(sum(w.size for w in est.coefs_) + sum(b.size for b in est.intercepts_))
    if hasattr(est, "support_vectors_"):
        return int(est.support_vectors_.size + est.dual_coef_.size + np.size(est.intercept_))
    if hasattr(est, "theta_"):
        return int(est.theta_.size + est.var_.size + est.class_prior_.size)
    if hasattr(est, "coef_"):
        return int(np.size(est.coef_) + np.size(est.intercept_))
    if hasattr(est, "_fit_X"):
        return int(np.size(est._fit_X))
    raise TypeError(f"No parameter-counting rule for {type(est).__name__}")


def estimated_onnx_bytes(family, n_params):
    """ONNX file size a model of this many parameters takes (trees store ~25 bytes per parameter)."""
    per_param = 25 if family in TREES else 4.5
    return 4000 + per_param * n_params


def size_limit(family):
    """The parameter count allowed for a family: the budget, and what the model-file limit leaves."""
    limit = PARAM_LIMIT if PARAM_LIMIT is not None else 10**9
    if BYTES_LIMIT is not None:
        limit = min(limit, int((0.85 * BYTES_LIMIT - 4000) / (25 if family in TREES else 4.5)))
    return max(limit, 1)



def pick_int(t, name, low, high):
    """An integer hyper-parameter on a log scale, clipped to the range (queued defaults may lie outside)."""
    return int(np.clip(t.suggest_int(name, low, high, log=True), low, high))


def build(family, t):
    """An estimator of `family` with hyper-parameters drawn from `t` (an optuna trial), sized to fit."""
    cap = size_limit(family)
    per_leaf = 2 + LEAF_OUTPUTS  # a split (2) per leaf, roughly, plus the leaf's outputs
    if family == "logistic_regression":
        return LogisticRegression(C=t.suggest_float("lr_C", 1e-3, 1e3, log=True), max_iter=3000,
                                  class_weight=t.suggest_categorical("lr_weight", [None, "balanced"]))
    if family == "ridge":
        return Ridge(alpha=t.suggest_float("ridge_alpha", 1e-3, 1e3, log=True))
    if family == "gaussian_nb":
        return GaussianNB(var_smoothing=t.suggest_float("nb_smoothing", 1e-12, 1e-2, log=True))
    if family == "decision_tree":
        leaves = pick_int(t, "dt_leaves", 2, max(2, min(256, cap // per_leaf)))
        cls = DecisionTreeClassifier if CLASSIFY else DecisionTreeRegressor
        return cls(max_leaf_nodes=leaves, min_samples_leaf=t.suggest_int("dt_min_leaf", 1, 30, log=True),
                   random_state=SEED)
    if family in ("random_forest", "extra_trees"):
        trees = pick_int(t, f"{family}_trees", 10, max(10, min(300, cap // (4 * per_leaf))))
        leaves = pick_int(t, f"{family}_leaves", 4, max(4, min(512, cap // (trees * per_leaf))))
        kind = {("random_forest", True): RandomForestClassifier, ("random_forest", False): RandomForestRegressor,
                ("extra_trees", True): ExtraTreesClassifier, ("extra_trees", False): ExtraTreesRegressor}
        extra = {"class_weight": t.suggest_categorical(f"{family}_weight", [None, "balanced_subsample"])} \\
            if CLASSIFY else {}
        return kind[family, CLASSIFY](
            n_estimators=trees, max_leaf_nodes=leaves, random_state=SEED, n_jobs=-1,
            max_features=t.suggest_categorical(f"{family}_features", ["sqrt", 0.5, 1.0]),
            min_samples_leaf=t.suggest_int(f"{family}_min_leaf", 1, 10, log=True), **extra)
    if family == "gradient_boosting":
        per_stage = OUTPUTS if CLASSIFY else 1
        stages = pick_int(t, "gb_stages", 10, max(10, min(400, cap // (per_stage * 10))))
        leaves = pick_int(t, "gb_leaves", 3, max(3, min(31, (cap // (stages * per_stage) + 2) // 3)))
        cls = GradientBoostingClassifier if CLASSIFY else GradientBoostingRegressor
        return cls(n_estimators=stages, max_leaf_nodes=leaves, random_state=SEED,
                   learning_rate=t.suggest_float("gb_lr", 0.01, 0.3, log=True),
                   subsample=t.suggest_float("gb_subsample", 0.6, 1.0))
    if family == "hist_gradient_boosting":
        per_stage = OUTPUTS if CLASSIFY else 1
        stages = pick_int(t, "hgb_stages", 10, max(10, min(500, cap // (per_stage * 10))))
        leaves = pick_int(t, "hgb_leaves", 3, max(3, min(63, (cap // (stages * per_stage) + 2) // 3)))
        cls = HistGradientBoostingClassifier if CLASSIFY else HistGradientBoostingRegressor
        extra = {"class_weight": t.suggest_categorical("hgb_weight", [None, "balanced"])} if CLASSIFY else {}
        return cls(max_iter=stages, max_leaf_nodes=leaves, early_stopping=False, random_state=SEED,
                   learning_rate=t.suggest_float("hgb_lr", 0.02, 0.3, log=True),
                   l2_regularization=t.suggest_float("hgb_l2", 1e-6, 10.0, log=True),
                   min_samples_leaf=t.suggest_int("hgb_min_leaf", 5, 50, log=True), **extra)
    if family == "mlp":
        widest = max(2, min(256, (cap - OUTPUTS) // (D + 1 + OUTPUTS)))
        hidden = pick_int(t, "mlp_units", 2, widest)
        cls = MLPClassifier if CLASSIFY else MLPRegressor
        return cls(hidden_layer_sizes=(hidden,), alpha=t.suggest_float("mlp_alpha", 1e-5, 1e-1, log=True),
                   learning_rate_init=t.suggest_float("mlp_lr", 1e-4, 3e-2, log=True), max_iter=800,
                   early_stopping=N >= 1000, random_state=SEED)
    if family == "svm":
        c = t.suggest_float("svm_C", 0.1, 300, log=True)
        return SVC(C=c, probability=True, random_state=SEED) if CLASSIFY else SVR(
            C=c, epsilon=t.suggest_float("svm_eps", 1e-3, 1.0, log=True))
    if family == "knn":
        k = t.suggest_int("knn_k", 1, 40, log=True)
        weights = t.suggest_categorical("knn_weights", ["uniform", "distance"])
        return (KNeighborsClassifier if CLASSIFY else KNeighborsRegressor)(n_neighbors=k, weights=weights)
    raise ValueError(f"unknown family {family}")


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


folds = (StratifiedKFold if CLASSIFY else KFold)(n_splits=5 if N < 1000 else 3, shuffle=True, random_state=SEED)


def out_of_fold(pipe):
    """Out-of-fold predictions on the training split, and the parameter count expected once trained on all of it."""
    oof = np.zeros((N, N_CLASSES)) if CLASSIFY else np.zeros(N)
    sizes = []
    for fit_rows, val_rows in folds.split(X_train, y_train):
        if time.perf_counter() > deadline:
            raise optuna.TrialPruned("out of time")
        fitted = clone(pipe).fit(X_train.iloc[fit_rows], y_train[fit_rows])
        rows = X_train.iloc[val_rows]
        oof[val_rows] = fitted.predict_proba(rows) if CLASSIFY else fitted.predict(rows)
        grows = fitted.steps[-1][1].__class__.__name__.startswith(("SV", "KNeighbors"))
        # kernel SVMs and kNN keep (a share of) the training rows: scale to the full training split
        sizes.append(int(count_parameters(fitted) * (N / len(fit_rows) if grows else 1)))
    return oof, max(sizes)


def objective(trial):
    family = trial.suggest_categorical("family", FAMILIES)
    if family_seconds.get(family, 0) > deadline - time.perf_counter():
        raise optuna.TrialPruned("a trial of this family would not finish within the budget")
    began = time.perf_counter()
    pipe = Pipeline([("prep", make_preprocessor(scale=family not in TREES)), ("est", build(family, trial))])
    oof, n_params = out_of_fold(pipe)
    threshold = None
    if CLASSIFY and N_CLASSES == 2 and TUNE_THRESHOLD:
        threshold, values = tune_threshold(y_train, oof)
    else:
        values = compute_metrics(y_train, oof)
    score, meets = satisfaction(values, MARGIN)
    over = (PARAM_LIMIT is not None and n_params > PARAM_LIMIT) or (
        BYTES_LIMIT is not None and estimated_onnx_bytes(family, n_params) > BYTES_LIMIT)
    trial.set_user_attr("metrics", {k: float(v) for k, v in values.items()})
    trial.set_user_attr("parameters", n_params)
    trial.set_user_attr("threshold", threshold)
    trial.set_user_attr("meets", bool(meets and not over))
    trial.set_user_attr("over_budget", bool(over))
    family_seconds[family] = time.perf_counter() - began
    return -1e6 + score if over else score


study = optuna.create_study(direction="maximize",
                            sampler=optuna.samplers.TPESampler(seed=SEED, multivariate=True, group=True))
for params in DEFAULTS:
    study.enqueue_trial(params)
started = time.perf_counter()
deadline = started + TIME_BUDGET_S
family_seconds = {}  # how long the last trial of each family took
bar = tqdm(total=None, desc="model search", unit="trial")
best_so_far = [-np.inf, 0]


def stop_when_done(study, trial):
    """Stop once the targets are met (after every family's default ran); with no targets, once it plateaus."""
    bar.update(1)
    if trial.value is None:
        return
    if trial.value > best_so_far[0] + 1e-3:
        best_so_far[:] = [trial.value, trial.number]
    best = study.best_trial
    bar.set_postfix(best=f"{best.params['family']} {best.value:.4f}")
    done_defaults = trial.number + 1 >= len(DEFAULTS)
    if done_defaults and METRIC_CONSTRAINTS and best.user_attrs.get("meets"):
        study.stop()
    if done_defaults and not METRIC_CONSTRAINTS and trial.number - best_so_far[1] >= PATIENCE:
        study.stop()  # nothing to reach, and no progress: more trials would only spend the budget


study.optimize(objective, timeout=TIME_BUDGET_S, callbacks=[stop_when_done], catch=(ValueError,))
bar.close()
if not any(t.value is not None for t in study.trials):
    raise TimeoutError(f"No model finished cross-validation within {TIME_BUDGET_S:.0f} s: give the run a larger "
                       "time budget (--time-budget).")
trials = pd.DataFrame([{"trial": t.number, "family": t.params.get("family"), "score": t.value,
                        "parameters": t.user_attrs.get("parameters"), "meets targets": t.user_attrs.get("meets"),
                        **{k: round(v, 4) for k, v in t.user_attrs.get("metrics", {}).items()},
                        "seconds": (t.datetime_complete - t.datetime_start).total_seconds()}
                       for t in study.trials if t.value is not None])
leaderboard = trials.sort_values("score", ascending=False).groupby("family").head(1)
display(Markdown(f"**Model search**: {len(trials)} trials in {time.perf_counter() - started:.0f} s, "
                 f"cross-validated on the training split ({folds.get_n_splits()} folds); best per family:"))
display(leaderboard.drop(columns=["score"]).reset_index(drop=True))
fig = px.scatter(trials, x="parameters", y=OBJECTIVE, color="family", log_x=True, hover_data=["trial"],
                 title=f"Cross-validated {OBJECTIVE} against model size")
if PARAM_LIMIT is not None:
    fig.add_vline(x=PARAM_LIMIT, line_dash="dash", annotation_text="parameter budget")
fig.show()
ranked = sorted((t for t in study.trials if t.value is not None), key=lambda t: -t.value)
_report(trials=len(trials), best_family=ranked[0].params["family"], cv_metrics=ranked[0].user_attrs["metrics"],
        cv_meets=ranked[0].user_attrs["meets"], over_budget=ranked[0].user_attrs["over_budget"],
        ranked=[{"params": t.params, "threshold": t.user_attrs["threshold"], "cv_metrics": t.user_attrs["metrics"],
                 "parameters": t.user_attrs["parameters"]} for t in ranked[:5]],
        leaderboard=leaderboard[["family", OBJECTIVE, "parameters"]].to_dict("records"))
'''


def search_cell(*, families: list[str], defaults: list[dict[str, Any]], objective: str,
                metric_constraints: list[dict[str, Any]], param_limit: int | None, bytes_limit: int | None,
                tune_threshold: bool, time_budget_s: float, margin: float, patience: int) -> str:
    """Cross-validated search over the families within budget, optimising the named metric."""
    return code_cell(
        "Search the model zoo within the budget: cross-validate each candidate on the training split, "
        "optimising the metric the request named, and stop once every target is met.",
        _SEARCH, FAMILIES=families, DEFAULTS=defaults, OBJECTIVE=objective,
        METRIC_CONSTRAINTS=metric_constraints, PARAM_LIMIT=param_limit, BYTES_LIMIT=bytes_limit,
        TUNE_THRESHOLD=tune_threshold, TIME_BUDGET_S=time_budget_s, MARGIN=margin, PATIENCE=patience)


def fit_cell(params: dict[str, Any], threshold: float | None, cv_metrics: dict[str, float]) -> list[Cell]:
    """Train the chosen configuration (pinned here, so re-running the notebook trains the same model)."""
    return render("kinds/tables/cells/fit", PARAMS=params, THRESHOLD=threshold, CV_METRICS=cv_metrics)


_EVALUATE = '''
from sklearn.inspection import permutation_importance

scores_test = model.predict_proba(X_test) if CLASSIFY else model.predict(X_test)
METRICS = {k: float(v) for k, v in compute_metrics(y_test, scores_test, THRESHOLD).items()}
display(pd.DataFrame({"test": METRICS, "cross-validated (train)": CV_METRICS}).round(4))
if CLASSIFY:
    if N_CLASSES == 2:
        pred = np.where(scores_test[:, POS_LABEL] >= (THRESHOLD or 0.5), POS_LABEL, 1 - POS_LABEL)
    else:
        pred = scores_test.argmax(axis=1)
    cm = skm.confusion_matrix(y_test, pred, labels=range(N_CLASSES))
    px.imshow(cm, x=CLASSES, y=CLASSES, text_auto=True, color_continuous_scale="Blues",
              labels={"x": "predicted", "y": "actual"}, title="Confusion matrix (test)").show()
    report = skm.classification_report(y_test, pred, labels=range(N_CLASSES), target_names=CLASSES,
                                       output_dict=True, zero_division=0)
    display(pd.DataFrame(report).T.round(3))
    if N_CLASSES == 2:
        fpr, tpr, _ = skm.roc_curve(y_test == POS_LABEL, scores_test[:, POS_LABEL])
        prec, rec, _ = skm.precision_recall_curve(y_test == POS_LABEL, scores_test[:, POS_LABEL])
        fig = go.Figure([go.Scatter(x=fpr, y=tpr, name=f"ROC (AUC {METRICS['roc_auc']:.3f})"),
                         go.Scatter(x=rec, y=prec, name="precision-recall")])
        fig.update_layout(title=f"ROC and precision-recall curves, positive class {CLASSES[POS_LABEL]!r}",
                          xaxis_title="false positive rate / recall", yaxis_title="true positive rate / precision")
        fig.show()
else:
    pred = scores_test
    fig = px.scatter(x=y_test, y=pred, labels={"x": f"actual {TARGET}", "y": "predicted"},
                     title=f"Predicted against actual (test R2 {METRICS['r2']:.3f})")
    fig.add_shape(type="line", x0=y_test.min(), y0=y_test.min(), x1=y_test.max(), y1=y_test.max(),
                  line={"dash": "dash"})
    fig.show()
    px.histogram(x=y_test - pred, nbins=40, labels={"x": "residual"}, title="Residuals (test)").show()
scoring = {"accuracy": "accuracy", "r2": "r2", "mae": "neg_mean_absolute_error",
           "rmse": "neg_root_mean_squared_error"}.get(OBJECTIVE, "accuracy" if CLASSIFY else "r2")
# permutation importance costs one scoring pass per input and repeat: keep it within ~10 s on wide data
sample = min(len(X_test), 400)
began = time.perf_counter()
model.predict(X_test[:sample])
per_pass = (time.perf_counter() - began) * X_test.shape[1]
repeats = 3 if 3 * per_pass <= 10 else 1
sample = sample if repeats * per_pass <= 10 else max(50, int(sample * 10 / per_pass))
importance = permutation_importance(model, X_test[:sample], y_test[:sample], n_repeats=repeats, random_state=SEED,
                                    scoring=scoring)
order = np.argsort(importance.importances_mean)[::-1][:15]
px.bar(x=importance.importances_mean[order], y=np.asarray(X_test.columns)[order], orientation="h",
       labels={"x": f"drop in {scoring} when shuffled", "y": "input"},
       title="Permutation importance (test)").update_yaxes(autorange="reversed").show()
_report(metrics=METRICS, importance={str(X_test.columns[i]): float(importance.importances_mean[i]) for i in order})
'''


def evaluate_cell() -> str:
    """Test metrics, confusion matrix, curves or residuals, and feature importance."""
    return code_cell("Evaluate on the held-out test split: metrics, errors by class or residuals, and which "
                     "inputs matter.", _EVALUATE)
