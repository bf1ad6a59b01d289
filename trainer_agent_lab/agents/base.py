"""What every agent has: a profile, the shared run memory, a way to speak, and cells to run."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..cells.render import Cell
from ..errors import CellExecutionFailed
from ..knowledge.sops import PROFILES
from ..llm.base import LLMClient
from ..notebook.driver import ExecutionResult, NotebookDriver
from ..notebook.results import CellError, failure_reason
from ..spec import TaskSpec
from .repairs import Repair, diagnose, model_may_repair, vet_proposal


@dataclass
class Event:
    """Something a front door may show: an agent's message, a step starting or ending, a cell's progress."""

    kind: str  # "message" | "step" | "cell_start" | "cell_done" | "status"
    agent: str
    text: str = ""
    data: dict[str, Any] = field(default_factory=dict)


EventSink = Callable[[Event], None]

#: How many times a failing cell is repaired and re-run before the user is asked.
MAX_REPAIRS = 3

T = TypeVar("T")


@dataclass
class RunMemory:
    """What the agents know about a run. Everything here was read back from the notebook's cells."""

    spec: TaskSpec
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    messages: list[Event] = field(default_factory=list)
    cells: list[ExecutionResult] = field(default_factory=list)
    repaired: int = 0
    target: str | None = None
    task: str | None = None
    positive_class: str | None = None
    done_steps: list[str] = field(default_factory=list)
    #: The language model the agents may consult (moderation, cell repairs); None: offline rules only.
    llm: LLMClient | None = None
    #: The LLM moderation step's verdicts, by request text (a revision does not ask again).
    moderated: dict[str, Any] = field(default_factory=dict)

    @property
    def cells_seconds(self) -> float:
        """Time spent executing cells."""
        return sum(c.duration_s for c in self.cells)


class Agent:
    """Base of the four agents: speaks through events, writes cells through the driver.

    Agents never talk to each other or to the user directly: the Task agent (the hub) calls them and
    relays what they say.
    """

    name = "Agent"

    def __init__(self, driver: NotebookDriver, memory: RunMemory, emit: EventSink) -> None:
        self.driver = driver
        self.memory = memory
        self._emit = emit
        self.role = PROFILES[self.name]

    def say(self, text: str, **data: Any) -> None:
        """A message from this agent (shown in the chat, printed by the CLI)."""
        event = Event("message", self.name, text, data)
        self.memory.messages.append(event)
        self._emit(event)

    def heading(self, title: str, text: str = "", *, level: int = 3) -> str:
        """A heading for this agent's part of a phase (the phase itself opens with a level-2 heading)."""
        body = f"{'#' * level} {self.name} agent — {title}"
        if text:
            body += f"\n\n{text}"
        return self.driver.add_markdown(body, metadata={"trainer_agent": {"agent": self.name}})

    def markdown(self, text: str) -> str:
        """A markdown cell written by this agent."""
        return self.driver.add_markdown(text, metadata={"trainer_agent": {"agent": self.name}})

    def consult(self, ask: Callable[[LLMClient], T]) -> T | None:
        """``ask(llm)`` when a language model is configured, else None.

        What the model's client noted meanwhile (fallbacks, failures) becomes a run note and a message from
        this agent, so the report and the front doors show it.
        """
        llm = self.memory.llm
        if llm is None or getattr(llm, "name", "offline") == "offline":
            return None
        before = len(llm.notes)
        try:
            return ask(llm)
        finally:
            for note in list(llm.notes)[before:]:
                self.memory.notes.append(note)
                self.say(note, llm=llm.name)

    def _model_repair(self, step: str, source: str, error: CellError) -> Repair | str | None:
        """The language model's repair of a failing cell, vetted by :func:`vet_proposal`; or why its answer
        was not used (a string); or None when no model was asked (none configured, or a failure that is the
        data's or the budget's: :func:`model_may_repair`)."""
        llm = self.memory.llm
        if llm is None or getattr(llm, "name", "offline") == "offline" or not model_may_repair(step, error):
            return None
        traceback = error.plain_traceback() or error.summary
        proposed = self.consult(lambda model: model.propose_repair(source, traceback, step=step))
        if proposed is None:
            return "the language model proposed no fix"
        vetted, rejected = vet_proposal(source, proposed)
        if vetted is None:
            self.say(f"The language model's repair of the {step} cell was not used: {rejected}.")
            return f"the language model's fix was rejected: {rejected}"
        return Repair("llm", f"no offline rule fits {error.ename}; the language model ({llm.name}) rewrote the cell",
                      vetted)

    def run(self, step: str, cells: str | Sequence[Cell]) -> dict[str, Any]:
        """Run the cells of ``step`` (rendered cell files, or one code cell's source) in order; return the
        structured results they reported (merged, later cells winning) or raise on error. Sentences a cell
        reports as ``say`` (a list) are told to the user as this agent's messages.

        A failing cell is diagnosed from its traceback and, where an offline rule knows the fix (else, when a
        language model is configured, where the model proposes one that passes :func:`vet_proposal`), edited
        in place and run again, up to ``MAX_REPAIRS`` times. A failure nobody could repair raises
        :class:`CellExecutionFailed` (the run ends ``failed``) whose message is :func:`failure_reason`'s one
        paragraph (the step, the error's headline, the repairs tried, what to do); the traceback stays in the
        notebook and the error.
        """
        if isinstance(cells, str):
            cells = [Cell(cells)]
        self._emit(Event("step", self.name, step, {"state": "started"}))
        results: dict[str, Any] = {}
        seconds = 0.0
        repaired = False
        for cell in cells:
            if cell.kind == "markdown":
                self.markdown(cell.source)
                continue
            result, attempts = self._run_cell(step, cell)
            repaired = repaired or attempts > 0
            seconds += result.duration_s
            results.update(result.results)
        if repaired:
            self.memory.repaired += 1
        for text in results.get("say") or []:  # what the cells ask this agent to tell the user (e.g. a sample)
            self.say(str(text))
        self.memory.results[step] = results
        self.memory.done_steps.append(step)
        self._emit(Event("step", self.name, step, {"state": "done", "seconds": round(seconds, 2)}))
        return results

    def _run_cell(self, step: str, cell: Cell) -> tuple[ExecutionResult, int]:
        """One code cell of ``step``, repaired and re-run while a repair is known; raise if it still fails."""
        metadata = {"trainer_agent": {"agent": self.name, "step": step}, **cell.metadata}
        result = self.driver.add_code(cell.source, metadata=metadata)
        self.memory.cells.append(result)
        attempts = 0
        unused: str | None = None  # why the language model's last answer was not used
        while result.error is not None and attempts < MAX_REPAIRS:
            repair: Repair | str | None = diagnose(result.source, result.error)
            if repair is None:
                repair = self._model_repair(step, result.source, result.error)
            if not isinstance(repair, Repair):
                unused = repair
                break
            attempts += 1
            self.say(f"The {step} cell failed ({result.error.headline}); repair {attempts}: {repair.why}.")
            body = re.sub(r"\A# Repaired \(.*\n", "", repair.source)  # one note, the latest repair's
            result = self.driver.replace_code(result.cell_id, f"# Repaired ({repair.kind}): {repair.why}\n{body}")
            self.memory.cells.append(result)
        if result.error is not None:
            error = result.error
            self._emit(Event("step", self.name, step, {"state": "failed", "error": error.headline}))
            if not attempts and not unused:
                raise CellExecutionFailed(failure_reason(step, error), error=error.to_dict())
            tried = f"after {attempts} repair{'s' if attempts != 1 else ''}" + (f"; {unused}" if unused else "")
            raise CellExecutionFailed(failure_reason(step, error, tried=tried), error=error.to_dict())
        return result, attempts
