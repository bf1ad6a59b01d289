"""``%%traineragent`` in JupyterLab: the run's cells go to the lab notebook over a comm (``notebook/lab_mirror.py``).

The lab side (inserting them below the magic cell) is tested in a real browser by
``labextension/ui-tests/tests/magic.spec.ts`` (run by ``tests/test_lab_ui.py``); here the kernel side: what the
comm carries, from a real kernel, and the mirror's rules with a recording comm.
"""

from __future__ import annotations

import queue
import time
from pathlib import Path

import nbformat
import pytest

from trainer_agent_lab.notebook import lab_mirror
from trainer_agent_lab.notebook.lab_mirror import TARGET, LabMirror
from trainer_agent_lab.report import RunReport


class _Comm:
    def __init__(self, data):
        self.opened, self.sent, self.closed = data, [], False

    def send(self, data):
        self.sent.append(data)

    def close(self):
        self.closed = True


class _Kernel:
    def get_parent(self):
        return {"header": {"msg_id": "m1"}, "metadata": {"cellId": "magic-cell"}}


class _Shell:
    kernel = _Kernel()


@pytest.fixture
def comms(monkeypatch):
    import comm

    made: list[_Comm] = []

    def create_comm(target_name, data):
        assert target_name == TARGET
        made.append(_Comm(data))
        return made[-1]

    monkeypatch.setattr(comm, "create_comm", create_comm)
    return made


def test_mirror_sends_new_and_changed_cells_once_then_the_end(comms, tmp_path):
    nb = nbformat.v4.new_notebook()
    mirror = LabMirror(_Shell(), run_dir=tmp_path, notebook=tmp_path / "notebook.ipynb", request="wine")
    assert mirror.active and comms[0].opened["magic_cell_id"] == "magic-cell" and comms[0].opened["request"] == "wine"
    nb.cells.append(nbformat.v4.new_markdown_cell("## Data"))
    nb.cells.append(nbformat.v4.new_code_cell("x = 1"))
    mirror.sync(nb.cells)
    mirror.sync(nb.cells)  # nothing changed: nothing sent
    assert [(m["index"], m["cell"]["cell_type"]) for m in comms[0].sent] == [(0, "markdown"), (1, "code")]
    nb.cells[1].execution_count = 1
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    nb.cells[0].source = "## Data ✓"
    mirror.sync(nb.cells)
    again = comms[0].sent[2:]
    assert [m["index"] for m in again] == [0, 1] and again[1]["cell"]["outputs"][0]["text"] == "1\n"
    mirror.close(RunReport(status="succeeded", reason="all met", paths={"bundle": "bundle"}))
    assert comms[0].sent[-1] == {"kind": "end", "status": "succeeded", "reason": "all met", "bundle": "bundle"}
    assert comms[0].closed and not mirror.active
    mirror.sync(nb.cells)  # after close: a no-op


def test_a_follow_up_sends_only_the_cells_it_adds(comms, tmp_path):
    cells = [nbformat.v4.new_markdown_cell("## Plan"), nbformat.v4.new_code_cell("x = 1")]
    mirror = LabMirror(_Shell(), run_dir=tmp_path, notebook=tmp_path / "nb.ipynb", request="97%", start=len(cells))
    cells[0].source = "## Plan ✓"  # the follow-up ticks the plan: that cell is under the first magic cell
    cells.append(nbformat.v4.new_code_cell("y = 2"))
    mirror.sync(cells)
    assert [m["index"] for m in comms[0].sent] == [2]


def test_no_kernel_or_no_comm_means_no_mirror(monkeypatch, tmp_path):
    assert not LabMirror(object(), run_dir=tmp_path, notebook=tmp_path / "n.ipynb", request="r").active
    import comm

    def broken(**_):
        raise RuntimeError("no comm manager")

    monkeypatch.setattr(comm, "create_comm", broken)
    mirror = LabMirror(_Shell(), run_dir=tmp_path, notebook=tmp_path / "n.ipynb", request="r")
    assert not mirror.active
    mirror.sync([nbformat.v4.new_code_cell("x = 1")])
    mirror.close(None)
    assert lab_mirror._parent(object()) == {}


def test_the_guard_knows_stale_copies_by_their_run_token(comms, tmp_path):
    class Kernel:
        def get_parent(self):
            return {"header": {"msg_id": "m"}, "metadata": {"cellId": "M"}}

    class Shell:
        kernel = Kernel()

    def request(token, mark="M"):
        return {"header": {"msg_type": "execute_request"},
                "metadata": {"cellId": "c", "trainer_agent": {"magic_cell": mark, "magic_run": token}}}

    first = LabMirror(Shell(), run_dir=tmp_path, notebook=tmp_path / "nb.ipynb", request="r")
    assert comms[0].opened["run_token"] == first.token
    assert not lab_mirror.stale_copy(request(first.token))  # the latest run's own cells run
    second = LabMirror(Shell(), run_dir=tmp_path, notebook=tmp_path / "nb.ipynb", request="r")
    assert lab_mirror.stale_copy(request(first.token))  # queued before the magic cell ran again: stale
    assert not lab_mirror.stale_copy(request(second.token))
    assert not lab_mirror.stale_copy(request(first.token, mark="never-ran-here"))  # a fresh kernel: runs
    assert not lab_mirror.stale_copy({"header": {}, "metadata": {"cellId": "mine"}})  # the user's own cell
    assert not lab_mirror.stale_copy({"metadata": {"trainer_agent": "odd"}})


# -- a real kernel -------------------------------------------------------------------------------------
def _send(kc, code: str, cell_id: str, metadata: dict | None = None, expressions: dict | None = None) -> str:
    """Send an execute request as JupyterLab does (the cell's id and metadata in the request's metadata)."""
    msg = kc.session.msg("execute_request", {"code": code, "silent": False, "store_history": True,
                                             "user_expressions": expressions or {}, "allow_stdin": False},
                         metadata={**(metadata or {}), "cellId": cell_id})
    kc.shell_channel.send(msg)
    return msg["header"]["msg_id"]


def _collect(kc, msg_id: str, timeout: float, seen: dict[str, list]) -> tuple[dict, list[dict]]:
    """Wait for the request ``msg_id`` to end; its reply and its iopub messages (others are kept in ``seen``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = seen.get(msg_id, [])
        if done and done[-1]["msg_type"] == "status" and done[-1]["content"]["execution_state"] == "idle":
            break
        try:
            m = kc.get_iopub_msg(timeout=1)
        except queue.Empty:
            continue
        seen.setdefault(m["parent_header"].get("msg_id"), []).append(m)
    else:
        raise AssertionError(f"the cell did not finish within {timeout:.0f} s")
    while True:
        reply = kc.get_shell_msg(timeout=30)
        if reply["parent_header"]["msg_id"] == msg_id:
            return reply, seen.pop(msg_id)


def _execute(kc, code: str, cell_id: str, timeout: float, **kwargs) -> tuple[dict, list[dict]]:
    return _collect(kc, _send(kc, code, cell_id, **kwargs), timeout, {})


@pytest.mark.slow  # a wine run in a real kernel: ~1 min
def test_a_magic_run_in_a_kernel_sends_its_notebook_over_the_comm(tmp_path):
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", cwd=str(tmp_path))
    try:
        reply, _ = _execute(kc, "%load_ext trainer_agent_lab", "load", 120)
        assert reply["content"]["status"] == "ok"
        out = tmp_path / "wine"
        seen: dict[str, list] = {}
        magic = _send(kc, f"%%traineragent --data sklearn:wine --budget 30 --out {out}\n"
                          "wine classifier with at least 90% accuracy", "magic-cell-1")
        # Run All queued a copy an earlier run of this magic cell had inserted: it must not run again
        stale = _send(kc, "STALE_RAN = True", "old-inserted-cell",
                      metadata={"trainer_agent": {"magic_cell": "magic-cell-1", "magic_run": "an-earlier-run"}})
        reply, iopub = _collect(kc, magic, 600, seen)
        assert reply["content"]["status"] == "ok"
        reply, _ = _collect(kc, stale, 60, seen)
        assert reply["content"]["status"] == "ok"
        opens = [m for m in iopub if m["msg_type"] == "comm_open" and m["content"]["target_name"] == TARGET]
        assert len(opens) == 1
        opened = opens[0]["content"]
        assert opened["data"]["magic_cell_id"] == "magic-cell-1" and opened["data"]["run_dir"] == str(out)
        messages = [m["content"]["data"] for m in iopub
                    if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == opened["comm_id"]]
        assert any(m["msg_type"] == "comm_close" and m["content"]["comm_id"] == opened["comm_id"] for m in iopub)
        end = messages[-1]
        assert end["kind"] == "end" and end["status"] == "succeeded" and Path(end["bundle"]).name == "bundle"
        latest: dict[str, dict] = {}
        order: list[str] = []
        for m in messages[:-1]:
            cell = m["cell"]
            if cell["id"] not in latest:
                order.append(cell["id"])
            latest[cell["id"]] = cell
        saved = nbformat.read(out / "notebook.ipynb", as_version=4)
        # what the lab notebook ends up with is the run notebook: same cells, same order, same outputs
        assert order == [c.id for c in saved.cells]
        assert [latest[i]["source"] for i in order] == [c.source for c in saved.cells]
        code = [c for c in saved.cells if c.cell_type == "code"]
        assert len(code) > 8 and all(len(latest[c.id]["outputs"]) == len(c.outputs) for c in code)
        assert sum(1 for m in messages[:-1] if m["cell"]["id"] == code[-1].id) >= 2  # sent, then with outputs
        # run yourself afterwards, an inserted cell (or a copy of one) runs as any cell does
        mark = {"trainer_agent": {"magic_cell": "magic-cell-1", "magic_run": opened["data"]["run_token"]}}
        reply, _ = _execute(kc, "NEW_RAN = True", code[-1].id, 60, metadata=mark)
        reply, _ = _execute(kc, "COPY_RAN = True", "pasted-copy", 60, metadata=mark, expressions={
            "ran": "[name in globals() for name in ('STALE_RAN', 'NEW_RAN', 'COPY_RAN')]",
            "skipped": "__import__('trainer_agent_lab.notebook.lab_mirror').notebook.lab_mirror.skipped_cells()"})
        expressions = reply["content"]["user_expressions"]
        assert expressions["ran"]["data"]["text/plain"] == "[False, True, True]"
        assert expressions["skipped"]["data"]["text/plain"] == "['old-inserted-cell']"
        # a bad request opens no comm and leaves the kernel as it was
        reply, iopub = _execute(kc, "%%traineragent --data nowhere.csv\nwine classifier", "magic-cell-2", 60)
        assert reply["content"]["status"] == "error" and not [m for m in iopub if m["msg_type"] == "comm_open"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
