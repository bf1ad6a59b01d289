"""Issue 18, item 2: large tables. Above a size threshold the profile works on a seeded sample and says so, the model
search cross-validates a seeded, stratified sample of the training split sized to its time, and the fit trains on
every training row; below the threshold nothing changes. The cells run without a kernel on a small generated table
with a tiny threshold (the agents pass the real one, :mod:`trainer_agent_lab.kinds.tables.sampling`)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from IPython.display import display

from trainer_agent_lab.cells.data import setup_cell
from trainer_agent_lab.cells.render import run_cells
from trainer_agent_lab.kinds.budget import TimeBudget
from trainer_agent_lab.kinds.tables.data_cells import clean_cell, column_types_cell, load_cell, profile_cell, split_cell
from trainer_agent_lab.kinds.tables.model_agent import default_settings
from trainer_agent_lab.kinds.tables.model_cells import fit_cell, search_cell
from trainer_agent_lab.kinds.tables.sampling import (
    LARGE_TABLE_CELLS,
    fit_budget_s,
    is_large,
    probe_seconds,
    sample_parameters,
)

ROWS = 800
FAMILIES = ["gaussian_nb"]  # class_count_ says how many rows the fit saw
#: A threshold every table here is above, and a probe and floor that make the sample small and certain.
TINY = {"LARGE_TABLE_CELLS": 100, "PROBE_ROWS": 100, "PROBE_SECONDS": 1.0, "SEARCH_ROUNDS": 3, "MIN_SEARCH_ROWS": 150}


@pytest.fixture()
def table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A generated table (ROWS rows, an imbalanced binary target with signal) loaded into a namespace as the
    Data agent's load step leaves it, with the ``_report`` outputs collected."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    rng = np.random.default_rng(5)
    x = rng.normal(size=(ROWS, 3))
    frame = pd.DataFrame(x, columns=["a", "b", "c"]).round(4)
    frame["shop"] = rng.choice(["north", "south", "east"], ROWS)
    frame["label"] = np.where(x[:, 0] + 0.5 * rng.normal(size=ROWS) > 1.2, "rare", "common")  # ~15% rare
    frame.to_csv(tmp_path / "table.csv", index=False)
    ns: dict[str, Any] = {"display": display, "__name__": "__main__", "time": time}
    reports: list[dict[str, Any]] = []
    run_cells([*setup_cell(7, {"constraints": []}), *load_cell(str(tmp_path / "table.csv"))], ns)
    ns["_report"] = lambda **results: reports.append(ns["_plain"](results))
    return ns, reports


def prepare(ns: dict[str, Any], **profile: Any) -> None:
    """Profile (with ``profile``'s parameters), read the column types, clean and split as the Data agent does."""
    run_cells([*profile_cell("label", "classification", **profile), *column_types_cell("label"),
               *clean_cell("label", "classification", 6.0), *split_cell("label", "classification", "rare", 0.25)], ns)


def search(ns: dict[str, Any], sample: dict[str, Any] | None) -> None:
    """The search cells over FAMILIES (a short budget), with the sample cell's parameters ``sample``."""
    run_cells(search_cell(families=FAMILIES, defaults=[default_settings(f, ROWS) for f in FAMILIES],
                          objective="accuracy", metric_constraints=[], param_limit=None, bytes_limit=None,
                          tune_threshold=False, time_budget_s=0.05, margin=0.01, patience=2, sample=sample), ns)


def merged(reports: list[dict[str, Any]]) -> dict[str, Any]:
    return {k: v for r in reports for k, v in r.items()}


def test_a_large_table_is_profiled_and_searched_on_a_sample_and_fitted_on_every_row(table: Any) -> None:
    ns, reports = table
    prepare(ns, large_table_cells=100, profile_rows=300)
    profiled = merged(reports)
    assert any("Profiled on a sample of 300 of 800 rows" in s for s in profiled["say"])
    assert sum(profiled["class_counts"].values()) == ROWS  # classes (and missing values) counted over all rows
    assert len(ns["profiled"]) == 300 and ns["profile"]["unique"]["a"] > 300  # plots: the sample; counts: all
    reports.clear()

    search(ns, TINY)
    n_train, y_search = len(ns["X_train"]), ns["y_search"]
    assert ns["N_SEARCH"] == len(ns["X_search"]) == len(y_search) == TINY["MIN_SEARCH_ROWS"] < n_train
    share = np.mean(ns["y_train"] == 1)  # stratified: each class keeps its share of the rows (to a row)
    assert abs(np.sum(y_search == 1) - share * len(y_search)) <= 1
    assert np.array_equal(ns["X_search"].index, np.sort(ns["X_search"].index))  # seeded positions, in order
    assert all(len(kept["oof"]) == len(y_search) for kept in ns["best_out_of_fold"].values())  # what the CV saw
    assert max(np.concatenate(ns["FIRST_FOLDS"])) < len(y_search)
    result = merged(reports)
    assert result["search_rows"] == 150 and result["train_rows"] == n_train
    assert f"sample of 150 of the {n_train:,} training rows" in ns["SAMPLE_NOTE"] and "all" in ns["SAMPLE_NOTE"]
    reports.clear()

    best = result["ranked"][0]
    run_cells(fit_cell(best["params"], best["threshold"], best["cv_metrics"], search_rows=result["search_rows"]), ns)
    assert ns["model"].steps[-1][1].class_count_.sum() == n_train  # the fit saw every training row
    assert merged(reports)["train_rows"] == n_train


def test_below_the_threshold_nothing_is_sampled(table: Any) -> None:
    ns, reports = table
    prepare(ns)  # the agents' threshold: 800 rows of 5 columns is far below it
    profiled = merged(reports)
    assert not any("sample" in s for s in profiled.get("say", [])) and len(ns["profiled"]) == ROWS
    reports.clear()
    search(ns, None)
    assert ns["X_search"].equals(ns["X_train"]) and ns["y_search"] is ns["y_train"] and ns["N_SEARCH"] == ns["N"]
    assert ns["SAMPLE_NOTE"] == "" and "search_rows" not in merged(reports)
    assert all(len(kept["oof"]) == ns["N"] for kept in ns["best_out_of_fold"].values())


def test_the_threshold_and_the_probe_share() -> None:
    assert is_large(200_000, 10) and not is_large(100_000, 10) and LARGE_TABLE_CELLS == 1_000_000
    assert probe_seconds(40.0) == 3.2 and probe_seconds(600.0) == 6.0  # a share of the search, capped
    assert sample_parameters(40.0, threshold=5)["PROBE_SECONDS"] == 3.2
    fresh = TimeBudget(90)  # the fit's seconds: what is left before the reserve, and half the reserve (39.5 s)
    assert fit_budget_s(fresh) == pytest.approx(90 - 39.5 + 39.5 / 2, abs=0.2) and fit_budget_s(TimeBudget(10)) == 5.0



def test_a_fit_that_would_outlast_its_time_trains_on_fewer_rows_and_says_so(table: Any) -> None:
    ns, reports = table
    prepare(ns)
    search(ns, {**TINY, "MIN_SEARCH_ROWS": 50})  # a sample of 50 rows: the fit is timed on 50 (and 200) rows
    reports.clear()
    best = ns["RANKED"][0]
    run_cells(fit_cell(best["params"], best["threshold"], best["cv_metrics"], search_rows=50, fit_budget_s=0.0), ns)
    n_train, result = len(ns["X_train"]), merged(reports)
    assert ns["FIT_ROWS"] == result["train_rows"] == 50 < n_train  # no time: the rows it was timed on, no fewer
    assert ns["model"].steps[-1][1].class_count_.sum() == 50 and ns["model"] is ns["prefit"][1]  # no second fit
    assert "a seeded sample of 50 of them" in result["say"][0] and f"all {n_train:,} rows" in result["say"][0]
    run_cells(fit_cell(best["params"], None, {}, search_rows=50, fit_budget_s=600.0), ns)  # time enough
    assert ns["model"].steps[-1][1].class_count_.sum() == n_train and ns["FIT_NOTE"] == ""
