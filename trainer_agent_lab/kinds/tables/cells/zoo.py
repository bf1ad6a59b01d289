"""The tabular model zoo: each family built within the parameter budget, its parameters counted as the zoo documents."""

# %% [context]
import warnings

import numpy as np
from sklearn.base import clone  # the bagged models' cell's, with the votes
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    VotingClassifier,
    VotingRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline

from .context import (
    BYTES_LIMIT,
    CLASSES,
    DEFAULTS,
    MONOTONIC,
    N_ENCODED,
    NUMERIC_FEATURES,
    OBJECTIVE,
    PARAM_LIMIT,
    POS_LABEL,
    SEED,
    TASK,
    TREE_MAX_DEPTH,
    FoldBagClassifier,
    FoldBagRegressor,
    X_train,
    make_preprocessor,
    y_train,
)

# isort: split
# %% The libraries of the model search: the zoo's estimators (the linear and histogram-boosting ones came with
# the feasibility probes; LightGBM and XGBoost beside scikit-learn's), optuna for the search, and quiet warnings
# (a trial that does not converge is scored like any other).
import optuna
from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn import metrics as skm
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.svm import SVC, SVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from tqdm.auto import tqdm
from xgboost import XGBClassifier, XGBRegressor

optuna.logging.set_verbosity(optuna.logging.WARNING)
warnings.filterwarnings("ignore", category=ConvergenceWarning)
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
warnings.filterwarnings("ignore", category=UserWarning, module="sklearn")
warnings.filterwarnings("ignore", message="Fixed parameter .* is out of range")
warnings.filterwarnings("ignore", message="The value .* of the parameter .* is out of the range")

# %% How large a model of each family may grow: the parameter budget, and what the model-file limit leaves
# (an ONNX tree stores about 25 bytes per parameter, other models about 4.5).
CLASSIFY = TASK == "classification"
N_CLASSES = len(CLASSES) if CLASSIFY else 0
OUTPUTS = N_CLASSES if N_CLASSES > 2 else 1  # decision values per row
LEAF_OUTPUTS = N_CLASSES if CLASSIFY else 1  # values stored per leaf of a single tree
D = N_ENCODED
N = len(X_train)
#: A metric of absolute errors (MAE; pinball at the median is half of it) is served best by a model that learns the
#: median: the boosters may then learn with absolute-error loss (their defaults do; the search tries both).
ABSOLUTE = not CLASSIFY and OBJECTIVE in ("mae", "pinball")
#: RMSLE is the RMSE of log1p(y): every regressor learns log1p of the target and predicts expm1 of what it learnt
#: (scikit-learn's TransformedTargetRegressor; the ONNX export appends the expm1).
NEVER_NEGATIVE = not CLASSIFY and bool((np.asarray(y_train, dtype=float) >= 0).all())
LOG_TARGET = NEVER_NEGATIVE and OBJECTIVE == "rmsle"
#: Any other target that is never negative (counts, prices, wages) may be learnt better on a log scale: there the search
#: draws, for every family, whether it learns log1p of the target as RMSLE does (`log_target`; the linear families'
#: defaults run both ways, since a linear model on log1p(y) is a multiplicative one).
LOG_CHOICE = NEVER_NEGATIVE and not LOG_TARGET
TREES = ("decision_tree", "gradient_boosting", "hist_gradient_boosting", "random_forest", "extra_trees", "lightgbm",
         "xgboost", "soft_voting")  # trained on unscaled inputs (a soft vote scales inside its linear members)


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


def monotonic_cst():
    """The request's monotonic constraints per encoded input (numbers first, then one-hot columns): +1 the
    prediction may only rise with it, -1 only fall, 0 free. Trees constrain the class coded 1, so the signs flip
    when the positive class is coded 0."""
    sign = -1 if CLASSIFY and POS_LABEL == 0 else 1
    signs = {"increasing": sign, "decreasing": -sign}
    cst = [signs.get(MONOTONIC.get(col), 0) for col in NUMERIC_FEATURES]
    return cst + [0] * (D - len(cst))


# %% Build each family within the budget: its hyper-parameters drawn from an optuna trial, its sizes (leaves,
# trees, stages, hidden units) capped so that the model stays under `size_limit`.
def build(family, t):
    """An estimator of `family` with hyper-parameters drawn from `t` (an optuna trial), sized to fit."""
    cap = size_limit(family)
    per_leaf = 2 + LEAF_OUTPUTS  # a split (2) per leaf, roughly, plus the leaf's outputs
    mono = {"monotonic_cst": monotonic_cst()} if MONOTONIC else {}  # the request's "monotonic in X"
    if family == "logistic_regression":
        return LogisticRegression(C=t.suggest_float("lr_C", 1e-3, 1e3, log=True), max_iter=3000,
                                  class_weight=t.suggest_categorical("lr_weight", [None, "balanced"]))
    if family in ("logistic_l1", "elastic_net_logistic"):  # saga: the solver for L1 and elastic-net penalties
        mix = 1.0 if family == "logistic_l1" else t.suggest_float("enl_mix", 0.1, 0.9)
        return LogisticRegression(C=t.suggest_float(f"{family}_C", 1e-2, 1e3, log=True), l1_ratio=mix, solver="saga",
                                  max_iter=3000, tol=1e-3, random_state=SEED,
                                  class_weight=t.suggest_categorical(f"{family}_weight", [None, "balanced"]))
    if family == "ridge":
        return Ridge(alpha=t.suggest_float("ridge_alpha", 1e-3, 1e3, log=True))
    if family == "elastic_net":
        return ElasticNet(alpha=t.suggest_float("en_alpha", 1e-4, 10.0, log=True),
                          l1_ratio=t.suggest_float("en_mix", 0.05, 1.0), max_iter=5000, random_state=SEED)
    if family == "gaussian_nb":
        return GaussianNB(var_smoothing=t.suggest_float("nb_smoothing", 1e-12, 1e-2, log=True))
    if family == "decision_tree":
        most = 256 if TREE_MAX_DEPTH is None else 2**TREE_MAX_DEPTH  # a shallow tree where one was asked for
        leaves = pick_int(t, "dt_leaves", 2, max(2, min(most, cap // per_leaf)))
        cls = DecisionTreeClassifier if CLASSIFY else DecisionTreeRegressor
        return cls(max_leaf_nodes=leaves, min_samples_leaf=t.suggest_int("dt_min_leaf", 1, 30, log=True),
                   max_depth=TREE_MAX_DEPTH, random_state=SEED, **mono)
    if family in ("random_forest", "extra_trees"):
        trees = pick_int(t, f"{family}_trees", 10, max(10, min(300, cap // (4 * per_leaf))))
        leaves = pick_int(t, f"{family}_leaves", 4, max(4, min(512, cap // (trees * per_leaf))))
        kind = {("random_forest", True): RandomForestClassifier, ("random_forest", False): RandomForestRegressor,
                ("extra_trees", True): ExtraTreesClassifier, ("extra_trees", False): ExtraTreesRegressor}
        extra = {"class_weight": t.suggest_categorical(f"{family}_weight", [None, "balanced_subsample"])} \
            if CLASSIFY else {}
        return kind[family, CLASSIFY](
            n_estimators=trees, max_leaf_nodes=leaves, random_state=SEED, n_jobs=-1,
            max_features=t.suggest_categorical(f"{family}_features", ["sqrt", 0.5, 1.0]),
            min_samples_leaf=t.suggest_int(f"{family}_min_leaf", 1, 10, log=True), **extra, **mono)
    if family == "gradient_boosting":
        per_stage = OUTPUTS if CLASSIFY else 1
        stages = pick_int(t, "gb_stages", 10, max(10, min(400, cap // (per_stage * 10))))
        leaves = pick_int(t, "gb_leaves", 3, max(3, min(31, (cap // (stages * per_stage) + 2) // 3)))
        cls = GradientBoostingClassifier if CLASSIFY else GradientBoostingRegressor
        loss = {"loss": t.suggest_categorical("gb_loss", ["absolute_error", "squared_error"])} if ABSOLUTE else {}
        return cls(n_estimators=stages, max_leaf_nodes=leaves, random_state=SEED, **loss,
                   learning_rate=t.suggest_float("gb_lr", 0.01, 0.3, log=True),
                   subsample=t.suggest_float("gb_subsample", 0.6, 1.0))
    if family == "hist_gradient_boosting":
        per_stage = OUTPUTS if CLASSIFY else 1
        stages = pick_int(t, "hgb_stages", 10, max(10, min(500, cap // (per_stage * 10))))
        leaves = pick_int(t, "hgb_leaves", 3, max(3, min(63, (cap // (stages * per_stage) + 2) // 3)))
        cls = HistGradientBoostingClassifier if CLASSIFY else HistGradientBoostingRegressor
        extra = {"class_weight": t.suggest_categorical("hgb_weight", [None, "balanced"])} if CLASSIFY else {}
        if ABSOLUTE:
            extra["loss"] = t.suggest_categorical("hgb_loss", ["absolute_error", "squared_error"])
        return cls(max_iter=stages, max_leaf_nodes=leaves, early_stopping=False, random_state=SEED,
                   learning_rate=t.suggest_float("hgb_lr", 0.02, 0.3, log=True),
                   l2_regularization=t.suggest_float("hgb_l2", 1e-6, 10.0, log=True),
                   min_samples_leaf=t.suggest_int("hgb_min_leaf", 5, 50, log=True), **extra, **mono)
    if family in ("lightgbm", "xgboost"):
        return build_booster(family, t, cap)
    if family == "mlp":
        widest = max(2, min(256, (cap - OUTPUTS) // (D + 1 + OUTPUTS)))
        hidden = pick_int(t, "mlp_units", 2, widest)
        cls = MLPClassifier if CLASSIFY else MLPRegressor
        return cls(hidden_layer_sizes=(hidden,), alpha=t.suggest_float("mlp_alpha", 1e-5, 1e-1, log=True),
                   learning_rate_init=t.suggest_float("mlp_lr", 1e-4, 3e-2, log=True), max_iter=800,
                   solver="lbfgs" if N < 1000 else "adam",  # lbfgs: faster and steadier on small data
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


# %% LightGBM and XGBoost sized the same way: as many trees and leaves (depth) as the budget leaves room for; then each
# family is built once with its default settings (an argument this library version lacks fails here, in `build`).
def build_booster(family, t, cap):
    """LightGBM or XGBoost within ``cap`` parameters: trees x (3 x leaves - 2) per output, plus the base score."""
    per_stage = OUTPUTS if CLASSIFY else 1
    stages = pick_int(t, f"{family}_trees", 10, max(10, min(1000, cap // (per_stage * 10))))
    room = max(3, min(64, (cap // (stages * per_stage) + 2) // 3))  # leaves per tree the budget leaves
    shared = {"n_estimators": stages, "random_state": SEED, "n_jobs": 1 if N < 5000 else -1,
              "learning_rate": t.suggest_float(f"{family}_lr", 0.01, 0.3, log=True),
              "colsample_bytree": t.suggest_float(f"{family}_colsample", 0.4, 1.0),
              "reg_alpha": t.suggest_float(f"{family}_l1", 1e-4, 10.0, log=True),
              "reg_lambda": t.suggest_float(f"{family}_l2", 1e-3, 30.0, log=True)}
    if ABSOLUTE:
        shared["objective"] = t.suggest_categorical(f"{family}_objective", {
            "lightgbm": ["l1", "regression"], "xgboost": ["reg:absoluteerror", "reg:squarederror"]}[family])
    if family == "lightgbm":
        extra = {"class_weight": t.suggest_categorical("lightgbm_weight", [None, "balanced"])} if CLASSIFY else {}
        return (LGBMClassifier if CLASSIFY else LGBMRegressor)(
            num_leaves=pick_int(t, "lightgbm_leaves", 2, max(2, room)), verbose=-1,
            min_child_samples=t.suggest_int("lightgbm_min_child", 2, 50, log=True),
            subsample=t.suggest_float("lightgbm_subsample", 0.6, 1.0), subsample_freq=1, **shared, **extra)
    depth = pick_int(t, "xgboost_depth", 1, max(1, min(8, int(np.log2(max(room, 2))))))
    return (XGBClassifier if CLASSIFY else XGBRegressor)(
        max_depth=depth, min_child_weight=t.suggest_float("xgboost_min_child", 0.5, 20.0, log=True),
        subsample=t.suggest_float("xgboost_subsample", 0.6, 1.0), tree_method="hist", verbosity=0, **shared)


for params in DEFAULTS:  # build each family once: an argument this library version lacks fails here, in `build`
    build(params["family"], optuna.trial.FixedTrial(params))


# %% Whether a family's numbers are standardised: never for trees, always where distances or gradients need it; for the
# linear models a choice of the search, since a penalty on the weights of numbers in their own units (all of them
# centimetres, say) can suit the data better than one on standardised ones. Their defaults run standardised, then
# once more on the numbers as they are (linear models are quick), so the search sees both from the start.
LINEAR = ("logistic_regression", "logistic_l1", "elastic_net_logistic", "ridge", "elastic_net")


def scaled(family, t):
    """Whether ``family``'s numeric inputs are standardised (drawn from ``t`` for the linear families)."""
    if family in LINEAR:
        return t.suggest_categorical(f"{family}_scaled", [True, False])
    return family not in TREES


def learns_log(t):
    """Whether the regressor learns log1p of the target: always for RMSLE, drawn from ``t`` where ``LOG_CHOICE``."""
    return LOG_TARGET or (LOG_CHOICE and t.suggest_categorical("log_target", [False, True]))


def pipeline(family, t):
    """The preprocessing and an estimator of ``family``, both as ``t`` (an optuna trial) draws them."""
    est = build(family, t)
    if learns_log(t):
        est = TransformedTargetRegressor(regressor=est, func=np.log1p, inverse_func=np.expm1, check_inverse=False)
    return Pipeline([("prep", make_preprocessor(scale=scaled(family, t))), ("est", est)])


def keeps_rows(fitted):
    """Whether a fitted pipeline's model keeps (a share of) its training rows: kernel SVMs and kNN grow with data."""
    est = fitted.steps[-1][1]
    return type(getattr(est, "regressor", est)).__name__.startswith(("SV", "KNeighbors"))


for params in list(DEFAULTS):
    if params["family"] in LINEAR and f"{params['family']}_scaled" not in params:
        params[f"{params['family']}_scaled"] = True
        DEFAULTS.append({**params, f"{params['family']}_scaled": False})
for params in list(DEFAULTS) if LOG_CHOICE else []:  # each default on the target as it is; the linear ones on log1p too
    if "log_target" not in params:
        params["log_target"] = False
        if params["family"] in LINEAR and params.get(f"{params['family']}_scaled"):
            DEFAULTS.append({**params, "log_target": True})


# %% The whole model for a configuration the search reports: its preprocessing (scaled inputs as `scaled` says) and
# estimator, or, for a soft vote, each member as its own pipeline and the probabilities (values) averaged; a bagged
# configuration, its fold models averaged.
def make_model(params):
    """An unfitted pipeline on the raw columns for ``params`` (``{"family": ..., setting: value}``)."""
    if params.get("bag"):
        inner = {k: v for k, v in params.items() if k != "bag"}
        folds = [(f"fold{i}", make_model(inner)) for i in range(params["bag"])]
        bag = FoldBagClassifier(folds, seed=SEED) if CLASSIFY else FoldBagRegressor(folds, seed=SEED)
        return Pipeline([("est", bag)])
    if params["family"] == "soft_voting":
        members = [(f"{i}_{p['family']}", make_model(p)) for i, p in enumerate(params["members"])]
        weights = params.get("weights")  # a member chosen twice weighs twice (an array: what skl2onnx divides)
        weights = None if weights is None else np.asarray(weights, dtype=float)
        vote = VotingClassifier(members, voting="soft", weights=weights, flatten_transform=False) if CLASSIFY else \
            VotingRegressor(members, weights=weights)
        return Pipeline([("est", vote)])
    return pipeline(params["family"], optuna.trial.FixedTrial({f"{params['family']}_scaled": True, "log_target": False,
                                                                **params}))


# %% Count a fitted model's parameters as the zoo documents: split nodes (2 each) and leaf values of trees,
# weights and biases, stored support vectors or training rows; preprocessing is not counted.
def count_parameters(estimator):
    """Parameters of a fitted model, counted as the zoo documents (preprocessing excluded)."""
    est = estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator
    est = getattr(est, "regressor_", est)  # a regressor of log1p(y): the model inside it

    def tree_params(tree):
        leaves = tree.children_left == -1
        return int(2 * (~leaves).sum() + tree.value.shape[1] * tree.value.shape[2] * leaves.sum())

    if hasattr(est, "named_estimators_"):  # a soft vote: every member counted in full
        return sum(count_parameters(member) for member in est.estimators_)
    if hasattr(est, "booster_"):  # LightGBM: each tree's splits (2 each) and leaves (1 each)
        return sum(3 * tree["num_leaves"] - 2 for tree in est.booster_.dump_model()["tree_info"])
    if hasattr(est, "get_booster"):  # XGBoost: each dumped node is a split (2) or a leaf (1); plus the base score
        nodes = [line for tree in est.get_booster().get_dump() for line in tree.splitlines() if line.strip()]
        leaves = sum("leaf=" in line for line in nodes)
        return 2 * (len(nodes) - leaves) + leaves + OUTPUTS
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


# %% [context]
# Names later cells use: re-exported so that ruff sees them used.
__all__ = ["clone", "skm", "tqdm"]
