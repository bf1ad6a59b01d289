"""Issue 19, continued: short budgets give the search a fair share (the reserve after it is estimated from its
steps), near-ties on a metric of decisions are broken by the out-of-fold log-loss, linear models may take their
numbers unscaled, the decision threshold is tuned from confusion counts for all thresholds at once, and a column the
request names as an input ("from sex, age and class") is never taken as the target. Cells run without a kernel."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from IPython.display import display
from sklearn import metrics as skm
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge

from trainer_agent_lab.agents.task import choose_target
from trainer_agent_lab.cells.data import setup_cell
from trainer_agent_lab.cells.render import render, run_cells
from trainer_agent_lab.kinds.budget import BudgetSplit, TimeBudget
from trainer_agent_lab.kinds.tables.data_cells import clean_cell, column_types_cell, load_cell, split_cell
from trainer_agent_lab.kinds.tables.model_agent import default_settings
from trainer_agent_lab.kinds.tables.model_cells import search_cell
from trainer_agent_lab.knowledge.columns import input_columns, question_phrase
from trainer_agent_lab.llm.rule_reader import parse_request


def test_the_reserve_is_estimated_from_the_steps_after_the_search() -> None:
    short, long = TimeBudget(60), TimeBudget(300)
    steps = short.importance_s() + short.latency_s() + short.capacity_s()
    assert short.reserve_s == steps + short.split.after_search_s + 0.05 * 60 == 29.0
    assert 30.5 < short.left_s() <= 31.0  # the search's share of a fresh 60 s budget (it was 24 s)
    assert long.reserve_s == 58.0
    flat = TimeBudget(100, BudgetSplit(reserve_s=10, reserve_share=0.1))  # a kind's flat reserve is kept as it was
    assert flat.reserve_s == 20.0


def _metrics_namespace(y: np.ndarray, constraints: list[dict[str, Any]], objective: str) -> dict[str, Any]:
    ns = {"CLASSIFY": True, "MARGIN": 0.01, "METRIC_CONSTRAINTS": constraints, "N_CLASSES": 2, "OBJECTIVE": objective,
          "POS_LABEL": 1, "TUNE_THRESHOLD": True, "y_train": y, "np": np, "skm": skm}
    run_cells(render("kinds/tables/cells/metrics"), ns)
    return ns


@pytest.mark.parametrize(("objective", "named"), [
    ("f1", ["recall", "precision"]), ("f2", ["balanced_accuracy"]), ("cohen_kappa", ["f1_macro", "recall_weighted"]),
    ("precision_weighted", ["roc_auc"])])
def test_threshold_metrics_are_counted_for_every_threshold_at_once(objective: str, named: list[str]) -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 600)
    p1 = np.clip(0.35 * y + rng.uniform(0, 0.65, 600), 0, 1)
    proba = np.c_[1 - p1, p1]
    ns = _metrics_namespace(y, [{"name": n, "op": ">=", "value": 0.6} for n in named], objective)
    thresholds = np.quantile(p1, np.linspace(0.05, 0.95, 25))
    counted = ns["counted_metrics"](y, p1, thresholds)
    assert counted is not None and set(counted) >= set(named) - {"roc_auc"} | {objective, "accuracy"}
    for i, thr in enumerate(thresholds):  # the same figures the catalogue gives threshold by threshold
        catalogue = ns["compute_metrics"](y, proba, thr, set(counted))
        assert all(counted[k][i] == pytest.approx(catalogue[k], abs=1e-12) for k in counted), thr
    began = time.perf_counter()
    threshold, values = ns["tune_threshold"](y, proba)
    assert time.perf_counter() - began < 1.0  # it took ~2.7 s per trial when the catalogue ran per threshold
    assert 0 < threshold < 1 and objective in values


def test_a_metric_not_counted_falls_back_to_the_catalogue() -> None:
    y = np.array([0, 1] * 50)
    ns = _metrics_namespace(y, [{"name": "recall", "op": ">=", "value": 0.5}], "f1")
    ns["NAMED"] = {"f1", "recall", "some_new_metric"}
    assert ns["counted_metrics"](y, np.linspace(0, 1, 100), [0.5]) is None


@pytest.fixture()
def iris(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """sklearn:iris loaded, cleaned and split as the Data agent does (seed 42), ready for the search cells."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    ns: dict[str, Any] = {"display": display, "__name__": "__main__", "time": time}
    reports: list[dict[str, Any]] = []
    run_cells([*setup_cell(42, {"constraints": []}), *load_cell("sklearn:iris")], ns)
    ns["_report"] = lambda **results: reports.append(ns["_plain"](results))
    run_cells([*column_types_cell("target"), *clean_cell("target", "classification", 6.0),
               *split_cell("target", "classification", None, 0.25)], ns)
    ns.update(HistGradientBoostingClassifier=HistGradientBoostingClassifier, LogisticRegression=LogisticRegression,
              HistGradientBoostingRegressor=HistGradientBoostingRegressor, Ridge=Ridge)
    return ns, reports


def test_near_ties_go_to_the_best_log_loss_and_linear_models_try_unscaled_inputs(iris: Any) -> None:
    ns, reports = iris
    families = ["logistic_regression", "logistic_l1", "gaussian_nb"]
    run_cells(search_cell(families=families, defaults=[default_settings(f, 111) for f in families],
                          objective="accuracy", metric_constraints=[{"name": "accuracy", "op": ">=", "value": 0.93}],
                          param_limit=99, bytes_limit=None, tune_threshold=False, time_budget_s=6.0, margin=0.01,
                          patience=3), ns)
    tried = [t.params for t in ns["study"].trials if t.value is not None]
    assert {"family": "logistic_l1", "logistic_l1_scaled": False, "logistic_l1_C": 10.0,
            "logistic_l1_weight": None} in ns["DEFAULTS"]  # each linear default is queued on unscaled numbers too
    assert any(t.get("logistic_regression_scaled") is False for t in tried)  # and they run
    assert ns["make_model"]({**tried[0], "logistic_regression_scaled": False}).steps[0][1].transformers[0][1] \
        .named_steps.keys() == {"impute"}  # no scaler where the search chose none
    head, noise = ns["ranked"][0], ns["noise"]
    assert noise == pytest.approx(np.sqrt(max(ns["p_best"] * (1 - ns["p_best"]), 1 / 111) / 111))
    ties = [t for t in ns["ranked"] if t.value >= ns["best_value"] - noise and t.user_attrs["meets"]]
    assert head.user_attrs["metrics"]["log_loss"] == min(t.user_attrs["metrics"]["log_loss"] for t in ties)
    result = {k: v for r in reports for k, v in r.items()}
    assert result["best_family"] == head.params["family"] and result["ranked"][0]["params"] == head.params


COLUMNS = [{"name": "rownames", "dtype": "object", "n_unique": 300}, {"name": "survived", "dtype": "object",
                                                                       "n_unique": 2, "examples": ["yes", "no"]},
           {"name": "sex", "dtype": "object", "n_unique": 2, "examples": ["female", "male"]},
           {"name": "age", "dtype": "float64", "n_unique": 70},
           {"name": "passengerClass", "dtype": "object", "n_unique": 3, "examples": ["1st", "2nd", "3rd"]}]


@pytest.mark.parametrize("request_text", [
    "Predict who survived the Titanic from sex, age and passenger class, at least 77% accuracy.",
    "Using age, sex and passenger class, predict which passengers survived.",
    "Which passengers survived, given their sex, age and class? Train a classifier.",
    "Train a classifier from sex, age and passenger class.",  # no target in words: the defaults skip the inputs
])
def test_the_target_is_never_a_column_named_as_an_input(request_text: str) -> None:
    spec = parse_request(request_text)
    assert choose_target(spec, COLUMNS, True, n_rows=300).column == "survived"


def test_inputs_and_questions_are_read_from_the_request() -> None:
    columns = ["price", "area", "rooms", "city"]
    assert input_columns("estimate the price given the area and the number of rooms", columns) == ["area", "rooms"]
    assert input_columns("predict price from data/houses.csv", columns) == []
    assert question_phrase("Predict who survived the Titanic from sex and age") == "survived the Titanic"
    spec = parse_request("Estimate the price given the area and the number of rooms.")
    assert choose_target(spec, columns, False).column == "price"
