"""Reading what a cell handed back: structured results and structured errors."""

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

    @property
    def summary(self) -> str:
        """``ename: evalue`` — the last line of the traceback, without colours."""
        return f"{self.ename}: {self.evalue}"

    def plain_traceback(self) -> str:
        """The traceback with terminal colour codes removed."""
        return "\n".join(_ANSI.sub("", line) for line in self.traceback)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (``ename``, ``evalue``, ``traceback``, ``source``)."""
        return {"ename": self.ename, "evalue": self.evalue,
                "traceback": self.plain_traceback(), "source": self.source}


def read_results(outputs: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge every structured result (``RESULT_MIME`` display outputs) of a cell, later keys winning."""
    merged: dict[str, Any] = {}
    for out in outputs:
        if out.get("output_type") in ("display_data", "execute_result"):
            payload = out.get("data", {}).get(RESULT_MIME)
            if isinstance(payload, dict):
                merged.update(payload)
    return merged


def read_error(outputs: list[dict[str, Any]], source: str = "") -> CellError | None:
    """The cell's error output as a :class:`CellError`, or ``None`` if it ran cleanly."""
    for out in outputs:
        if out.get("output_type") == "error":
            return CellError(out.get("ename", "Error"), out.get("evalue", ""),
                             list(out.get("traceback", [])), source)
    return None


def read_stream(outputs: list[dict[str, Any]], name: str = "stdout") -> str:
    """Everything the cell printed on one stream."""
    return "".join(out.get("text", "") for out in outputs
                   if out.get("output_type") == "stream" and out.get("name") == name)
