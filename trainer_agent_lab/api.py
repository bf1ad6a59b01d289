"""The Python front door: one call runs a request end to end in a headless notebook."""

from __future__ import annotations

import time
from pathlib import Path

from .agents.base import EventSink
from .agents.orchestrator import Orchestrator, _quiet
from .notebook.headless import HeadlessDriver
from .report import RunReport


def run(request: str, data: str | None = None, *, out: str | Path | None = None,
        time_budget_s: float | None = None, assume_yes: bool = False, on_event: EventSink = _quiet) -> RunReport:
    """Run ``request`` on ``data`` (a path or ``sklearn:NAME``) and return the report.

    The run folder ``out`` (default ``runs/<timestamp>``) receives ``notebook.ipynb``, ``spec.json``,
    ``report.json``, ``bundle/`` and ``bundle.zip``. The kernel is started and shut down here.
    """
    if data and not data.startswith("sklearn:"):
        data = str(Path(data).expanduser().resolve())
    folder = Path(out or Path("runs") / time.strftime("%Y%m%d-%H%M%S")).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    driver = HeadlessDriver(folder / "notebook.ipynb")
    try:
        orchestrator = Orchestrator(driver, folder, on_event=on_event, assume_yes=assume_yes)
        return orchestrator.run(request, data=data, time_budget_s=time_budget_s)
    finally:
        driver.close()
