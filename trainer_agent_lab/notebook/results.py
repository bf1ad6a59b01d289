"""Reading what a cell handed back: structured results and structured errors, and the one paragraph a user
reads about a cell that failed (:func:`failure_reason`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..report import RESULT_MIME

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class CellError:
    """A failing cell, as papermill and nbclient describe it: what was raised, where, in which source."""

    ename: str
    evalue: str
    traceback: list[str] = field(default_factory=list)
    source: str = ""
    #: The cell's position in the notebook, counted from 1 (None where unknown).
    cell: int | None = None

    @property
    def summary(self) -> str:
        """``ename: evalue`` — the last line of the traceback, without colours."""
        return f"{self.ename}: {self.evalue}"

    def plain_traceback(self) -> str:
        """The traceback with terminal colour codes removed."""
        return "\n".join(_ANSI.sub("", line) for line in self.traceback)

    @property
    def headline(self) -> str:
        """``ename: message`` in one short line: the message's first line (or, for an error that quotes other
        tracebacks, as scikit-learn's "All the 3 fits failed" does, the last error they end with), long lists of
        values elided, at most :data:`HEADLINE_CHARS` characters."""
        return headline(self.ename, self.evalue)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (``ename``, ``evalue``, ``traceback``, ``source``, and ``cell`` where known)."""
        out: dict[str, Any] = {"ename": self.ename, "evalue": self.evalue,
                               "traceback": self.plain_traceback(), "source": self.source}
        if self.cell is not None:
            out["cell"] = self.cell
        return out

    @classmethod
    def from_dict(cls, error: dict[str, Any]) -> CellError:
        """The error :meth:`to_dict` wrote (``report.error``, :class:`CellExecutionFailed`'s ``error``)."""
        traceback = error.get("traceback", "")
        return cls(str(error.get("ename", "Error")), str(error.get("evalue", "")),
                   traceback.splitlines() if isinstance(traceback, str) else list(traceback),
                   str(error.get("source", "")), error.get("cell"))


def read_results(outputs: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge every structured result (``RESULT_MIME`` display outputs) of a cell, later keys winning."""
    merged: dict[str, Any] = {}
    for out in outputs:
        if out.get("output_type") in ("display_data", "execute_result"):
            payload = out.get("data", {}).get(RESULT_MIME)
            if isinstance(payload, dict):
                merged.update(payload)
    return merged


def read_error(outputs: list[dict[str, Any]], source: str = "", cell: int | None = None) -> CellError | None:
    """The cell's error output as a :class:`CellError` (``cell``: its position, from 1), or ``None`` if it ran
    cleanly."""
    for out in outputs:
        if out.get("output_type") == "error":
            return CellError(out.get("ename", "Error"), out.get("evalue", ""),
                             list(out.get("traceback", [])), source, cell)
    return None


def read_stream(outputs: list[dict[str, Any]], name: str = "stdout") -> str:
    """Everything the cell printed on one stream."""
    return "".join(out.get("text", "") for out in outputs
                   if out.get("output_type") == "stream" and out.get("name") == name)


# ------------------------------------------------------------------------------ the paragraph a user reads
#: The longest headline (``ename: message``) a reason quotes; the whole message stays in ``report.error``.
HEADLINE_CHARS = 300
#: Steps whose failures are most often the data's, and those of the model's and of the packaging's.
DATA_STEPS = frozenset({"load", "profile", "column_types", "clean", "split", "shapes", "generate", "normalise",
                        "augment", "predictions"})
MODEL_STEPS = frozenset({"select", "features", "feasibility", "search", "fit", "evaluate", "student", "teacher",
                         "pseudo_label", "distill"})
SERVER_STEPS = frozenset({"export", "parity", "capacity", "conclude", "bundle"})
_EMBEDDED_ERROR = re.compile(r"^(\w+(?:\.\w+)*(?:Error|Exception|Warning)): (.+)$", re.M)
_LONG_LIST = re.compile(r"(\[|\(|\{)([^\[\](){}]{80,})(\]|\)|\})")
#: A sentence that tells the user what to do: a message with one gets no generic advice after it.
_TELLS_WHAT_TO_DO = re.compile(r"(?:^|[.;:!?]\s+|\bthen\s+|,\s*or\s+)(?:check|pass|give|use|install|re-?run|try|fix|"
                               r"add|remove|drop|lower|pick|choose|export|name|rename|fill|ask|convert|save)\b",
                               re.I)


def _elide_lists(text: str) -> str:
    """Long bracketed lists of values shortened to their first few items."""
    def shorten(match: re.Match[str]) -> str:
        items = match.group(2).split(",")
        if len(items) <= 4:
            return match.group(0)
        return f"{match.group(1)}{','.join(items[:3]).strip()}, … ({len(items):,} in all){match.group(3)}"
    return _LONG_LIST.sub(shorten, text)


def _clip(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "…"


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def headline(ename: str, evalue: str, limit: int = HEADLINE_CHARS) -> str:
    """One short line for an exception: ``ename: first line of the message`` (see :attr:`CellError.headline`)."""
    text = _ANSI.sub("", evalue or "").strip()
    first = _first_line(text)
    if "Traceback (most recent call last)" in text:  # a message quoting other failures: name their cause
        causes = _EMBEDDED_ERROR.findall(text)
        if causes:
            name, message = causes[-1]
            first = f"{first.rstrip('.')} ({name}: {message.strip()})"
    first = _elide_lists(first)
    return _clip(f"{ename}: {first}" if first else ename, limit)


def paragraph(text: str, limit: int = 1200) -> str:
    """Any message as one paragraph: ANSI colours and tracebacks dropped, lines joined, lists elided, clipped."""
    text = _ANSI.sub("", text or "")
    if "Traceback (most recent call last)" in text:
        before, _, after = text.partition("Traceback (most recent call last)")
        causes = _EMBEDDED_ERROR.findall(after)
        text = before.rstrip(" :\n") + (f" ({causes[-1][0]}: {causes[-1][1].strip()})" if causes else "")
    text = " ".join(line.strip() for line in text.splitlines() if line.strip())
    return _clip(_elide_lists(re.sub(r"\s{2,}", " ", text)), limit)


def advice(step: str, error: CellError) -> str:
    """What a user can do about ``error`` in ``step``: one or two sentences."""
    name, message = error.ename, error.evalue
    if name == "MemoryError" or "Unable to allocate" in message:
        return ("The kernel ran out of memory: use fewer rows or columns, ask for a smaller model, or run on a "
                "machine with more memory.")
    if name in ("TimeoutError",) or "time budget" in message.lower():
        return "Give the run a larger time budget (--time-budget), or ask for fewer or simpler models."
    if name in ("FileNotFoundError", "PermissionError", "IsADirectoryError", "NotADirectoryError"):
        return "Check that the path exists and that this user can read it, then run again."
    if name in ("ModuleNotFoundError", "ImportError"):
        return ("A package the cell needs is missing from the kernel's environment: install it there "
                "(pip install ...) and run again.")
    if name == "KeyboardInterrupt":
        return "The cell was interrupted before it finished: run again to complete it."
    if step in DATA_STEPS:
        return ("The data as given is the likely cause: check the columns and values the message names (fix or "
                "drop them in the file, or name another target) and run again.")
    if step in MODEL_STEPS:
        return ("Training on this data failed: try a larger --time-budget, fewer or looser targets, or fewer "
                "columns; if the data looks right, report it with the notebook.")
    if step in SERVER_STEPS:
        return ("The model was trained, but converting, measuring or packaging it failed: the notebook holds the "
                "trained model; run again without the deployment requirements (int8, latency), or report it "
                "with the notebook.")
    return "Fix what the message points to and run again; if it looks like a bug, report it with the notebook."


def failure_reason(step: str, error: CellError | dict[str, Any], *, tried: str = "") -> str:
    """The one paragraph a run that stopped on a failing cell reports: which step failed (and where in the
    notebook), the error's headline (no traceback, no long value lists), what was tried (``tried``, e.g. "after 3
    repairs"), and what to do. The traceback stays in the notebook and in ``report.error``.
    """
    if isinstance(error, dict):
        error = CellError.from_dict(error)
    where = f"cell {error.cell} of the notebook" if error.cell else "the notebook"
    verb = f"still fails {tried}" if tried else "failed"
    text = f"The {step} cell {verb}: {error.headline.rstrip('.')}."
    if not _TELLS_WHAT_TO_DO.search(_first_line(_ANSI.sub("", error.evalue))):
        text += " " + advice(step, error)
    return text + f" The full traceback is in {where} and in report.json (error)."
