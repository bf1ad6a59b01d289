"""The Orchestrator: one request, end to end, through the four agents, the Task agent as the hub.

The Session (every front door's one engine) builds a :class:`NotebookDriver` and calls :meth:`Orchestrator.run`.
The orchestrator asks the registry (:mod:`~trainer_agent_lab.kinds`) for the kind of task the spec names and runs
its three phases — Data, Model, Server — each opened by a markdown cell saying what the agent is about to do and
why, and closed by one saying what it found and decided (the words the chat shows). It has no per-kind branches,
and keeps no state the notebook lacks: what it reports was read back from the cells' structured results.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .agents.base import Event, EventSink, RunMemory
from .agents.revision import merge_spec, phases_for, unclear_clauses
from .agents.task import TaskAgent
from .cells.render import render
from .cells.task import escape_markdown, requirements_markdown, without_tags
from .errors import CellExecutionFailed, KernelDied, NeedsInput, RunInterrupted, TrainerAgentError, UsageError
from .kinds import Run, TaskKind, kind_for
from .kinds.base import requirements_of
from .kinds.budget import DEFAULT_TIME_BUDGET_S, TimeBudget
from .llm.base import LLMClient
from .llm.rule_reader import parse_request
from .notebook.driver import NotebookDriver
from .notebook.environment import environment
from .notebook.results import headline, paragraph
from .report import ConstraintRow, RunReport
from .spec import TaskSpec, TaskType

Parser = Callable[..., TaskSpec]
#: The three phases, each an agent's part of the SOP: its heading in the notebook.
PHASE_TITLES = {"data": ("Data", "prepare the data"), "model": ("Model", "choose, train and evaluate a model"),
                "server": ("Server", "convert, measure and package")}


def _quiet(event: Event) -> None:
    """The default event sink: nobody is listening."""


class Orchestrator:
    """Drives the agents over one notebook.

    Parameters
    ----------
    driver:
        Where cells go and run. The orchestrator does not close it: whoever made it does.
    out_dir:
        The run folder: ``spec.json`` and ``report.json`` are written here, and every file the cells write (the
        kernel works there: where the notebook lies elsewhere, a first cell moves it there and the run's last
        cell back to the notebook's folder; ``cells/run_folder.py``).
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
                 llm: LLMClient | None = None, engine: tuple[str, str | None] = ("local", None)) -> None:
        self.driver = driver
        #: Where the model search runs (:func:`~trainer_agent_lab.spec.parse_engine`), written into every spec.
        self.engine = engine
        self.out_dir = Path(out_dir)
        self.parse: Parser = parse or (self._parse_with_llm if llm is not None else parse_request)
        self.emit = on_event
        self.assume_yes = assume_yes
        self.seed = seed
        self.llm = llm
        #: What the agents know about the last run (kept so a later ``revise`` continues from it).
        self.memory: RunMemory | None = None
        self._plan: list[dict[str, Any]] = []
        #: The kind of task of the last run (tables until the spec says otherwise).
        self._kind: TaskKind = kind_for(None)
        self._intro: str | None = None
        #: Whether the kernel works in the run folder now (moved there by a run-folder cell this turn), and whether
        #: a turn that moved it there could not move it back (stopped): the next run's first cell must not take
        #: the run folder for the notebook's.
        self._in_run_folder = self._stranded = False
        #: How many times the bundle step had finished when this turn began (a bundle is reported only when
        #: this turn wrote it).
        self._bundles_before = 0
        #: The follow-ups of this run so far: each one is a section of its own, "Revision N", that ends with its own
        #: outcome; the latest outcome cell (id, text), marked superseded when a later turn re-runs something; and
        #: whether this turn does (a new run, or a follow-up that changed a requirement).
        self._revision = 0
        self._outcome: tuple[str, str] | None = None
        self._supersedes = False

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
        self._revision, self._supersedes = 0, True

        def work() -> None:
            memory.spec = self.parse(request, data=[data] if data else None, time_budget_s=time_budget_s)
            memory.spec.engine, memory.spec.engine_address = self.engine  # type: ignore[assignment]
            memory.spec.write(self.out_dir / "spec.json")
            memory.done_steps.append("understand")
            self._kind = kind_for(memory.spec.task_type)
            self._plan = task.plan(self._kind.steps(memory.spec), self._kind.step_titles)
            self.driver.set_metadata("trainer_agent", {"request": request, "seed": self.seed,
                                                       "spec": memory.spec.model_dump(mode="json"),
                                                       "plan": self._plan, "environment": environment()})
            self._intro = task.open_notebook(self._plan, seed=self.seed, environment=environment())
            task.check_ethics()
            task.check_capability()
            task.check_understood(self.assume_yes)
            task.check_budget()
            self._enter_run_folder(memory, "cells/run_folder")
            run = self._run_context(task, started)
            self._phase("data", run, lambda: self._kind.data_phase(run))
            self._phase("model", run, lambda: self._kind.model_phase(run))
            self._phase("server", run, lambda: self._kind.server_phase(run))

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
        self._revision, self._supersedes = self._revision + 1, False

        def work() -> None:
            # one section per follow-up, below everything so far: the earlier sections stay as they ran
            self.driver.add_markdown(_revision_heading(self._revision, message), metadata={
                "trainer_agent": {"agent": "Task", "part": "revision", "revision": self._revision}})
            delta = self.parse(message)
            revised, changed = merge_spec(memory.spec, delta, message)
            task.check_follow_up(delta, unclear_clauses(memory.spec, delta), self.assume_yes)
            memory.spec = memory.spec.model_copy(update={"not_understood": revised.not_understood})
            if not changed:
                raise NeedsInput(f"I found no requirement to change in {message!r}.",
                                 question="Which requirement should change, and to what?")
            phases = phases_for(changed)
            self._supersedes = True
            self._enter_run_folder(memory, "cells/run_folder_again")
            task.announce_change(revised, changed, phases, requirements_of(revised))
            memory.spec = revised
            memory.spec.write(self.out_dir / "spec.json")
            task.check_ethics()
            run = self._run_context(task, started)
            for phase in phases:
                method = {"data": self._kind.data_phase, "model": self._kind.model_phase,
                          "server": self._kind.server_phase}[phase]
                self._phase(phase, run, lambda method=method: method(run))

        return self._attempt(task, work, started)

    def _attempt(self, task: TaskAgent, work: Callable[[], None], started: float) -> RunReport:
        """Do ``work``; whatever happens, finish the notebook and write the report."""
        memory = task.memory
        report = RunReport(status="failed")
        self._bundles_before = memory.done_steps.count("bundle")
        stopped = False  # by the person (Stop, an interrupt): no further cell may run, not even the plumbing
        try:
            work()
            report = self._succeeded_or_missed(memory)
        except TrainerAgentError as exc:
            # one paragraph whatever raised it (a cell's message can quote tracebacks or long lists of values)
            report = RunReport(status=exc.status, reason=paragraph(str(exc)))  # type: ignore[arg-type]
            if isinstance(exc, NeedsInput):
                report.question, report.options = exc.question, exc.options
            failed_cell = exc if isinstance(exc, CellExecutionFailed) else exc.__cause__
            if isinstance(failed_cell, CellExecutionFailed):  # also a DataError raised from a cell's error
                report.error = failed_cell.error
            elif isinstance(exc, KernelDied):
                report.error = {"ename": "KernelDied", "evalue": str(exc), "exit_code": exc.exit_code,
                                "signal": exc.signal}
            task.say(f"Stopped ({exc.status}): {report.reason}")
            stopped = isinstance(exc, RunInterrupted)
        except KeyboardInterrupt:
            stopped = True
            report = RunReport(status="failed", reason="The run was interrupted; the notebook so far is saved.")
        except Exception as exc:  # a bug of ours: the run still ends with an answer, and says whose fault it is
            what = headline(type(exc).__name__, str(exc))
            report = RunReport(status="failed", reason=(
                f"The run stopped on an internal error of trainer_agent_lab ({what}), not on anything in the request "
                "or the data. The notebook so far is saved; please report it with report.json, whose error holds "
                "the traceback."))
            report.error = {"ename": type(exc).__name__, "evalue": str(exc), "internal": True,
                            "traceback": "".join(traceback.format_exception(exc))}
            task.say(f"Stopped (failed): {report.reason}")
        finally:
            self._leave_run_folder(memory, stopped=stopped)
            self._finish(report, memory, self._plan, self._intro, started)
        return report

    # -- the run folder, where the notebook lies elsewhere ---------------------------------------------
    def _elsewhere(self) -> bool:
        """Whether the notebook lies outside the run folder (the chat panel's: the person's own notebook)."""
        return Path(self.driver.path).resolve().parent != self.out_dir.resolve()

    def _enter_run_folder(self, memory: RunMemory, cell_file: str) -> None:
        """Where the notebook lies elsewhere, a cell that makes the kernel work in the run folder, so that the
        files the cells write go there (``cells/run_folder`` the first time, ``cells/run_folder_again`` in a
        follow-up); nothing where the notebook is in the run folder (its kernel starts there)."""
        if not self._elsewhere():
            return
        if self._stranded and cell_file == "cells/run_folder":  # back first (a restarted kernel is there already)
            self._folder_cells(memory, "cells/run_folder_leave")
        self._stranded = False
        # the path as the notebook writes it: relative to the notebook's folder, so that it re-runs anywhere
        values = {"RUN_FOLDER": os.path.relpath(self.out_dir.resolve(), Path(self.driver.path).resolve().parent)
                  } if cell_file == "cells/run_folder" else {}
        for result in self._folder_cells(memory, cell_file, **values):
            if result.error is not None:
                raise CellExecutionFailed(f"The kernel could not work in the run folder {self.out_dir}: "
                                          f"{result.error.headline}.", error=result.error.to_dict())
        self._in_run_folder = True

    def _leave_run_folder(self, memory: RunMemory, *, stopped: bool = False) -> None:
        """After a turn that moved the kernel into the run folder: back to the notebook's folder (a cell), so that
        the person's own cells find their files; a run the person stopped (no further cell may run) or a dead
        kernel is left as it is, and the next run's first cell comes back first."""
        if not self._in_run_folder:
            return
        self._in_run_folder = False
        if stopped:
            self._stranded = True
            return
        try:
            self._stranded = any(r.error is not None for r in self._folder_cells(memory, "cells/run_folder_leave"))
        except (TrainerAgentError, KeyboardInterrupt):
            self._stranded = True

    def _folder_cells(self, memory: RunMemory, cell_file: str, **values: Any) -> list[Any]:
        """Run a run-folder cell file's cells (the Task agent's plumbing, outside the plan); their results."""
        results = []
        for cell in render(cell_file, **values):
            results.append(self.driver.add_code(cell.source, metadata={
                "trainer_agent": {"agent": "Task", "step": "run_folder"}, **cell.metadata}))
            memory.cells.append(results[-1])
        return results

    # -- the SOP, phase by phase -------------------------------------------------------------------
    def _run_context(self, task: TaskAgent, started: float) -> Run:
        budget = TimeBudget(task.memory.spec.time_budget_s or DEFAULT_TIME_BUDGET_S, self._kind.budget_split, started)
        run = Run(task=task, driver=self.driver, emit=self.emit, seed=self.seed, budget=budget,
                  assume_yes=self.assume_yes)
        run.switch_kind = lambda task_type: self._switch_kind(run, task_type)
        return run

    def _phase(self, phase: str, run: Run, body: Callable[[], None]) -> None:
        """One agent's phase between a markdown cell saying what it is about to do and why (from the request)
        and one saying what the agents found and decided there (the messages the chat showed, with their numbers).
        """
        agent, title = PHASE_TITLES[phase]
        intent = {"data": self._kind.data_intent, "model": self._kind.model_intent,
                  "server": self._kind.server_intent}[phase](run.spec)
        level = "###" if self._revision else "##"  # in a revision: a part of its section
        self.driver.add_markdown(f"{level} {agent} agent — {title}\n\n{intent}\n",
                                 metadata={"trainer_agent": {"agent": agent, "phase": phase, "part": "opening"}})
        before = len(run.memory.messages)
        try:
            body()
        finally:
            said = [e for e in run.memory.messages[before:] if e.kind == "message"]
            if said:
                lines = [f"- **{e.agent}**: {e.text}" for e in said]
                self.driver.add_markdown(f"**What the agents found and decided ({agent.lower()} phase)**\n\n"
                                         + "\n".join(lines) + "\n", metadata={"trainer_agent": {
                                             "agent": agent, "phase": phase, "part": "closing"}})

    def _switch_kind(self, run: Run, task_type: TaskType) -> None:
        """The data is of another kind than the request said (a table of one text column and a label): re-plan as
        that kind and carry on with its Data phase after the set-up cell that already ran."""
        memory = run.memory
        memory.spec = memory.spec.model_copy(update={"task_type": task_type})
        memory.spec.write(self.out_dir / "spec.json")
        self._kind = kind_for(task_type)
        self._plan = run.task.plan(self._kind.steps(memory.spec), self._kind.step_titles)
        run.budget.split = self._kind.budget_split
        run.task.say(f"The data is one column of free text and a label: this is a task for the {self._kind.name} "
                     "kind, so the plan follows its SOP.")
        self._kind.data_phase(run, setup=False)

    def _succeeded_or_missed(self, memory: RunMemory) -> RunReport:
        """The outcome of a run that got to the end: failed when a measured requirement is missed, else succeeded.

        Clauses of the request the agents did not understand (``spec.not_understood``, kept with ``--yes``) are
        named as unchecked: the reason never says every requirement is met while one is unaccounted for.
        """
        rows = memory.results.get("conclude", {}).get("constraints", [])
        missed = [r for r in rows if not r["met"]]
        unchecked = memory.spec.not_understood
        left = ""
        if unchecked:
            left = (f" Not checked, because I did not understand {'it' if len(unchecked) == 1 else 'them'}: "
                    + "; ".join(f"“{clause}”" for clause in unchecked) + ".")
        if not missed:
            if not rows:
                return RunReport(status="succeeded", reason="Trained, evaluated and packaged; the request set no "
                                 + ("targets I could measure." if unchecked else "measurable targets.") + left)
            return RunReport(status="succeeded", reason=("Every requirement I could measure is met." if unchecked
                                                         else "Every requirement is met.") + left)
        text = "; ".join(f"{r['name']} {r['actual']!s} (target {r['target']})" for r in missed)
        return RunReport(status="failed", reason=f"The model was trained and packaged, but these requirements "
                         f"are not met: {text}. See the constraint table in the notebook." + left)

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
            "n_inputs": export.get("n_inputs"), "inputs": export.get("inputs"),  # the exported model's own inputs
        }.items() if v is not None}
        measured = {row.name: row.actual for row in report.constraints}
        if measured.get("excluded_inputs") is not None:  # the inputs the request excluded that the model still reads
            report.model["excluded_inputs"] = int(measured["excluded_inputs"])
        report.capacity = r.get("capacity", {}).get("capacity", {})
        report.engine = {"name": memory.spec.engine, "address": memory.spec.engine_address,
                         **r.get("search", {}).get("engine", {})}
        report.notes = list(memory.notes)
        report.cells = {"total": len({c.cell_id for c in memory.cells}), "failed_then_repaired": memory.repaired}
        # only files this run wrote: spec.json once the request was read; the bundle when the bundle step
        # finished in this turn (never one an earlier run or turn left in the folder); predictions.csv when the
        # predictions step (the Server agent's, right after this turn's bundle step) finished after it
        bundle, bundle_zip = self.out_dir / "bundle", self.out_dir / "bundle.zip"
        predictions = self.out_dir / "predictions.csv"
        report.paths = {"notebook": str(self.driver.path)}
        if "understand" in memory.done_steps and (self.out_dir / "spec.json").is_file():
            report.paths["spec"] = str(self.out_dir / "spec.json")
        bundled = memory.done_steps.count("bundle") > self._bundles_before
        if bundled and bundle.is_dir() and bundle_zip.is_file():
            report.paths.update(bundle=str(bundle), bundle_zip=str(bundle_zip))
        if bundled and "predictions" in _after_last(memory.done_steps, "bundle") and predictions.is_file():
            report.paths["predictions"] = str(predictions)
        if intro is not None:
            used = environment(c.source for c in memory.cells)  # the install line names all the cells import
            self.driver.update_markdown(intro, requirements_markdown(memory.spec, plan, set(memory.done_steps),
                                                                     seed=self.seed, environment=used))
        closing = _closing_markdown(report, self._revision)
        closing_id = self.driver.add_markdown(closing, metadata={"trainer_agent": {"agent": "Task", "part": "outcome"}})
        if self._supersedes or self._outcome is None:  # a follow-up that changed nothing leaves the outcome as it is
            if self._outcome is not None:  # the earlier outcome (the first request's, an earlier revision's) says so
                self.driver.update_markdown(self._outcome[0], self._outcome[1] + _superseded(self._revision))
            self._outcome = (closing_id, closing)
        self.driver.save()
        total = time.perf_counter() - started
        kernel = float(getattr(self.driver, "kernel_wait_s", 0.0))
        report.timings = {"total_s": round(total, 3), "cells_s": round(memory.cells_seconds, 3),
                          "kernel_s": round(kernel, 3),
                          "agent_s": round(total - memory.cells_seconds - kernel, 3)}
        report.write(self.out_dir / "report.json")
        self.emit(Event("status", "Task", report.status, {"reason": report.reason}))


def _after_last(steps: list[str], step: str) -> list[str]:
    """The steps done after the last time ``step`` was (all of them when it never was)."""
    return steps[len(steps) - steps[::-1].index(step):] if step in steps else list(steps)


def _revision_heading(revision: int, message: str) -> str:
    """The heading of a follow-up's section: its number and the message, quoted as literal words."""
    return (f"## Revision {revision} — a follow-up\n\n> {escape_markdown(' '.join(message.split()))}"
            "\n\nThe sections above stay as they ran; this section re-runs what the change concerns and ends with "
            f"the outcome of revision {revision}.\n")


def _superseded(revision: int) -> str:
    """The line an earlier outcome cell gains when a later turn writes its own outcome."""
    later = f"revision {revision} below" if revision else "the run below"
    return f"\n*Superseded: {later} has the latest outcome.*\n"


def _closing_markdown(report: RunReport, revision: int = 0) -> str:
    """The last cell of a turn: outcome, reason, what was not checked, and where the bundle is (a revision's
    outcome is titled with its number, inside its section).

    The reason may quote the request, so no tag in it lands as HTML ("<script>" shows as text).
    """
    title = f"### Outcome of revision {revision}" if revision else "## Outcome"
    lines = [f"{title}: **{report.status}**", "", without_tags(report.reason)]
    unchecked = report.spec.get("not_understood") or []
    if unchecked and report.status in ("succeeded", "failed"):
        lines += ["", "**Not checked** — the agents did not understand these parts of the request, so nothing in "
                  "this notebook honours or measures them:", "", *(f"- {escape_markdown(c)}" for c in unchecked)]
    if report.question:
        lines += ["", f"**Question:** {without_tags(report.question)}"]
        if report.options:
            lines.append("Options: " + ", ".join(f"`{o}`" for o in report.options))
    if "bundle" in report.paths:  # where it is from the notebook's folder: bundle/, or the run folder's beside it
        where = Path(os.path.relpath(report.paths["bundle"], Path(report.paths["notebook"]).parent)).as_posix()
        lines += ["", f"The deployment bundle is in `{where}/` (and `{where}.zip`); "
                  f"`python {where}/serve.py --port 8000` serves it."]
    return "\n".join(lines) + "\n"
