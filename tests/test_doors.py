"""Every front door reads a data reference the same way and reaches the same Session.

Each door — the CLI, :func:`run`, :class:`TrainerAgent`, ``%%traineragent``, the chat panel's server extension
and the jupyter-ai persona — is given ``synthetic:shapes`` and a CSV named by a relative path (read from the
door's own folder: the working directory, the notebook's folder, the chat's folder). A time budget of 5 s
keeps every run short: the Task agent asks for more time before any code cell runs, after it has read the
request and the data reference into the spec. The spec's data and task type must then be the same whatever
the door; the in-process doors are also seen to go through :meth:`Session.run`.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# pytest-jupyter's fixtures for this module only (as a plugin its autouse fixtures would reach every test)
from pytest_jupyter.jupyter_core import *  # noqa: E402, F403
from pytest_jupyter.jupyter_server import *  # noqa: E402, F403

from trainer_agent_lab import TrainerAgent, run
from trainer_agent_lab.session import Session

from .test_persona import StandInPersona, say
from .test_server_ext import (  # noqa: F401 - jp_server_config is the fixture that enables the extension
    connected_lab,
    get,
    jp_server_config,
    post,
    state_of,
    wait_for,
)

SHAPES = "Classify the shapes in these images with at least 80% accuracy."
TABLE = "Predict the label column with at least 80% accuracy."
CSV = "label,x,y\nA,1,5\nB,2,3\nA,3,9\nB,4,1\nA,5,2\nB,6,7\n"
BUDGET = 5  # below the Task agent's minimum: it stops with a question before any cell runs


@dataclass
class Door:
    """One way in, run from ``root`` (its folder: relative paths are read from there)."""

    root: Path
    request: str
    data: str
    monkeypatch: pytest.MonkeyPatch
    fixture: Callable[[str], Any]

    @property
    def out(self) -> Path:
        return self.root / "run"


def cli(door: Door) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-m", "trainer_agent_lab", "run", door.request, "--data", door.data,
                           "--out", str(door.out), "--time-budget", str(BUDGET), "--quiet"],
                          capture_output=True, text=True, timeout=180, cwd=door.root,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert proc.returncode == 3, proc.stderr
    return json.loads((door.out / "report.json").read_text())


def python_run(door: Door) -> dict[str, Any]:
    door.monkeypatch.chdir(door.root)
    return run(door.request, door.data, out=door.out, time_budget_s=BUDGET).model_dump(mode="json")


def trainer_agent(door: Door) -> dict[str, Any]:
    door.monkeypatch.chdir(door.root)
    with TrainerAgent(door.data, out=door.out, time_budget_s=BUDGET) as agent:
        return agent.ask(door.request).model_dump(mode="json")


def magic(door: Door) -> dict[str, Any]:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "trainer_agent_lab")
    door.monkeypatch.chdir(door.root)
    result = shell.run_cell(f"%%traineragent --data {door.data} --budget {BUDGET} --out {door.out} --no-insert\n"
                            f"{door.request}", store_history=False)
    assert result.success, result.error_in_exec
    return shell.user_ns["TRAINER_AGENT_REPORT"].model_dump(mode="json")


def chat_panel(door: Door) -> dict[str, Any]:
    """The panel's REST route, with a stand-in lab (``FakeLab``) that has the notebook open."""
    loop, fetch, ws_fetch = (door.fixture(n) for n in ("jp_asyncio_loop", "jp_fetch", "jp_ws_fetch"))

    async def talk() -> dict[str, Any]:
        async with connected_lab(ws_fetch, door.root) as lab:
            await lab.open("doors.ipynb")
            started = await post(fetch, "runs", body={"request": door.request, "data": door.data,
                                                       "notebook_path": "doors.ipynb", "time_budget_s": BUDGET})
            run_id = started["run_id"]
            await wait_for(lambda: state_of(lab, run_id) not in (None, "running"), 120, "the run to end")
            return (await get(fetch, "runs", run_id))["report"]

    return loop.run_until_complete(talk())


def persona(door: Door) -> dict[str, Any]:
    """``@TrainerAgent`` in a chat beside ``root``: the data is named in the message itself."""
    door.monkeypatch.setenv("TRAINER_AGENT_TIME_BUDGET", str(BUDGET))
    door.monkeypatch.delenv("TRAINER_AGENT_RUNS_DIR", raising=False)
    door.monkeypatch.delenv("TRAINER_AGENT_LLM", raising=False)
    chat = StandInPersona(door.root)
    try:
        reply = say(chat, f"@TrainerAgent {door.request} The data is {door.data}.")
        assert "**Outcome: needs_input.**" in reply, reply
        return chat.chat_session().reports[-1].model_dump(mode="json")
    finally:
        asyncio.run(chat.close_session())


DOORS = {"cli": cli, "run": python_run, "TrainerAgent": trainer_agent, "magic": magic, "chat_panel": chat_panel,
         "persona": persona}
IN_PROCESS = set(DOORS) - {"cli"}


@pytest.mark.parametrize("kind", ["synthetic:shapes", "csv"])
@pytest.mark.parametrize("name", list(DOORS))
def test_every_door_resolves_the_data_alike_and_reaches_the_session(name, kind, tmp_path, monkeypatch, request):
    root = request.getfixturevalue("jp_root_dir") if name == "chat_panel" else tmp_path / "door"
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / "points.csv").write_text(CSV)
    if kind == "csv":
        text, data, want = TABLE, "data/points.csv", (str((root / "data/points.csv").resolve()), "classification")
    else:
        text, data, want = SHAPES, "synthetic:shapes", ("synthetic:shapes", "image_classification")

    seen: list[str | None] = []
    real = Session.run

    def spy(self: Session, message: str) -> Any:
        found = self.data_for(message)
        seen.append(found.ref if found else None)
        return real(self, message)

    monkeypatch.setattr(Session, "run", spy)
    report = DOORS[name](Door(root, text, data, monkeypatch, request.getfixturevalue))

    assert report["status"] == "needs_input" and report["question"] == "How many seconds may the run take?"
    assert (report["spec"]["data"][0], report["spec"]["task_type"]) == want
    assert report["spec"]["time_budget_s"] == BUDGET
    assert Path(report["paths"]["notebook"]).is_file()
    if name in IN_PROCESS:
        assert seen == [want[0]]
