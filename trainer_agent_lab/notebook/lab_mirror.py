"""The kernel half of "the generated cells also appear below the ``%%traineragent`` cell" in JupyterLab.

While a magic run goes, the in-kernel driver writes its cells to the run notebook on disk. When the kernel
belongs to a frontend (``shell.kernel`` exists), :class:`LabMirror` also opens a comm with the target
:data:`TARGET` and sends every cell of the run notebook as it is written, run, repaired or ticked. The lab
extension (``labextension/src/magic.ts``) registers that target on every notebook's kernel and inserts the
cells, with their outputs, right below the magic cell — replacing the cells an earlier run of the same magic
cell inserted. Without the extension (classic Notebook, VS Code, nbclient) nobody answers the comm: the
frontend closes it and the run notebook on disk is the record, as before. Outside a kernel (a plain
``InteractiveShell``) nothing is sent.

Messages (``data`` of the comm):

- open: ``{"version": 1, "magic_cell_id": <the magic cell's id, from the execute request's metadata>,
  "run_token", "run_dir", "notebook", "request"}``
- ``{"kind": "cell", "index": i, "cell": <nbformat cell>}``: cell ``i`` of the run notebook, new or changed
  (a code cell is sent when it is added, then again with its outputs when it has run)
- ``{"kind": "end", "status", "reason", "bundle"}``, then the comm is closed.

Each run has a token, which the lab extension writes into the metadata of the cells it inserts
(``trainer_agent.magic_run``, next to ``magic_cell``). That lets the kernel recognise, with
:func:`install_guard`, the stale copies a *Run All* queued: JupyterLab sends every cell's execute request at
once, so the cells an earlier run inserted are already queued when the magic cell runs again and replaces
them. A request from a cell inserted by magic cell ``M`` with another token than ``M``'s latest run in this
kernel is such a copy: its code is not run again (the new cells, with their outputs, are in the notebook).
The cells of the latest run, or any inserted cell in a kernel where its magic cell has not run, run as usual.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: The comm target the lab extension registers on notebook kernels.
TARGET = "trainer_agent_lab.cells"


#: Magic cell id -> the token of its latest run in this kernel.
_RUNS: dict[str, str] = {}
#: The stale inserted cells whose code the guard did not run again: request id -> cell id.
_SKIPPED: dict[str, str] = {}


def _parent(kernel: Any) -> dict[str, Any]:
    """The execute request being handled now (``{}`` outside a kernel)."""
    try:
        return kernel.get_parent() or {}
    except Exception:  # an older or foreign kernel
        return {}


def stale_copy(parent: dict[str, Any]) -> bool:
    """Whether this execute request comes from a cell the latest run of its magic cell replaced (module doc)."""
    metadata = parent.get("metadata")
    mark = metadata.get("trainer_agent") if isinstance(metadata, dict) else None
    if not isinstance(mark, dict) or not isinstance(mark.get("magic_cell"), str) or not mark.get("magic_run"):
        return False
    latest = _RUNS.get(mark["magic_cell"])
    return latest is not None and mark["magic_run"] != latest


def skipped_cells() -> list[str]:
    """Ids of the stale copies the guard did not run again (newest last)."""
    return list(_SKIPPED.values())


def install_guard(shell: Any) -> None:
    """Skip the stale copies a *Run All* queued (module doc): an input transformer of ``shell``."""
    kernel = getattr(shell, "kernel", None)
    if kernel is None or any(getattr(t, "_trainer_agent_guard", False) for t in shell.input_transformers_post):
        return

    def guard(lines: list[str]) -> list[str]:
        parent = _parent(kernel)
        if not stale_copy(parent):  # only an execute request carries a cell's metadata
            return lines
        request_id = str((parent.get("header") or {}).get("msg_id"))  # IPython may transform a cell twice
        _SKIPPED[request_id] = str((parent.get("metadata") or {}).get("cellId"))
        return ["# Not run: the %%traineragent cell above ran again and replaced this cell.\n"]

    guard._trainer_agent_guard = True  # type: ignore[attr-defined]
    shell.input_transformers_post.append(guard)


def _key(cell: Any) -> tuple:
    """What changes when a cell must be sent again: its source, and for code its run (count, outputs)."""
    return (cell.get("cell_type"), cell.get("source"), cell.get("execution_count"), len(cell.get("outputs") or ()))


class LabMirror:
    """Sends a run notebook's cells to the JupyterLab notebook the magic cell is in (see the module doc).

    Parameters
    ----------
    shell:
        The user's IPython shell; the mirror is active only inside a kernel.
    run_dir, notebook, request:
        Where the run writes, its notebook, and the request (the lab extension shows them).
    start:
        The index of the first cell to send: a follow-up ``%traineragent ask`` sends only the cells it adds.
    """

    def __init__(self, shell: Any, *, run_dir: Path, notebook: Path, request: str, start: int = 0) -> None:
        self._sent: dict[str, tuple] = {}
        self._start = start
        self._comm: Any = None
        self.token = ""
        kernel = getattr(shell, "kernel", None)
        if kernel is None:
            return
        magic_cell_id = (_parent(kernel).get("metadata") or {}).get("cellId")
        self.token = uuid.uuid4().hex
        if magic_cell_id:
            _RUNS[magic_cell_id] = self.token
        try:
            from comm import create_comm

            self._comm = create_comm(target_name=TARGET, data={
                "version": 1, "magic_cell_id": magic_cell_id, "run_token": self.token, "run_dir": str(run_dir),
                "notebook": str(notebook), "request": request})
        except Exception as exc:  # the mirror is a convenience: the run and its notebook go on without it
            log.warning("trainer-agent-lab: cannot open the lab comm (%s); cells stay in %s", exc, notebook)
            self._comm = None

    @property
    def active(self) -> bool:
        """True while cells are being sent."""
        return self._comm is not None

    def sync(self, cells: list[Any]) -> None:
        """Send the cells that are new or changed since the last call (in notebook order)."""
        if self._comm is None:
            return
        for index, cell in enumerate(cells):
            if index < self._start:
                continue
            key = _key(cell)
            if self._sent.get(cell["id"]) == key:
                continue
            self._sent[cell["id"]] = key
            self._send({"kind": "cell", "index": index, "cell": dict(cell)})

    def close(self, report: Any = None) -> None:
        """Say how the run ended and close the comm."""
        if self._comm is None:
            return
        bundle = (getattr(report, "paths", None) or {}).get("bundle")
        self._send({"kind": "end", "status": getattr(report, "status", None),
                    "reason": getattr(report, "reason", None), "bundle": str(bundle) if bundle else None})
        try:
            self._comm.close()
        except Exception:  # already closed by the frontend (no extension there)
            pass
        self._comm = None

    def _send(self, data: dict[str, Any]) -> None:
        try:
            self._comm.send(data)
        except Exception as exc:  # a message that cannot be sent must not stop the run
            log.warning("trainer-agent-lab: lab comm message not sent: %s", exc)
