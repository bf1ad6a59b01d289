"""``@TrainerAgent`` in jupyter-ai's chat: a jupyter-ai 3 persona over the same orchestrator.

Install the extra (``pip install 'trainer-agent-lab[jupyter-ai]'``) and jupyter-ai's persona manager finds
:class:`TrainerAgentPersona` through the entry point group ``jupyter_ai.personas``. Mention it in a chat::

    @TrainerAgent classify sklearn:wine with at least 90% accuracy
    @TrainerAgent now also deploy on 2 GB containers at 100 QPS       (only the Server agent re-runs)
    @TrainerAgent accuracy must now be 95%                            (the Model agent continues)

jupyter-ai makes one persona per chat, so each chat is one :class:`ChatSession`: one notebook, one kernel,
one run folder beside the chat file (``trainer-agent-runs/<chat>-<time>/``: ``notebook.ipynb``,
``report.json``, ``bundle/``). The first request runs; once a run has prepared its data, later messages are
requirement changes (:meth:`~trainer_agent_lab.agents.orchestrator.Orchestrator.revise`). A run that stopped
for an answer (``needs_input``: no data named, which column to predict...) takes the next message as the
answer: the request is asked again with it. A refused request is not carried over. The agents' messages are
streamed into the reply as they come, then the outcome: constraint table, metrics, notebook and bundle.
The chat's stop button interrupts the kernel; the notebook so far is kept.

Settings, from the Jupyter server's environment: ``TRAINER_AGENT_LLM`` (``offline``, the default, or
``openai`` with ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY`` / ``TRAINER_AGENT_LLM_MODEL``), ``TRAINER_AGENT_TIME_BUDGET``
(seconds per run, default the orchestrator's) and ``TRAINER_AGENT_RUNS_DIR`` (where run folders go).

The routing and streaming (:class:`ChatSession`, :class:`PersonaLogic`) depend only on the persona interface
that jupyter-ai documents (``chat``, ``send_message``, ``stream_message``, ``get_chat_dir``...), and are
tested without jupyter-ai; :class:`TrainerAgentPersona` is defined on jupyter-ai's ``BasePersona`` when it is
installed, and is otherwise a stand-in that says what to install.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .agents.base import Event
from .errors import TrainerAgentError, UsageError
from .llm.base import LLMClient, make_llm
from .llm.offline import parse_request
from .notebook.driver import NotebookDriver
from .orchestrator import Orchestrator
from .report import RunReport

__all__ = ["AVATAR", "ChatSession", "PersonaLogic", "TrainerAgentPersona", "format_event", "format_report"]

NAME = "TrainerAgent"
DESCRIPTION = ("Four agents (Task, Data, Model, Server) that turn a request into an executed notebook, a trained "
               "model and a deployment bundle; later messages change the requirements.")
SYSTEM_PROMPT = ("You are TrainerAgent: a Task agent that plans and checks requests, and Data, Model and Server "
                 "agents that write and run notebook cells to train, evaluate and package a model.")
AVATAR = Path(__file__).with_name("avatar.svg")
HELP = (f"Ask me for a model, e.g. `@{NAME} classify sklearn:wine with at least 90% accuracy` (data: a file "
        "or folder path beside this chat, or sklearn:NAME). Later messages change the requirements, e.g. "
        f"`@{NAME} now also deploy on 2 GB containers at 100 QPS`.")

DriverFactory = Callable[[Path], NotebookDriver]


def _headless(path: Path) -> NotebookDriver:
    from .notebook.headless import HeadlessDriver

    return HeadlessDriver(path)


def strip_mention(body: str, name: str = NAME) -> str:
    """The message without the ``@name`` mention(s) that routed it here."""
    text = re.sub(rf"@{re.escape(name)}\b:?", " ", body or "", flags=re.I)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def format_event(event: Event) -> str | None:
    """One streamed line for an agent event, or None for the ones a chat does not need (step starts..., the
    closing "Stopped (...)" message, which the outcome below the stream says again)."""
    if event.kind == "message" and event.text and not event.text.startswith("Stopped ("):
        return f"- **{event.agent}**: {event.text}\n"
    if event.kind == "step" and event.data.get("state") == "failed":
        return f"- **{event.agent}**: the {event.text} cell failed ({event.data.get('error', '')}).\n"
    return None


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "—" if value is None else str(value)


def format_report(report: RunReport, root: Path | None = None) -> str:
    """The outcome as chat markdown: status and reason, constraint table, metrics, model, where things are."""
    def where(path: str) -> str:
        p = Path(path)
        if root is not None:
            try:
                return str(p.resolve().relative_to(root.resolve()))
            except ValueError:
                pass
        return str(p)

    lines = [f"\n**Outcome: {report.status}.** {report.reason}"]
    if report.question:
        lines.append(f"\n**Question:** {report.question}" + (
            " Options: " + ", ".join(f"`{o}`" for o in report.options) if report.options else ""))
    if report.constraints:
        lines += ["", "| requirement | target | measured | met |", "|---|---|---|---|"]
        lines += [f"| {c.name} | {c.target} | {_shown(c.actual)} | {'yes' if c.met else '**no**'} |"
                  for c in report.constraints]
    if report.metrics:
        lines.append("\nTest metrics: " + ", ".join(f"{k} {_shown(v)}" for k, v in report.metrics.items()
                                                     if isinstance(v, (int, float))))
    if report.model.get("family"):
        parameters = report.model.get("parameters")
        lines.append(f"\nModel: {report.model['family']}"
                     + (f", {parameters:,} parameters" if isinstance(parameters, int) else ""))
    if report.paths.get("notebook"):
        lines.append(f"\nNotebook: `{where(report.paths['notebook'])}`"
                     + (f" · bundle: `{where(report.paths['bundle'])}`" if report.paths.get("bundle") else ""))
    return "\n".join(lines) + "\n"


class ChatSession:
    """One chat's conversation with the agents (a notebook, a kernel and a run folder, made at the first message).

    Parameters
    ----------
    runs_dir:
        Where the run folder goes (``<runs_dir>/<name>-<time>/``).
    name:
        The chat's name, for the run folder.
    workspace:
        The folder relative data paths in requests are read from (the chat's folder).
    llm:
        The planner (:func:`~trainer_agent_lab.llm.make_llm`); None: offline rules.
    make_driver, make_orchestrator:
        How the notebook driver and the orchestrator are made (the headless driver and :class:`Orchestrator`).
    """

    def __init__(self, runs_dir: Path, name: str, *, workspace: Path | None = None, llm: LLMClient | None = None,
                 time_budget_s: float | None = None, make_driver: DriverFactory = _headless,
                 make_orchestrator: Callable[..., Orchestrator] = Orchestrator) -> None:
        self.runs_dir = Path(runs_dir)
        self.name = re.sub(r"[^\w.-]+", "-", name).strip("-.") or "chat"
        self.workspace = Path(workspace) if workspace else None
        self.llm = llm
        self.time_budget_s = time_budget_s
        self._make_driver, self._make_orchestrator = make_driver, make_orchestrator
        self.out: Path | None = None
        self.driver: NotebookDriver | None = None
        self.orchestrator: Orchestrator | None = None
        #: Requests of runs that stopped for an answer; the next message is asked together with them.
        self.pending: list[str] = []
        self.reports: list[RunReport] = []
        self.running = False
        self._sink: Callable[[Event], None] = lambda event: None
        #: The session's one worker thread: the kernel is started, driven and shut down from it.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trainer-agent-chat")

    @property
    def prepared(self) -> bool:
        """Whether a run has prepared its data, so that messages are now requirement changes."""
        memory = self.orchestrator.memory if self.orchestrator is not None else None
        return memory is not None and "split" in memory.results

    def _start(self) -> Orchestrator:
        if self.orchestrator is None:
            self.out = self.runs_dir / f"{self.name}-{time.strftime('%Y%m%d-%H%M%S')}"
            self.out.mkdir(parents=True, exist_ok=True)
            self.driver = self._make_driver(self.out / "notebook.ipynb")
            self.orchestrator = self._make_orchestrator(self.driver, self.out, on_event=lambda e: self._sink(e),
                                                        assume_yes=False, llm=self.llm)
        return self.orchestrator

    def _data(self, request: str) -> str | None:
        """The first data reference the request writes, a relative path read from the workspace."""
        refs = parse_request(request).data
        if not refs:
            return None
        ref = refs[0]
        if ref.startswith("sklearn:") or Path(ref).expanduser().is_absolute() or self.workspace is None:
            return ref
        return str((self.workspace / ref).resolve())

    def handle(self, text: str, on_event: Callable[[Event], None] | None = None) -> RunReport:
        """Answer one message (blocking: a run takes minutes). The first request runs; once data is prepared,
        messages are requirement changes; an answer to a question is asked together with its request."""
        self._sink = on_event or (lambda event: None)
        self.running = True
        try:
            orchestrator = self._start()
            if self.prepared:
                report = orchestrator.revise(text)
            else:
                request = "\n".join([*self.pending, text])
                report = orchestrator.run(request, data=self._data(request), time_budget_s=self.time_budget_s)
                self.pending = [request] if report.status == "needs_input" and not self.prepared else []
        finally:
            self.running = False
            self._sink = lambda event: None
        self.reports.append(report)
        return report

    async def stream(self, text: str) -> AsyncIterator[str]:
        """The reply to ``text`` as it happens: the agents' messages, then the outcome.

        The run goes on a worker thread (the server's event loop stays free); events cross over through
        the loop. A failure is told in the reply rather than raised.
        """
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Event] = asyncio.Queue()
        work = loop.run_in_executor(self._worker, self.handle, text,
                                    lambda e: loop.call_soon_threadsafe(queue.put_nowait, e))
        yield f"Working on it: _{text[:200]}_\n\n"
        while True:
            getter = asyncio.ensure_future(queue.get())
            await asyncio.wait({getter, work}, return_when=asyncio.FIRST_COMPLETED)
            if not getter.done():
                getter.cancel()
                break
            line = format_event(getter.result())
            if line:
                yield line
        while not queue.empty():
            line = format_event(queue.get_nowait())
            if line:
                yield line
        try:
            report = await work
        except TrainerAgentError as exc:
            yield f"\n**Stopped:** {exc}\n"
            return
        except Exception as exc:  # noqa: BLE001 (a chat reply, not a crash of the server)
            yield f"\n**Something went wrong:** {type(exc).__name__}: {exc}\n"
            return
        yield format_report(report, self.workspace)

    def stop(self) -> bool:
        """Interrupt the running cell (the run ends; the notebook so far is kept). False when nothing runs."""
        if not self.running or self.driver is None:
            return False
        self.driver.interrupt()
        return True

    def close(self) -> None:
        """Save the notebook and stop the kernel (blocking; from the session's worker thread, which then ends)."""
        self._worker.submit(self._close_here).result()
        self._worker.shutdown()

    def _close_here(self) -> None:
        try:
            if self.driver is not None:
                self.driver.close()
                self.driver = None
        finally:  # the event loop the kernel client made on this thread goes with it
            try:
                loop = asyncio.get_event_loop_policy().get_event_loop()
            except RuntimeError:
                loop = None
            if loop is not None and not loop.is_running() and not loop.is_closed():
                loop.close()
            asyncio.set_event_loop(None)


class PersonaLogic:
    """What the persona does with a message, on the interface jupyter-ai's ``BasePersona`` documents:
    ``chat``, ``send_message(body)``, ``stream_message(async_iterator)`` and ``get_chat_dir()`` /
    ``get_chat_path()`` (through the persona manager). Mixed in before the base class."""

    _session: ChatSession | None = None

    def chat_session(self) -> ChatSession:
        """This chat's session (made at the first message)."""
        if self._session is None:
            chat_dir = self._chat_dir()
            runs = Path(os.environ.get("TRAINER_AGENT_RUNS_DIR") or chat_dir / "trainer-agent-runs")
            budget = os.environ.get("TRAINER_AGENT_TIME_BUDGET")
            self._session = ChatSession(runs, self._chat_name(), workspace=chat_dir,
                                        llm=make_llm(os.environ.get("TRAINER_AGENT_LLM") or "offline"),
                                        time_budget_s=float(budget) if budget else None)
        return self._session

    def _chat_dir(self) -> Path:
        try:
            return Path(self.get_chat_dir())  # type: ignore[attr-defined]
        except Exception:  # no persona manager (a bare persona): the server's working directory
            return Path.cwd()

    def _chat_name(self) -> str:
        try:
            return Path(self.get_chat_path()).stem  # type: ignore[attr-defined]
        except Exception:
            return str(getattr(self.chat, "get_id", lambda: "chat")())  # type: ignore[attr-defined]

    async def process_message(self, message: Any) -> None:
        """Route one chat message to this chat's session and stream the reply."""
        text = strip_mention(getattr(message, "body", ""))
        if not text:
            self.send_message(HELP)  # type: ignore[attr-defined]
            return
        try:
            session = self.chat_session()
        except UsageError as exc:  # e.g. TRAINER_AGENT_LLM=openai with nothing configured
            self.send_message(f"**Cannot start:** {exc}")  # type: ignore[attr-defined]
            return
        if session.running:
            self.send_message("A run is still going in this chat; wait for it, or press stop.")  # type: ignore
            return
        await self.stream_message(session.stream(text))  # type: ignore[attr-defined]

    async def cancel_response(self) -> None:
        """The chat's stop button: interrupt the running cell."""
        if self._session is not None and self._session.stop():
            self.send_message("Stopping: the running cell is interrupted; the notebook so far is kept.")  # type: ignore

    async def close_session(self) -> None:
        """Stop this chat's kernel and save its notebook (off the event loop)."""
        if self._session is not None:
            session, self._session = self._session, None
            await asyncio.get_running_loop().run_in_executor(None, session.close)


try:
    from jupyter_ai_persona_manager import BasePersona, PersonaDefaults
except ImportError:  # jupyter-ai is not installed: a stand-in that says what to install
    class TrainerAgentPersona(PersonaLogic):  # type: ignore[no-redef]
        """Stand-in: the persona needs jupyter-ai 3 (``pip install 'trainer-agent-lab[jupyter-ai]'``)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise UsageError("The TrainerAgent persona needs jupyter-ai 3 (jupyter_ai_persona_manager).",
                             hint="pip install 'trainer-agent-lab[jupyter-ai]'")
else:
    class TrainerAgentPersona(PersonaLogic, BasePersona):  # type: ignore[no-redef]
        """``@TrainerAgent`` in jupyter-ai's chat (see the module docstring)."""

        @property
        def defaults(self) -> PersonaDefaults:
            return PersonaDefaults(name=NAME, description=DESCRIPTION, avatar_path=str(AVATAR),
                                   system_prompt=SYSTEM_PROMPT, slash_commands=set())

        async def shutdown(self) -> None:
            await super().shutdown()
            await self.close_session()
