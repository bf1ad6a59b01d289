"""Feature requirements (issue 15): the reader's phrasings in English and Chinese, the zoo's restrictions, and the
feature-selection cell run on a small generated table (no kernel), narrowing what the model reads."""

from __future__ import annotations

import json

import numpy as np
import optuna
import pandas as pd
import pytest

from trainer_agent_lab.cells.data import setup_cell
from trainer_agent_lab.cells.render import render, run_cells
from trainer_agent_lab.kinds.tables.data_cells import column_types_cell, load_cell, split_cell
from trainer_agent_lab.kinds.tables.model_cells import search_cell, select_features_cells
from trainer_agent_lab.knowledge.zoo import candidates
from trainer_agent_lab.llm.rule_reader import parse_request


@pytest.mark.parametrize("request_text, expected, limit", [
    ("Detect malignant tumours in the breast cancer data using at most 3 of the measurements, so doctors can "
     "check the rule by hand. At least 90% accuracy.", {"max_inputs": 3, "interpretable": True}, "<= 3"),
    ("Classify the wines with no more than five features.", {"max_inputs": 5}, "<= 5"),
    ("Predict churn from fewer than 10 inputs, 80% accuracy.", {"max_inputs": 9}, "< 10"),
    ("The number of features must be at most 4.", {"max_inputs": 4}, "<= 4"),
    ("Only use age and income to predict default.", {"only": ["age", "income"]}, None),
    ("Use only the columns mean radius, mean texture.", {"only": ["mean radius", "mean texture"]}, None),
    ("Predict default; never use gender or race.", {"never": ["gender", "race"]}, None),
    ("Predict the price without the zip code.", {"never": ["zip code"]}, None),
    ("Do not use the customer_id column, and reach 90% accuracy.", {"never": ["customer_id"]}, None),
    ("Never use protected attributes.", {"never": ["protected attributes"]}, None),
    ("We need an explainable model: a linear model or a shallow tree.", {"interpretable": True}, None),
    ("The model must be monotonic in price.", {"monotonic": {"price": "from_data"}}, None),
    ("The model must be monotonically increasing in price.", {"monotonic": {"price": "increasing"}}, None),
    ("The risk must increase with age.", {"monotonic": {"age": "increasing"}}, None),
    ("The price should decrease as distance increases.", {"monotonic": {"distance": "decreasing"}}, None),
    ("最多使用3个特征，准确率不低于90%", {"max_inputs": 3}, "<= 3"),
    ("不要使用性别和种族", {"never": ["性别", "种族"]}, None),
    ("只使用年龄和收入来预测", {"only": ["年龄", "收入"]}, None),
    ("风险必须随年龄增加而增加，模型要可解释", {"monotonic": {"年龄": "increasing"}, "interpretable": True}, None),
])
def test_the_reader_reads_feature_requirements(request_text, expected, limit):
    spec = parse_request(request_text)
    assert spec.features.model_dump(exclude_defaults=True) == expected
    row = spec.constraint("n_inputs")
    assert (row.target if row else None) == limit


def test_numbers_of_inputs_are_not_read_as_metric_targets():
    spec = parse_request("Accuracy of at least 0.9 using at most 3 inputs, and under 500 parameters.")
    assert [(c.name, c.target) for c in spec.constraints] == [
        ("accuracy", ">= 0.9"), ("n_inputs", "<= 3"), ("parameters", "< 500")]


@pytest.mark.parametrize("request_text", [
    "Train a wine classifier without labels.", "Train without quantization, 95% accuracy.",
    "Clean the data without missing values.", "Do not use more than 2 GB of memory.",
    "Never use the test set for tuning.", "Train only on the 2020 rows.", "MAE在3以内", "删除缺失值",
])
def test_look_alikes_set_no_feature_requirement(request_text):
    assert not parse_request(request_text).features.any


def test_the_zoo_keeps_interpretable_and_monotonic_families_only():
    def kept(**kwargs):
        return {c.family.name for c in candidates("classification", 10, 2, 300, None, **kwargs) if c.kept}
    assert kept(interpretable=True) == {"logistic_regression", "logistic_l1", "elastic_net_logistic", "decision_tree"}
    assert kept(monotonic=True) == {"decision_tree", "hist_gradient_boosting", "random_forest", "extra_trees"}
    assert kept(interpretable=True, monotonic=True) == {"decision_tree"}
    assert not any(c.kept for c in candidates("classification", 10, 3, 300, None, monotonic=True))


@pytest.fixture()
def table(tmp_path, monkeypatch):
    """A split table whose label depends on Age and income; Gender, zip_code and noise do not matter and
    "age copy" repeats Age. Returns the namespace the cells ran in and the list of their reports."""
    from IPython.display import display

    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))  # the column types step imports table_features.py from beside it
    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame({"Age": rng.normal(40, 10, n), "income": rng.normal(50, 15, n),
                          "Gender": rng.choice(["f", "m"], n), "zip_code": rng.integers(10000, 99999, n).astype(float),
                          **{f"noise {i}": rng.normal(size=n) for i in range(4)}})
    frame["age copy"] = frame["Age"] + rng.normal(0, 0.1, n)
    frame["outcome"] = np.where(frame["Age"] / 10 + frame["income"] / 15 + rng.normal(0, 0.5, n) > 7.3, "yes", "no")
    frame.to_csv("data.csv", index=False)
    ns, reports = {"display": display, "__name__": "__main__"}, []
    run_cells([*setup_cell(3, {"constraints": []}), *load_cell("data.csv")], ns)
    ns["_report"] = lambda **results: reports.append(ns["_plain"](results))
    run_cells([*column_types_cell("outcome"), *split_cell("outcome", "classification", "yes", 0.25)], ns)
    return ns, reports


def _select(ns, reports, **asked):
    match, choose = select_features_cells(**{"never": [], "never_if_present": [], "only": [], "max_inputs": None,
                                             "monotonic": {}, "seconds": 10.0, **asked})
    before = len(reports)
    run_cells(match + choose, ns)
    merged = {}
    for report in reports[before:]:
        merged.update(report)
    return merged, match


def test_the_selection_cell_drops_never_columns_and_picks_the_best_few(table):
    ns, reports = table
    result, match = _select(ns, reports, never=["gender", "postcode"], max_inputs=2)
    assert result["excluded"] == ["Gender"] and result["missing"] == ["postcode"]
    # income and one of the two age columns: forward selection does not pick a column that repeats a chosen one
    assert "income" in result["inputs"] and len(set(result["inputs"]) & {"Age", "age copy"}) == 1
    assert result["n_inputs"] == 2 and list(ns["X_train"].columns) == list(ns["X_test"].columns)
    assert set(ns["X_train"].columns) == set(ns["NUMERIC_FEATURES"]) and ns["CATEGORICAL_FEATURES"] == []
    assert ns["N_ENCODED"] == 2
    rows = {r["column"]: r for r in result["selection"]}
    assert rows["Gender"]["why"] == "the request excludes 'gender'" and rows["noise 0"]["input"] == "no"
    assert [c.kind for c in match].count("code") == 2 and "_report(allowed=" in match[-1].source


def test_the_selection_cell_keeps_only_the_allowed_columns_and_matches_names_loosely(table):
    ns, reports = table
    result, _ = _select(ns, reports, only=["AGE", "Income", "noise"], monotonic={"age": "increasing"})
    assert result["inputs"] == ["Age", "income", "noise 0", "noise 1", "noise 2", "noise 3"]  # "noise": every one
    assert result["monotonic"] == {"Age": "increasing"} and result["missing"] == []


def test_monotonic_without_a_direction_takes_the_sign_of_the_spearman_correlation(table):
    ns, reports = table
    for frame in ("X_train", "X_test"):  # a column that falls as the outcome's chances rise
        ns[frame] = ns[frame].assign(debt=-ns[frame]["income"])
    ns["NUMERIC_FEATURES"] = [*ns["NUMERIC_FEATURES"], "debt"]
    shown = []
    ns["display"] = lambda obj: shown.append(getattr(obj, "data", obj))
    result, _ = _select(ns, reports, only=["age", "debt"], monotonic={"age": "from_data", "debt": "from_data",
                                                                      "income": "decreasing"})
    assert result["monotonic"] == {"Age": "increasing", "debt": "decreasing"}
    assert result["monotonic_from_data"]["Age"] > 0.2 and result["monotonic_from_data"]["debt"] < -0.2
    said = [text for text in shown if isinstance(text, str) and "Spearman" in text]
    assert len(said) == 2 and "gives no direction" in said[1] and "**decrease** with it" in said[1]


def test_the_zoo_constrains_trees_to_be_monotonic_and_shallow(table):
    ns, reports = table
    _select(ns, reports, only=["Age", "income", "noise 0"], monotonic={"income": "decreasing"})
    defaults = [{"family": "hist_gradient_boosting", "hgb_stages": 20, "hgb_leaves": 7, "hgb_lr": 0.1,
                 "hgb_l2": 1e-6, "hgb_min_leaf": 20, "hgb_weight": None},
                {"family": "decision_tree", "dt_leaves": 32, "dt_min_leaf": 5}]
    cells = search_cell(families=["hist_gradient_boosting", "decision_tree"], defaults=defaults, objective="accuracy",
                        metric_constraints=[], param_limit=None, bytes_limit=None, tune_threshold=False,
                        time_budget_s=1.0, margin=0.01, patience=1, tree_max_depth=3,
                        monotonic={"income": "decreasing"})
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression, Ridge

    ns.update(HistGradientBoostingClassifier=HistGradientBoostingClassifier, LogisticRegression=LogisticRegression,
              HistGradientBoostingRegressor=HistGradientBoostingRegressor, Ridge=Ridge)  # the feasibility probes'
    zoo = [c for c in cells if "def build" in c.source or "def pick_int" in c.source or "import optuna" in c.source]
    run_cells([cells[0], *zoo], ns)
    position = ns["NUMERIC_FEATURES"].index("income")
    hgb = ns["build"]("hist_gradient_boosting", optuna.trial.FixedTrial(defaults[0]))
    tree = ns["build"]("decision_tree", optuna.trial.FixedTrial(defaults[1]))
    # "yes" (the class the request is about) is coded 1: a falling "income" constraint is -1 on it
    assert hgb.monotonic_cst[position] == -1 and sum(map(abs, hgb.monotonic_cst)) == 1
    assert tree.max_depth == 3 and tree.max_leaf_nodes == 8 and tree.monotonic_cst[position] == -1


def test_the_constraint_table_counts_the_exported_inputs(tmp_path, monkeypatch, capsys):
    from IPython.display import display

    monkeypatch.chdir(tmp_path)
    (tmp_path / "bundle").mkdir()
    (tmp_path / "bundle" / "feature_schema.json").write_text(json.dumps({"kind": "tabular", "inputs": [
        {"name": "mean_radius", "onnx_name": "mean_radius"}, {"name": "Gender", "onnx_name": "Gender"}]}))
    ns, reports = {"display": display, "__name__": "__main__"}, []
    requirements = {"constraints": [], "features": {"never": ["gender"]}}
    run_cells(setup_cell(3, requirements), ns)
    ns.update(_report=lambda **results: reports.append(results), METRICS={"accuracy": 0.95}, N_PARAMETERS=10)
    run_cells(render("cells/constraints", CONSTRAINTS=[{"name": "n_inputs", "op": "<=", "value": 3},
                                                       {"name": "excluded_inputs", "op": "<=", "value": 0}]), ns)
    rows = {r["name"]: (r["actual"], r["met"]) for r in reports[-1]["constraints"]}
    assert rows == {"n_inputs": (2, True), "excluded_inputs": (1, False)}


# ---------------------------------------------------------------------- the LLM path (OpenAI-compatible)
#: A request whose limits on inputs the offline reader has no words for.
FREE_FORM_INPUTS = ("Predict the outcome from the customer table. Keep the model to a handful of inputs, say three "
                    "at the very most; leave gender and the postcode out of it entirely, and it has to be something "
                    "a loan officer can follow by hand; as income goes up the score may only go up.")


def test_the_llm_path_fills_the_same_feature_requirements(monkeypatch):
    pytest.importorskip("openai")
    from trainer_agent_lab.llm import make_llm

    from .llm_fake_server import Answer, serve

    answer = {"task_type": "classification", "features": {
        "max_inputs": 3, "never": ["gender", "postcode", "religion"], "interpretable": True,
        "monotonic": {"income": "increasing", "age": "from_data"}}}
    with serve(monkeypatch) as fake:
        fake.script_for("parse", Answer(json.dumps(answer)))
        planner = make_llm("openai")
        spec = planner.parse_request(FREE_FORM_INPUTS, data=["customers.csv"])
        system = fake.bodies[0]["messages"][0]["content"]
    assert '"features"' in system and "FeatureRequirements" in json.dumps(fake.bodies[0]["response_format"])
    # the model's reading, less the columns the request never wrote (a note says so)
    assert spec.features.model_dump(exclude_defaults=True) == {
        "max_inputs": 3, "never": ["gender", "postcode"], "interpretable": True, "monotonic": {"income": "increasing"}}
    assert any("religion" in n for n in planner.notes) and any("'age'" in n for n in planner.notes)
    # the same constraint rows as the rule-based reader writes, so the constraint table checks them
    rules = parse_request("Use at most 3 features and never use gender.")
    assert {c.name for c in rules.constraints} <= {c.name for c in spec.constraints}
    assert spec.constraint("n_inputs").target == "<= 3"


def test_an_n_inputs_constraint_alone_sets_the_most_inputs(monkeypatch):
    pytest.importorskip("openai")
    from trainer_agent_lab.llm import make_llm

    from .llm_fake_server import Answer, serve

    with serve(monkeypatch) as fake:
        fake.script_for("parse", Answer(json.dumps({"constraints": [{"name": "n_inputs", "op": "<", "value": 5}]})))
        spec = make_llm("openai").parse_request(FREE_FORM_INPUTS)
    assert spec.features.max_inputs == 4 and spec.constraint("n_inputs").target == "< 5"
