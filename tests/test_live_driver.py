"""Faults of the live driver, through the server extension and real kernels (the frontend is ``FakeLab``).

* the kernel dies mid-cell: the chat says so and offers to restart and resume; resuming re-runs the earlier
  cells, then the failed step, and the run goes on;
* the notebook is closed mid-run: the run pauses with nothing lost, and goes on when it is opened again;
* two notebooks run tasks at the same time, each in its own kernel, the cells never crossing.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest

# pytest-jupyter's fixtures for this module only (as a plugin its autouse fixtures would reach every test)
from pytest_jupyter.jupyter_core import *  # noqa: E402, F403
from pytest_jupyter.jupyter_server import *  # noqa: E402, F403

from .test_server_ext import (  # noqa: F401 - jp_server_config is the fixture that enables the extension
    PREFIX,
    FakeLab,
    connected_lab,
    get,
    jp_server_config,
    kinds,
    post,
    state_of,
    step_done,
    wait_for,
)

WINE = {"request": "classify the wine data with at least 90% accuracy", "data": "sklearn:wine", "time_budget_s": 60}


def step_of(op: dict[str, Any]) -> str | None:
    return (op.get("metadata") or {}).get("trainer_agent", {}).get("step")


async def hello_from_another_tab(jp_ws_fetch: Any) -> dict[str, str]:
    """A second tab with no notebook open says hello; the state of every run, as its welcome gives them."""
    ws = await jp_ws_fetch(PREFIX, "ws")
    try:
        await ws.write_message(json.dumps({"type": "hello", "client_id": "tab-2", "notebooks": [], "resume": {}}))
        while True:
            message = json.loads(await ws.read_message())
            if message["type"] == "welcome":
                return {run["run_id"]: run["state"] for run in message["runs"]}
    finally:
        ws.close()


@pytest.mark.slow
def test_kernel_dies_mid_cell_then_restart_and_resume(jp_asyncio_loop, jp_fetch, jp_ws_fetch, jp_root_dir):
    jp_asyncio_loop.run_until_complete(
        _kernel_dies_mid_cell_then_restart_and_resume(jp_fetch, jp_ws_fetch, jp_root_dir))


async def _kernel_dies_mid_cell_then_restart_and_resume(jp_fetch, jp_ws_fetch, jp_root_dir):
    async with connected_lab(jp_ws_fetch, jp_root_dir) as lab:
        killed: list[str] = []

        async def kill_during_profile(fake: FakeLab, op: dict[str, Any], cell: Any) -> None:
            if step_of(op) == "profile" and not killed:
                killed.append(op["cell_id"])
                km, kc = fake.kernels[op["notebook_path"]]
                running = asyncio.Event()
                read = kc.get_iopub_msg

                async def watch(*args: Any, **kwargs: Any) -> dict[str, Any]:
                    msg = await read(*args, **kwargs)
                    if msg["msg_type"] == "execute_input" and msg["content"].get("code") == cell.source:
                        running.set()  # the kernel announces a cell as it starts running it
                    return msg

                kc.get_iopub_msg = watch  # the lab reads the kernel's messages through it

                async def kill_once_running() -> None:
                    await asyncio.wait_for(running.wait(), timeout=120)
                    del kc.get_iopub_msg
                    await km.signal_kernel(signal.SIGKILL)

                asyncio.ensure_future(kill_once_running())

        lab.before_execute = kill_during_profile
        await lab.open("k.ipynb")
        run_id = (await post(jp_fetch, "runs", body={**WINE, "notebook_path": "k.ipynb"}))["run_id"]
        await wait_for(lambda: state_of(lab, run_id) == "waiting_kernel", 180, "the kernel-died question")
        question = kinds(lab, run_id, "state")[-1]
        assert "kernel died" in question["text"] and "profile" in question["text"]
        assert question["data"]["options"] == ["resume", "stop"]
        assert (await get(jp_fetch, "runs", run_id))["state"] == "waiting_kernel"
        executed_before = [op["cell_id"] for op in lab.ops if op["op"] == "execute"]

        await post(jp_fetch, "runs", run_id, "kernel", body={"action": "resume"})
        await wait_for(lambda: step_done(lab, run_id, "profile"), 180, "the profile step after the restart")
        assert any(op["op"] == "restart" for op in lab.ops)
        # the cells before the failed one ran again in the new kernel (their state rebuilt), then the failed one
        executed_after = [op["cell_id"] for op in lab.ops if op["op"] == "execute"][len(executed_before):]
        earlier = [c for c in executed_before if c != killed[0]]
        assert executed_after[:len(earlier)] == earlier and executed_after[len(earlier)] == killed[0]

        await post(jp_fetch, "runs", run_id, "stop")
        await wait_for(lambda: state_of(lab, run_id) == "stopped", 120, "the run to stop")


@pytest.mark.slow
def test_closed_notebook_pauses_the_run_and_loses_nothing(jp_asyncio_loop, jp_fetch, jp_ws_fetch, jp_root_dir):
    jp_asyncio_loop.run_until_complete(
        _closed_notebook_pauses_the_run_and_loses_nothing(jp_fetch, jp_ws_fetch, jp_root_dir))


async def _closed_notebook_pauses_the_run_and_loses_nothing(jp_fetch, jp_ws_fetch, jp_root_dir):
    async with connected_lab(jp_ws_fetch, jp_root_dir) as lab:
        closed: list[str] = []

        async def close_before_clean(fake: FakeLab, op: dict[str, Any], cell: Any) -> None:
            if step_of(op) == "clean" and not closed:
                closed.append(op["cell_id"])
                await fake.close(op["notebook_path"])

        lab.before_execute = close_before_clean
        await lab.open("c.ipynb")
        run_id = (await post(jp_fetch, "runs", body={**WINE, "notebook_path": "c.ipynb"}))["run_id"]
        await wait_for(lambda: state_of(lab, run_id) == "paused", 180, "the run to pause")
        assert "not open" in kinds(lab, run_id, "state")[-1]["text"]
        # it stays paused, nothing runs: the held operation is tried again when a tab says hello, and goes to no
        # tab without c.ipynb open (the welcome is written after that retry, with every run's state)
        assert (await hello_from_another_tab(jp_ws_fetch))[run_id] == "paused"
        assert (await get(jp_fetch, "runs", run_id))["state"] == "paused"
        # what ran so far is saved, with its outputs
        saved = nbformat.read(Path(jp_root_dir) / "c.ipynb", 4)
        steps = [c.metadata.get("trainer_agent", {}).get("step") for c in saved.cells if c.cell_type == "code"]
        assert {"load", "profile"} <= set(steps)
        assert all(c.execution_count for c in saved.cells if c.cell_type == "code" and c.id != closed[0])

        await lab.open("c.ipynb")
        await wait_for(lambda: state_of(lab, run_id) == "running", 30, "the run to go on")
        await wait_for(lambda: step_done(lab, run_id, "clean"), 180, "the clean step")
        executes = [op for op in lab.ops if op["op"] == "execute" and op["cell_id"] == closed[0]]
        assert len({op["request_id"] for op in executes}) == 1  # the same operation, sent again, not a new one
        await post(jp_fetch, "runs", run_id, "stop")
        await wait_for(lambda: state_of(lab, run_id) == "stopped", 120, "the run to stop")


@pytest.mark.slow
def test_two_notebooks_run_tasks_at_the_same_time(jp_asyncio_loop, jp_fetch, jp_ws_fetch, jp_root_dir):
    jp_asyncio_loop.run_until_complete(
        _two_notebooks_run_tasks_at_the_same_time(jp_fetch, jp_ws_fetch, jp_root_dir))


async def _two_notebooks_run_tasks_at_the_same_time(jp_fetch, jp_ws_fetch, jp_root_dir):
    async with connected_lab(jp_ws_fetch, jp_root_dir) as lab:
        spans: dict[str, list[tuple[float, float]]] = {"a/a.ipynb": [], "b/b.ipynb": []}
        original = lab._execute

        async def timed(km: Any, kc: Any, cell: Any) -> dict[str, Any]:
            path = next(p for p, (k, _) in lab.kernels.items() if k is km)
            began = time.monotonic()
            reply = await original(km, kc, cell)
            spans[path].append((began, time.monotonic()))
            return reply

        lab._execute = timed  # type: ignore[method-assign]
        await lab.open("a/a.ipynb")
        await lab.open("b/b.ipynb")
        first = await post(jp_fetch, "runs", body={**WINE, "notebook_path": "a/a.ipynb"})
        a = first["run_id"]
        b = (await post(jp_fetch, "runs", body={"request": "classify the iris flowers with at least 90% accuracy",
                                                 "data": "sklearn:iris", "time_budget_s": 60,
                                                 "notebook_path": "b/b.ipynb"}))["run_id"]
        # another notebook in a's folder gets a run folder of its own: it can never overwrite a's bundle/
        other = await post(jp_fetch, "runs", body={**WINE, "notebook_path": "a/other.ipynb"})
        assert other["run_folder"] != first["run_folder"]
        assert Path(other["run_folder"]).parent == Path(first["run_folder"]).parent  # both under a/runs/
        await post(jp_fetch, "runs", other["run_id"], "stop")
        await wait_for(lambda: step_done(lab, a, "split") and step_done(lab, b, "split"), 240, "both splits")
        for run_id in (a, b):
            await post(jp_fetch, "runs", run_id, "stop")
        await wait_for(lambda: state_of(lab, a) == "stopped" and state_of(lab, b) == "stopped", 120, "both to stop")
        # both kernels were busy at once
        assert any(s1 < e2 and s2 < e1 for s1, e1 in spans["a/a.ipynb"] for s2, e2 in spans["b/b.ipynb"])
        # every operation went to its own notebook, and each notebook holds only its run's cells
        for run_id, path, data in ((a, "a/a.ipynb", "wine"), (b, "b/b.ipynb", "iris")):
            assert {op["notebook_path"] for op in lab.ops if op["run_id"] == run_id} == {path}
            cells = lab.notebooks[path].cells
            load = [c.source for c in cells if c.metadata.get("trainer_agent", {}).get("step") == "load"]
            assert load and any(data in source for source in load)  # the loading cells read this run's data
