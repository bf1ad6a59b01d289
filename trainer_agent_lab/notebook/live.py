"""The live backend: cells go into a notebook open in JupyterLab and run with that notebook's own kernel.

The driver never touches the browser itself. It hands each operation to a :class:`Transport` (the server
extension's bridge, which sends it over the authenticated websocket) and blocks until the lab extension
answers::

    {"request_id", "notebook_path", "cell_id", "op": "insert"|"execute"|"update"|"metadata"|"save"
     |"interrupt"|"restart", ...}                      ->  {"ok": true, "outputs": [...], "timing": {...}}

The frontend finds the notebook by path and the cell by id (never "the active notebook"), so two runs in two
notebooks never mix. There is no cap on how long a cell runs: training takes minutes.

What can go wrong while a cell runs, and what the driver does about it:

* the notebook is closed (or the browser tab goes away): the answer is ``{"ok": false, "reason":
  "notebook_closed"}`` or nothing at all; the bridge keeps the operation and sends it again when the notebook
  is open again (the frontend never runs a request id twice). The run is paused, nothing is lost: the cells
  so far are saved in the notebook, and this driver keeps its own copy (:attr:`cells`).
* the kernel dies mid-cell: the answer says ``"reason": "kernel_died"``. The driver asks the person (through
  :attr:`on_kernel_died`) whether to restart and resume; on "resume" it restarts the kernel, runs the run's
  earlier cells again to rebuild the kernel's state, then runs the failed cell again and hands its result to
  the agents as if nothing had happened. On "stop" it raises :class:`KernelDied`.
* the person presses Stop: :meth:`stop` interrupts the kernel; the cell that ran ends in
  ``KeyboardInterrupt`` and so does the run (the orchestrator saves the notebook and reports "interrupted").
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import nbformat

from ..errors import KernelDied, RunInterrupted
from .driver import ExecutionResult, NotebookDriver
from .results import read_error, read_results


class Transport(Protocol):
    """Sends one operation to the frontend that holds the notebook, and waits for its answer."""

    def request(self, message: dict[str, Any], *, stop: threading.Event | None = None,
                timeout: float | None = None) -> dict[str, Any]:
        """Deliver ``message`` (it has ``request_id``); block until the answer (``ok``, ``outputs``...).

        Returns early with ``{"ok": False, "reason": "stopped"}`` once ``stop`` is set, and with
        ``{"ok": False, "reason": "timeout"}`` after ``timeout`` seconds (``None``: no limit).
        """
        ...


#: Asked when the kernel died under a cell: ``(step, cell index) -> "resume" | "stop"``. Blocks until answered.
KernelDiedHandler = Callable[[str, int], str]


def _stop_on_death(step: str, index: int) -> str:
    return "stop"


class LiveDriver(NotebookDriver):
    """Writes and runs cells in a notebook that JupyterLab has open, through a :class:`Transport`.

    Parameters
    ----------
    transport:
        Delivers operations to the lab extension (see the module docstring for the messages).
    notebook_path:
        The notebook's path as the Jupyter server names it (relative to its root), e.g. ``work/wine.ipynb``.
    local_path:
        The same notebook on this machine's disk (what :attr:`path` reports).
    run_id:
        Which run the operations belong to (the frontend shows approvals and progress per run).
    """

    #: Seconds a stopped run waits for the answer to its closing operations (markdown, save).
    STOPPED_WAIT_S = 10.0

    def __init__(self, transport: Transport, notebook_path: str, local_path: Path, *, run_id: str = "") -> None:
        super().__init__()
        self.transport = transport
        self.notebook_path = notebook_path
        self.path = Path(local_path)
        self.run_id = run_id
        self._cells: list[nbformat.NotebookNode] = []
        self._anchor: str | None = None  # the run's last cell: the next one goes below it
        self._stop = threading.Event()
        #: Decides what happens when the kernel dies under a cell (default: stop the run).
        self.on_kernel_died: KernelDiedHandler = _stop_on_death
        #: The frontend's timings of every executed cell (``inserted``, ``started``, ``finished``, in ms).
        self.timings: list[dict[str, Any]] = []
        #: Seconds the kernel took to restart after a death (resumes), summed.
        self.kernel_wait_s = 0.0
        #: Called with ``(key, value)`` for every notebook metadata entry set (the panel shows the spec).
        self.on_metadata: list[Callable[[str, Any], None]] = []

    # -- the transport ---------------------------------------------------------------------------
    def _send(self, op: str, cell_id: str | None = None, **payload: Any) -> dict[str, Any]:
        """Send one operation and wait for its answer.

        Once the run is stopped no cell is run any more (``execute`` raises ``KeyboardInterrupt``); the
        bookkeeping that closes the run (markdown, save) is still sent, but waits at most
        :attr:`STOPPED_WAIT_S` for an answer, so a closed notebook cannot hold a stopped run forever.
        """
        runs_code = op in ("execute", "restart")
        if runs_code and self._stop.is_set():
            raise KeyboardInterrupt
        message = {"request_id": uuid.uuid4().hex, "run_id": self.run_id, "notebook_path": self.notebook_path,
                   "cell_id": cell_id, "op": op, **payload}
        if runs_code:
            reply = self.transport.request(message, stop=self._stop)
            if reply.get("reason") == "stopped":
                raise KeyboardInterrupt
            return reply
        if self._stop.is_set() or op == "interrupt":
            return self.transport.request(message, timeout=self.STOPPED_WAIT_S)
        # Stop pressed while this waits (its notebook closed: the run paused) ends the wait: nothing lost, the
        # driver keeps its own copy of the cells
        return self.transport.request(message, stop=self._stop)

    # -- NotebookDriver ----------------------------------------------------------------------------
    @property
    def cells(self) -> list[dict[str, Any]]:
        """The cells this run wrote, with their latest outputs (the notebook may hold the user's too)."""
        return list(self._cells)

    def set_metadata(self, key: str, value: Any) -> None:
        """Set a notebook-level metadata entry in the open notebook."""
        self._send("metadata", key=key, value=value)
        for hook in self.on_metadata:
            hook(key, value)

    def add_markdown(self, source: str, *, metadata: dict[str, Any] | None = None) -> str:
        """Insert a rendered markdown cell below the run's last cell; return its id."""
        cell = nbformat.v4.new_markdown_cell(source, metadata=metadata or {})
        self._insert(cell)
        return cell.id

    def update_markdown(self, cell_id: str, source: str) -> None:
        """Replace a markdown cell's text in the open notebook."""
        self._cell(cell_id).source = source
        self._send("update", cell_id, source=source)

    def add_code(self, source: str, *, metadata: dict[str, Any] | None = None) -> ExecutionResult:
        """Insert a code cell below the run's last cell, run it with the notebook's kernel, return the result."""
        if self._stop.is_set():
            raise KeyboardInterrupt
        cell = nbformat.v4.new_code_cell(source, metadata=metadata or {})
        # no separate insert: the execute operation carries the cell, and the frontend inserts it and runs it
        # at once (one round trip fewer between a cell appearing and its kernel starting on it)
        self._cells.append(cell)
        self._anchor = cell.id
        return self._execute(cell)

    def replace_code(self, cell_id: str, source: str) -> ExecutionResult:
        """Replace a code cell's source (a repair) and run it again."""
        cell = self._cell(cell_id)
        cell.source = source
        cell.outputs = []
        self._send("update", cell_id, source=source)
        return self._execute(cell)

    def interrupt(self) -> None:
        """Interrupt the notebook's kernel (the running cell raises ``KeyboardInterrupt``); waits briefly."""
        self._send("interrupt")

    def stop(self) -> None:
        """Halt the run: no further cell runs, and the running cell is interrupted."""
        self._stop.set()
        self.interrupt()

    @property
    def stopped(self) -> bool:
        """True once :meth:`stop` was called."""
        return self._stop.is_set()

    def save(self) -> Path:
        """Ask the frontend to save the notebook; return its path."""
        self._send("save")
        return self.path

    def close(self) -> None:
        """Save the notebook. The kernel is the notebook's own: it keeps running for the person."""
        self.save()

    # -- helpers -----------------------------------------------------------------------------------
    def _cell(self, cell_id: str) -> nbformat.NotebookNode:
        for cell in self._cells:
            if cell.id == cell_id:
                return cell
        raise KeyError(f"No cell {cell_id!r} in this run.")

    def _before(self, cell: nbformat.NotebookNode) -> str | None:
        index = self._cells.index(cell)
        return self._cells[index - 1].id if index else None

    def _insert(self, cell: nbformat.NotebookNode) -> None:
        reply = self._send("insert", cell.id, cell_type=cell.cell_type, source=cell.source,
                           metadata=dict(cell.metadata), after=self._anchor)
        self._cells.append(cell)  # kept even when a stopped run's notebook did not answer: nothing is lost
        if not reply.get("ok") and not self._stop.is_set():
            raise RunInterrupted(f"The notebook {self.notebook_path} refused the new cell: {reply.get('reason')}.")
        self._anchor = cell.id

    def _execute(self, cell: nbformat.NotebookNode) -> ExecutionResult:
        index = self._cells.index(cell)
        for hook in self.on_cell_start:
            hook(cell.id, index, cell.source)
        reply = self._run_cell(cell)
        if reply.get("reason") == "stopped":
            raise KeyboardInterrupt
        while reply.get("reason") == "kernel_died":
            step = str(cell.metadata.get("trainer_agent", {}).get("step", f"cell {index + 1}"))
            if self.on_kernel_died(step, index) != "resume":
                raise KernelDied(f"The kernel died while running the {step} step (cell {index + 1}).",
                                 hint="It may have run out of memory; restart the kernel and resume, or lower the "
                                      "data or model size.")
            self._restart_and_replay(index)
            reply = self._run_cell(cell)
        if not reply.get("ok"):
            raise RunInterrupted(f"The {self.notebook_path} notebook did not run the cell: {reply.get('reason')}.")
        cell.outputs = [nbformat.from_dict(o) for o in reply.get("outputs", [])]
        cell.execution_count = reply.get("execution_count")
        timing = dict(reply.get("timing") or {})
        if timing:
            self.timings.append({"cell_id": cell.id, **timing})
        duration = float(reply.get("duration_s") or 0.0)
        result = ExecutionResult(cell.id, index, cell.source, list(cell.outputs), duration,
                                 read_error(cell.outputs, cell.source), read_results(cell.outputs))
        self.save()  # after every cell, as the headless driver does: closing the tab loses nothing
        for hook in self.on_cell_executed:
            hook(result)
        if result.error is not None and result.error.ename == "KeyboardInterrupt":
            raise KeyboardInterrupt
        return result

    def _run_cell(self, cell: nbformat.NotebookNode) -> dict[str, Any]:
        began = time.perf_counter()
        # the cell travels along: a notebook closed before it was saved gets it inserted again on reopening
        reply = self._send("execute", cell.id, cell_type="code", source=cell.source, metadata=dict(cell.metadata),
                           after=self._before(cell))
        reply.setdefault("duration_s", time.perf_counter() - began)
        return reply

    def _restart_and_replay(self, failed: int) -> None:
        """Restart the kernel and run the run's code cells before ``failed`` again, in order."""
        began = time.perf_counter()
        reply = self._send("restart")
        if not reply.get("ok"):
            raise KernelDied(f"The kernel could not be restarted: {reply.get('reason')}.")
        self.kernel_wait_s += time.perf_counter() - began
        for cell in self._cells[:failed]:
            if cell.cell_type != "code":
                continue
            replay = self._run_cell(cell)
            if not replay.get("ok"):
                raise KernelDied(f"Re-running cell {self._cells.index(cell) + 1} after the restart failed: "
                                 f"{replay.get('reason')}.")
            cell.outputs = [nbformat.from_dict(o) for o in replay.get("outputs", [])]
            error = read_error(cell.outputs, cell.source)
            if error is not None:
                raise KernelDied(f"Re-running cell {self._cells.index(cell) + 1} after the restart raised "
                                 f"{error.summary}.")
