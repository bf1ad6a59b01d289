"""The bad inputs of issue 14's "unclear messages" list, through the Task and Data agents' real cells (the corpus
harness's data phases, in one in-process shell): each ends with a status and one paragraph that says what to do,
within seconds. (Colliding names, a quoted newline in the header and a one-column file are in test_load_files.py;
a kernel killed by a signal in test_run_answers.py.)"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def corpus():
    """``benchmarks/corpus.py`` as a module (its ``data_phases`` runs a table's data phases in a shell)."""
    spec = importlib.util.spec_from_file_location("corpus", ROOT / "benchmarks" / "corpus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["corpus"] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def run(corpus, tmp_path: Path, frame: pd.DataFrame, target: str):
    path = tmp_path / "table.csv"
    frame.to_csv(path, index=False)
    table = corpus.Table("bad", "input", len(frame), frame.shape[1], path=str(path), target=target,
                         task="classification")
    return corpus.data_phases(table, corpus.shell(), tmp_path / "runs")


def test_an_all_empty_target_says_so_in_one_paragraph(corpus, tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=60), "y": rng.normal(size=60), "target": [np.nan] * 60})
    outcome = run(corpus, tmp_path, frame, "target")
    assert outcome.status == "failed" and not outcome.crash
    assert outcome.reason.startswith("The target column 'target' has no values: all 60 rows are empty")
    assert "Fill in the target column" in outcome.reason and "Traceback" not in outcome.reason
    assert "plotly" not in outcome.reason.lower() and outcome.wall_s < 30


def test_infinite_values_do_not_stop_the_data_phases(corpus, tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(size=80)
    frame = pd.DataFrame({"x": x, "y": rng.normal(size=80), "target": np.where(x > 0, "p", "q")})
    frame.loc[3, "x"], frame.loc[7, "y"] = np.inf, -np.inf
    outcome = run(corpus, tmp_path, frame, "target")
    assert outcome.status == "succeeded" and not outcome.crash, outcome.reason
    notebook = (tmp_path / "runs" / "bad__input" / "notebook.ipynb").read_text()
    assert "infinite" in notebook  # the column types step names the columns whose infinite values it cleared


def test_a_table_with_no_input_column_left_says_which_were_dropped_and_why(corpus, tmp_path):
    """Every column but the target is an identifier (R's row numbers, a name in every row): no model can be
    trained, and the reason names the columns and why each went, instead of a scikit-learn error on 0 features."""
    frame = pd.DataFrame({"rownames": range(1, 91), "country": [f"Country {i}" for i in range(90)],
                          "iso_num": np.arange(90) * 7 % 83})
    outcome = run(corpus, tmp_path, frame, "iso_num")
    assert outcome.status == "failed" and not outcome.crash, outcome.reason
    assert outcome.reason.startswith("No input column is left to predict 'iso_num' from (")
    assert "country: an identifier" in outcome.reason and "rownames" in outcome.reason
    assert "Add columns that describe each row" in outcome.reason and "Traceback" not in outcome.reason
