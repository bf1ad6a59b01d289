"""The in-kernel backend: generated cells run in the user's own IPython shell (``%%traineragent``).

Every cell is executed with ``shell.run_cell`` in the shell's own namespace, so afterwards the data, the model
and the metrics are the user's variables. While a cell runs, what it prints and displays is captured into
nbformat outputs (so the agents read their structured results exactly as from a headless kernel), forwarded
to a :class:`CellView` under the magic cell, and the cell (with its outputs) is appended to a run notebook on
disk, saved after every cell. Inside JupyterLab with the lab extension, a :class:`LabMirror` also sends
every saved cell to the notebook the magic cell is in, where they are inserted below it.

How stopping works
------------------
A run either executes on the shell's thread (the magic blocks, as a normal cell does), or on a background
thread (``%%traineragent --background``), so the user can type ``%traineragent stop``. :meth:`interrupt` sets
a stop flag that is checked before every cell, and, while a cell runs on another thread, raises
``KeyboardInterrupt`` in that thread (``PyThreadState_SetAsyncExc``: delivered at the next Python bytecode,
so a long C call finishes first). On the shell's own thread Jupyter's stop button (SIGINT) does the same. A
cell that ends in ``KeyboardInterrupt`` stops the run: :meth:`add_code` raises ``KeyboardInterrupt``, which
the orchestrator turns into a saved notebook and a ``failed`` report ("interrupted").

Only output produced on the running thread is captured; while a background run is going, the user's own
cells print as usual. Cells run with the run folder as working directory (they write ``bundle/`` relative to
it), so during a background run the process's working directory is the run folder.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import nbformat
from IPython.core.displaypub import DisplayPublisher

from .driver import ExecutionResult, FileNotebookDriver
from .lab_mirror import LabMirror


class CellView:
    """Where outputs are shown while the run goes: plain output under the magic cell.

    ``begin`` opens a step's section, ``output`` shows one nbformat output in it, ``message`` shows an agent's
    message, ``progress`` updates the step count.
    """

    def __init__(self, stdout: Any = None, display_pub: Any = None) -> None:
        self._stdout = stdout or sys.stdout
        self._pub = display_pub

    def begin(self, title: str) -> None:
        """Open a section for one step."""
        self._write(f"\n── {title} ──\n")

    def output(self, out: dict[str, Any]) -> None:
        """Show one nbformat output."""
        kind = out.get("output_type")
        if kind == "stream":
            self._write(out.get("text", ""))
        elif kind in ("display_data", "execute_result"):
            data = {k: v for k, v in out.get("data", {}).items() if not k.startswith("application/vnd.trainer")}
            if data and self._pub is not None:
                self._pub.publish(data, metadata=out.get("metadata", {}))
            elif "text/plain" in data:
                self._write(str(data["text/plain"]) + "\n")
        elif kind == "error":
            self._write(f"{out.get('ename')}: {out.get('evalue')}\n")

    def message(self, agent: str, text: str) -> None:
        """An agent's message."""
        self._write(f"[{agent}] {text}\n")

    def progress(self, done: int, total: int, label: str = "") -> None:
        """Steps done so far (plain view: nothing, the sections say it)."""

    def status(self, title: str) -> None:
        """The step that runs now, when the cells themselves show below the magic cell (JupyterLab): the magic
        cell's own output stays a short status instead of a second copy of every cell's output (plain view:
        nothing; the summary at the end says how it went and where the notebook and the bundle are)."""

    def _write(self, text: str) -> None:
        self._stdout.write(text)
        self._stdout.flush()


class WidgetCellView(CellView):
    """ipywidgets view: a progress bar, a message line, and one collapsible section (Accordion) per step."""

    def __init__(self) -> None:
        import ipywidgets as w
        from IPython.display import display

        self._w = w
        self.bar = w.IntProgress(value=0, min=0, max=1, description="steps", layout=w.Layout(width="60%"))
        self.label = w.HTML("")
        self.log = w.Output()
        self.sections = w.Accordion(children=[])
        self.box = w.VBox([w.HBox([self.bar, self.label]), self.sections, self.log])
        self._current: Any = None
        display(self.box)

    def begin(self, title: str) -> None:
        out = self._w.Output()
        self.sections.children = (*self.sections.children, out)
        index = len(self.sections.children) - 1
        self.sections.set_title(index, title)
        self.sections.selected_index = index  # the running step is open, the finished ones fold
        self._current = out

    def output(self, out: dict[str, Any]) -> None:
        if self._current is None:
            self.begin("notes")
        if out.get("output_type") == "display_data" or out.get("output_type") == "execute_result":
            data = {k: v for k, v in out.get("data", {}).items() if not k.startswith("application/vnd.trainer")}
            if not data:
                return
            out = {"output_type": "display_data", "data": data, "metadata": out.get("metadata", {})}
        self._current.outputs = (*self._current.outputs, out)

    def message(self, agent: str, text: str) -> None:
        self.label.value = f"<b>{agent}</b>: {text}"
        self.log.append_stdout(f"[{agent}] {text}\n")

    def status(self, title: str) -> None:
        self.label.value = f"running <b>{title}</b> (its cell is below)"

    def progress(self, done: int, total: int, label: str = "") -> None:
        self.bar.max = max(total, 1)
        self.bar.value = min(done, self.bar.max)
        if label:
            self.bar.description = label


def make_view(shell: Any, widgets: bool | None = None) -> CellView:
    """The widget view inside a Jupyter kernel with ipywidgets, else the plain one."""
    if widgets is None:
        widgets = getattr(shell, "kernel", None) is not None
    if widgets:
        try:
            return WidgetCellView()
        except ImportError:
            pass
    return CellView(sys.stdout, shell.display_pub)


class _Capture:
    """Collects the outputs of the cell running on one thread, in order, as nbformat dicts."""

    def __init__(self, thread_id: int, on_output: Any) -> None:
        self.thread_id = thread_id
        self.outputs: list[dict[str, Any]] = []
        self.on_output = on_output

    def mine(self) -> bool:
        return threading.get_ident() == self.thread_id

    def add(self, out: dict[str, Any]) -> None:
        if out["output_type"] == "stream" and self.outputs and self.outputs[-1].get("output_type") == "stream" \
                and self.outputs[-1]["name"] == out["name"]:
            self.outputs[-1]["text"] += out["text"]
        else:
            self.outputs.append(dict(out))
        self.on_output(out)


class _Stream:
    """``sys.stdout``/``sys.stderr`` stand-in: the capturing thread's writes become stream outputs."""

    def __init__(self, name: str, original: Any, capture: _Capture) -> None:
        self._name, self._original, self._capture = name, original, capture

    def write(self, text: str) -> int:
        if not self._capture.mine():
            return self._original.write(text)
        if text:
            self._capture.add({"output_type": "stream", "name": self._name, "text": text})
        return len(text)

    def flush(self) -> None:
        if not self._capture.mine():
            self._original.flush()

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


class _Publisher(DisplayPublisher):
    """The shell's display publisher while a cell runs: the capturing thread's displays become outputs."""

    def __init__(self, original: Any, capture: _Capture) -> None:
        super().__init__()
        self._original, self._capture = original, capture

    def publish(self, data: dict[str, Any], metadata: dict[str, Any] | None = None, source: Any = None,
                *, transient: Any = None, update: bool = False, **kwargs: Any) -> None:
        if not self._capture.mine():
            self._original.publish(data, metadata=metadata, transient=transient, update=update, **kwargs)
            return
        if update:  # an update of an earlier display (a progress bar): keep the last state only
            return
        self._capture.add({"output_type": "display_data", "data": _jsonable(data), "metadata": metadata or {}})

    def clear_output(self, wait: bool = False) -> None:
        if not self._capture.mine():
            self._original.clear_output(wait)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


def _iso(t: float) -> str:
    """A timestamp as nbclient records it in a cell's ``execution`` metadata."""
    return datetime.fromtimestamp(t, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """Display data as nbformat stores it (bytes images are already base64 str in IPython 8+)."""
    return {k: (v.decode("ascii") if isinstance(v, bytes) else v) for k, v in data.items()}


class InKernelDriver(FileNotebookDriver):
    """Runs generated cells in ``shell`` (the user's IPython shell) and writes them to the notebook at ``path``.

    Parameters
    ----------
    shell:
        The running ``InteractiveShell`` (``get_ipython()``).
    path:
        The run notebook, saved after every cell. Its folder is the cells' working directory.
    view:
        Where outputs are shown under the magic cell (default: widgets inside Jupyter, plain text otherwise).
    """

    def __init__(self, shell: Any, path: Path, *, view: CellView | None = None) -> None:
        super().__init__(path)
        self.shell = shell
        self.view = view or CellView(sys.stdout, shell.display_pub)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._running_thread: int | None = None
        self._pending_title = ""
        self.execution_count = 0
        #: The in-kernel backend starts no kernel: nothing to wait for.
        self.kernel_wait_s = 0.0
        #: Sends the cells to the JupyterLab notebook the magic cell is in (set per run by the magic).
        self.mirror: LabMirror | None = None
        self.save()

    # -- stopping ------------------------------------------------------------------------------------
    @property
    def stopped(self) -> bool:
        """True once :meth:`interrupt` was called (until :meth:`reset_stop`)."""
        return self._stop.is_set()

    def reset_stop(self) -> None:
        """Allow cells to run again after a stop (a later ``ask`` continues the same notebook)."""
        self._stop.clear()

    def interrupt(self) -> None:
        """Stop the run: no further cell starts, and a cell running on another thread gets KeyboardInterrupt."""
        self._stop.set()
        with self._lock:
            tid = self._running_thread
            if tid is not None and tid != threading.get_ident():
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), ctypes.py_object(KeyboardInterrupt))

    # -- notebook ------------------------------------------------------------------------------------
    def add_markdown(self, source: str, *, metadata: dict[str, Any] | None = None) -> str:
        """Append a markdown cell; a heading becomes the title of the next step's section."""
        cell_id = super().add_markdown(source, metadata=metadata)
        first = source.strip().splitlines()[0] if source.strip() else ""
        if first.startswith("## "):
            self._pending_title = first[3:].strip()
        return cell_id

    def save(self) -> Path:
        """Write the run notebook, and send what changed to the lab notebook when a mirror is attached."""
        path = super().save()
        if self.mirror is not None:
            self.mirror.sync(self.nb.cells)
        return path

    def close(self) -> None:
        """Validate and save the notebook (the shell is the user's: it keeps running)."""
        nbformat.validate(self.nb)
        self.save()

    # -- running -------------------------------------------------------------------------------------
    def _run(self, index: int) -> ExecutionResult:
        if self._stop.is_set():
            raise KeyboardInterrupt("stopped before the next cell")
        return super()._run(index)

    def _execute(self, cell: Any, index: int) -> float:
        step = cell.metadata.get("trainer_agent", {})
        title = " · ".join(x for x in (step.get("agent"), step.get("step")) if x) or f"cell {index + 1}"
        if self._pending_title:
            title = f"{title} — {self._pending_title.split('—', 1)[-1].strip()}"
            self._pending_title = ""
        if self.mirror is not None and self.mirror.active:  # the cell and its outputs show below the magic cell
            self.view.status(title)
            capture = _Capture(threading.get_ident(), lambda out: None)
        else:
            self.view.begin(title)
            capture = _Capture(threading.get_ident(), self.view.output)
        began, started_at = time.perf_counter(), time.time()
        interrupted = False
        try:
            with self._capturing(capture):
                try:
                    with self._lock:
                        self._running_thread = threading.get_ident()
                    outcome = self.shell.run_cell(cell.source, store_history=False)
                    with self._lock:
                        self._running_thread = None
                    error = outcome.error_before_exec or outcome.error_in_exec
                    interrupted = isinstance(error, KeyboardInterrupt)
                except KeyboardInterrupt:  # delivered outside the cell's own code
                    interrupted = True
                    capture.add({"output_type": "error", "ename": "KeyboardInterrupt", "evalue": "",
                                 "traceback": ["KeyboardInterrupt"]})
        finally:
            with self._lock:
                self._running_thread = None
        duration = time.perf_counter() - began
        self.execution_count += 1
        cell.execution_count = self.execution_count
        cell.outputs = [nbformat.from_dict(o) for o in capture.outputs]
        for out in cell.outputs:
            if out.get("output_type") == "execute_result":
                out["execution_count"] = self.execution_count
        cell.metadata["execution"] = {"iopub.status.busy": _iso(started_at), "iopub.status.idle": _iso(time.time())}
        if interrupted or self._stop.is_set():
            self._stop.set()
            raise KeyboardInterrupt("the run was stopped")
        return duration

    @contextmanager
    def _capturing(self, capture: _Capture) -> Any:
        """Swap the shell's output channels for capturing ones (only ``capture``'s thread is captured)."""
        shell = self.shell
        saved = (sys.stdout, sys.stderr, shell.display_pub, sys.displayhook, shell.display_trap.hook,
                 shell.__dict__.get("_showtraceback"), os.getcwd())
        original_hook = sys.displayhook

        def displayhook(value: Any) -> None:
            if not capture.mine():
                return original_hook(value)
            if value is None:
                return None
            data, metadata = shell.display_formatter.format(value)
            capture.add({"output_type": "execute_result", "data": _jsonable(data), "metadata": metadata,
                         "execution_count": None})
            return None

        original_tb = shell._showtraceback

        def showtraceback(etype: Any, evalue: Any, stb: list[str]) -> None:
            if not capture.mine():
                return original_tb(etype, evalue, stb)
            capture.add({"output_type": "error", "ename": getattr(etype, "__name__", str(etype)),
                         "evalue": str(evalue), "traceback": list(stb)})
            return None

        sys.stdout = _Stream("stdout", saved[0], capture)
        sys.stderr = _Stream("stderr", saved[1], capture)
        shell.display_pub = _Publisher(saved[2], capture)
        sys.displayhook = displayhook
        shell.display_trap.hook = displayhook
        shell._showtraceback = showtraceback
        os.chdir(self.path.parent)
        # a Jupyter kernel imports from its working directory (sys.path holds ""): so do the cells here, which
        # import the modules the notebook writes beside itself (text_features.py, table_features.py)
        folder = str(self.path.parent.resolve())
        added = folder not in sys.path
        if added:
            sys.path.insert(0, folder)
        try:
            yield capture
        finally:
            if added and folder in sys.path:
                sys.path.remove(folder)
            sys.stdout, sys.stderr, shell.display_pub, sys.displayhook, shell.display_trap.hook = saved[:5]
            if saved[5] is None:
                shell.__dict__.pop("_showtraceback", None)
            else:
                shell._showtraceback = saved[5]
            os.chdir(saved[6])
