"""Inputs that give the target away (``kinds/tables/cells/leaks.py``): a number whose ranks follow the target's, a
number that separates two classes with no overlap, a column of few values each holding one class. The check says so
and keeps the column; strong but honest predictors, and the bundled tables, are not named.

The real load, column types and clean cells on tables written in ``tmp_path``, run without a kernel.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from IPython.display import display
from sklearn import datasets

from trainer_agent_lab.cells.data import setup_cell
from trainer_agent_lab.cells.render import run_cells
from trainer_agent_lab.kinds.tables.data_cells import clean_cell, column_types_cell, load_cell


@pytest.fixture()
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))  # the column types step imports table_features.py from beside it
    return tmp_path


def clean(folder: Path, frame: pd.DataFrame, target: str, task: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Load, read the column types and clean ``frame`` as the Data agent does: (the clean step's report, the ns)."""
    frame.to_csv(folder / "data.csv", index=False)
    ns: dict[str, Any] = {"display": display, "__name__": "__main__", "time": time}
    reports: list[dict[str, Any]] = []
    run_cells([*setup_cell(0, {"constraints": []}), *load_cell("data.csv")], ns)
    ns["_report"] = lambda **results: reports.append(results)
    run_cells(column_types_cell(target), ns)
    before = len(reports)
    run_cells(clean_cell(target, task, 6.0), ns)
    return {k: v for r in reports[before:] for k, v in r.items()}, ns


def test_a_number_worked_out_from_a_numeric_target_is_named_and_kept(in_tmp: Path) -> None:
    rng = np.random.default_rng(0)
    n = 600
    frame = pd.DataFrame({"age": rng.uniform(18, 80, n), "years": rng.uniform(0, 40, n)})
    frame["wage"] = np.exp(3 + 0.02 * frame["years"] + rng.normal(0, 0.3, n))
    frame["logwage"] = np.log(frame["wage"])
    frame["wage_pct"] = frame["wage"].rank(pct=True)
    frame.loc[rng.random(n) < 0.1, "wage_pct"] = np.nan  # a giveaway with gaps is judged on its present rows
    report, ns = clean(in_tmp, frame, "wage", "regression")
    assert report["suspected_leaks"] == ["logwage", "wage_pct"]  # years drives the wage, but only in part
    assert all("gives wage away on its own" in note and "It is kept" in note for note in report["leak_notes"])
    assert "rank correlation +1.0000" in report["leak_notes"][0]
    assert {"logwage", "wage_pct"} <= set(ns["df"].columns)  # kept: only the user knows if it is known in use


def test_a_number_that_splits_two_classes_and_a_code_written_from_the_label_are_named(in_tmp: Path) -> None:
    rng = np.random.default_rng(1)
    n = 800
    frame = pd.DataFrame({"tenure": rng.uniform(0, 60, n), "calls": rng.poisson(3, n).astype(float)})
    churned = rng.random(n) < 1 / (1 + np.exp(0.08 * (frame["tenure"] - 20)))
    frame["churned"] = np.where(churned, "yes", "no")
    frame["refund"] = np.where(churned, rng.uniform(5, 50, n), rng.uniform(-3, 0, n))  # paid out on leaving only
    codes = {True: ["C1", "C2"], False: ["A1", "A2", "A3"]}
    frame["status"] = [rng.choice(codes[bool(c)]) for c in churned]
    report, _ = clean(in_tmp, frame, "churned", "classification")
    assert report["suspected_leaks"] == ["refund", "status"]  # tenure predicts churn strongly, not perfectly
    notes = dict(zip(report["suspected_leaks"], report["leak_notes"], strict=True))
    assert "AUC 1.0000" in notes["refund"] and "each of its 5 values goes with one class" in notes["status"]


@pytest.mark.parametrize("loader, target", [(datasets.load_iris, "target"), (datasets.load_breast_cancer, "target"),
                                             (datasets.load_wine, "target"), (datasets.load_diabetes, "target")])
def test_the_bundled_tables_have_no_giveaway(in_tmp: Path, loader: Any, target: str) -> None:
    bunch = loader(as_frame=True)
    frame = bunch.frame
    task = "regression" if loader is datasets.load_diabetes else "classification"
    if task == "classification":
        frame[target] = frame[target].map(dict(enumerate(bunch.target_names)))
    report, _ = clean(in_tmp, frame, target, task)
    assert report["suspected_leaks"] == [] and report["leak_notes"] == []
