"""Every run ends with an answer a user can act on, within its budget: a failed cell becomes one paragraph (the
traceback stays in the notebook and the error), a dead kernel says how it died, and the tabular feasibility check
on wide data keeps to its seconds."""

from __future__ import annotations

import json
import sys
import time

import nbformat
import numpy as np
import pandas as pd
import pytest

from trainer_agent_lab.agents.base import RunMemory
from trainer_agent_lab.agents.task import TaskAgent
from trainer_agent_lab.errors import CellExecutionFailed, DataError, KernelDied
from trainer_agent_lab.notebook.driver import kernel_death
from trainer_agent_lab.notebook.results import failure_reason, paragraph
from trainer_agent_lab.spec import TaskSpec

#: A cell failing as scikit-learn does when every fit of a cross-validation fails: its message quotes the
#: fits' tracebacks.
ALL_FITS_FAIL = """# Probe with sparse input a dense-only estimator refuses
import numpy as np
from scipy import sparse
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import cross_val_score

X = sparse.random(60, 4, density=0.5, format="csr", random_state=0)
y = np.arange(60) % 2
cross_val_score(HistGradientBoostingClassifier(max_iter=5), X, y, cv=3)
"""


def one_paragraph(text: str) -> None:
    assert "\n" not in text and "Traceback" not in text and 'File "' not in text
    assert len(text) < 900, text


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    """A Task agent on one headless kernel for the whole module (the last test kills it)."""
    from trainer_agent_lab.notebook.headless import HeadlessDriver

    driver = HeadlessDriver(tmp_path_factory.mktemp("answers") / "nb.ipynb")
    try:
        yield TaskAgent(driver, RunMemory(spec=TaskSpec(request="test")), lambda event: None)
    finally:
        driver.close()


def test_a_cell_no_repair_fixes_fails_with_one_paragraph_and_keeps_the_traceback(agent):
    with pytest.raises(CellExecutionFailed) as err:
        agent.run("feasibility", ALL_FITS_FAIL)
    reason = str(err.value)
    one_paragraph(reason)
    assert reason.startswith("The feasibility cell failed: ValueError: All the 3 fits failed")
    assert "Sparse data was passed" in reason  # the cause the quoted tracebacks end with
    assert "--time-budget" in reason and "report.json" in reason  # what to do, and where the details are
    error = err.value.error
    assert "Traceback" in error["evalue"] and "cross_val_score" in error["traceback"]  # the full story is kept
    assert f"cell {error['cell']} of the notebook" in reason
    saved = nbformat.read(agent.driver.path, as_version=4)
    assert saved.cells[error["cell"] - 1].outputs[-1]["output_type"] == "error"


def test_long_value_lists_and_wrapped_data_errors_stay_short(agent):
    with pytest.raises(CellExecutionFailed) as err:
        agent.run("split", "# Split\nraise ValueError('Classes with fewer than 2 rows cannot be split: ' "
                           "+ repr([f'class {i}' for i in range(500)]))")
    reason = str(err.value)
    one_paragraph(reason)
    assert "cannot be split" in reason and "(500 in all)" in reason and "class 499" not in reason
    assert "check the columns and values" in reason  # a data step's advice
    wrapped = DataError(f"Could not load the data 'x.csv': {err.value.error['evalue']}\n{err.value.error['traceback']}")
    one_paragraph(paragraph(str(wrapped)))
    assert paragraph(str(wrapped)).startswith("Could not load the data 'x.csv': Classes with fewer")


def test_a_message_that_says_what_to_do_gets_no_generic_advice():
    error = {"ename": "FileNotFoundError", "evalue": "Data not found: x.csv. Check the path given with --data.",
             "traceback": "Traceback (most recent call last):\n...", "source": ""}
    reason = failure_reason("load", error)
    assert reason == ("The load cell failed: FileNotFoundError: Data not found: x.csv. Check the path given with "
                      "--data. The full traceback is in the notebook and in report.json (error).")


def test_a_kernel_killed_by_sigkill_says_so(agent):
    agent.driver.add_code("kept = 1")
    with pytest.raises(KernelDied) as err:
        agent.driver.add_code("import os\nimport signal\nos.kill(os.getpid(), signal.SIGKILL)")
    text = str(err.value)
    assert err.value.exit_code == -9 and err.value.signal == 9
    assert "killed (signal 9, SIGKILL: often the out-of-memory killer, or a stop from outside)" in text
    assert "probably" not in text and "\n" not in text


def test_other_deaths_are_told_apart():
    assert "exited with code 1" in kernel_death(1)[0]
    assert "SIGSEGV" in kernel_death(-11)[0] and "compiled library" in kernel_death(-11)[0]
    assert "SIGTERM" in kernel_death(-15)[0]
    assert "out-of-memory killer stopped it" in kernel_death(-9, oom_killed=True)[0]
    assert "exit status is unknown" in kernel_death(None)[0]


def test_an_internal_error_still_ends_the_run_with_a_report(tmp_path):
    from trainer_agent_lab.notebook.headless import HeadlessDriver
    from trainer_agent_lab.orchestrator import Orchestrator

    def broken_parser(*args, **kwargs):
        raise KeyError("spec_field")

    driver = HeadlessDriver(tmp_path / "notebook.ipynb", start_now=False)
    try:
        report = Orchestrator(driver, tmp_path, parse=broken_parser).run("predict y", data="x.csv")
    finally:
        driver.close()
    saved = json.loads((tmp_path / "report.json").read_text())
    assert report.status == saved["status"] == "failed"
    assert "internal error of trainer_agent_lab (KeyError: 'spec_field')" in saved["reason"]
    assert saved["error"]["internal"] is True and "broken_parser" in saved["error"]["traceback"]


# ------------------------------------------------------------------------ feasibility on wide data, no kernel
def test_the_feasibility_check_on_wide_data_keeps_to_its_seconds(tmp_path, monkeypatch):
    from IPython.display import display

    from trainer_agent_lab.cells.data import setup_cell
    from trainer_agent_lab.cells.render import run_cells
    from trainer_agent_lab.kinds.tables.data_cells import load_cell, split_cell
    from trainer_agent_lab.kinds.tables.model_cells import feasibility_cell

    rng = np.random.default_rng(3)
    x = rng.normal(size=(120, 1200)).round(3)
    frame = pd.DataFrame(x, columns=[f"c{i}" for i in range(x.shape[1])])
    frame["outcome"] = np.where(x[:, 7] - x[:, 1100] > 0, "yes", "no")
    frame.to_csv(tmp_path / "wide.csv", index=False)
    monkeypatch.chdir(tmp_path)  # the notebook's folder: the load step writes table_files.py there and imports it
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "table_files", raising=False)
    ns, reports = {"display": display, "__name__": "__main__"}, []
    run_cells([*setup_cell(3, {"constraints": []}), *load_cell("wide.csv")], ns)
    ns["_report"] = lambda **results: reports.append(ns["_plain"](results))
    run_cells(split_cell("outcome", "classification", "yes", 0.25), ns)
    seconds, before = 4.0, len(reports)
    began = time.perf_counter()
    run_cells(feasibility_cell([{"name": "accuracy", "op": ">=", "value": 0.7}], seconds), ns)
    took = time.perf_counter() - began
    result = {k: v for report in reports[before:] for k, v in report.items()}
    assert result["no_signal"] is False and result["gates"][0]["reachable"] is True
    assert result["probe_features"] == 200
    assert "1,200 features after encoding" in result["say"][0] and "200 most associated" in result["say"][0]
    # how long it took is a benchmark's business (this machine is shared); that the cell counts its own time is not
    assert 0 < result["seconds"] <= took + 0.005  # the cell reports its seconds rounded to 0.01
