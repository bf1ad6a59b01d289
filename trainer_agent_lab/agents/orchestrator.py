"""The Orchestrator: one request, end to end, through the four agents, the Task agent as the hub.

Every front door (CLI, magics, chat panel, Python) builds a :class:`NotebookDriver` and calls
:meth:`Orchestrator.run`. The orchestrator keeps no state the notebook lacks: what it reports was read
back from the cells' structured results.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..cells.task import requirements_markdown
from ..errors import CellExecutionFailed, NeedsInput, TrainerAgentError, UsageError
from ..llm.base import LLMClient
from ..llm.rule_reader import parse_request
from ..notebook.driver import NotebookDriver
from ..notebook.environment import environment
from ..report import ConstraintRow, RunReport
from ..spec import TaskSpec, TaskType
from . import text, vision
from .base import Event, EventSink, RunMemory
from .data import DataAgent
from .model import ModelAgent
from .revision import merge_spec, phases_for
from .server import ServerAgent
from .task import ORDER, TaskAgent

#: Seconds the run keeps back for fitting, evaluation and the Server agent after the model search.
RESERVE_S = 30.0
DEFAULT_TIME_BUDGET_S = 300.0

Parser = Callable[..., TaskSpec]
#: The Server agent of each kind of model (tables: :class:`ServerAgent`).
SERVER_AGENTS: dict[TaskType | None, type[ServerAgent]] = {TaskType.image_classification: vision.ImageServerAgent,
                                                          TaskType.text_classification: text.TextServerAgent}


def _quiet(event: Event) -> None:
    """The default event sink: nobody is listening."""


class Orchestrator:
    """Drives the agents over one notebook.

    Parameters
    ----------
    driver:
        Where cells go and run. The orchestrator does not close it: whoever made it does.
    out_dir:
        The run folder: ``spec.json`` and ``report.json`` are written here.
    parse:
        The request parser. Default: ``llm``'s (its fallback notes become run notes and Task agent messages)
        when a model is given, else the offline rule-based parser.
    on_event:
        Called with every :class:`Event` (agent messages, steps, status) for progress display.
    assume_yes:
        Answer the agents' questions with their defaults instead of stopping with ``needs_input``.
    seed:
        The seed every random step in the notebook uses.
    llm:
        The language model the agents consult for the ethics moderation step and for cell repairs no
        offline rule knows (None or the offline planner: rules only). Reading the request stays ``parse``'s.
    """

    def __init__(self, driver: NotebookDriver, out_dir: Path, *, parse: Parser | None = None,
                 on_event: EventSink = _quiet, assume_yes: bool = False, seed: int = 42,
                 llm: LLMClient | None = None) -> None:
        self.driver = driver
        self.out_dir = Path(out_dir)
        self.parse: Parser = parse or (self._parse_with_llm if llm is not None else parse_request)
        self.emit = on_event
        self.assume_yes = assume_yes
        self.seed = seed
        self.llm = llm
        #: What the agents know about the last run (kept so a later ``revise`` continues from it).
        self.memory: RunMemory | None = None
        self._plan: list[dict[str, Any]] = []
        self._intro: str | None = None

    def _parse_with_llm(self, text: str, data: list[str] | None = None,
                        time_budget_s: float | None = None) -> TaskSpec:
        """``llm.parse_request``, its fallback notes kept as run notes and shown as Task agent messages."""
        assert self.llm is not None
        before = len(self.llm.notes)
        spec = self.llm.parse_request(text, data=data, time_budget_s=time_budget_s)
        for note in list(self.llm.notes)[before:]:
            if self.memory is not None:
                self.memory.notes.append(note)
            self.emit(Event("message", "Task", note, {"llm": self.llm.name}))
        return spec

    def run(self, request: str, data: str | None = None, time_budget_s: float | None = None) -> RunReport:
        """Turn ``request`` into an executed notebook, a model and a bundle; return the report."""
        started = time.perf_counter()
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.memory = memory = RunMemory(spec=TaskSpec(request=request), llm=self.llm)
        task = TaskAgent(self.driver, memory, self.emit)

        def work() -> None:
            memory.spec = self.parse(request, data=[data] if data else None, time_budget_s=time_budget_s)
            memory.spec.write(self.out_dir / "spec.json")
            memory.done_steps.append("understand")
            self.driver.set_metadata("trainer_agent", {"request": request, "seed": self.seed,
                                                       "spec": memory.spec.model_dump(mode="json"),
                                                       "environment": environment()})
            self._plan = task.plan(text.TEXT_ORDER if memory.spec.task_type == TaskType.text_classification
                                   else ORDER)
            self._intro = task.open_notebook(self._plan, seed=self.seed, environment=environment())
            task.check_ethics()
            task.check_budget()
            self._data_phase(task)
            self._model_phase(task, started)
            self._server_phase(task)

        return self._attempt(task, work, started)

    def revise(self, message: str) -> RunReport:
        """Apply a requirement change to the last run, re-running only the agents it concerns.

        "now also deploy on 2 GB containers at 100 QPS" re-runs the Server agent; "accuracy must now be 92%"
        continues with the Model agent on the data already prepared in the kernel; new data starts over.
        """
        memory = self.memory
        if memory is None or "split" not in memory.results:
            raise UsageError("There is no prepared run to change: ask for a model first.")
        started = time.perf_counter()
        task = TaskAgent(self.driver, memory, self.emit)

        def work() -> None:
            revised, changed = merge_spec(memory.spec, self.parse(message), message)
            if not changed:
                raise NeedsInput(f"I found no requirement to change in {message!r}.",
                                 question="Which requirement should change, and to what?")
            phases = phases_for(changed)
            task.announce_change(revised, changed, phases, self._requirements(revised))
            memory.spec = revised
            memory.spec.write(self.out_dir / "spec.json")
            task.check_ethics()
            if "data" in phases:
                self._data_phase(task)
            if "model" in phases:
                self._model_phase(task, started)
            self._server_phase(task)

        return self._attempt(task, work, started)

    def _attempt(self, task: TaskAgent, work: Callable[[], None], started: float) -> RunReport:
        """Do ``work``; whatever happens, finish the notebook and write the report."""
        memory = task.memory
        report = RunReport(status="failed")
        try:
            work()
            report = self._succeeded_or_missed(memory)
        except TrainerAgentError as exc:
            report = RunReport(status=exc.status, reason=str(exc))  # type: ignore[arg-type]
            if isinstance(exc, NeedsInput):
                report.question, report.options = exc.question, exc.options
            failed_cell = exc if isinstance(exc, CellExecutionFailed) else exc.__cause__
            if isinstance(failed_cell, CellExecutionFailed):  # also a DataError raised from a cell's error
                report.error = failed_cell.error
            task.say(f"Stopped ({exc.status}): {exc}")
        except KeyboardInterrupt:
            report = RunReport(status="failed", reason="The run was interrupted; the notebook so far is saved.")
        finally:
            self._finish(report, memory, self._plan, self._intro, started)
        return report

    # -- the SOP, phase by phase -------------------------------------------------------------------
    def _data_phase(self, task: TaskAgent) -> None:
        memory = task.memory
        spec = memory.spec
        if spec.task_type == TaskType.image_classification:
            return vision.data_phase(task, self.driver, self.emit, self.seed, self._requirements(spec))
        if spec.task_type == TaskType.text_classification:
            return text.data_phase(task, self.driver, self.emit, self.seed, self._requirements(spec))
        if not spec.data:
            raise NeedsInput("The request names no data.", hint="Pass --data PATH or a reference such as "
                             "sklearn:wine.", question="Which data should the model learn from?")
        data = DataAgent(self.driver, memory, self.emit)
        data.setup(self.seed, self._requirements(spec))
        load = data.load(spec.data[0])
        if spec.task_type in (None, TaskType.classification) and text.looks_like_text(load):
            return self._switch_to_text(task)
        target, kind = task.decide_target(load, self.assume_yes)
        profile = data.profile(target, kind)
        clean = data.clean(target, kind)
        positive = task.decide_positive_class(profile, clean["classes"]) if kind == "classification" else None
        data.split(target, kind, positive)

    def _switch_to_text(self, task: TaskAgent) -> None:
        """The data is one column of free text and a label: re-plan as text classification and load it as texts."""
        memory = task.memory
        memory.spec = memory.spec.model_copy(update={"task_type": TaskType.text_classification})
        memory.spec.write(self.out_dir / "spec.json")
        self._plan = task.plan(text.TEXT_ORDER)
        task.say("The data is one column of free text and a label: this is text classification, so the plan "
                 "follows the text SOP.")
        text.data_phase(task, self.driver, self.emit, self.seed, self._requirements(memory.spec), setup=False)

    def _model_phase(self, task: TaskAgent, started: float) -> None:
        memory = task.memory
        if memory.spec.task_type == TaskType.image_classification:
            return vision.model_phase(task, self.driver, self.emit, started,
                                      memory.spec.time_budget_s or DEFAULT_TIME_BUDGET_S)
        if memory.spec.task_type == TaskType.text_classification:
            return text.model_phase(task, self.driver, self.emit, started,
                                    memory.spec.time_budget_s or DEFAULT_TIME_BUDGET_S)
        model = ModelAgent(self.driver, memory, self.emit)
        split, kind = memory.results["split"], memory.task or "classification"
        families = model.select(kind, split)
        task.check_feasibility(kind)
        budget = memory.spec.time_budget_s or DEFAULT_TIME_BUDGET_S
        left = budget - (time.perf_counter() - started) - RESERVE_S - 0.1 * budget
        search = model.search(kind, families, len(split["classes"] or []), left)
        model.fit(search)
        model.evaluate()

    def _server_phase(self, task: TaskAgent) -> None:
        """The same steps for every kind of model; each kind's Server agent brings its own cells."""
        kind = SERVER_AGENTS.get(task.memory.spec.task_type, ServerAgent)
        server = kind(self.driver, task.memory, self.emit)
        server.export()
        server.parity()
        server.capacity()
        task.conclude()
        server.bundle()

    @staticmethod
    def _requirements(spec: TaskSpec) -> dict[str, Any]:
        """The measurable part of the spec, as the notebook's ``REQUIREMENTS`` dict."""
        return {"constraints": [c.model_dump() for c in spec.constraints], "qps": spec.qps,
                "container_memory_mb": spec.container_memory_mb, "quantize_int8": spec.quantize_int8,
                "time_budget_s": spec.time_budget_s}

    def _succeeded_or_missed(self, memory: RunMemory) -> RunReport:
        rows = memory.results.get("conclude", {}).get("constraints", [])
        missed = [r for r in rows if not r["met"]]
        if not missed:
            return RunReport(status="succeeded", reason="Every requirement is met." if rows else
                             "Trained, evaluated and packaged; the request set no measurable targets.")
        text = "; ".join(f"{r['name']} {r['actual']!s} (target {r['target']})" for r in missed)
        return RunReport(status="failed", reason=f"The model was trained and packaged, but these requirements "
                         f"are not met: {text}. See the constraint table in the notebook.")

    # -- closing ----------------------------------------------------------------------------------
    def _finish(self, report: RunReport, memory: RunMemory, plan: list[dict[str, Any]], intro: str | None,
                started: float) -> None:
        r = memory.results
        report.spec = memory.spec.model_dump(mode="json")
        report.plan = [{**step, "done": step["step"] in memory.done_steps} for step in plan]
        report.metrics = r.get("evaluate", {}).get("metrics", {})
        report.constraints = [ConstraintRow(**row) for row in r.get("conclude", {}).get("constraints", [])]
        export = r.get("export", {})
        report.model = {k: v for k, v in {
            "family": r.get("fit", {}).get("family"), "parameters": r.get("fit", {}).get("parameters"),
            "onnx_bytes": export.get("onnx_bytes"), "int8_bytes": export.get("int8_bytes"),
            "threshold": r.get("fit", {}).get("threshold"), "hyperparameters": r.get("fit", {}).get("params"),
            "int8_metrics": r.get("parity", {}).get("int8_metrics"),
            "parity": r.get("parity", {}).get("parity"),
        }.items() if v is not None}
        report.capacity = r.get("capacity", {}).get("capacity", {})
        report.notes = list(memory.notes)
        report.cells = {"total": len({c.cell_id for c in memory.cells}), "failed_then_repaired": memory.repaired}
        bundle = self.out_dir / "bundle"
        report.paths = {"notebook": str(self.driver.path), "spec": str(self.out_dir / "spec.json")}
        if bundle.exists():
            report.paths.update(bundle=str(bundle), bundle_zip=str(self.out_dir / "bundle.zip"))
        if intro is not None:
            self.driver.update_markdown(intro, requirements_markdown(memory.spec, plan, set(memory.done_steps),
                                                                     seed=self.seed, environment=environment()))
        self.driver.add_markdown(_closing_markdown(report))
        self.driver.save()
        total = time.perf_counter() - started
        kernel = float(getattr(self.driver, "kernel_wait_s", 0.0))
        report.timings = {"total_s": round(total, 3), "cells_s": round(memory.cells_seconds, 3),
                          "kernel_s": round(kernel, 3),
                          "agent_s": round(total - memory.cells_seconds - kernel, 3)}
        report.write(self.out_dir / "report.json")
        self.emit(Event("status", "Task", report.status, {"reason": report.reason}))


def _closing_markdown(report: RunReport) -> str:
    """The notebook's last cell: outcome, reason, and where the bundle is."""
    lines = [f"## Outcome: **{report.status}**", "", report.reason]
    if report.question:
        lines += ["", f"**Question:** {report.question}"]
        if report.options:
            lines.append("Options: " + ", ".join(f"`{o}`" for o in report.options))
    if "bundle" in report.paths:
        lines += ["", "The deployment bundle is in `bundle/` (and `bundle.zip`); "
                  "`python bundle/serve.py --port 8000` serves it."]
    return "\n".join(lines) + "\n"
