"""``report.json``: the run's outcome in the shape DESIGN.md fixes for other tools."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

Status = Literal["succeeded", "refused", "needs_input", "failed"]

#: The MIME type of the structured results a cell hands back to the agents (a display output made with plain
#: IPython, so the notebook needs no package of ours).
RESULT_MIME = "application/vnd.trainer-agent.result+json"

#: CLI exit code for each status.
EXIT_CODES: dict[str, int] = {"succeeded": 0, "refused": 3, "needs_input": 3, "failed": 1}


class ConstraintRow(BaseModel):
    """One row of the constraint table."""

    name: str
    target: str
    actual: float | None = None
    met: bool = False


class RunReport(BaseModel):
    """Everything a run produced, as measured in its notebook's cells."""

    status: Status
    reason: str = ""
    question: str | None = None
    options: list[str] = Field(default_factory=list)
    spec: dict[str, Any] = Field(default_factory=dict)
    plan: list[dict[str, Any]] = Field(default_factory=list)
    metrics: dict[str, float | None] = Field(default_factory=dict)
    constraints: list[ConstraintRow] = Field(default_factory=list)
    model: dict[str, Any] = Field(default_factory=dict)
    capacity: dict[str, Any] = Field(default_factory=dict)
    #: Where the model search ran: {"name": "local"} or {"name": "ray", "address", "nodes", "cpus", ...}.
    engine: dict[str, Any] = Field(default_factory=lambda: {"name": "local"})
    timings: dict[str, float] = Field(default_factory=dict)
    cells: dict[str, int] = Field(default_factory=lambda: {"total": 0, "failed_then_repaired": 0})
    notes: list[str] = Field(default_factory=list)
    error: dict[str, Any] | None = None
    paths: dict[str, str] = Field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """The CLI exit code for this report's status."""
        return EXIT_CODES[self.status]

    def write(self, path: Path) -> Path:
        """Write ``report.json``."""
        path.write_text(json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n")
        return path
