"""A search always finishes at least one model: when its seconds run out before any trial finished (a data phase
that overran left it only its floor), the families' default settings are cross-validated in turn, past the deadline,
until one finishes, and the cell says so; when none can be, the reason names each family's own error."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from IPython.display import display
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge

from trainer_agent_lab.cells.data import setup_cell
from trainer_agent_lab.cells.render import run_cells
from trainer_agent_lab.kinds.tables.data_cells import column_types_cell, load_cell, split_cell
from trainer_agent_lab.kinds.tables.model_agent import default_settings
from trainer_agent_lab.kinds.tables.model_cells import search_cell

FAMILIES = ["logistic_regression", "decision_tree"]


@pytest.fixture()
def split_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A 120-row table split for classification by the real cells, in a notebook folder of its own."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))  # the load and column types steps import the files they write
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=120), "b": rng.normal(size=120)})
    frame["label"] = np.where(frame["a"] + rng.normal(0, 0.5, 120) > 0, "yes", "no")
    frame.to_csv("data.csv", index=False)
    ns: dict[str, Any] = {"display": display, "__name__": "__main__", "time": time}
    run_cells([*setup_cell(0, {"constraints": []}), *load_cell("data.csv")], ns)
    ns["_report"] = lambda **results: ns.setdefault("reports", []).append(results)
    run_cells([*column_types_cell("label"), *split_cell("label", "classification", "yes", 0.25)], ns)
    ns.update(HistGradientBoostingClassifier=HistGradientBoostingClassifier, LogisticRegression=LogisticRegression,
              HistGradientBoostingRegressor=HistGradientBoostingRegressor, Ridge=Ridge)  # the feasibility cell's
    return ns


def search(ns: dict[str, Any], seconds: float) -> dict[str, Any]:
    defaults = [default_settings(f, 90) for f in FAMILIES]
    run_cells(search_cell(families=FAMILIES, defaults=defaults, objective="accuracy", metric_constraints=[],
                          param_limit=None, bytes_limit=None, tune_threshold=False, time_budget_s=seconds,
                          margin=0.01, patience=2), ns)
    return next(r for r in reversed(ns["reports"]) if "trials" in r)


def test_a_search_with_no_time_left_still_finishes_one_model(split_table, capsys) -> None:
    report = search(split_table, 0.0)  # optuna starts no trial at all once its timeout has passed
    assert report["trials"] == 1 and report["best_family"] == FAMILIES[0]
    assert "was cross-validated past it" in capsys.readouterr().out
