"""The chat panel's runs on the server, without a browser or a kernel: a run whose notebook no tab has open
pauses at its first operation, which is exactly the state these tests need (one run per notebook, a message
queued while the run works, Stop of a paused run, the conversation kept in the run folder and read back by a
new server, a follow-up to it continued as a new run), and the chat wording of the engine's CLI hints."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest

from trainer_agent_lab.errors import UsageError
from trainer_agent_lab.jupyter_extension.bridge import Bridge
from trainer_agent_lab.jupyter_extension.history import CHAT_FILE
from trainer_agent_lab.jupyter_extension.runs import RunManager
from trainer_agent_lab.jupyter_extension.wording import for_chat


def _manager(root: Path, published: list[dict[str, Any]]) -> RunManager:
    bridge = Bridge(lambda fn, *args: fn(*args))  # no loop: the bridge's callbacks run at once
    manager = RunManager(bridge, root, published.append)
    bridge.on_wait = manager.paused
    return manager


def _wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def notebook(tmp_path: Path) -> Path:
    path = tmp_path / "work" / "iris.ipynb"
    path.parent.mkdir()
    nbformat.write(nbformat.v4.new_notebook(), path)
    return path


def test_a_paused_run_queues_messages_stops_and_is_kept(tmp_path: Path, notebook: Path) -> None:
    published: list[dict[str, Any]] = []
    manager = _manager(tmp_path, published)
    run = manager.start("classify the iris species", "work/iris.ipynb", data="sklearn:iris", time_budget_s=30,
                        engine="local")
    _wait(lambda: run.state == "paused", 30, "the run to pause (no tab has the notebook open)")
    assert run.busy and run.out_dir.parent == notebook.parent / "runs"
    # one run per notebook: a second request for it is refused, with a word
    with pytest.raises(UsageError, match="already working"):
        manager.start("classify the iris species again", "work/iris.ipynb", data="sklearn:iris")
    # a message while the run works is queued, and says so at once (never a hidden new run)
    manager.message(run.run_id, "also serve it at 50 requests per second")
    assert run.queued == ["also serve it at 50 requests per second"]
    assert "Queued" in run.events[-1]["text"] and len(manager.runs) == 1
    # Stop of a paused run ends it quickly, drops the queue, frees the notebook
    began = time.monotonic()
    manager.stop(run.run_id)
    _wait(lambda: not run.busy, 15, "the paused run to stop")
    assert time.monotonic() - began < 10 and run.state == "stopped" and run.queued == []
    texts = [e["text"] for e in run.events]
    assert any("Dropped 1 queued" in t for t in texts) and any("is closed" in t for t in texts)
    assert [e["seq"] for e in published] == list(range(1, len(published) + 1))
    # the conversation is kept in the run folder, one event a line
    kept = [json.loads(line) for line in (run.out_dir / CHAT_FILE).read_text().splitlines()]
    assert [e["seq"] for e in kept] == [e["seq"] for e in run.events]
    # a new server (a restart) lists the notebook's runs and replays the conversation from the folder
    later = _manager(tmp_path, [])
    (summary,) = later.runs_for("work/iris.ipynb")
    assert summary["run_id"] == run.run_id and summary["state"] == "stopped" and not summary["busy"]
    assert summary["request"] == "classify the iris species" and summary["stored"]
    assert [e["text"] for e in later.events_after(run.run_id)] == texts
    assert later.runs_for("work/other.ipynb") == []
    # a message to it goes on as a new run of the notebook, with the request so far, the data and the budget
    kept_before = (run.out_dir / CHAT_FILE).read_text()
    again = later.message(run.run_id, "and now at 95% accuracy")
    assert again.run_id != run.run_id and again.notebook_path == "work/iris.ipynb"
    assert again.out_dir != run.out_dir and again.out_dir.parent == run.out_dir.parent
    assert again.first_request == "classify the iris species. and now at 95% accuracy"
    assert again.data == "sklearn:iris" and again.session.time_budget_s == 30
    assert again.session.engine == run.session.engine == ("local", None)  # and the engine it was asked to use
    said = [(e["kind"], e["text"]) for e in again.events[:2]]
    assert said[0] == ("user", "and now at 95% accuracy") and "kernel ended" in said[1][1]
    _wait(lambda: again.state == "paused", 30, "the new run to pause")
    later.stop(again.run_id)
    _wait(lambda: not again.busy, 15, "the new run to stop")
    assert (run.out_dir / CHAT_FILE).read_text() == kept_before  # the earlier run's folder is left as it was
    # after one more restart both are listed; the new one with its whole request
    requests = [s["request"] for s in _manager(tmp_path, []).runs_for("work/iris.ipynb")]
    assert requests == ["classify the iris species", again.first_request]


def test_stop_ends_a_run_waiting_for_an_answer(tmp_path: Path, notebook: Path) -> None:
    manager = _manager(tmp_path, [])
    run = manager.start("classify the iris species", "work/iris.ipynb", data="sklearn:iris", time_budget_s=30)
    _wait(lambda: run.state == "paused", 30, "the run to pause")
    manager.stop(run.run_id)
    _wait(lambda: not run.busy, 15, "the run to stop")
    run.state = "needs_input"  # as a run that asked a question and waits for the answer
    manager.stop(run.run_id)
    assert run.state == "stopped" and "unanswered" in run.events[-1]["text"]


def test_chat_wording_names_the_panel_fields_not_cli_flags() -> None:
    said = for_chat("The request names no data. Pass --data PATH or a reference such as sklearn:wine.")
    assert "--" not in said and "data field" in said and "sklearn:wine" in said
    assert "--" not in for_chat("Pass --data with an image folder (one sub-folder per class).")
    assert for_chat("accuracy 0.97 -- met") == "accuracy 0.97 -- met"
