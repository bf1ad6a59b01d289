"""The server extension: every route needs auth, the REST routes, and the websocket protocol with a frontend.

The frontend here is :class:`FakeLab`, a websocket client that does what the lab extension does — keeps
notebooks by path, inserts cells by id, runs them in a real kernel per notebook, answers with nbformat outputs
— so the protocol, the live driver and the run manager are tested against real kernels without a browser
(the browser itself is tested by ``tests/test_lab_ui.py``).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest

# pytest-jupyter's fixtures for this module only (as a plugin its autouse fixtures would reach every test)
from pytest_jupyter.jupyter_core import *  # noqa: E402, F403
from pytest_jupyter.jupyter_server import *  # noqa: E402, F403
from tornado.httpclient import HTTPClientError

from trainer_agent_lab.notebook.headless import KERNEL_ENV

PREFIX = "trainer-agent-lab"


@pytest.fixture
def jp_server_config():
    return {"ServerApp": {"jpserver_extensions": {"trainer_agent_lab.jupyter_extension": True}}}


class FakeLab:
    """A stand-in for the lab extension: one kernel per open notebook, the protocol of ``handlers.py``."""

    def __init__(self, ws: Any, root: Path, client_id: str = "tab-1") -> None:
        self.ws, self.root, self.client_id = ws, root, client_id
        self.notebooks: dict[str, nbformat.NotebookNode] = {}
        self.open_paths: set[str] = set()
        self.kernels: dict[str, Any] = {}
        self.events: list[dict[str, Any]] = []
        self.ops: list[dict[str, Any]] = []
        self.replies: dict[str, dict[str, Any]] = {}
        self.running: dict[str, asyncio.Task] = {}
        self.before_execute: Any = None  # async hook(lab, op, cell) run before a cell executes
        self._reader: asyncio.Task | None = None

    async def start(self, resume: dict[str, int] | None = None) -> None:
        await self._send({"type": "hello", "client_id": self.client_id, "notebooks": sorted(self.open_paths),
                          "resume": resume or {}})
        self._reader = asyncio.ensure_future(self._read())

    async def _send(self, message: dict[str, Any]) -> None:
        await self.ws.write_message(json.dumps(message))

    async def open(self, path: str) -> None:
        from jupyter_client.manager import start_new_async_kernel

        if path not in self.notebooks:
            file = self.root / path
            self.notebooks[path] = nbformat.read(file, 4) if file.exists() else nbformat.v4.new_notebook()
        if path not in self.kernels:
            (self.root / path).parent.mkdir(parents=True, exist_ok=True)
            self.kernels[path] = await start_new_async_kernel(
                cwd=str((self.root / path).parent), env={**os.environ, **KERNEL_ENV})
        self.open_paths.add(path)
        await self._send({"type": "notebooks", "notebooks": sorted(self.open_paths)})

    async def close(self, path: str) -> None:
        self.open_paths.discard(path)
        await self._send({"type": "notebooks", "notebooks": sorted(self.open_paths)})

    async def shutdown(self) -> None:
        if self._reader:
            self._reader.cancel()
        for km, kc in self.kernels.values():
            kc.stop_channels()
            await km.shutdown_kernel(now=True)

    async def _read(self) -> None:
        while True:
            text = await self.ws.read_message()
            if text is None:
                return
            message = json.loads(text)
            if message["type"] == "event":
                self.events.append(message)
            elif message["type"] == "op":
                self.ops.append(message)
                asyncio.ensure_future(self._handle(message))

    async def _handle(self, op: dict[str, Any]) -> None:
        rid = op["request_id"]
        if rid in self.replies:  # a resent operation: answer again, never run twice
            return await self._send(self.replies[rid])
        if rid in self.running:
            reply = await self.running[rid]
            return await self._send(reply)
        if op["notebook_path"] not in self.open_paths:
            return await self._send({"type": "reply", "request_id": rid, "ok": False, "reason": "notebook_closed"})
        task = asyncio.ensure_future(self._do(op))
        self.running[rid] = task
        try:
            reply = {"type": "reply", "request_id": rid, **(await task)}
        finally:
            self.running.pop(rid, None)
        if reply.get("reason") != "notebook_closed":
            self.replies[rid] = reply
        await self._send(reply)

    async def _do(self, op: dict[str, Any]) -> dict[str, Any]:
        nb = self.notebooks[op["notebook_path"]]
        kind = op["op"]
        ids = [c.id for c in nb.cells]
        if kind == "insert":
            if op["cell_id"] not in ids:
                maker = nbformat.v4.new_code_cell if op["cell_type"] == "code" else nbformat.v4.new_markdown_cell
                cell = maker(op["source"], metadata=op.get("metadata") or {})
                cell.id = op["cell_id"]
                at = ids.index(op["after"]) + 1 if op.get("after") in ids else len(ids)
                nb.cells.insert(at, cell)
            return {"ok": True}
        if kind == "execute" and op["cell_id"] not in ids:  # the execute operation carries a new cell
            await self._do({**op, "op": "insert"})
            ids = [c.id for c in nb.cells]
        if kind == "update":
            nb.cells[ids.index(op["cell_id"])].source = op["source"]
            return {"ok": True}
        if kind == "metadata":
            nb.metadata[op["key"]] = op["value"]
            return {"ok": True}
        if kind == "save":
            nbformat.write(nb, self.root / op["notebook_path"])
            return {"ok": True}
        km, kc = self.kernels[op["notebook_path"]]
        if kind == "interrupt":
            await km.interrupt_kernel()
            return {"ok": True}
        if kind == "restart":
            await km.restart_kernel(now=True)
            await kc.wait_for_ready(timeout=60)
            return {"ok": True}
        cell = nb.cells[ids.index(op["cell_id"])]
        if self.before_execute is not None:
            await self.before_execute(self, op, cell)
        if op["notebook_path"] not in self.open_paths:
            return {"ok": False, "reason": "notebook_closed"}
        return await self._execute(km, kc, cell)

    async def _execute(self, km: Any, kc: Any, cell: Any) -> dict[str, Any]:
        began = time.perf_counter()
        msg_id = kc.execute(cell.source)
        outputs: list[dict[str, Any]] = []
        count = None
        while True:
            try:
                msg = await kc.get_iopub_msg(timeout=0.2)
            except Exception:  # noqa: BLE001 - queue.Empty: check the kernel is still there
                if not await km.is_alive():
                    return {"ok": False, "reason": "kernel_died"}
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "status" and msg["content"]["execution_state"] == "idle":
                break
            if kind == "execute_input":
                count = msg["content"].get("execution_count")
            elif kind in ("stream", "display_data", "execute_result", "error"):
                outputs.append(nbformat.v4.output_from_msg(msg))
        cell.outputs, cell.execution_count = outputs, count
        return {"ok": True, "outputs": outputs, "execution_count": count,
                "duration_s": time.perf_counter() - began}


class connected_lab:  # noqa: N801 - used as ``async with connected_lab(...) as lab``
    """A :class:`FakeLab` on a new socket; its kernels are shut down on leaving."""

    def __init__(self, jp_ws_fetch: Any, root: Any, client_id: str = "tab-1") -> None:
        self.fetch, self.root, self.client_id = jp_ws_fetch, Path(root), client_id

    async def __aenter__(self) -> FakeLab:
        self.lab = FakeLab(await self.fetch(PREFIX, "ws"), self.root, self.client_id)
        await self.lab.start()
        return self.lab

    async def __aexit__(self, *exc: object) -> None:
        await self.lab.shutdown()
        self.lab.ws.close()


async def post(jp_fetch, *parts: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await jp_fetch(PREFIX, *parts, method="POST", body=json.dumps(body or {}))
    return json.loads(response.body)


async def get(jp_fetch, *parts: str, **params: Any) -> dict[str, Any]:
    response = await jp_fetch(PREFIX, *parts, params=params)
    return json.loads(response.body)


async def wait_for(predicate: Any, timeout: float = 120.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def kinds(lab: FakeLab, run_id: str, kind: str) -> list[dict[str, Any]]:
    return [e for e in lab.events if e["run_id"] == run_id and e["kind"] == kind]


def step_done(lab: FakeLab, run_id: str, step: str) -> bool:
    return any(e["kind"] == "step" and e["text"] == step and e["data"].get("state") == "done"
               for e in lab.events if e["run_id"] == run_id)


def state_of(lab: FakeLab, run_id: str) -> str | None:
    states = kinds(lab, run_id, "state")
    return states[-1]["data"]["state"] if states else None


# -- auth --------------------------------------------------------------------------------------------------
def _our_rules(app: Any) -> list[Any]:
    """Every routing rule whose pattern is under /trainer-agent-lab/, wherever it was registered."""
    found = []

    def walk(router: Any) -> None:
        for rule in getattr(router, "rules", []):
            pattern = getattr(rule.matcher, "regex", None)
            if pattern is not None and "trainer-agent-lab" in pattern.pattern:
                found.append(rule)
            walk(rule.target)

    walk(app.default_router)
    walk(app.wildcard_router)
    return found


def test_every_route_refuses_requests_without_auth(jp_asyncio_loop, jp_serverapp, http_server_client, jp_base_url):
    jp_asyncio_loop.run_until_complete(
        _every_route_refuses_requests_without_auth(jp_serverapp, http_server_client, jp_base_url))


async def _every_route_refuses_requests_without_auth(jp_serverapp, http_server_client, jp_base_url):
    rules = _our_rules(jp_serverapp.web_app)
    assert len(rules) >= 8, [r.matcher.regex.pattern for r in rules]
    run_id = "0123456789ab"
    for rule in rules:
        path = rule.matcher.regex.pattern.rstrip("$").replace("(?P<run_id>[0-9a-f]{12})", run_id)
        path = path.replace("/?", "").replace("\\.", ".")
        for method in ("GET", "POST"):
            body = "{}" if method == "POST" else None
            try:
                response = await http_server_client.fetch(path, method=method, body=body, raise_error=False,
                                                          follow_redirects=False)
                code = response.code
            except HTTPClientError as exc:  # pragma: no cover - raise_error=False returns instead
                code = exc.code
            assert code in (401, 403, 405), f"{method} {path} answered {code} without auth"


def test_websocket_refuses_without_token(jp_asyncio_loop, jp_serverapp, http_server_client, jp_http_port, jp_base_url):
    jp_asyncio_loop.run_until_complete(
        _websocket_refuses_without_token(jp_serverapp, http_server_client, jp_http_port, jp_base_url))


async def _websocket_refuses_without_token(jp_serverapp, http_server_client, jp_http_port, jp_base_url):
    from tornado.websocket import websocket_connect

    url = f"ws://127.0.0.1:{jp_http_port}{jp_base_url}{PREFIX}/ws"
    with pytest.raises(HTTPClientError) as info:
        await websocket_connect(url)
    assert info.value.code == 403


# -- REST --------------------------------------------------------------------------------------------------
def test_bad_requests_get_clear_errors(jp_asyncio_loop, jp_fetch):
    jp_asyncio_loop.run_until_complete(
        _bad_requests_get_clear_errors(jp_fetch))


async def _bad_requests_get_clear_errors(jp_fetch):
    for body, needle in [({"request": "", "notebook_path": "a.ipynb"}, "empty"),
                         ({"request": "classify wine", "notebook_path": "../x.ipynb"}, "outside"),
                         ({"request": "classify wine", "notebook_path": "a.txt"}, "not a notebook"),
                         ({"request": "x", "notebook_path": "a.ipynb", "llm": {"api_key": "sk-1"}}, "never the key"),
                         ({"request": "x", "notebook_path": "a.ipynb", "llm": {"backend": "gpt"}}, "backend")]:
        with pytest.raises(HTTPClientError) as info:
            await post(jp_fetch, "runs", body=body)
        assert info.value.code == 400
        assert needle in json.loads(info.value.response.body)["error"]
    with pytest.raises(HTTPClientError) as info:
        await get(jp_fetch, "runs", "0123456789ab")
    assert info.value.code == 404
    assert (await get(jp_fetch, "runs")) == {"runs": []}


# -- the protocol, end to end through a real kernel ------------------------------------------------------
@pytest.mark.slow
def test_run_writes_cells_into_its_notebook_and_resumes_events(jp_asyncio_loop, jp_fetch, jp_ws_fetch, jp_root_dir):
    jp_asyncio_loop.run_until_complete(
        _run_writes_cells_into_its_notebook_and_resumes_events(jp_fetch, jp_ws_fetch, jp_root_dir))


async def _run_writes_cells_into_its_notebook_and_resumes_events(jp_fetch, jp_ws_fetch, jp_root_dir):
    """A wine run: cells are inserted by id into the named notebook and run in its kernel; the summary and the
    bundle come back; a second socket that says where it stopped gets the events it missed; a follow-up
    revises the run."""
    async with connected_lab(jp_ws_fetch, jp_root_dir) as lab:
        await _wine_run(lab, jp_fetch, jp_ws_fetch, jp_root_dir)


async def _wine_run(lab: FakeLab, jp_fetch: Any, jp_ws_fetch: Any, jp_root_dir: Any) -> None:
    await lab.open("work/wine.ipynb")
    began = time.perf_counter()
    run = await post(jp_fetch, "runs", body={"request": "classify the wine data with at least 90% accuracy",
                                              "data": "sklearn:wine", "notebook_path": "work/wine.ipynb",
                                              "time_budget_s": 60})
    run_id = run["run_id"]
    await wait_for(lambda: kinds(lab, run_id, "message"), 10, "the first agent message")
    first_message_s = time.perf_counter() - began
    assert first_message_s < 5  # the benchmark measures the real figure; here: it comes at once, not at the end
    await wait_for(lambda: state_of(lab, run_id) not in (None, "running"), 400, "the run to end")
    state = await get(jp_fetch, "runs", run_id)
    assert state["state"] == "succeeded", state["report"]["reason"]
    report = state["report"]
    assert report["constraints"][0]["name"] == "accuracy" and report["constraints"][0]["met"]
    # every op named this notebook; the cells are in it, in order, with outputs, and it was saved
    assert {op["notebook_path"] for op in lab.ops} == {"work/wine.ipynb"}
    saved = nbformat.read(Path(jp_root_dir) / "work/wine.ipynb", 4)
    code = [c for c in saved.cells if c.cell_type == "code"]
    assert len(code) >= 8 and all(c.execution_count for c in code)
    assert saved.metadata["trainer_agent"]["request"].startswith("classify the wine")
    inserted = list(dict.fromkeys(op["cell_id"] for op in lab.ops if op["op"] in ("insert", "execute")))
    assert [c.id for c in saved.cells] == inserted
    # the bundle downloads
    response = await jp_fetch(PREFIX, "runs", run_id, "bundle.zip")
    assert response.body[:2] == b"PK" and state["bundle_zip"]
    assert response.headers["Content-Type"] == "application/zip"
    # a reconnecting panel gets exactly what came after the last event it saw
    events = (await get(jp_fetch, "runs", run_id, "events"))["events"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    ws2 = await jp_ws_fetch(PREFIX, "ws")
    await ws2.write_message(json.dumps({"type": "hello", "client_id": "tab-2", "notebooks": [],
                                        "resume": {run_id: 5}}))
    replayed = []
    while True:
        message = json.loads(await ws2.read_message())
        if message["type"] == "welcome":
            break
        replayed.append(message)
    ws2.close()
    assert [e["seq"] for e in replayed] == list(range(6, len(events) + 1))
    # a follow-up changes a requirement: only the Server agent runs again, in the same notebook
    inserted_before = len(inserted)
    await post(jp_fetch, "runs", run_id, "messages", body={"text": "now also deploy on 2 GB containers at 100 QPS"})
    await wait_for(lambda: state_of(lab, run_id) not in ("running",) and len(kinds(lab, run_id, "state")) > 3,
                   300, "the revision to end")
    state = await get(jp_fetch, "runs", run_id)
    assert state["state"] == "succeeded", state["report"]["reason"]
    assert any(r["name"] == "replica_memory_mb" for r in state["report"]["constraints"])
    assert len({op["cell_id"] for op in lab.ops if op["op"] in ("insert", "execute")}) > inserted_before
    # one titled revision section with its own outcome; the first outcome stays the only "## Outcome", superseded
    saved = nbformat.read(Path(jp_root_dir) / "work/wine.ipynb", 4)
    markdown = [c.source for c in saved.cells if c.cell_type == "markdown"]
    outcomes = [m for m in markdown if m.startswith("## Outcome")]
    assert len(outcomes) == 1 and "Superseded: revision 1 below" in outcomes[0]
    assert sum(m.startswith("## Revision 1 — a follow-up") for m in markdown) == 1
    assert markdown[-1].startswith("### Outcome of revision 1: **succeeded**")
