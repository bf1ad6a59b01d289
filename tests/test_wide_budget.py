"""On a wide table the model search keeps to its seconds: ``cv.py`` times one fit before the search and, where a
trial's usual folds would not fit its share of the time, cross-validates fewer of them and says so; a fold that
would end past the deadline is not started. A narrow table keeps its usual folds.

The real cells on small tables written in ``tmp_path``, run without a kernel (no whole run).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from IPython.display import display
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold

from trainer_agent_lab.cells.data import setup_cell
from trainer_agent_lab.cells.render import run_cells
from trainer_agent_lab.kinds.tables.data_cells import column_types_cell, load_cell, split_cell
from trainer_agent_lab.kinds.tables.model_agent import default_settings
from trainer_agent_lab.kinds.tables.model_cells import search_cell

FAMILIES = ["logistic_regression", "decision_tree", "gaussian_nb"]


def split_table(folder: Path, rows: int, columns: int) -> dict[str, Any]:
    """A ``rows`` x ``columns`` table of numbers (a class target driven by three of them), loaded and split by the
    real cells in ``folder``."""
    rng = np.random.default_rng(0)
    numbers = rng.normal(size=(rows, columns))
    frame = pd.DataFrame(numbers, columns=[f"c{i}" for i in range(columns)])
    signal = numbers[:, 0] + numbers[:, 1] - numbers[:, 2] + rng.normal(0, 0.5, rows)
    frame["label"] = np.where(signal > 0, "yes", "no")
    frame.to_csv(folder / "data.csv", index=False)
    ns: dict[str, Any] = {"display": display, "__name__": "__main__", "time": time}
    run_cells([*setup_cell(0, {"constraints": []}), *load_cell("data.csv")], ns)
    ns["_report"] = lambda **results: ns.setdefault("reports", []).append(results)
    run_cells([*column_types_cell("label"), *split_cell("label", "classification", "yes", 0.25)], ns)
    ns.update(HistGradientBoostingClassifier=HistGradientBoostingClassifier, LogisticRegression=LogisticRegression,
              HistGradientBoostingRegressor=HistGradientBoostingRegressor, Ridge=Ridge, KFold=KFold,
              StratifiedKFold=StratifiedKFold)  # what the feasibility cell imports
    return ns


def search(ns: dict[str, Any], seconds: float) -> tuple[dict[str, Any], float]:
    """Run the search's cells for ``seconds``: (their merged reports, seconds from the search's start to its end)."""
    defaults = [default_settings(f, len(ns["X_train"])) for f in FAMILIES]
    ns["reports"] = []
    cells = search_cell(families=FAMILIES, defaults=defaults, objective="accuracy", metric_constraints=[],
                        param_limit=None, bytes_limit=None, tune_threshold=False, time_budget_s=seconds,
                        margin=0.01, patience=50)
    at = next(i for i, c in enumerate(cells) if "study.optimize" in c.source)
    run_cells(cells[:at + 1], ns)  # up to the search itself: its time, then the leaderboard and the rest
    took = time.perf_counter() - ns["started"]
    run_cells(cells[at + 1:], ns)
    merged: dict[str, Any] = {}
    for report in ns["reports"]:
        merged.update(report)
    return merged, took


@pytest.fixture()
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))  # the load and column types steps import the files they write
    return tmp_path


def test_a_wide_tables_search_cuts_its_folds_and_keeps_to_its_seconds(in_tmp: Path) -> None:
    ns = split_table(in_tmp, rows=80, columns=1000)
    budget = 1.0
    report, took = search(ns, budget)
    plan = report["cv_plan"]
    assert plan["planned_fits"] == 15  # 60 training rows: 5 folds, 3 repeats, were the plan
    assert ns["folds"].get_n_splits() == plan["folds"] * plan["repeats"] < 15
    assert ns["N_FOLDS"] * ns["REPEATS"] * ns["FOLD_SECONDS"] <= 0.25 * budget or ns["N_FOLDS"] == 2
    assert len(ns["FIRST_FOLDS"]) == ns["N_FOLDS"]  # the threshold check holds out the folds the search used
    note = report["say"][0]
    assert "1,000 input columns" in note and f"cross-validates {plan['folds'] * plan['repeats']} folds" in note
    assert note == ns["CV_NOTE"]
    # the search ends within its seconds, up to a fold's error in the estimate; a model finished
    assert took <= budget + 2 * ns["FOLD_SECONDS"] + 0.5, (took, ns["FOLD_SECONDS"])
    assert report["trials"] >= 1
    finished = [t for t in ns["study"].trials if t.value is not None]
    assert all(len(ns["best_out_of_fold"][f]["oof"]) == len(ns["X_train"]) for f in ns["best_out_of_fold"])
    assert finished[0].params["family"] == FAMILIES[0]


class SlowsDown(ClassifierMixin, BaseEstimator):
    """A classifier whose fits take ``delay`` seconds more once ``after`` fits were made (the machine got busy
    between two trials). Every fit's (start, end) is kept in ``fits``, on the search's clock."""

    fits: list[tuple[float, float]] = []

    def __init__(self, inner: Any = None, after: int = 0, delay: float = 0.0) -> None:
        self.inner, self.after, self.delay = inner, after, delay

    def fit(self, X: Any, y: Any) -> SlowsDown:
        began = time.perf_counter()
        if len(SlowsDown.fits) >= self.after:
            time.sleep(self.delay)
        SlowsDown.fits.append((began, time.perf_counter()))
        self.model_ = clone(self.inner).fit(X, y)
        self.classes_, self.coef_, self.intercept_ = self.model_.classes_, self.model_.coef_, self.model_.intercept_
        return self

    def predict_proba(self, X: Any) -> Any:
        return self.model_.predict_proba(X)


def test_a_fold_is_not_started_past_the_deadline_when_the_machine_slows_down_mid_search(in_tmp: Path) -> None:
    """Fits quick in the first two trials take 0.25 s more from then on: a trial's first fold is estimated from the
    last fold of any trial, so no fold starts that would end past the deadline. Before, each trial's first fold was
    estimated from the fit timed before the search, and a trial begun with a fast trial's seconds on record started
    folds up to the deadline, each overrunning it by a slow fit.

    What is checked is when folds start, on the search's own clock, not the wall seconds of the whole search: on a
    machine whose other core runs more tests, a fit may take longer than any estimate, which says nothing of the
    rule."""
    ns = split_table(in_tmp, rows=120, columns=4)
    budget, delay = 1.5, 0.25
    ns["reports"] = []
    cells = search_cell(families=["logistic_regression"], defaults=[default_settings("logistic_regression", 90)],
                        objective="accuracy", metric_constraints=[], param_limit=None, bytes_limit=None,
                        tune_threshold=False, time_budget_s=budget, margin=0.01, patience=10_000)
    at = next(i for i, c in enumerate(cells) if "study.optimize" in c.source)
    run_cells(cells[:at], ns)
    SlowsDown.fits = []
    build, after = ns["build"], 2 * ns["folds"].get_n_splits()  # two whole trials at the usual speed
    ns["build"] = lambda family, t: SlowsDown(build(family, t), after, delay)
    run_cells(cells[at:at + 1], ns)
    took = time.perf_counter() - ns["started"]
    slow = SlowsDown.fits[after:]
    assert len(slow) >= 2, f"the search made {len(SlowsDown.fits)} fits: the slow ones were not reached"
    assert ns["recent_fold"][0] >= delay and ns["slowest_fold"]["logistic_regression"] >= delay
    # a slow fold on record makes every later fold's estimate at least `delay`: none starts with less left
    # (0.02 s: the check runs just before the fit notes its start)
    late = [round(start - ns["deadline"], 3) for start, _ in slow[1:] if start + delay > ns["deadline"] + 0.02]
    assert not late, f"folds started with under {delay} s left, at these seconds from the deadline: {late}"
    assert took <= budget + 2.0, (took, ns["recent_fold"], ns["FOLD_SECONDS"])  # no gross overrun, however busy


def test_a_narrow_table_keeps_its_usual_folds(in_tmp: Path) -> None:
    ns = split_table(in_tmp, rows=120, columns=4)
    ns["reports"] = []
    cells = search_cell(families=FAMILIES, defaults=[default_settings(f, 90) for f in FAMILIES], objective="accuracy",
                        metric_constraints=[], param_limit=None, bytes_limit=None, tune_threshold=False,
                        time_budget_s=10.0, margin=0.01, patience=50)
    run_cells(cells[:next(i for i, c in enumerate(cells) if "FIRST_FOLDS =" in c.source) + 1], ns)  # the plan only
    assert not any("cv_plan" in r for r in ns["reports"]) and ns["CV_NOTE"] == ""
    assert (ns["N_FOLDS"], ns["REPEATS"]) == (5, 3) and ns["folds"].get_n_splits() == 15
    assert ns["FOLD_SECONDS"] < 0.25 * 10.0 / 15


def test_latency_rounds_of_a_slow_model_keep_to_their_seconds(in_tmp: Path) -> None:
    """A model slow to call for its seconds (here a 1,500-input one, given 50 ms) gets fewer rounds, and says so."""
    from sklearn.linear_model import LogisticRegression as Logistic

    from tests.test_cells_server import contract, run_cell
    from trainer_agent_lab.cells.render import render

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(60, 1500)), columns=[f"c{i}" for i in range(1500)])
    ns = contract(frame, (frame["c0"] > 0).to_numpy(dtype=int), Logistic(max_iter=500), task="classification",
                  classes=["no", "yes"], pos_label=1)
    run_cell(ns, "export")
    run_cells(render("cells/onnx_timing"), ns)
    began = time.perf_counter()
    measured = ns["latency_rounds"](ns["ONNX_PATH"], ns["X_test"], 200, 0.05)
    took = time.perf_counter() - began
    assert 1 <= measured["rounds"] < ns["ROUNDS"] and measured["calls"] >= measured["rounds"]
    assert took <= 1.5 * 0.05 + took / measured["rounds"] + 0.05  # at most one round past its seconds
    measured["used"] = "the first measurement"
    line = ns["describe_latency"](measured)
    assert f"median of {measured['rounds']} round" in line and "(fewer: each took longer" in line


def test_numeric_columns_become_model_columns_in_one_pass_with_the_same_values() -> None:
    """The recipe's number step reads columns already held as numbers in one pass: the same floats as parsing each
    value (infinities and missing values as NaN), and text columns still parsed value by value."""
    from trainer_agent_lab.bundle import table_features as tf

    raw = pd.DataFrame({"f": [1.5, np.inf, np.nan, -2.0], "i": [1, 2, 3, 2**53 + 1], "b": [True, False, True, True],
                        "f32": np.array([0.1, 2.5, -np.inf, 3.0], dtype=np.float32),
                        "nullable": pd.array([1, None, 3, 4], dtype="Int64"),
                        "text": ["$1,200.50", "12%", None, "n/a"]})
    recipe = tf.plain_recipe(list(raw.columns), [])
    fast = tf.to_model_columns(raw, recipe)
    for name in raw.columns:
        by_value = np.array([tf.parse_number(v) for v in raw[name].tolist()], dtype=np.float64)
        np.testing.assert_array_equal(fast[name], by_value)
        assert fast[name].dtype == np.float64
    assert fast["text"][:2].tolist() == [1200.5, 12.0]
    raw.loc[0, "f"] = 9.0  # the model's columns are their own arrays, never views of the raw frame
    assert fast["f"][0] == 1.5
    wide = pd.DataFrame(np.random.default_rng(0).normal(size=(100, 2000)), columns=[f"c{i}" for i in range(2000)])
    began = time.perf_counter()
    frame = tf.to_model_frame(wide, tf.plain_recipe(list(wide.columns), []))
    assert time.perf_counter() - began < 2.0 and frame.equals(wide)
