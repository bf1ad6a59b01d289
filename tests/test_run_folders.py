"""Every run writes into a folder of its own, never over a file it did not create, and reports only files it wrote.

The rule, the same in every door (``session.py``'s docstring, README, ``docs/front-doors.md``): without a run
folder named, a fresh one is made (``runs/<time>``, ``-2``... when taken; the chat panel's ``runs/<notebook
stem>-<time>`` beside the notebook); a named folder must be new or empty, else the run is refused before anything
is written (CLI exit 2). The runs here stop before any code cell runs (a 5 s time budget: the Task agent asks for
more time), so no kernel is needed except where the CLI starts its own process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

# pytest-jupyter's fixtures for this module only (as a plugin its autouse fixtures would reach every test)
from pytest_jupyter.jupyter_core import *  # noqa: E402, F403
from pytest_jupyter.jupyter_server import *  # noqa: E402, F403

from trainer_agent_lab import TrainerAgent, run
from trainer_agent_lab.cells.render import render, run_cells
from trainer_agent_lab.errors import UsageError
from trainer_agent_lab.orchestrator import Orchestrator
from trainer_agent_lab.session import Session, check_run_folder, new_run_folder

from .markdown_driver import MarkdownOnlyDriver
from .test_server_ext import (  # noqa: F401 - jp_server_config is the fixture that enables the extension
    connected_lab,
    get,
    jp_server_config,
    post,
    state_of,
    wait_for,
)

REQUEST = "Classify the wine data with at least 90% accuracy."
BUDGET = 5  # below the Task agent's minimum: it stops with a question before any code cell runs


def _users_folder(tmp_path: Path) -> tuple[Path, bytes]:
    """A folder holding the person's own notebook (and nothing of ours)."""
    folder = tmp_path / "mywork"
    folder.mkdir()
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("answer = 42  # my own work")])
    nbformat.write(notebook, str(folder / "notebook.ipynb"))
    return folder, (folder / "notebook.ipynb").read_bytes()


def test_the_cli_refuses_out_on_a_folder_holding_the_users_notebook(tmp_path):
    folder, before = _users_folder(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "trainer_agent_lab", "run", REQUEST, "--data", "sklearn:wine",
                           "--out", str(folder), "--time-budget", str(BUDGET), "--quiet"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert proc.returncode == 2, proc.stderr
    assert "already holds files (notebook.ipynb)" in proc.stderr and "new or empty folder" in proc.stderr
    assert "Traceback" not in proc.stderr and "bundle:" not in proc.stdout
    assert sorted(p.name for p in folder.iterdir()) == ["notebook.ipynb"]
    assert (folder / "notebook.ipynb").read_bytes() == before


def test_every_python_door_refuses_a_folder_that_holds_anything(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder, before = _users_folder(tmp_path)
    earlier = tmp_path / "earlier-run"  # an earlier run of ours is not this run's to overwrite either
    earlier.mkdir()
    (earlier / "report.json").write_text('{"status": "succeeded"}')
    for out in (folder, earlier):
        with pytest.raises(UsageError, match="already holds files"):
            run(REQUEST, "sklearn:wine", out=out, time_budget_s=BUDGET)
        with pytest.raises(UsageError, match="already holds files"):
            TrainerAgent("sklearn:wine", out=out, time_budget_s=BUDGET)
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(UsageError, match="is a file, not a folder"):
        Session(out=tmp_path / "a-file")
    assert (folder / "notebook.ipynb").read_bytes() == before
    assert (earlier / "report.json").read_text() == '{"status": "succeeded"}'
    # a folder that fills up between the session being made and started is refused at the start too
    late = tmp_path / "late"
    session = Session(out=late, data="sklearn:wine", driver=MarkdownOnlyDriver)
    late.mkdir()
    (late / "mine.csv").write_text("a\n1\n")
    with pytest.raises(UsageError, match=r"already holds files \(mine.csv\)"):
        session.start()
    # an empty folder, or one not there yet, is the run's own
    (tmp_path / "empty").mkdir()
    assert check_run_folder(tmp_path / "empty") == (tmp_path / "empty").resolve()
    assert check_run_folder("new/deeper") == (tmp_path / "new/deeper").resolve()


def test_the_magic_refuses_out_on_a_folder_that_holds_anything(tmp_path, monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    folder, before = _users_folder(tmp_path)
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "trainer_agent_lab")
    monkeypatch.chdir(tmp_path)
    shell.user_ns.pop("TRAINER_AGENT_REPORT", None)
    result = shell.run_cell(f"%%traineragent --data sklearn:wine --budget {BUDGET} --out {folder} --no-insert\n"
                            f"{REQUEST}", store_history=False)
    assert not result.success and "already holds files" in str(result.error_in_exec)
    assert "TRAINER_AGENT_REPORT" not in shell.user_ns
    assert (folder / "notebook.ipynb").read_bytes() == before and len(list(folder.iterdir())) == 1


def test_sessions_without_a_folder_each_get_a_fresh_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sessions = [Session(data="sklearn:wine", time_budget_s=BUDGET, driver=MarkdownOnlyDriver) for _ in range(3)]
    reports = [s.run(REQUEST) for s in sessions]  # the same second, most likely: -2, -3 keep them apart
    assert [r.status for r in reports] == ["needs_input"] * 3
    folders = [s.out for s in sessions]
    assert len(set(folders)) == 3 and all(f.parent == tmp_path / "runs" for f in folders)
    for session, report in zip(sessions, reports, strict=True):
        assert Path(report.paths["notebook"]) == session.out / "notebook.ipynb"
        assert json.loads((session.out / "report.json").read_text())["status"] == "needs_input"
    assert new_run_folder(tmp_path / "runs", "x") != new_run_folder(tmp_path / "runs", "x")


def test_two_sessions_for_two_notebooks_in_one_folder_share_no_file(tmp_path):
    notebooks = tmp_path / "project"
    notebooks.mkdir()
    sessions = []
    for name in ("a.ipynb", "b.ipynb"):
        out = new_run_folder(notebooks / "runs", Path(name).stem)
        session = Session(data="sklearn:wine", out=out, notebook=notebooks / name, base=notebooks,
                          time_budget_s=BUDGET, driver=MarkdownOnlyDriver)
        assert session.run(REQUEST).status == "needs_input"
        sessions.append(session)
    a, b = sessions
    assert a.out != b.out and a.notebook.parent == b.notebook.parent == notebooks
    assert sorted(p.name for p in notebooks.iterdir()) == ["a.ipynb", "b.ipynb", "runs"]
    assert {p.name for p in a.out.iterdir()} == {p.name for p in b.out.iterdir()} == {"report.json", "spec.json"}
    assert Path(a.report.paths["spec"]).parent == a.out and Path(b.report.paths["spec"]).parent == b.out


def test_a_run_into_a_folder_holding_an_old_bundle_does_not_report_it(tmp_path):
    """The orchestrator, given a folder that an older run left (doors refuse it; the report must not lie anyway):
    a refused and a needs-input run name neither the old bundle nor a spec.json they did not write."""
    out = tmp_path / "old-run"
    (out / "bundle").mkdir(parents=True)
    (out / "bundle" / "model.onnx").write_bytes(b"old model")
    (out / "bundle.zip").write_bytes(b"PK old")
    for request, status in [(REQUEST, "needs_input"),
                            ("Build a model that predicts the winning lottery numbers with 99% accuracy.", "refused")]:
        (out / "spec.json").unlink(missing_ok=True)
        report = Orchestrator(MarkdownOnlyDriver(out / "notebook.ipynb"), out).run(
            request, data="sklearn:wine", time_budget_s=BUDGET)
        assert report.status == status, report.reason
        assert "bundle" not in report.paths and "bundle_zip" not in report.paths
        written = json.loads((out / "report.json").read_text())["paths"]
        assert "bundle_zip" not in written and "bundle" not in written
        nb = nbformat.read(str(out / "notebook.ipynb"), 4)
        assert not any("The deployment bundle is in" in c.source for c in nb.cells)
    (out / "spec.json").write_text("{}")  # not this run's: a request it could not read writes none

    def cannot_read(text, data=None, time_budget_s=None):
        raise UsageError("unreadable")

    report = Orchestrator(MarkdownOnlyDriver(out / "notebook.ipynb"), out, parse=cannot_read).run(REQUEST)
    assert report.status == "failed" and "spec" not in report.paths and "bundle" not in report.paths


def test_the_run_folder_cells_move_the_kernel_there_and_back(tmp_path, monkeypatch):
    """Where the notebook is the person's own (the chat panel), the run's first cell works in the run folder
    (named relative to the notebook's folder, so the notebook re-runs anywhere), the last goes back."""
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    run_cells(render("cells/run_folder", RUN_FOLDER="runs/nb-20260101-000000"), ns)
    assert Path.cwd() == tmp_path / "runs/nb-20260101-000000" and ns["NOTEBOOK_FOLDER"] == str(tmp_path)
    Path("bundle").mkdir()  # what a later cell writes lands in the run folder
    run_cells(render("cells/run_folder_leave"), ns)
    assert Path.cwd() == tmp_path and not (tmp_path / "bundle").exists()
    run_cells(render("cells/run_folder_again"), ns)  # a follow-up turn
    assert Path.cwd() == tmp_path / "runs/nb-20260101-000000"
    run_cells(render("cells/run_folder_leave"), ns)
    assert Path.cwd() == tmp_path


# -- the chat panel: two notebooks in one folder ------------------------------------------------------------
async def _open_without_kernel(lab, path: str) -> None:
    """The stand-in lab has the notebook open; these runs stop before a code cell, so it needs no kernel."""
    lab.notebooks[path] = nbformat.v4.new_notebook()
    lab.open_paths.add(path)
    await lab._send({"type": "notebooks", "notebooks": sorted(lab.open_paths)})


def test_two_notebooks_in_one_folder_get_run_folders_of_their_own(jp_asyncio_loop, jp_fetch, jp_ws_fetch,
                                                                 jp_root_dir):
    root = Path(jp_root_dir)
    (root / "work").mkdir()

    async def talk() -> list[dict]:
        async with connected_lab(jp_ws_fetch, root) as lab:
            for path in ("work/a.ipynb", "work/b.ipynb"):
                await _open_without_kernel(lab, path)
            ids = [(await post(jp_fetch, "runs", body={"request": REQUEST, "data": "sklearn:wine",
                                                        "notebook_path": path, "time_budget_s": BUDGET}))["run_id"]
                   for path in ("work/a.ipynb", "work/b.ipynb")]  # both at once: no "already working" refusal
            for run_id in ids:
                await wait_for(lambda run_id=run_id: state_of(lab, run_id) not in (None, "running"), 60, "the run")
            return [await get(jp_fetch, "runs", run_id) for run_id in ids]

    a, b = jp_asyncio_loop.run_until_complete(talk())
    assert a["state"] == b["state"] == "needs_input"
    folders = [Path(s["run_folder"]) for s in (a, b)]
    assert folders[0] != folders[1] and all(f.parent == root / "work" / "runs" for f in folders)
    assert folders[0].name.startswith("a-") and folders[1].name.startswith("b-")
    for state, folder in zip((a, b), folders, strict=True):
        assert Path(state["report"]["paths"]["notebook"]) == root / state["notebook_path"]
        assert Path(state["report"]["paths"]["spec"]).parent == folder and (folder / "report.json").is_file()
    # beside the notebooks: the notebooks and the runs folder, nothing of the runs' own
    assert sorted(p.name for p in (root / "work").iterdir()) == ["a.ipynb", "b.ipynb", "runs"]
