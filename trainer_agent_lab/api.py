"""The Python front door: one call runs a request end to end in a headless notebook."""

from __future__ import annotations

import time
from pathlib import Path

from .agents.base import EventSink
from .errors import UsageError
from .llm.base import LLMClient, make_llm
from .notebook.headless import HeadlessDriver
from .orchestrator import Orchestrator, _quiet
from .report import RunReport


def run(request: str, data: str | None = None, *, out: str | Path | None = None,
        time_budget_s: float | None = None, assume_yes: bool = False, on_event: EventSink = _quiet,
        llm: str | LLMClient = "offline") -> RunReport:
    """Run ``request`` on ``data`` (a path or ``sklearn:NAME``) and return the report.

    The run folder ``out`` (default ``runs/<timestamp>``) receives ``notebook.ipynb``, ``spec.json``,
    ``report.json``, ``bundle/`` and ``bundle.zip``. The kernel is started and shut down here.

    ``llm`` reads the request: ``"offline"`` (the rule-based parser, the default), ``"openai"`` (an
    OpenAI-compatible endpoint configured by ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY`` /
    ``TRAINER_AGENT_LLM_MODEL``) or a planner made with :func:`trainer_agent_lab.llm.make_llm`. When the model
    fails the offline reading is used; what happened is shown as a Task agent message and kept in
    ``report.notes``. A model also moderates the request against the ethics policy and proposes repairs for
    failing cells that no offline rule can fix (see :class:`~trainer_agent_lab.orchestrator.Orchestrator`).
    """
    planner = make_llm(llm) if isinstance(llm, str) else llm
    if not callable(getattr(planner, "parse_request", None)):
        raise UsageError(f"llm must be 'offline', 'openai' or an LLM client, not {type(llm).__name__}.")
    if data and not data.startswith(("sklearn:", "synthetic:")):  # synthetic:shapes: the Data agent draws them
        data = str(Path(data).expanduser().resolve())
    folder = Path(out or Path("runs") / time.strftime("%Y%m%d-%H%M%S")).resolve()
    folder.mkdir(parents=True, exist_ok=True)

    driver = HeadlessDriver(folder / "notebook.ipynb")
    try:
        orchestrator = Orchestrator(driver, folder, on_event=on_event, assume_yes=assume_yes, llm=planner)
        return orchestrator.run(request, data=data, time_budget_s=time_budget_s)
    finally:
        driver.close()
