"""Bad input through the real command line: the exit code, ``report.json``, the reason on stderr, and the
notebook so far saved on disk.

Each run is a real ``python -m trainer_agent_lab run`` with a real kernel; every case stops before training,
so each takes seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest

EXIT = {"succeeded": 0, "failed": 1, "needs_input": 3, "refused": 3}


def cli(tmp_path: Path, request: str, *args: str, budget: str | None = "60") -> tuple[subprocess.CompletedProcess,
                                                                                       Path]:
    """Run the CLI into ``tmp_path/run``; return the finished process and the run folder."""
    out = tmp_path / "run"
    command = [sys.executable, "-m", "trainer_agent_lab", "run", request, "--out", str(out), "--quiet", *args]
    if budget is not None:
        command += ["--time-budget", budget]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=tmp_path,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    return proc, out


def outcome(proc: subprocess.CompletedProcess, out: Path, status: str) -> tuple[dict[str, Any], Any]:
    """Check what every stopped run leaves; return ``report.json`` and the saved notebook."""
    assert proc.returncode == EXIT[status], proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["status"] == status
    assert report["reason"]
    assert f"status: {status}\n" in proc.stderr
    assert f"reason: {report['reason']}\n" in proc.stderr
    assert f"report: {out / 'report.json'}" in proc.stdout

    notebook = nbformat.read(str(out / "notebook.ipynb"), as_version=4)
    nbformat.validate(notebook)
    assert notebook.cells[0].source.startswith("# TrainerAgent run")
    closing = notebook.cells[-1]
    assert closing.cell_type == "markdown"
    assert closing.source.startswith(f"## Outcome: **{status}**")
    assert report["reason"] in closing.source
    if report["question"]:
        assert f"**Question:** {report['question']}" in closing.source
    return report, notebook


def steps(notebook) -> list[str]:
    """The agents' steps of the code cells in the notebook, in order (a step may write several cells)."""
    return list(dict.fromkeys(c.metadata["trainer_agent"]["step"] for c in notebook.cells if c.cell_type == "code"))


def step_cells(notebook, step: str) -> list:
    """The code cells of one step."""
    return [c for c in notebook.cells if c.cell_type == "code" and c.metadata["trainer_agent"]["step"] == step]


def executed_ok(cell) -> bool:
    return cell.execution_count is not None and not any(o.output_type == "error" for o in cell.outputs)


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# ------------------------------------------------------------------------------------------ unusable data
def assert_load_cell_failed(report: dict[str, Any], notebook, ename: str) -> None:
    """The set-up cell ran; the load cell ran and holds the error; nothing after it ran."""
    assert steps(notebook) == ["setup", "load"]
    assert all(executed_ok(c) for c in step_cells(notebook, "setup"))
    load = [c for c in step_cells(notebook, "load") if c.execution_count is not None][-1]
    error = load.outputs[-1]
    assert error.output_type == "error" and error.ename == ename
    assert report["error"]["ename"] == ename  # which cell failed and how travels in report.json too
    assert report["error"]["source"] == load.source
    assert [p["done"] for p in report["plan"] if p["step"] in ("load", "profile")] == [False, False]


def test_missing_file(tmp_path):
    proc, out = cli(tmp_path, "predict the churned column", "--data", "/nonexistent/x.csv")
    report, notebook = outcome(proc, out, "failed")
    assert "/nonexistent/x.csv" in report["reason"]
    assert "Check the path given with --data" in report["reason"]
    assert_load_cell_failed(report, notebook, "FileNotFoundError")


def test_empty_file(tmp_path):
    data = write(tmp_path / "empty.csv", "")
    proc, out = cli(tmp_path, "predict the churned column", "--data", str(data))
    report, notebook = outcome(proc, out, "failed")
    assert "is empty (0 bytes)" in report["reason"]
    assert "pass a file with a header and rows" in report["reason"]
    assert_load_cell_failed(report, notebook, "TableFileError")


@pytest.mark.parametrize("content", [
    bytes(range(256)) * 8,  # binary garbage: not text at all
    b'churned,age,plan\nyes,30,a\nno,40,b,extra,fields\n"yes,50,a\n',  # ragged rows, an unclosed quote
], ids=["binary", "ragged"])
def test_unparseable_file(tmp_path, content):
    data = tmp_path / "broken.csv"
    data.write_bytes(content)
    proc, out = cli(tmp_path, "predict the churned column", "--data", str(data))
    report, notebook = outcome(proc, out, "failed")
    assert "Could not parse broken.csv" in report["reason"]
    assert "Check the delimiter and quoting, or export it as CSV/Parquet" in report["reason"]
    assert_load_cell_failed(report, notebook, "TableFileError")


# --------------------------------------------------------------------------------------- which target
CHURN = "churned,age,plan\nyes,30,basic\nno,41,pro\nyes,52,basic\nno,23,team\nno,35,pro\nyes,47,basic\n"


def assert_stopped_after_load(notebook) -> None:
    assert steps(notebook) == ["setup", "load"]
    assert all(executed_ok(c) for c in notebook.cells if c.cell_type == "code")


def test_target_column_missing_suggests_the_closest_name(tmp_path):
    data = write(tmp_path / "churn.csv", CHURN)
    proc, out = cli(tmp_path, "predict the churn column", "--data", str(data))
    report, notebook = outcome(proc, out, "needs_input")
    assert "The target column 'churn' is not in the data" in report["reason"]
    assert "Closest column names: churned." in report["reason"]
    assert "'predict the churned column'" in report["reason"]
    assert report["question"] == "Which column is the target?"
    assert report["options"] == ["churned"]
    assert "Options: `churned`" in notebook.cells[-1].source
    assert_stopped_after_load(notebook)


def test_ambiguous_target_lists_every_match(tmp_path):
    data = write(tmp_path / "prices.csv", "Price,price,area\n10,11,50\n20,19,70\n30,33,90\n")
    proc, out = cli(tmp_path, "predict the PRICE column", "--data", str(data))
    report, notebook = outcome(proc, out, "needs_input")
    assert "The target 'PRICE' matches several columns: Price, price." in report["reason"]
    assert "'predict the Price column'" in report["reason"]
    assert report["question"] == "Which column is the target?"
    assert report["options"] == ["Price", "price"]
    assert_stopped_after_load(notebook)


def test_no_target_named_and_none_obvious_asks(tmp_path):
    data = write(tmp_path / "table.csv", "a,b,c\n1,2,x\n4,5,y\n7,8,x\n")
    proc, out = cli(tmp_path, "train a classifier", "--data", str(data))
    report, notebook = outcome(proc, out, "needs_input")
    assert "does not say which column to predict" in report["reason"]
    assert "'predict the c column'" in report["reason"] and "--yes" in report["reason"]
    assert report["question"] == "Which column is the target?"
    assert report["options"] == ["c", "b", "a"]  # the most target-like first: text labels, then later columns
    assert_stopped_after_load(notebook)


def test_no_data_named_asks_for_it(tmp_path):
    proc, out = cli(tmp_path, "predict the churned column")
    report, notebook = outcome(proc, out, "needs_input")
    assert "names no data" in report["reason"] and "--data" in report["reason"]
    assert report["question"] == "Which data should the model learn from?"
    assert steps(notebook) == []


# ------------------------------------------------------------------------------------- unusable target
def test_single_class_target(tmp_path):
    data = write(tmp_path / "one.csv", "label,x,y\nA,1,5\nA,2,3\nA,3,9\nA,4,1\nA,5,2\n")
    proc, out = cli(tmp_path, "predict the label column", "--data", str(data))
    report, notebook = outcome(proc, out, "failed")
    assert "'label' has a single class (A)" in report["reason"]
    assert "add rows of the other classes" in report["reason"]
    assert steps(notebook) == ["setup", "load", "profile", "column_types", "clean"]
    assert all(executed_ok(c) for c in notebook.cells if c.cell_type == "code")


def test_regression_on_a_text_target(tmp_path):
    data = write(tmp_path / "colours.csv", "colour,x,y\nred,1,5\nblue,2,3\ngreen,3,9\nred,4,1\nblue,5,2\n")
    proc, out = cli(tmp_path, "Fit a regression model for the colour column with R2 of at least 0.5",
                    "--data", str(data))
    report, notebook = outcome(proc, out, "failed")
    assert "Regression was asked for, but the target 'colour' is not numeric" in report["reason"]
    assert "Pick a numeric target, or ask for a classifier" in report["reason"]
    assert report["spec"]["target"] == "colour"
    assert_stopped_after_load(notebook)


# ------------------------------------------------------------------------------------------ the budget
def test_time_budget_too_small(tmp_path):
    data = write(tmp_path / "churn.csv", CHURN)
    proc, out = cli(tmp_path, "predict the churned column", "--data", str(data), budget="5")
    report, notebook = outcome(proc, out, "needs_input")
    assert "A time budget of 5 s is too small" in report["reason"]
    assert "at least 20 s" in report["reason"]
    assert "Re-run with --time-budget 60 or more" in report["reason"]
    assert report["question"] == "How many seconds may the run take?"
    assert report["options"] == ["60", "120", "300"]
    assert steps(notebook) == []  # refused before spending any compute


# ------------------------------------------------------------------------------------------ usage errors
@pytest.mark.parametrize(("request_text", "args", "message"), [
    ("", [], "the request is empty; say what model you need"),
    ("   ", [], "the request is empty; say what model you need"),
    ("predict the churned column", ["--time-budget", "-1"], "--time-budget must be a positive number of seconds"),
    ("predict the churned column", ["--time-budget", "0"], "--time-budget must be a positive number of seconds"),
    ("predict the churned column", ["--time-budget", "nan"], "--time-budget must be a positive number of seconds"),
    ("predict the churned column", ["--time-budget", "soon"], "argument --time-budget: invalid float value"),
], ids=["empty", "blank", "negative-budget", "zero-budget", "nan-budget", "text-budget"])
def test_usage_errors(tmp_path, request_text, args, message):
    proc, out = cli(tmp_path, request_text, "--data", "sklearn:wine", *args, budget=None)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()  # nothing was started
