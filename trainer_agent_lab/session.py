"""A conversation with the agents: the first message asks for a model, later ones change requirements."""

from __future__ import annotations

import time
from pathlib import Path

from .agents.base import EventSink
from .llm.base import LLMClient, make_llm
from .notebook.headless import HeadlessDriver
from .orchestrator import Orchestrator, Parser, _quiet
from .report import RunReport


class TrainerAgent:
    """A multi-turn session over one notebook and one kernel.

    >>> with TrainerAgent("sklearn:wine", out="runs/wine") as agent:  # doctest: +SKIP
    ...     agent.ask("classify the wine data with at least 90% accuracy")
    ...     agent.ask("now also deploy on 2 GB containers at 100 QPS")   # only the Server agent re-runs
    ...     agent.ask("accuracy must now be 95%")                        # the Model agent continues
    """

    def __init__(self, data: str | None = None, *, out: str | Path | None = None,
                 time_budget_s: float | None = None, assume_yes: bool = True, on_event: EventSink = _quiet,
                 parse: Parser | None = None, llm: str | LLMClient | None = None) -> None:
        """``llm``: ``"offline"``, ``"openai"`` or a planner (:func:`~trainer_agent_lab.llm.make_llm`); with a
        model, it reads the requests (unless ``parse`` is given), moderates them and proposes cell repairs."""
        self.data = data if not data or data.startswith("sklearn:") else str(Path(data).expanduser().resolve())
        self.time_budget_s = time_budget_s
        self.out = Path(out or Path("runs") / time.strftime("%Y%m%d-%H%M%S")).resolve()
        self.out.mkdir(parents=True, exist_ok=True)
        self.driver = HeadlessDriver(self.out / "notebook.ipynb")
        planner = make_llm(llm) if isinstance(llm, str) else llm
        self.orchestrator = Orchestrator(self.driver, self.out, parse=parse, on_event=on_event,
                                         assume_yes=assume_yes, llm=planner)
        #: Every report so far, oldest first.
        self.reports: list[RunReport] = []

    def ask(self, message: str) -> RunReport:
        """Send a message: a request the first time (or after a run that prepared no data), else a change."""
        memory = self.orchestrator.memory
        if memory is None or "split" not in memory.results:
            report = self.orchestrator.run(message, data=self.data, time_budget_s=self.time_budget_s)
        else:
            report = self.orchestrator.revise(message)
        self.reports.append(report)
        return report

    def close(self) -> None:
        """Save the notebook and stop the kernel."""
        self.driver.close()

    def __enter__(self) -> TrainerAgent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
