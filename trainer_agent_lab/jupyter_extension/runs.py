"""Runs started from the chat panel: one worker thread per turn, one event log per run.

A :class:`LabRun` is a :class:`~trainer_agent_lab.session.Session` over the notebook open in JupyterLab, on a
live driver: the first message asks for a model; an answer to the agents' question re-runs the request with
it; a later message changes requirements (:meth:`Session.ask <trainer_agent_lab.session.Session.ask>`). Data
references are resolved as in every door, relative paths from the notebook's folder. Each run writes its files
(``spec.json``, ``report.json``, ``bundle/``, ``bundle.zip``, the data split) into a folder of its own beside the
notebook, ``runs/<notebook stem>-<YYYYMMDD-HHMMSS>/`` (``-2``, ``-3``... when taken), so two notebooks in one
folder, or two runs of one notebook, never share a file; the notebook itself stays where the person has it, and
its first cell of the run moves the kernel into that folder (the last one back). Every event gets a
sequence number and stays in the run's log, so a panel that reconnects asks for what came after the last
number it saw and loses nothing. Every event is also kept in the run folder's ``chat.jsonl`` (:mod:`.history`),
so the conversation and the notebook's list of runs come back after a page reload or a server restart.

One run per notebook at a time: a request for a notebook a run is working on is refused, and a message sent to
a working run is queued and applied as a follow-up when the turn ends (it says so at once). A message to a
conversation of an earlier server (read back from its folder) continues it as a new run of the same notebook: that
server's kernel, and the data and model it held, are gone, so the request runs again with the change. Stop works
in every state: running, paused (its notebook closed), waiting for a cell's approval, a kernel decision or an answer.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..agents.base import Event
from ..errors import TrainerAgentError, UsageError
from ..notebook.live import LiveDriver, Transport
from ..report import RunReport
from ..session import Session, answered_request, new_run_folder
from . import history
from .history import StoredRun
from .wording import chat_record, for_chat

#: Run states shown by the panel.
STATES = ("running", "paused", "waiting_kernel", "succeeded", "failed", "refused", "needs_input", "stopped")


@dataclass
class LLMSettings:
    """The panel's LLM settings: the API key is never sent, only the name of the variable that holds it."""

    backend: str = "offline"
    base_url: str | None = None
    model: str | None = None
    api_key_env: str = "OPENAI_API_KEY"

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> LLMSettings:
        """Read the ``llm`` object of a request; unknown keys are ignored, a key itself is refused."""
        data = data or {}
        if "api_key" in data:
            raise UsageError("Send the name of the environment variable that holds the API key (api_key_env), "
                             "never the key itself.")
        env = str(data.get("api_key_env") or "OPENAI_API_KEY")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", env):
            raise UsageError(f"{env!r} is not an environment variable name.")
        backend = str(data.get("backend") or "offline")
        if backend not in ("offline", "openai"):
            raise UsageError(f"Unknown LLM backend {backend!r}.", hint="Use 'offline' or 'openai'.")
        return cls(backend, data.get("base_url") or None, data.get("model") or None, env)

    def options(self) -> dict[str, Any]:
        """What :func:`~trainer_agent_lab.llm.make_llm` takes besides the backend."""
        return {"base_url": self.base_url, "model": self.model, "api_key_env": self.api_key_env}

    def to_json(self) -> dict[str, Any]:
        """What :meth:`from_json` reads back (kept with the conversation: no key, only its variable's name)."""
        return {"backend": self.backend, **self.options()}


@dataclass
class LabRun:
    """One conversation with the agents over one notebook (its :class:`Session`), and its event log."""

    run_id: str
    notebook_path: str
    session: Session
    #: The first message; the session's ``request`` is the latest run's (with the answers asked with it).
    first_request: str = ""
    state: str = "running"
    events: list[dict[str, Any]] = field(default_factory=list)
    thread: threading.Thread | None = None
    created: float = field(default_factory=time.time)
    kernel_choice: str | None = None
    kernel_answered: threading.Event = field(default_factory=threading.Event)
    #: Messages sent while a turn worked: each becomes the next turn, in order.
    queued: list[str] = field(default_factory=list)
    #: Held while deciding whether a message starts a turn or waits in :attr:`queued`.
    turn_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def driver(self) -> LiveDriver:
        """The live driver of this turn."""
        return self.session.driver  # type: ignore[return-value]

    @property
    def out_dir(self) -> Path:
        """The run's own folder beside the notebook (``runs/<stem>-<time>``): ``spec.json``, ``report.json``,
        ``bundle/`` go there."""
        return self.session.out

    @property
    def request(self) -> str:
        """The request of the latest run."""
        return self.session.request or self.first_request

    @property
    def data(self) -> str | None:
        """The data reference, resolved."""
        return self.session.data.ref if self.session.data else None

    @property
    def reports(self) -> list[RunReport]:
        """Every turn's report, oldest first."""
        return self.session.reports

    @property
    def report(self) -> RunReport | None:
        """The latest turn's report."""
        return self.session.report

    @property
    def busy(self) -> bool:
        """True while a turn's thread is working."""
        return self.thread is not None and self.thread.is_alive()

    def summary(self) -> dict[str, Any]:
        """What ``GET /runs/{id}`` answers."""
        report = self.report
        return {"run_id": self.run_id, "notebook_path": self.notebook_path, "run_folder": str(self.out_dir),
                "request": self.request,
                "data": self.data, "state": self.state, "busy": self.busy, "last_seq": len(self.events),
                "created": self.created, "stored": False, "queued": len(self.queued),
                "report": report.model_dump(mode="json") if report else None,
                "bundle_zip": bool(report and report.paths.get("bundle_zip")
                                   and Path(report.paths["bundle_zip"]).exists())}


class RunManager:
    """Starts runs on worker threads and keeps their event logs.

    Parameters
    ----------
    transport:
        The bridge that carries the live driver's operations to the browser.
    root_dir:
        The Jupyter server's root: notebook paths are relative to it.
    publish:
        Called (from any thread) with every new event record, to broadcast it to the open panels.
    """

    def __init__(self, transport: Transport, root_dir: Path, publish: Callable[[dict[str, Any]], None]) -> None:
        self.transport = transport
        self.root_dir = Path(root_dir).resolve()
        self._publish = publish
        self._lock = threading.Lock()
        self.runs: dict[str, LabRun] = {}
        #: Runs read back from their folders (:mod:`.history`), by id: earlier servers' conversations.
        self.stored: dict[str, StoredRun] = {}

    # -- events ------------------------------------------------------------------------------------
    def record(self, run: LabRun, kind: str, agent: str = "Task", text: str = "", **data: Any) -> dict[str, Any]:
        """Append an event to the run's log (numbered from 1) and broadcast it."""
        with self._lock:
            record = {"type": "event", "run_id": run.run_id, "seq": len(run.events) + 1, "time": time.time(),
                      "kind": kind, "agent": agent, "text": for_chat(text), "data": chat_record(data)}
            run.events.append(record)
            try:
                history.append(run.out_dir, record)
            except OSError:  # a full or read-only disk: the live conversation goes on, unkept
                pass
        self._publish(record)
        return record

    def events_after(self, run_id: str, after: int = 0) -> list[dict[str, Any]]:
        """The run's events with a sequence number above ``after``."""
        run = self.get(run_id)
        with self._lock:
            return list(run.events[max(0, after):])

    def runs_for(self, notebook_path: str) -> list[dict[str, Any]]:
        """Summaries of every run of one notebook, oldest first: this server's and those kept in run folders."""
        live = [r for r in self.runs.values() if r.notebook_path == notebook_path]
        kept = history.stored_runs(self.local_path(notebook_path), notebook_path)
        known = {r.run_id for r in live}
        with self._lock:
            for stored in kept:
                if stored.run_id not in known:
                    self.stored[stored.run_id] = stored
        summaries = [r.summary() for r in live] + [s.summary() for s in kept if s.run_id not in known]
        return sorted(summaries, key=lambda s: s["created"])

    def set_state(self, run: LabRun, state: str, text: str = "", **data: Any) -> None:
        """Change the run's state and tell the panels."""
        run.state = state
        self.record(run, "state", "Task", text, state=state, **data)

    # -- runs --------------------------------------------------------------------------------------
    def get(self, run_id: str) -> LabRun | StoredRun:
        """The run with this id (a stored one once :meth:`runs_for` has read it), or a ``UsageError``."""
        run = self.runs.get(run_id) or self.stored.get(run_id)
        if run is None:
            raise UsageError(f"No run {run_id!r}.")
        return run

    def local_path(self, notebook_path: str) -> Path:
        """The notebook's file on disk; refuses paths that leave the server's root."""
        path = (self.root_dir / notebook_path.lstrip("/")).resolve()
        if self.root_dir not in path.parents:
            raise UsageError(f"The notebook path {notebook_path!r} is outside the server's root.")
        if path.suffix != ".ipynb":
            raise UsageError(f"{notebook_path!r} is not a notebook (.ipynb).")
        return path

    def busy_notebook(self, notebook_path: str) -> LabRun | None:
        """The run that works on this notebook right now, if any."""
        return next((r for r in self.runs.values() if r.notebook_path == notebook_path and r.busy), None)

    def start(self, request: str, notebook_path: str, *, data: str | None = None,
              time_budget_s: float | None = None, llm: LLMSettings | None = None,
              continues: StoredRun | None = None, said: str | None = None, engine: str | None = None) -> LabRun:
        """Start a run of ``request`` that writes into ``notebook_path``; return at once. A run that ``continues``
        an earlier server's conversation shows what the person ``said`` and says why it starts over."""
        request = (request or "").strip()
        if not request:
            raise UsageError("The message is empty: say what model you need.")
        local = self.local_path(notebook_path)
        other = self.busy_notebook(notebook_path)
        if other is not None:
            raise UsageError(f"A run is already working on {notebook_path} ({other.run_id}).",
                             hint="Stop it first, or pick another notebook.")
        run_id = uuid.uuid4().hex[:12]
        settings = llm or LLMSettings()
        # a folder of the run's own beside the notebook: runs never share (or overwrite) a file
        out = new_run_folder(local.parent / "runs", f"{local.stem}-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            session = Session(data=data, out=out, notebook=local, base=local.parent, time_budget_s=time_budget_s,
                              llm=settings.backend, llm_options=settings.options(), assume_yes=False, engine=engine,
                              driver=lambda path: LiveDriver(self.transport, notebook_path, path, run_id=run_id))
        except Exception:
            out.rmdir()  # still empty: the run never started
            raise
        run = LabRun(run_id, notebook_path, session, first_request=request)
        session.on_event = lambda event: self._agent_event(run, event)
        self._hook(run, session.start().driver)  # type: ignore[arg-type]
        with self._lock:
            self.runs[run_id] = run
        started_with: dict[str, Any] = {"data": run.data, "notebook_path": notebook_path, "llm": settings.to_json(),
                                        "engine": engine}
        if continues is not None:
            started_with.update(request=request, continues=continues.run_id)
        self.record(run, "user", "You", said or request, **started_with)
        if continues is not None:
            self.record(run, "message", "Task", "This conversation's kernel ended with the earlier Jupyter server, and "
                        "with it the prepared data and the model; so the request runs again with your message, as a "
                        f"new run of {notebook_path} in a folder of its own. The earlier run's folder stays as it is.",
                        continues=continues.run_id)
        self._turn(run, lambda: session.run(request))
        return run

    def message(self, run_id: str, text: str) -> LabRun:
        """A later message in the conversation: the answer to a question, or a change of requirements."""
        run = self.get(run_id)
        text = (text or "").strip()
        if not text:
            raise UsageError("The message is empty.")
        if isinstance(run, StoredRun):
            return self._continue(run, text)
        with run.turn_lock:
            if run.busy:
                run.queued.append(text)
                self.record(run, "user", "You", text, queued=True)
                self.record(run, "message", "Task", "Queued: the agents are still working; this message is applied "
                            "as a follow-up as soon as the current turn ends (Stop drops it).", queued=len(run.queued))
                return run
            self.record(run, "user", "You", text)
            self._turn(run, lambda: run.session.ask(text))
        return run

    def stop(self, run_id: str) -> LabRun:
        """Interrupt the kernel and halt the run."""
        run = self.get(run_id)
        if isinstance(run, StoredRun):
            return run  # it ended with its server
        with run.turn_lock:
            dropped, run.queued = run.queued, []
        if dropped:
            self.record(run, "message", "Task", f"Dropped {len(dropped)} queued message(s): the run is stopping.")
        if not run.busy:
            if run.state == "needs_input":  # waiting for an answer: the conversation ends here
                self.set_state(run, "stopped", "Stopped: the question is left unanswered; the notebook so far is "
                               "kept.", report=run.report.model_dump(mode="json") if run.report else None)
            return run
        if run.state == "paused":
            self.record(run, "message", "Task", f"Stopping: {run.notebook_path} is closed, so no cell is running; "
                        "the run ends here and the notebook so far is kept.")
        else:
            self.record(run, "message", "Task", "Stopping: interrupting the kernel; the notebook so far is kept.")
        if run.state == "waiting_kernel":
            self.kernel_choice(run_id, "stop")
        threading.Thread(target=run.driver.stop, name=f"stop-{run_id}", daemon=True).start()
        return run

    def kernel_choice(self, run_id: str, action: str) -> LabRun:
        """The person's answer after the kernel died: ``resume`` (restart and go on) or ``stop``."""
        if action not in ("resume", "stop"):
            raise UsageError(f"Unknown action {action!r}.", hint="Use 'resume' or 'stop'.")
        run = self.get(run_id)
        if isinstance(run, StoredRun) or run.state != "waiting_kernel":
            raise UsageError("The run is not waiting for a kernel decision.")
        run.kernel_choice = action
        run.kernel_answered.set()
        return run

    def paused(self, message: dict[str, Any], waiting: bool) -> None:
        """The bridge found (``waiting``) or found again the notebook an operation is for."""
        run = self.runs.get(str(message.get("run_id")))
        if run is None or not run.busy:
            return
        if waiting and run.state == "running":
            self.set_state(run, "paused", f"The notebook {run.notebook_path} is not open: the run is paused. "
                           "Open it again to go on; nothing is lost.", notebook_path=run.notebook_path)
        elif not waiting and run.state == "paused":
            self.set_state(run, "running", f"{run.notebook_path} is open again: going on.")

    # -- internals ---------------------------------------------------------------------------------
    def _continue(self, stored: StoredRun, text: str) -> LabRun:
        """A message to a conversation of an earlier server: its latest request (an answer to its question, or a
        change, added as the session adds them), run again as a new run of the notebook, with the data, time
        budget, LLM settings and search engine it was run with."""
        report = stored.report
        spec = report.spec if report else {}
        asked = report if report is not None and report.status == "needs_input" else None
        request, budget = answered_request(stored.latest_request, asked, text, spec.get("time_budget_s"))
        llm = stored.started_with.get("llm")
        return self.start(request, stored.notebook_path, data=stored.started_with.get("data"), time_budget_s=budget,
                          llm=LLMSettings.from_json(llm) if isinstance(llm, dict) else None, continues=stored,
                          said=text, engine=stored.started_with.get("engine"))

    def _turn(self, run: LabRun, work: Callable[[], RunReport]) -> None:
        def target() -> None:
            report: RunReport | None = None
            try:
                report = work()
            except TrainerAgentError as exc:  # raised before the orchestrator's own handling (bad arguments)
                report = RunReport(status=exc.status, reason=str(exc))  # type: ignore[arg-type]
            except KeyboardInterrupt:
                report = RunReport(status="failed", reason="The run was stopped; the notebook so far is kept.")
            except Exception as exc:  # noqa: BLE001 - the panel must hear about it; the thread must not die silently
                report = RunReport(status="failed", reason=f"Internal error: {type(exc).__name__}: {exc}")
            finally:
                if report is not None:
                    if not any(kept is report for kept in run.reports):  # raised before the session kept it
                        run.reports.append(report)
                    self._end_turn(run, report)

        if run.driver.stopped:  # after a stop, a new driver for the next turn (the old one runs no more cells)
            self._hook(run, run.session.renew_driver())  # type: ignore[arg-type]
        run.state = "running"
        run.thread = threading.Thread(target=target, name=f"trainer-agent-run-{run.run_id}", daemon=True)
        self.set_state(run, "running")
        run.thread.start()

    def _end_turn(self, run: LabRun, report: RunReport) -> None:
        """Say how the turn ended; a message queued meanwhile starts the next turn (not after a stop)."""
        stopped = run.driver.stopped
        state = "stopped" if stopped else report.status
        reason = report.reason
        if stopped and not any(word in reason.lower() for word in ("stop", "interrupt")):
            reason = f"Stopped. {reason}"  # the badge and the card say stopped, so does the reason
        with run.turn_lock:
            following = run.queued.pop(0) if run.queued and not stopped else None
            if following is None:
                run.thread = None
            self.set_state(run, state, reason, report=report.model_dump(mode="json"))
            if following is not None:
                self.record(run, "message", "Task", f"Now the queued message: {following}")
                self._turn(run, lambda: run.session.ask(following))

    def _hook(self, run: LabRun, driver: LiveDriver) -> None:
        """Kernel deaths ask the person; the parsed spec and the plan go to the panel as a ``spec`` event."""
        driver.on_kernel_died = lambda step, index: self._kernel_died(run, step, index)

        def spec_event(key: str, value: Any) -> None:
            if key == "trainer_agent" and isinstance(value, dict) and "spec" in value:
                self.record(run, "spec", "Task", "", spec=value["spec"], plan=value.get("plan", []))

        driver.on_metadata.append(spec_event)

    def _agent_event(self, run: LabRun, event: Event) -> None:
        self.record(run, event.kind, event.agent, event.text, **event.data)

    def _kernel_died(self, run: LabRun, step: str, index: int) -> str:
        run.kernel_answered.clear()
        run.kernel_choice = None
        self.set_state(run, "waiting_kernel", f"The kernel died while running the {step} step (cell {index + 1}). "
                       "Restart it and resume from that step, or stop the run?", step=step, cell_index=index,
                       options=["resume", "stop"])
        while not run.kernel_answered.wait(0.2):
            if run.driver.stopped:
                return "stop"
        choice = run.kernel_choice or "stop"
        if choice == "resume":
            self.set_state(run, "running", f"Restarting the kernel, re-running the cells before the {step} step, "
                           f"then the {step} step again.")
        return choice
