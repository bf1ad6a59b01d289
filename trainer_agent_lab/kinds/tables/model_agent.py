"""The Model agent for tables: pick families within the budget, tune for the named metric, train, evaluate."""

from __future__ import annotations

import difflib
from typing import Any

from ...agents.model import MARGIN, ModelAgent, inclusive_limit
from ...errors import NeedsInput, Refused
from ...knowledge.zoo import SHALLOW_TREE_DEPTH, candidates
from ...llm.feature_reader import PROTECTED_ATTRIBUTES, PROTECTED_WORDS
from ...spec import CLASSIFICATION_METRICS, LOWER_IS_BETTER, REGRESSION_METRICS, TaskSpec
from ..budget import DEFAULT_TIME_BUDGET_S, TimeBudget
from . import model_cells as cells
from .sampling import FIT_SHARE, fit_budget_s, is_large, probe_seconds, sample_parameters

#: Queued first so every family is tried once with sensible settings before the search explores.
DEFAULTS: dict[str, dict[str, Any]] = {
    "logistic_regression": {"lr_C": 1.0, "lr_weight": None},
    "logistic_l1": {"logistic_l1_C": 10.0, "logistic_l1_weight": None},
    "elastic_net_logistic": {"elastic_net_logistic_C": 3.0, "enl_mix": 0.5, "elastic_net_logistic_weight": None},
    "ridge": {"ridge_alpha": 1.0},
    "elastic_net": {"en_alpha": 0.01, "en_mix": 0.5},
    "gaussian_nb": {"nb_smoothing": 1e-9},
    "decision_tree": {"dt_leaves": 32, "dt_min_leaf": 5},
    "hist_gradient_boosting": {"hgb_stages": 100, "hgb_leaves": 31, "hgb_lr": 0.1, "hgb_l2": 1e-6,
                               "hgb_min_leaf": 20, "hgb_weight": None},
    "gradient_boosting": {"gb_stages": 100, "gb_leaves": 8, "gb_lr": 0.1, "gb_subsample": 1.0},
    "random_forest": {"random_forest_trees": 100, "random_forest_leaves": 128, "random_forest_weight": None,
                      "random_forest_features": "sqrt", "random_forest_min_leaf": 1},
    "extra_trees": {"extra_trees_trees": 100, "extra_trees_leaves": 128, "extra_trees_weight": None,
                    "extra_trees_features": 1.0, "extra_trees_min_leaf": 1},
    "mlp": {"mlp_units": 128, "mlp_alpha": 1e-3, "mlp_lr": 1e-3},  # clipped to what the budget allows
    "svm": {"svm_C": 3.0, "svm_eps": 0.1},
    "knn": {"knn_k": 7, "knn_weights": "distance"},
}
#: LightGBM and XGBoost defaults by the size of the training split (after FLAML's zero-shot lesson that a good start
#: depends on the data's shape: on small data, more but smaller trees, fewer rows per leaf, half the columns per
#: tree and firmer regularisation; on large data, the libraries' usual shape).
BOOSTER_DEFAULTS: dict[str, dict[bool, dict[str, Any]]] = {
    "lightgbm": {
        True: {"lightgbm_trees": 300, "lightgbm_leaves": 8, "lightgbm_lr": 0.05, "lightgbm_min_child": 5,
               "lightgbm_colsample": 0.6, "lightgbm_subsample": 0.9, "lightgbm_l1": 0.01, "lightgbm_l2": 1.0,
               "lightgbm_weight": None},
        False: {"lightgbm_trees": 300, "lightgbm_leaves": 31, "lightgbm_lr": 0.05, "lightgbm_min_child": 20,
                "lightgbm_colsample": 0.8, "lightgbm_subsample": 0.9, "lightgbm_l1": 1e-3, "lightgbm_l2": 0.1,
                "lightgbm_weight": None}},
    "xgboost": {
        True: {"xgboost_trees": 300, "xgboost_depth": 3, "xgboost_lr": 0.05, "xgboost_min_child": 1.0,
               "xgboost_colsample": 0.6, "xgboost_subsample": 0.9, "xgboost_l1": 0.01, "xgboost_l2": 1.0},
        False: {"xgboost_trees": 300, "xgboost_depth": 6, "xgboost_lr": 0.1, "xgboost_min_child": 1.0,
                "xgboost_colsample": 0.8, "xgboost_subsample": 0.9, "xgboost_l1": 1e-3, "xgboost_l2": 1.0}},
}
#: Under this many training rows a table counts as small (for the boosters' defaults).
SMALL_DATA_ROWS = 1000


#: Metrics of absolute errors, and the loss each booster starts from when the search optimises one (the zoo cell's
#: ``ABSOLUTE``: a model that learns the median; the search also tries the squared error).
ABSOLUTE_ERROR_METRICS = ("mae", "pinball")
ABSOLUTE_LOSS_DEFAULTS: dict[str, dict[str, str]] = {
    "hist_gradient_boosting": {"hgb_loss": "absolute_error"}, "gradient_boosting": {"gb_loss": "absolute_error"},
    "lightgbm": {"lightgbm_objective": "l1"}, "xgboost": {"xgboost_objective": "reg:absoluteerror"}}


def default_settings(family: str, n_train: int, objective: str | None = None) -> dict[str, Any]:
    """The settings the search tries first for ``family`` on a training split of ``n_train`` rows, optimising
    ``objective`` (a regression metric of absolute errors starts the boosters on absolute-error loss)."""
    loss = ABSOLUTE_LOSS_DEFAULTS.get(family, {}) if objective in ABSOLUTE_ERROR_METRICS else {}
    if family in BOOSTER_DEFAULTS:
        return {"family": family, **BOOSTER_DEFAULTS[family][n_train < SMALL_DATA_ROWS], **loss}
    return {"family": family, **DEFAULTS[family], **loss}


#: Trials without improvement after which the search stops when nothing is left to meet.
PATIENCE = 25
#: The share of the time budget the forward selection of inputs may take, and its cap in seconds.
SELECT_SHARE, SELECT_CAP_S = 0.08, 15.0


def bagging_ruled_out(spec: TaskSpec) -> str:
    """Why the request rules out a bagged model (a latency target, an int8 model: a call would run every fold's
    model, and the int8 model is quantised from one), or ``""``."""
    latency = [c for c in spec.constraints if c.name in ("p50_ms", "p99_ms")]
    if latency:
        return (f"the request sets a latency target ({', '.join(f'{c.name} {c.target}' for c in latency)}), and each "
                "call would run every fold's model")
    return "the request asks for an int8 model, quantised from a single one" if spec.quantize_int8 else ""


class TableModelAgent(ModelAgent):
    """The Model agent for tables: the zoo of scikit-learn families, an optuna search, fit, evaluate."""

    #: The time budget the search was given (the evaluation's permutation importance takes its share of it).
    _budget: TimeBudget | None = None
    #: The training rows of the split the search runs on (the boosters' defaults depend on it), and its input columns.
    _n_train: int = SMALL_DATA_ROWS
    _n_inputs: int = 0

    def select_features(self, split: dict[str, Any], budget: TimeBudget, assume_yes: bool) -> dict[str, Any]:
        """Choose the inputs the request allows before the search (never / only / at most N / the monotonic ones);
        return ``split`` with the number of encoded features the chosen inputs make.

        A column the request names that the data lacks is asked about (``NeedsInput``); with ``assume_yes`` it
        becomes a run note and the run goes on. No input left at all is always asked about.
        """
        features = self.memory.spec.features
        category = [n for n in features.never if PROTECTED_WORDS.match(n)]
        never = [n for n in features.never if n not in category]
        asked = "; ".join(part for part in (
            f"never {', '.join(map(repr, features.never))}" if features.never else "",
            f"only {', '.join(map(repr, features.only))}" if features.only else "",
            f"at most {features.max_inputs}" if features.max_inputs else "",
            f"monotonic in {', '.join(map(repr, features.monotonic))}" if features.monotonic else "") if part)
        self.heading("choose the inputs the request allows", f"The request asks: {asked}." if asked else "")
        match, choose = cells.select_features_cells(
            never=never, never_if_present=list(PROTECTED_ATTRIBUTES) if category else [], only=list(features.only),
            max_inputs=features.max_inputs, monotonic=dict(features.monotonic),
            seconds=round(budget.share_s(SELECT_SHARE, SELECT_CAP_S), 1))
        matched = self.run("features", match)
        columns = list(split.get("numeric") or []) + list(split.get("categorical") or [])
        self._ask_about_names(matched, columns, assume_yes)
        chosen = {**matched, **self.run("features", choose)}
        self.memory.results["features"] = chosen
        shown = ", ".join(chosen["inputs"][:12]) + (" ..." if len(chosen["inputs"]) > 12 else "")
        self.say(f"Inputs: {chosen['n_inputs']} of {len(columns) or chosen['n_inputs']} columns ({shown})"
                 + (f", picked by {chosen['method']}" if features.max_inputs else "") + ".")
        return {**split, "n_features": chosen["n_features"], "numeric": chosen["numeric"],
                "categorical": chosen["categorical"]}

    def _ask_about_names(self, matched: dict[str, Any], columns: list[str], assume_yes: bool) -> None:
        """Ask about the column names the request gives that the data lacks (a note with ``assume_yes``)."""
        for name in matched.get("not_monotonic", []):
            note = (f"The request asks the prediction to be monotonic in {name!r}, but that column is text (or "
                    "excluded): a monotonic constraint needs a numeric input, so none is applied to it.")
            self.memory.notes.append(note)
            self.say(note)
        missing = matched["missing"]
        close = sorted({c for name in missing for c in difflib.get_close_matches(name, columns, n=3, cutoff=0.5)})
        listed = ", ".join(map(repr, missing))
        if missing and not assume_yes:
            raise NeedsInput(f"The request names {listed}, but the data has no such column.",
                             hint="Name the columns as the data spells them" + (
                                 f" (close: {', '.join(close)})." if close else f"; it has {', '.join(columns[:15])}."),
                             question=f"Which column did you mean by {listed}?", options=close or columns[:30])
        if missing:
            note = (f"The request names {listed}, but the data has no such column: that requirement could not be "
                    "applied" + (f" (close: {', '.join(close)})." if close else "."))
            self.memory.notes.append(note)
            self.say(note)
        features = self.memory.spec.features
        if not matched["allowed"]:
            raise NeedsInput("No input column is left once the request's feature requirements apply (never "
                             f"{features.never or '-'}, only {features.only or '-'}).",
                             hint="Allow at least one of the data's columns.", question="Which columns may the "
                             "model use?", options=columns[:30])

    def select(self, task: str, split: dict[str, Any]) -> list[str]:
        """Judge the zoo against the parameter budget and the request's model requirements (interpretable,
        monotonic); write the table; return the kept families."""
        spec = self.memory.spec
        budget = spec.constraint("parameters")
        n_classes = len(split["classes"] or [])
        self._n_train = int(split["n_train"])
        self._n_inputs = len(split.get("numeric") or []) + len(split.get("categorical") or [])
        monotonic = bool(self.memory.results.get("features", {}).get("monotonic"))
        judged = candidates(task, split["n_features"], n_classes, split["n_train"],
                            budget.value if budget else None, strict=budget is None or budget.op == "<",
                            interpretable=spec.features.interpretable, monotonic=monotonic)
        kept = [c.family.name for c in judged if c.kept]
        self.heading("candidates within the budget")
        rows = "\n".join(f"| {c.family.title} | {c.family.counting} | {c.min_parameters:,} | "
                         f"{'yes' if c.kept else 'no'} | {c.reason} |" for c in judged)
        self.markdown("Candidates from the model zoo (parameters counted as the zoo documents):\n\n"
                      "| family | parameters counted | smallest useful | kept | why |\n|---|---|---|---|---|\n"
                      + rows)
        if not kept and (spec.features.interpretable or monotonic):
            reasons = "; ".join(dict.fromkeys(c.reason for c in judged))
            raise Refused(f"No model family the agents know can honour the request's model requirements: {reasons}.",
                          hint="Drop the monotonic requirement (or the interpretability one) for this task, or "
                          "ask for a binary or regression target.")
        if not kept:
            smallest = min(judged, key=lambda c: c.min_parameters)
            raise Refused(f"No model can fit the budget of {budget.target} parameters: the smallest model "
                          f"that can represent this task ({smallest.family.title.lower()} on "
                          f"{split['n_features']} features, {max(n_classes, 1)} outputs) needs about "
                          f"{smallest.min_parameters:,} parameters.",
                          hint=f"Allow at least {smallest.min_parameters + 1:,} parameters.")
        self.say(f"Candidates within budget: {', '.join(kept)}.")
        self.memory.done_steps.append("select")
        return kept

    def objective(self, task: str, n_classes: int) -> str:
        """The metric to optimise: the named one if it fits the task, else the usual one."""
        wanted = self.memory.spec.objective
        usual = "accuracy" if task == "classification" else "r2"
        valid = CLASSIFICATION_METRICS if task == "classification" else REGRESSION_METRICS
        return wanted if wanted in valid else usual

    def search(self, task: str, families: list[str], n_classes: int, budget: TimeBudget) -> dict[str, Any]:
        """The search cell, within what ``budget`` leaves for it (the agent keeps ``budget`` for the evaluation)."""
        self._budget = budget
        self.heading("search, train and evaluate")
        spec = self.memory.spec
        objective = self.objective(task, n_classes)
        metric_rows = [c.model_dump() for c in spec.metric_constraints]
        binary_targets = {c["name"] for c in metric_rows} | {objective}
        tune_threshold = n_classes == 2 and bool(binary_targets & {"precision", "recall", "f1", "f2"})
        direction = "lower" if objective in LOWER_IS_BETTER else "higher"
        left = budget.left_s()
        seconds = round(budget.search_s(), 1)
        # a large table: a timed probe first sizes the sample the search cross-validates, and the final fit on every
        # row gets a share of the search's seconds (both out of them)
        large = is_large(self._n_train, self._n_inputs)
        kept = probe_seconds(seconds) + FIT_SHARE * seconds if large else 0.0
        if spec.engine == "ray":
            self.say(f"The trials run as Ray Tune trials on {spec.engine_address or 'a Ray started for this run'}.")
        self.say(f"Tuning {len(families)} families for {objective} ({direction} is better) for up to "
                 f"{seconds:.0f} s" + (" (the time budget is nearly spent: the shortest search)"
                                       if left < budget.split.min_search_s else "")
                 + (", with the decision threshold tuned to the targets" if tune_threshold else "") + ".")
        result = self.run("search", cells.search_cell(
            families=families, defaults=[default_settings(f, self._n_train, objective) for f in families],
            objective=objective,
            metric_constraints=metric_rows, param_limit=inclusive_limit(spec.constraint("parameters")),
            bytes_limit=inclusive_limit(spec.constraint("onnx_bytes")), tune_threshold=tune_threshold,
            time_budget_s=round(seconds - kept, 1), margin=MARGIN, patience=PATIENCE,
            tree_max_depth=SHALLOW_TREE_DEPTH if spec.features.interpretable else None,
            monotonic=self.memory.results.get("features", {}).get("monotonic") or {},
            engine=spec.engine, engine_address=spec.engine_address, sample=sample_parameters(seconds),
            bag_off=bagging_ruled_out(spec)))
        if result.get("search_rows", self._n_train) < result.get("train_rows", self._n_train):
            self.say(f"The table is large: the search cross-validated a seeded sample of {result['search_rows']:,} of "
                     f"the {result['train_rows']:,} training rows, sized to its time; the fit trains on all of them "
                     "(on as many as its own time allows).")
        self.say(f"Best after {result['trials']} trials: {result['best_family']} "
                 f"(cross-validated {objective} {result['cv_metrics'][objective]:.4f}).")
        if result.get("threshold_note"):
            self.say(result["threshold_note"])
        if result.get("bagged"):
            self.say(result["bag_note"])
        return result

    def fit(self, search: dict[str, Any]) -> dict[str, Any]:
        """Train the best configuration on all training rows (the search may have seen a sample of them; then within
        the time left for it, on fewer rows where all would outlast it); the next best if it outgrows the budget."""
        sampled = search.get("search_rows", 0) < search.get("train_rows", 0)
        for choice in search["ranked"]:
            seconds = fit_budget_s(self._budget) if sampled and self._budget else None
            result = self.run("fit", cells.fit_cell(choice["params"], choice["threshold"], choice["cv_metrics"],
                                                    search_rows=search["search_rows"] if sampled else None,
                                                    fit_budget_s=seconds))
            if not result["over_budget"]:
                bagged = f" (a bag of {choice['params']['bag']} fold models)" if choice["params"].get("bag") else ""
                self.say(f"Trained {result['family']}{bagged} with {result['parameters']:,} parameters.")
                return result
            self.say(f"{result['family']} grew to {result['parameters']:,} parameters on all training rows, "
                     "over the budget; training the next best configuration.")
        return result

    def evaluate(self, budget: TimeBudget | None = None) -> dict[str, Any]:
        """Test-set metrics and plots; the permutation importance within its share of ``budget`` (by default the
        budget the search was given, else one of the request's time budget)."""
        budget = budget or self._budget or TimeBudget(self.memory.spec.time_budget_s or DEFAULT_TIME_BUDGET_S)
        result = self.run("evaluate", cells.evaluate_cell(importance_seconds=budget.importance_s()))
        shown = ", ".join(f"{k} {v:.4g}" for k, v in result["metrics"].items() if v is not None)
        self.say(f"Test metrics: {shown}.")
        if result.get("importance_note"):  # only some inputs were shuffled within the seconds
            self.say(result["importance_note"])
        return result
