"""The one interface every place that runs cells implements: :class:`NotebookDriver`.

Agents only ever talk to a driver: they add markdown, add code (which runs at once), read back the
:class:`ExecutionResult`, and may interrupt. Backends: headless (a real kernel via nbclient, used by the
CLI and tests), live (the JupyterLab bridge) and in-kernel (the ``%%traineragent`` magic).
"""

from __future__ import annotations

import abc
import base64
import json
import os
import platform
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .results import CellError, read_error, read_results


@dataclass
class ExecutionResult:
    """What running one code cell gave: its outputs, timing, error and structured results."""

    cell_id: str
    index: int
    source: str
    outputs: list[dict[str, Any]] = field(default_factory=list)
    duration_s: float = 0.0
    error: CellError | None = None
    results: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the cell ran without raising."""
        return self.error is None


def kernel_death(exit_code: int | None, *, oom_killed: bool = False) -> tuple[str, str]:
    """Why a kernel process ended, and what to do, from its exit status (``Popen.returncode``: negative for the
    signal that killed it) and whether the out-of-memory killer acted meanwhile: ``(cause, hint)``."""
    smaller = "Use fewer rows or columns, or ask for a smaller model (or give the machine more memory), and run again."
    if oom_killed:
        return ("the out-of-memory killer stopped it (signal 9): the cell needed more memory than the machine has",
                smaller)
    if exit_code is None:
        return ("it stopped answering, and its exit status is unknown",
                "Run again; if it dies at the same cell, that cell's data or model is too large for this machine.")
    if exit_code >= 0:
        return (f"its process exited with code {exit_code} (the cell's code, or a library it called, ended the "
                "process)", "Look at the cell's last output in the notebook; run again once what ends it is fixed.")
    number = -exit_code
    try:
        name = signal.Signals(number).name
    except ValueError:
        name = f"signal {number}"
    if number == signal.SIGKILL:
        return (f"killed (signal 9, {name}: often the out-of-memory killer, or a stop from outside)", smaller
                + " If nobody stopped it, memory is the likely cause.")
    if number == getattr(signal, "SIGSEGV", None) or number == getattr(signal, "SIGBUS", None):
        return (f"it crashed (signal {number}, {name}: a fault inside a compiled library)",
                "Check the installed library versions (pip check), and report it with the notebook if it repeats.")
    if number == getattr(signal, "SIGABRT", None):
        return (f"a library aborted it (signal {number}, {name})",
                "Look at the kernel's last output in the notebook, and report it with the notebook if it repeats.")
    return (f"it was stopped by signal {number} ({name}), from outside the run",
            "Run again; if something on the machine stops kernels (a job limit), give the run more room.")


#: Called before a cell runs (cell id, index, source) and after (the result): progress for front doors.
CellHook = Callable[..., None]


class NotebookDriver(abc.ABC):
    """Adds cells to one notebook and runs them in that notebook's kernel.

    Implementations save the notebook after every cell so a crash loses nothing.
    """

    path: Path

    def __init__(self) -> None:
        self.on_cell_start: list[CellHook] = []
        self.on_cell_executed: list[CellHook] = []

    @abc.abstractmethod
    def add_markdown(self, source: str, *, metadata: dict[str, Any] | None = None) -> str:
        """Append a markdown cell; return its cell id."""

    @abc.abstractmethod
    def add_code(self, source: str, *, metadata: dict[str, Any] | None = None) -> ExecutionResult:
        """Append a code cell, run it, save the notebook and return what it gave."""

    @abc.abstractmethod
    def update_markdown(self, cell_id: str, source: str) -> None:
        """Replace a markdown cell's text (the plan checklist ticks as steps finish)."""

    @abc.abstractmethod
    def replace_code(self, cell_id: str, source: str) -> ExecutionResult:
        """Replace an existing code cell's source (a repair), run it again and return what it gave."""

    @abc.abstractmethod
    def interrupt(self) -> None:
        """Interrupt the kernel (the cell that runs now raises KeyboardInterrupt)."""

    @abc.abstractmethod
    def save(self) -> Path:
        """Write the notebook to disk; return its path."""

    @abc.abstractmethod
    def close(self) -> None:
        """Save, and shut the kernel down if this driver started it."""

    @property
    @abc.abstractmethod
    def cells(self) -> list[dict[str, Any]]:
        """The notebook's cells as nbformat dicts (read-only view)."""

    def set_metadata(self, key: str, value: Any) -> None:
        """Set a notebook-level metadata entry (request, spec, environment)."""
        raise NotImplementedError

    def __enter__(self) -> NotebookDriver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class FileNotebookDriver(NotebookDriver):
    """The part every backend that keeps its own ``.ipynb`` shares: the cells in memory, written atomically."""

    def __init__(self, path: Path, kernel_name: str = "python3") -> None:
        super().__init__()
        self.path = Path(path).resolve()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        import nbformat  # here, not at import: `trainer-agent plan` loads this module and never makes a notebook

        self.nb = nbformat.v4.new_notebook()
        #: Each finished code cell's outputs as JSON text, with the identity and length of the list it came from.
        self._outputs_json: dict[str, tuple[tuple[int, int], str]] = {}
        self.nb.metadata["kernelspec"] = {"name": kernel_name, "display_name": "Python 3", "language": "python"}
        self.nb.metadata["language_info"] = {"name": "python", "file_extension": ".py", "mimetype": "text/x-python",
                                             "version": platform.python_version()}

    @property
    def cells(self) -> list[dict[str, Any]]:
        """The notebook's cells."""
        return list(self.nb.cells)

    def set_metadata(self, key: str, value: Any) -> None:
        """Set a notebook-level metadata entry (saved with the next cell)."""
        self.nb.metadata[key] = value

    def add_markdown(self, source: str, *, metadata: dict[str, Any] | None = None) -> str:
        """Append a markdown cell (written to disk with the next code cell, or by ``save``/``close``)."""
        from nbformat import v4

        cell = v4.new_markdown_cell(source, metadata=metadata or {})
        self.nb.cells.append(cell)
        return cell.id

    def update_markdown(self, cell_id: str, source: str) -> None:
        """Replace a markdown cell's text."""
        next(c for c in self.nb.cells if c.id == cell_id).source = source

    def add_code(self, source: str, *, metadata: dict[str, Any] | None = None) -> ExecutionResult:
        """Append a code cell, run it, save, and return its result."""
        from nbformat import v4

        self.nb.cells.append(v4.new_code_cell(source, metadata=metadata or {}))
        return self._run(len(self.nb.cells) - 1)

    def replace_code(self, cell_id: str, source: str) -> ExecutionResult:
        """Replace a code cell's source (a repair), clear its outputs, run it again."""
        index = next(i for i, c in enumerate(self.nb.cells) if c.id == cell_id)
        cell = self.nb.cells[index]
        cell.source = source
        cell.outputs = []
        return self._run(index)

    def _run(self, index: int) -> ExecutionResult:
        """Run one cell: hooks, a save before and after (whatever happens), then the result read back."""
        cell = self.nb.cells[index]
        for hook in self.on_cell_start:
            hook(cell.id, index, cell.source)
        self._outputs_json.pop(cell.id, None)
        self.save()
        try:
            duration = self._execute(cell, index)
        finally:
            self._outputs_json.pop(cell.id, None)  # its outputs are new: serialised afresh below, then kept
            self.save()
        result = ExecutionResult(cell.id, index, cell.source, list(cell.outputs), duration,
                                 read_error(cell.outputs, cell.source, index + 1), read_results(cell.outputs))
        for hook in self.on_cell_executed:
            hook(result)
        return result

    @abc.abstractmethod
    def _execute(self, cell: Any, index: int) -> float:
        """Execute ``cell`` in place (filling its outputs); return the seconds it took."""

    def save(self) -> Path:
        """Write the notebook to ``path`` atomically (a crash never leaves half a file).

        Every cell saves twice (before it runs and after), so this must stay cheap on a large notebook (a wide
        table's profile outputs run to megabytes): the outputs of cells that ran are serialised once and kept
        (only the running cell changes them), and the file is compact JSON. ``close`` writes the final, indented
        nbformat file (validated) over it.
        """
        self._write(self._fast_json())
        return self.path

    def _write(self, text: str) -> None:
        """Write ``text`` to ``path`` through a temporary file and an atomic rename."""
        tmp = self.path.with_suffix(".ipynb.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.path)

    def _fast_json(self) -> str:
        """The notebook as nbformat JSON (sources and outputs as single strings, which nbformat reads alike),
        reusing each finished code cell's serialised outputs."""
        cells = []
        for cell in self.nb.cells:
            head = {k: v for k, v in cell.items() if k != "outputs"}
            text = _dumps(head)
            if "outputs" in cell:
                outputs = self._outputs_json.get(cell.id)
                key = (id(cell.outputs), len(cell.outputs))
                if outputs is None or outputs[0] != key:
                    outputs = self._outputs_json[cell.id] = (key, _dumps(cell.outputs))
                text = f'{text[:-1]}, "outputs": {outputs[1]}}}'
            cells.append(text)
        rest = _dumps({k: v for k, v in self.nb.items() if k != "cells"})
        return '{"cells": [\n' + ",\n".join(cells) + "\n], " + rest[1:] + "\n"

    def write_final(self) -> Path:
        """Write the notebook as nbformat itself writes it (indented, lines split, validated): ``close`` does."""
        import nbformat

        nbformat.validate(self.nb)
        from nbformat.v4 import nbjson

        self._write(nbjson.writes(self.nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
        return self.path


def _dumps(value: Any) -> str:
    """Compact JSON the way nbformat stores values (bytes as base64 text)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_bytes_as_text)


def _bytes_as_text(value: Any) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
