"""The stronger zoo and search (issue 19): LightGBM, XGBoost, L1 / elastic-net logistic regression and soft votes
build, count and export to ONNX with parity; the search cross-validates small data in repeated folds, keeps a
soft vote only where it wins, trusts a tuned threshold only where it holds fold by fold; and latency is measured in
rounds, again after a pause where a target is missed. Cells are rendered and run without a kernel."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import optuna
import pandas as pd
import pytest
from IPython.display import display
from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor, VotingClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from xgboost import XGBClassifier, XGBRegressor

from tests.test_cells_server import diabetes, run_cell, shop
from trainer_agent_lab.cells.data import setup_cell
from trainer_agent_lab.cells.render import render, run_cells
from trainer_agent_lab.kinds.tables.data_cells import column_types_cell, load_cell, split_cell
from trainer_agent_lab.kinds.tables.model_agent import default_settings
from trainer_agent_lab.kinds.tables.model_cells import fit_cell, search_cell
from trainer_agent_lab.knowledge.zoo import FAMILIES, candidates


@pytest.mark.parametrize("estimator", [
    LGBMClassifier(n_estimators=30, num_leaves=7, verbose=-1, random_state=0),
    XGBClassifier(n_estimators=30, max_depth=3, random_state=0),
    LogisticRegression(C=3.0, l1_ratio=1.0, solver="saga", max_iter=3000),
], ids=lambda est: type(est).__name__ + ("_l1" if isinstance(est, LogisticRegression) else ""))
def test_new_classifiers_convert_with_parity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, estimator: Any) -> None:
    monkeypatch.chdir(tmp_path)
    ns = shop(estimator, scale=isinstance(estimator, LogisticRegression))
    export = run_cell(ns, "export")
    assert export["onnx_bytes"] > 0
    parity = run_cell(ns, "parity")
    assert parity["parity"]["label_agreement"] >= 0.999 and parity["parity"]["max_prob_diff"] < 1e-4, parity


@pytest.mark.parametrize("estimator", [LGBMRegressor(n_estimators=30, verbose=-1, random_state=0),
                                       XGBRegressor(n_estimators=30, max_depth=3, random_state=0)],
                         ids=lambda est: type(est).__name__)
def test_new_regressors_convert_with_parity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, estimator: Any) -> None:
    monkeypatch.chdir(tmp_path)
    ns = diabetes(estimator, scale=False)  # trees unscaled, as the Model agent trains them
    run_cell(ns, "export")
    assert run_cell(ns, "parity")["parity"]["label_agreement"] >= 0.999


def test_every_family_has_defaults_and_a_counting_rule() -> None:
    for family in FAMILIES:
        for rows in (200, 5000):
            assert default_settings(family.name, rows)["family"] == family.name
    small, large = default_settings("lightgbm", 200), default_settings("lightgbm", 5000)
    assert small["lightgbm_min_child"] < large["lightgbm_min_child"]  # data-shape-dependent defaults
    kept = {c.family.name for c in candidates("classification", 4, 3, 110, 100) if c.kept}
    assert {"logistic_l1", "elastic_net_logistic"} <= kept and "lightgbm" not in kept  # 10 small trees > 100


@pytest.fixture()
def binary_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A split 300-row table: the label follows two numbers and a colour; the cells ran up to the split."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))  # the column types step imports table_features.py from beside it
    rng = np.random.default_rng(1)
    n = 300
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                          "colour": rng.choice(["red", "blue", "green"], n)})
    frame["label"] = np.where(frame["a"] + 0.5 * frame["b"] + (frame["colour"] == "red") + rng.normal(0, 0.7, n) > 0.6,
                              "yes", "no")
    return split_table(frame, "label", "classification", "yes")


def split_table(frame: pd.DataFrame, target: str, task: str,
                positive: str | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``frame`` written as data.csv in the working folder, then set up, loaded, typed and split by the real cells:
    (their namespace, with the feasibility probes' classes the search cells read, and the reports collected)."""
    frame.to_csv("data.csv", index=False)
    ns, reports = {"display": display, "__name__": "__main__", "time": time}, []
    run_cells([*setup_cell(3, {"constraints": []}), *load_cell("data.csv")], ns)
    ns["_report"] = lambda **results: reports.append(ns["_plain"](results))
    run_cells([*column_types_cell(target), *split_cell(target, task, positive, 0.25)], ns)
    ns.update(HistGradientBoostingClassifier=HistGradientBoostingClassifier, LogisticRegression=LogisticRegression,
              HistGradientBoostingRegressor=HistGradientBoostingRegressor, Ridge=Ridge)
    return ns, reports


def fit_and_export(ns: dict[str, Any], reports: list[dict[str, Any]],
                   params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Train ``params`` with the fit cell, then export it to ONNX, time it and check its parity as the Server agent
    does: (the fit's report, the parity figures)."""
    before = len(reports)
    run_cells(fit_cell(params, None, {}), ns)
    fitted = reports[before]
    ns.update(PARAMS=params, METRICS={}, N_PARAMETERS=fitted["parameters"], THRESHOLD=None,
              X_test_raw=ns["X_test"], REQUIREMENTS={"constraints": [], "qps": None, "container_memory_mb": None,
                                                     "quantize_int8": False}, REPORTS=reports)
    run_cells(render("cells/bundle_folder"), ns)
    run_cells(render("kinds/tables/cells/export", "cells/onnx_timing", "kinds/tables/cells/parity"), ns)
    return fitted, reports[-1]["parity"]


def _search(ns: dict[str, Any], reports: list[dict[str, Any]], families: list[str], **kw: Any) -> dict[str, Any]:
    before = len(reports)
    settings = {"objective": "accuracy", "metric_constraints": [], "param_limit": None, "bytes_limit": None,
                "tune_threshold": False, "time_budget_s": 8.0, "margin": 0.01, "patience": 2, **kw}
    small = {"lightgbm_trees": 40, "xgboost_trees": 40}  # quick boosters: the test checks the search, not them
    defaults = [{**d, **{k: v for k, v in small.items() if k in d}} for d in map(default_settings, families,
                                                                                 [225] * len(families))]
    run_cells(search_cell(families=families, defaults=defaults, **settings), ns)
    merged: dict[str, Any] = {}
    for report in reports[before:]:
        merged.update(report)
    return merged


def test_the_search_repeats_folds_on_small_data_and_a_soft_vote_exports_with_parity(binary_table: Any) -> None:
    ns, reports = binary_table
    result = _search(ns, reports, ["logistic_regression", "lightgbm", "xgboost"], time_budget_s=30.0)
    assert ns["REPEATS"] == 3 and ns["folds"].get_n_splits() == 15  # 225 training rows: 5 folds, 3 repeats
    assert set(ns["best_out_of_fold"]) == {"logistic_regression", "lightgbm", "xgboost"}
    oof = ns["best_out_of_fold"]["lightgbm"]["oof"]
    assert oof.shape == (225, 2) and np.allclose(oof.sum(axis=1), 1.0)  # the mean over repeats is a probability
    # the ensemble's forward selection: its library is the best of each family, strongest first; each round adds one
    # member (one may come back), round 1 is the best single model, and a vote taken is the best round of 2+ members
    library = ns["library"]
    assert [ns["trial_of"][k["trial"]].params["family"] for k in library] == sorted(
        ns["best_out_of_fold"], key=lambda f: -ns["best_out_of_fold"][f]["score"])
    rounds = result["votes"]
    assert [v["round"] for v in rounds] == list(range(1, len(rounds) + 1)) and len(rounds) >= 2
    assert [sum(int(m.split("×")[0]) for m in v["members"].split(" + ")) for v in rounds] == [v["round"]
                                                                                               for v in rounds]
    # accuracy moves a row at a time: each round lowers the vote's log-loss, from the single model with the lowest
    first = min(library, key=lambda k: ns["proper_loss"](k["oof"]))
    assert ns["DECISIONS"] and rounds[0]["members"] == f"1× {ns['trial_of'][first['trial']].params['family']}"
    assert rounds[0]["log_loss"] == round(ns["single_loss"], 4)
    assert all(len(v["members"].split(" + ")) <= ns["ENSEMBLE_MEMBERS"] for v in rounds)
    if ns["best_vote"] is not None:  # taken: it beats the best single model, and its weights are its counts
        assert ns["best_vote"]["parameters"] == rounds[ns["best_vote"]["round"] - 1]["parameters"]
        assert sum(ns["best_vote"]["params"]["weights"]) == ns["best_vote"]["round"]
        assert result["ranked"][0]["params"]["family"] == "soft_voting"
        assert rounds[ns["best_vote"]["round"] - 1]["log_loss"] <= round(ns["single_loss"], 4)
    assert result["ranked"][0]["params"]["family"] == result["best_family"]
    # a weighted soft vote of the three members, trained, counted in full and exported: the ONNX model agrees with it
    vote = {"family": "soft_voting", "members": [ns["trial_of"][kept["trial"]].params for kept in library[:3]],
            "weights": [2, 1, 1]}
    fitted, parity = fit_and_export(ns, reports, vote)
    assert isinstance(ns["model"].steps[-1][1], VotingClassifier)
    assert list(ns["model"].steps[-1][1].weights) == [2, 1, 1]
    members = ns["model"].steps[-1][1].estimators_
    assert fitted["parameters"] == sum(ns["count_parameters"](m) for m in members)
    assert parity["label_agreement"] >= 0.999 and parity["max_prob_diff"] < 1e-4


def test_booster_parameters_follow_the_tree_rule(binary_table: Any) -> None:
    ns, reports = binary_table
    _search(ns, reports, ["logistic_regression"], time_budget_s=1.0)
    lgbm = ns["make_model"](default_settings("lightgbm", 225)).fit(ns["X_train"], ns["y_train"])
    trees = lgbm.steps[-1][1].booster_.dump_model()["tree_info"]
    assert ns["count_parameters"](lgbm) == sum(2 * (t["num_leaves"] - 1) + t["num_leaves"] for t in trees)
    capped = ns["build"]("xgboost", optuna.trial.FixedTrial({**default_settings("xgboost", 225), "xgboost_trees": 50}))
    ns["PARAM_LIMIT"] = 400
    small = ns["build"]("lightgbm", optuna.trial.FixedTrial(default_settings("lightgbm", 225)))
    assert capped.n_estimators == 50 and small.n_estimators * (3 * small.num_leaves - 2) <= 400 * 1.5


def test_an_absolute_error_metric_starts_the_boosters_on_absolute_loss_and_exports(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    frame["y"] = 3 * frame["a"] - frame["b"] + rng.standard_t(1.5, 300)  # heavy tails: the median is the aim
    ns, reports = split_table(frame, "y", "regression")
    boosters = ["hist_gradient_boosting", "lightgbm", "xgboost", "gradient_boosting"]
    defaults = [default_settings(f, 225, "mae") for f in boosters]
    keys = ("hgb_loss", "lightgbm_objective", "xgboost_objective", "gb_loss")
    assert [d.get(k) for d, k in zip(defaults, keys, strict=True)] == [
        "absolute_error", "l1", "reg:absoluteerror", "absolute_error"]
    assert "hgb_loss" not in default_settings("hist_gradient_boosting", 225, "r2")
    settings = {"objective": "mae", "metric_constraints": [], "param_limit": None, "bytes_limit": None,
                "tune_threshold": False, "time_budget_s": 6.0, "margin": 0.01, "patience": 2}
    run_cells(search_cell(families=boosters, defaults=defaults, **settings), ns)
    assert ns["ABSOLUTE"]
    built = [ns["build"](d["family"], optuna.trial.FixedTrial(d)) for d in defaults]
    assert [getattr(m, "loss", None) or m.get_params()["objective"] for m in built] == \
        ["absolute_error", "l1", "reg:absoluteerror", "absolute_error"]
    _, parity = fit_and_export(ns, reports, defaults[0])  # the L1 histogram booster trains, exports and agrees
    assert ns["model"].steps[-1][1].loss == "absolute_error"
    assert parity["label_agreement"] >= 0.999


def test_an_rmsle_objective_learns_log1p_of_the_target_and_the_onnx_model_predicts_expm1(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300),
                          "kind": rng.choice(["x", "y"], 300)})
    frame["count"] = np.round(np.exp(1.5 + 0.8 * frame["a"] + 0.3 * (frame["kind"] == "x") + rng.normal(0, 0.3, 300)))
    ns, reports = split_table(frame, "count", "regression")
    families = ["ridge", "lightgbm", "svm"]
    small = {"lightgbm_trees": 40}
    defaults = [{**d, **{k: v for k, v in small.items() if k in d}} for d in
                (default_settings(f, 225, "rmsle") for f in families)]
    settings = {"objective": "rmsle", "metric_constraints": [], "param_limit": None, "bytes_limit": None,
                "tune_threshold": False, "time_budget_s": 6.0, "margin": 0.01, "patience": 2}
    run_cells(search_cell(families=families, defaults=defaults, **settings), ns)
    assert ns["LOG_TARGET"]
    # a continuous metric: the ensemble's rounds add the best by it, from the best single model by it
    assert not ns["DECISIONS"] and ns["votes"][0]["members"] == (
        f"1× {ns['trial_of'][ns['library'][0]['trial']].params['family']}")
    if ns["best_vote"] is not None:  # a vote taken beats the best single model by the gain asked
        assert -ns["best_vote"]["cv_metrics"]["rmsle"] > ns["best_value"] + ns["ENSEMBLE_GAIN"]
    svm = ns["make_model"](defaults[-1]).fit(ns["X_train"], ns["y_train"])
    assert ns["keeps_rows"](svm) and ns["count_parameters"](svm) > 0  # the SVR inside still counts its vectors
    vote = {"family": "soft_voting", "members": defaults[:2], "weights": [1, 3]}
    fitted, parity = fit_and_export(ns, reports, vote)  # a weighted vote of two log-target members
    members = ns["model"].steps[-1][1].estimators_
    assert [type(m.steps[-1][1]).__name__ for m in members] == ["TransformedTargetRegressor"] * 2
    assert fitted["parameters"] == sum(ns["count_parameters"](m) for m in members)
    ridge_in_log = members[0].steps[-1][1].regressor_.predict(members[0].steps[0][1].transform(ns["X_test"]))
    assert np.allclose(members[0].predict(ns["X_test"]), np.expm1(ridge_in_log))
    assert parity["label_agreement"] >= 0.999, parity


def test_a_target_never_negative_may_be_learnt_on_a_log_scale_and_exports(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Wages that grow multiplicatively with the inputs, judged on MAE: the search also tries each model on log1p of
    the target (the linear defaults both ways), the ridge on the log scale wins, and its ONNX model agrees."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"years": rng.uniform(0, 40, 400), "grade": rng.normal(size=400)})
    frame["wage"] = np.exp(2.5 + 0.04 * frame["years"] + 0.6 * frame["grade"] + rng.normal(0, 0.05, 400))
    ns, reports = split_table(frame, "wage", "regression")
    settings = {"objective": "mae", "metric_constraints": [], "param_limit": None, "bytes_limit": None,
                "tune_threshold": False, "time_budget_s": 4.0, "margin": 0.01, "patience": 2}
    families = ["ridge", "lightgbm"]
    defaults = [{**default_settings(f, 300, "mae"), **({"lightgbm_trees": 40} if f == "lightgbm" else {})}
                for f in families]
    before = len(reports)
    run_cells(search_cell(families=families, defaults=defaults, **settings), ns)
    assert ns["LOG_CHOICE"] and not ns["LOG_TARGET"]
    ridge_defaults = [d for d in ns["DEFAULTS"] if d["family"] == "ridge"]
    assert sorted((d["ridge_scaled"], d["log_target"]) for d in ridge_defaults) == [
        (False, False), (True, False), (True, True)]
    assert all(d["log_target"] is False for d in ns["DEFAULTS"] if d["family"] == "lightgbm")
    merged = {k: v for r in reports[before:] for k, v in r.items()}
    head = merged["ranked"][0]["params"]
    log_scale = [t.value for t in ns["study"].trials if t.value is not None and t.params.get("log_target")]
    raw_scale = [t.value for t in ns["study"].trials if t.value is not None and t.params.get("log_target") is False]
    assert max(log_scale) > max(raw_scale)  # the multiplicative model fits best on the log scale
    assert head.get("log_target") or head["family"] == "soft_voting"
    _, parity = fit_and_export(ns, reports, head)
    assert parity["label_agreement"] >= 0.999, parity


def test_after_a_split_in_time_order_the_search_validates_on_blocks_of_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A monthly series that trends (its time a decimal year, as R writes it), split in time order: the search's
    folds are contiguous blocks of the training months, in order and not repeated, so a model is scored on stretches
    of time it did not learn from; shuffled folds, as before, let the forest follow the months around each month and
    score far better than on blocks, where the trend's ridge, which carries on past the training rows, leads."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    rng = np.random.default_rng(3)
    n = 120
    frame = pd.DataFrame({"time": [round(1990 + i / 12, 4) for i in range(n)]})
    frame["sales"] = 50 + 0.8 * np.arange(n) + 6 * np.sin(2 * np.pi * np.arange(n) / 12) + rng.normal(0, 1, n)
    frame.sample(frac=1.0, random_state=0).to_csv("data.csv", index=False)  # rows shuffled, as files often are
    ns, reports = {"display": display, "__name__": "__main__", "time": time}, []
    run_cells([*setup_cell(3, {"constraints": []}), *load_cell("data.csv")], ns)
    ns["_report"] = lambda **results: reports.append(ns["_plain"](results))
    run_cells([*column_types_cell("sales"), *split_cell("sales", "regression", None, 0.25, "time", "it drifts")], ns)
    ns.update(HistGradientBoostingRegressor=HistGradientBoostingRegressor, Ridge=Ridge)  # the feasibility probes'
    settings = {"objective": "r2", "metric_constraints": [], "param_limit": None, "bytes_limit": None,
                "tune_threshold": False, "time_budget_s": 6.0, "margin": 0.01, "patience": 2}
    families = ["ridge", "random_forest"]
    run_cells(search_cell(families=families, defaults=[default_settings(f, 90) for f in families], **settings), ns)

    assert ns["IN_TIME"] and ns["REPEATS"] == 1 and ns["folds"].get_n_splits() == ns["N_FOLDS"] == 5
    blocks = [val for _, val in ns["folds"].split(ns["X_search"])]
    assert np.array_equal(np.concatenate(blocks), np.arange(90))  # contiguous, in order, every row once
    months = ns["X_search"]["time_year"] * 12 + ns["X_search"]["time_month"]
    assert months.is_monotonic_increasing  # the training rows are in time order, so a block is a stretch of time
    best = {}
    for trial in ns["study"].trials:
        if trial.value is not None:
            best[trial.params["family"]] = max(best.get(trial.params["family"], -np.inf), trial.value)
    assert best["ridge"] > best["random_forest"] + 0.05  # the blocks at the ends ask the forest to extrapolate

    ns["IN_TIME"] = False  # the same rows in shuffled folds, as before: the forest scores as if it could
    shuffled = ns["make_folds"](5, 1)
    tried = next(t for t in ns["study"].trials if t.value is not None and t.params["family"] == "random_forest")
    forest = ns["pipeline"]("random_forest", optuna.trial.FixedTrial(tried.params))
    oof = np.zeros(90)
    for fit_rows, val_rows in shuffled.split(ns["X_search"]):
        oof[val_rows] = forest.fit(ns["X_search"].iloc[fit_rows], ns["y_search"][fit_rows]).predict(
            ns["X_search"].iloc[val_rows])
    shuffled_r2 = 1 - np.sum((oof - ns["y_search"]) ** 2) / np.sum((ns["y_search"] - ns["y_search"].mean()) ** 2)
    assert shuffled_r2 > best["random_forest"] + 0.2  # shuffled folds hide what blocks of time show


def test_a_class_that_begins_late_in_time_keeps_the_search_on_stratified_folds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Split in time order, but a class only appears in the last block of the training months: blocks of time would
    train a fold without it (a logistic regression cannot), so the folds stay shuffled and stratified, and it says
    so."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    rng = np.random.default_rng(4)
    n = 120
    frame = pd.DataFrame({"time": [round(1990 + i / 12, 4) for i in range(n)], "x": rng.normal(size=n)})
    frame["status"] = np.where(np.arange(n) >= 75, "new", "old")
    frame.to_csv("data.csv", index=False)
    ns, reports = {"display": display, "__name__": "__main__", "time": time}, []
    run_cells([*setup_cell(3, {"constraints": []}), *load_cell("data.csv")], ns)
    ns["_report"] = lambda **results: reports.append(ns["_plain"](results))
    run_cells([*column_types_cell("status"),
               *split_cell("status", "classification", "new", 0.25, "time", "it drifts")], ns)
    ns.update(HistGradientBoostingClassifier=HistGradientBoostingClassifier, LogisticRegression=LogisticRegression)
    settings = {"objective": "accuracy", "metric_constraints": [], "param_limit": None, "bytes_limit": None,
                "tune_threshold": False, "time_budget_s": 4.0, "margin": 0.01, "patience": 2}
    families = ["logistic_regression"]
    run_cells(search_cell(families=families, defaults=[default_settings(f, 90) for f in families], **settings), ns)
    assert not ns["IN_TIME"] and ns["REPEATS"] == 3  # 90 rows: shuffled, stratified, repeated
    assert "would train without one of the classes" in capsys.readouterr().out
    assert any(t.value is not None for t in ns["study"].trials)


def test_a_number_with_gaps_gets_a_missing_flag_the_models_learn_from_and_onnx_reproduces(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"age": rng.normal(40, 10, 400), "fare": rng.exponential(20, 400),
                          "deck": rng.choice(["A", "B", "C"], 400)})
    unrecorded = rng.random(400) < 0.3
    frame.loc[unrecorded, "age"] = np.nan  # the gap itself carries the label
    frame["survived"] = np.where((unrecorded & (rng.random(400) < 0.9)) | (frame["fare"] > 40), "yes", "no")
    ns, reports = split_table(frame, "survived", "classification", "yes")
    assert ns["NUMBERS_WITH_GAPS"] == {"age"} and ns["N_ENCODED"] == 2 + 3 + 1  # numbers, one-hot, one flag
    flags = ns["make_preprocessor"]().fit(ns["X_train"]).transform(ns["X_test"])[:, -1]
    assert flags.tolist() == ns["X_test"]["age"].isna().astype(float).tolist()
    run_cells(search_cell(families=["logistic_regression"], defaults=[default_settings("logistic_regression", 300)],
                          objective="accuracy", metric_constraints=[], param_limit=None, bytes_limit=None,
                          tune_threshold=False, time_budget_s=3.0, margin=0.01, patience=2), ns)
    params = {**default_settings("logistic_regression", 300), "logistic_regression_scaled": True}
    fitted, parity = fit_and_export(ns, reports, params)
    assert fitted["parameters"] == 6 + 1  # a weight for the flag too
    assert (ns["model"].predict(ns["X_test"]) == ns["y_test"]).mean() > 0.85  # the gap is learnt
    assert parity["label_agreement"] == 1.0 and parity["max_prob_diff"] < 1e-4, parity


def test_a_report_only_metric_is_what_the_search_optimises() -> None:
    from trainer_agent_lab.spec import TaskSpec

    spec = TaskSpec(request="Predict progression; report MAE and R2.", report_metrics=["mae", "r2"])
    assert spec.objective == "mae"
    assert TaskSpec(request="x", report_metrics=["mae"], optimize="r2").objective == "r2"


def test_a_tuned_threshold_is_checked_fold_by_fold(binary_table: Any) -> None:
    ns, reports = binary_table
    result = _search(ns, reports, ["logistic_regression", "gaussian_nb"], objective="f1", tune_threshold=True,
                     metric_constraints=[{"name": "f1", "op": ">=", "value": 0.5}], time_budget_s=2.0)
    note = result["threshold_note"]
    assert note and ("holds fold by fold" in note or "keeps the default threshold 0.5" in note)
    head = result["ranked"][0]
    assert (head["threshold"] is None) == ("keeps the default" in note)


def test_a_near_tie_that_meets_the_targets_without_the_margin_goes_first_on_a_better_log_loss(
        binary_table: Any) -> None:
    """On small data the search's margin above a target is smaller than a row's worth of accuracy: a candidate
    within one standard error of the best that meets the target (not by the margin) and has a much better
    out-of-fold log-loss goes first; one that misses the target itself, or lies beyond the noise, does not."""
    ns, reports = binary_table
    targets = [{"name": "accuracy", "op": ">=", "value": 0.8}]
    _search(ns, reports, ["logistic_regression", "gaussian_nb"], metric_constraints=targets, time_budget_s=2.0)

    def candidate(number: int, accuracy: float, log_loss: float) -> SimpleNamespace:
        metrics = {"accuracy": accuracy, "log_loss": log_loss}
        score, meets = ns["satisfaction"](metrics, 0.01)
        return SimpleNamespace(number=number, value=score, params={"family": "logistic_regression"},
                               user_attrs={"metrics": metrics, "meets": meets, "over_budget": False,
                                           "threshold": None, "parameters": 4})

    tie_block = render("kinds/tables/cells/ensemble")[0]

    def first_of(*trials: SimpleNamespace) -> SimpleNamespace:
        ns["ranked"] = list(trials)
        run_cells([tie_block], ns)
        return ns["ranked"][0]

    lucky, steady = candidate(1, 0.82, 0.45), candidate(2, 0.805, 0.30)  # steady: 0.805 < 0.8 + the margin
    assert first_of(lucky, steady) is steady and ns["ranked"][1] is lucky
    assert ns["noise"] > 0.82 - 0.805 and lucky.user_attrs["meets"] and not steady.user_attrs["meets"]
    assert first_of(lucky, candidate(3, 0.795, 0.30)) is lucky  # within the noise, but it misses the target itself
    high = candidate(4, 0.87, 0.45)
    beyond = candidate(5, 0.87 - ns["noise"] - 0.01, 0.30)  # meets the target, beyond one standard error
    assert beyond.user_attrs["meets"] and first_of(high, beyond) is high


def test_latency_is_measured_in_rounds_and_again_after_a_pause(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    ns = shop(LogisticRegression(max_iter=1000))
    run_cell(ns, "export")
    run_cells(render("cells/onnx_timing"), ns)
    ns["PAUSE_S"] = 0.01
    met = ns["measure_latency"](ns["ONNX_PATH"], ns["X_test"], [{"name": "p99_ms", "op": "<", "value": 1000}],
                                200, 1.0)
    assert met["rounds"] == 5 and met["remeasured"] is None and met["used"] == "the first measurement"
    assert met["p99_spread_ms"][0] <= met["p99_ms"] <= met["p99_spread_ms"][1] and met["calls"] >= 100
    missed = ns["measure_latency"](ns["ONNX_PATH"], ns["X_test"], [{"name": "p50_ms", "op": "<", "value": 1e-9}],
                                   200, 1.0)
    assert missed["remeasured"] is not None and "pause" in missed["used"]
    line = ns["describe_latency"](missed)
    assert "median of 5 rounds" in line and ("load average" in line or "CPUs" in line)


def test_a_boosted_model_is_bagged_over_folds_and_exports_as_one(binary_table: Any) -> None:
    ns, reports = binary_table
    result = _search(ns, reports, ["lightgbm"], time_budget_s=6.0)
    head, single = result["ranked"][0], result["ranked"][1]
    assert result["bagged"] and head["params"] == {**single["params"], "bag": 5}
    assert head["parameters"] == 5 * single["parameters"] and "bagged: 5 fits" in result["bag_note"]
    fitted, parity = fit_and_export(ns, reports, head["params"])
    bag = ns["model"].steps[-1][1]
    assert isinstance(bag, ns["FoldBagClassifier"]) and len(bag.estimators_) == 5
    # each fold model learnt from other rows (the rows outside its own fold), so no two predict alike
    fold_proba = [m.predict_proba(ns["X_test"])[:, 1] for m in bag.estimators_]
    assert all(not np.allclose(a, b) for i, a in enumerate(fold_proba) for b in fold_proba[i + 1:])
    assert fitted["parameters"] == sum(ns["count_parameters"](m) for m in bag.estimators_)
    proba = bag.predict_proba(ns["X_test"])
    assert np.allclose(proba, np.mean([m.predict_proba(ns["X_test"]) for m in bag.estimators_], axis=0))
    assert parity["label_agreement"] >= 0.999 and parity["max_prob_diff"] < 1e-4


def test_no_bag_where_the_request_or_the_limits_leave_no_room(binary_table: Any) -> None:
    ns, reports = binary_table
    off = "the request sets a latency target (p99_ms < 2), and each call would run every fold's model"
    result = _search(ns, reports, ["lightgbm"], time_budget_s=4.0, bag_off=off)
    assert not result["bagged"] and "bag" not in result["ranked"][0]["params"]
    assert result["bag_note"].startswith("The chosen model is trained once on every training row, not bagged: the "
                                         "request sets a latency target")
    single = result["ranked"][0]["parameters"]
    result = _search(ns, reports, ["lightgbm"], time_budget_s=4.0, param_limit=3 * single + 100)
    assert not result["bagged"] and "over the limit" in result["bag_note"]
    result = _search(ns, reports, ["logistic_regression"], time_budget_s=2.0)  # a linear model varies little
    assert not result["bagged"] and "none of its models varies much" in result["bag_note"]


def test_a_bagged_regressor_averages_its_fold_models_and_exports(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"x": rng.uniform(-2, 2, 240), "z": rng.normal(size=240),
                          "kind": rng.choice(["a", "b"], 240)})
    frame["y"] = np.sin(2 * frame["x"]) + (frame["kind"] == "a") + rng.normal(0, 0.2, 240)
    ns, reports = split_table(frame, "y", "regression")
    _search(ns, reports, ["hist_gradient_boosting"], objective="r2", time_budget_s=1.0)
    params = {**default_settings("hist_gradient_boosting", 180), "bag": 4}
    fitted, parity = fit_and_export(ns, reports, params)
    bag = ns["model"].steps[-1][1]
    assert isinstance(bag, ns["FoldBagRegressor"]) and len(bag.estimators_) == 4
    assert np.allclose(bag.predict(ns["X_test"]), np.mean([m.predict(ns["X_test"]) for m in bag.estimators_], axis=0))
    assert parity["label_agreement"] >= 0.999
