"""IPython magics: ``%load_ext trainer_agent_lab``, then ``%%traineragent`` and ``%traineragent ...``.

A thin adapter over the :class:`~trainer_agent_lab.orchestrator.Orchestrator`, with the in-kernel
driver: the generated cells run in the user's own shell, so afterwards ``df``, ``model``, ``METRICS``,
``X_train``... are the user's variables, plus ``TRAINER_AGENT_REPORT`` (the :class:`RunReport`) and
``BUNDLE_DIR`` (the bundle's absolute path). The cells are also saved, with their outputs, in the run
notebook ``OUT/notebook.ipynb``; in JupyterLab with the lab extension they are also inserted, with their
outputs, below the magic cell (a later run of the same cell replaces them; ``--no-insert`` keeps them out).

::

    %%traineragent --data sklearn:wine --budget 60
    wine classifier with at least 95% accuracy

    %traineragent status | stop | spec | plan | bundle | wait
    %traineragent ask "accuracy must now be 97%"

``--background`` runs the request on a thread, so the cell returns at once and ``%traineragent stop`` can
interrupt it (``%traineragent wait`` blocks until it ends). Without it the cell blocks like any training cell,
and Jupyter's stop button interrupts the run. Bad input raises IPython's ``UsageError``: one clear line, no
traceback, and nothing in the namespace changes.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import threading
import time
from pathlib import Path
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class

from .agents.base import Event
from .llm.offline import parse_request
from .notebook.inkernel import InKernelDriver, make_view
from .notebook.lab_mirror import LabMirror, install_guard
from .orchestrator import Orchestrator
from .report import RunReport

COMMANDS = ("status", "stop", "spec", "plan", "bundle", "ask", "wait")


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad options as a ``UsageError`` instead of exiting the kernel."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"%%traineragent: {message}\nusage: %%traineragent [--data REF] [--budget S] [--out DIR] "
                         "[--background] [--no-insert]\n<the request, in plain words, on the following lines>")


def _parser() -> _Parser:
    parser = _Parser(prog="%%traineragent", add_help=False)
    parser.add_argument("--data", help="a file, a folder, or sklearn:NAME")
    parser.add_argument("--budget", type=float, help="time budget in seconds")
    parser.add_argument("--out", help="the run folder (default runs/<timestamp>)")
    parser.add_argument("--background", action="store_true", help="run on a thread; the cell returns at once")
    parser.add_argument("--no-insert", dest="insert", action="store_false",
                        help="do not insert the generated cells below the magic cell in JupyterLab")
    return parser


def check_data(ref: str) -> str:
    """The data reference, resolved: ``sklearn:NAME`` must exist in scikit-learn, a path on disk."""
    if ref.startswith("sklearn:"):
        import sklearn.datasets

        name = ref.split(":", 1)[1]
        if not name or not callable(getattr(sklearn.datasets, f"load_{name}", None)):
            raise UsageError(f"%%traineragent: unknown bundled data set {ref!r}; scikit-learn ships sklearn:iris, "
                             "sklearn:wine, sklearn:digits, sklearn:breast_cancer and sklearn:diabetes.")
        return ref
    if ref in ("synthetic:shapes", "synthetic:job-ads"):  # the Data agent makes the data (image / text demos)
        return ref
    path = Path(ref).expanduser()
    if not path.exists():
        raise UsageError(f"%%traineragent: --data {ref!r}: no such file or folder (working directory "
                         f"{Path.cwd()}).")
    return str(path.resolve())


class _Session:
    """One request's run: its folder, driver, orchestrator, thread and report."""

    def __init__(self, magics: TrainerAgentMagics, out: Path, view: Any, *, insert: bool = True) -> None:
        self.magics = magics
        self.out = out
        self.view = view
        self.insert = insert
        self.driver = InKernelDriver(magics.shell, out / "notebook.ipynb", view=view)
        self.orchestrator = Orchestrator(self.driver, out, on_event=self.on_event, assume_yes=True)
        self.thread: threading.Thread | None = None
        self.report: RunReport | None = None
        self.step = ""
        self.started = time.time()
        self.finished: float | None = None

    @property
    def running(self) -> bool:
        return self.finished is None

    def on_event(self, event: Event) -> None:
        if event.kind == "message":
            self.view.message(event.agent, event.text)
        elif event.kind == "step":
            state = event.data.get("state")
            self.step = f"{event.agent} · {event.text} ({state})"
            memory = self.orchestrator.memory
            done = len(set(memory.done_steps)) if memory else 0
            total = len(getattr(self.orchestrator, "_plan", []) or []) or 16
            self.view.progress(done, total)

    def mirror(self, request: str) -> None:
        """Send this run's cells to the lab notebook, below the cell that runs now (call on the shell's thread)."""
        if self.insert:
            self.driver.mirror = LabMirror(self.magics.shell, run_dir=self.out, notebook=self.driver.path,
                                           request=request, start=len(self.driver.nb.cells))

    def execute(self, work: Any) -> None:
        """Run ``work`` (orchestrator.run or .revise), then publish the results into the user's namespace."""
        ns = self.magics.shell.user_ns
        before = {k: id(v) for k, v in ns.items()}
        self.finished = None
        self.started = time.time()
        try:
            self.report = work()
        except (Exception, KeyboardInterrupt) as exc:  # a bug or a late stop must not take the kernel down
            self.report = RunReport(status="failed", reason=f"{type(exc).__name__}: {exc}")
        finally:
            self.driver.save()
            if self.driver.mirror is not None:
                self.driver.mirror.close(self.report)
                self.driver.mirror = None
            self.finished = time.time()
        self._publish(ns, before)
        self.magics._print(summary(self.report, self.out))

    def _publish(self, ns: dict[str, Any], before: dict[str, int]) -> None:
        for name, value in list(ns.items()):  # paths the cells wrote relative to the run folder: absolute
            if before.get(name) != id(value) and isinstance(value, Path) and not value.is_absolute() \
                    and (self.out / value).exists():
                ns[name] = (self.out / value).resolve()
        ns["TRAINER_AGENT_REPORT"] = self.report
        if (self.out / "bundle").is_dir():
            ns["BUNDLE_DIR"] = (self.out / "bundle").resolve()


def summary(report: RunReport | None, out: Path) -> str:
    """A few lines: outcome, reason, metrics, and where the notebook and the bundle are."""
    if report is None:
        return "TrainerAgent: no report."
    lines = [f"TrainerAgent: {report.status} — {report.reason}"]
    if report.question:
        lines.append(f"Question: {report.question}")
    if report.metrics:
        lines.append("metrics: " + ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                                             for k, v in report.metrics.items()))
    lines.append(f"run notebook: {out / 'notebook.ipynb'}")
    if report.paths.get("bundle"):
        lines.append(f"bundle: {report.paths['bundle']}  (variables: TRAINER_AGENT_REPORT, BUNDLE_DIR)")
    else:
        lines.append("variables: TRAINER_AGENT_REPORT")
    return "\n".join(lines)


@magics_class
class TrainerAgentMagics(Magics):
    """``%%traineragent`` (a request) and ``%traineragent status|stop|spec|plan|bundle|wait|ask "..."``."""

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell, **kwargs)
        self.session: _Session | None = None

    @line_cell_magic
    def traineragent(self, line: str = "", cell: str | None = None) -> Any:
        """Run a request (cell body) on data with the TrainerAgent agents, in this kernel.

        ``%%traineragent [--data REF] [--budget S] [--out DIR] [--background]`` with the request as the body;
        ``%traineragent status | stop | spec | plan | bundle | wait | ask "follow-up"``.
        """
        if cell is None:
            return self._command(line)
        return self._request(line, cell)

    # -- %%traineragent ------------------------------------------------------------------------------
    def _request(self, line: str, cell: str) -> None:
        try:
            words = shlex.split(line)
        except ValueError as exc:
            raise UsageError(f"%%traineragent: cannot read the options: {exc}") from None
        args = _parser().parse_args(words)
        request = cell.strip()
        if not request:
            raise UsageError("%%traineragent: the request is empty; write it in plain words in the cell body, "
                             "e.g. 'wine classifier with at least 95% accuracy'.")
        if args.budget is not None and args.budget <= 0:
            raise UsageError(f"%%traineragent: --budget must be a positive number of seconds, not {args.budget:g}.")
        data = check_data(args.data) if args.data else None
        if data is None and not parse_request(request).data:
            raise UsageError("%%traineragent: no data: pass --data PATH or a bundled set such as "
                             "--data sklearn:wine.")
        if self.session is not None and self.session.running and self.session.thread is not None:
            raise UsageError("%%traineragent: a run is still going; `%traineragent stop` it or "
                             "`%traineragent wait` for it first.")
        out = Path(args.out or Path("runs") / time.strftime("%Y%m%d-%H%M%S")).expanduser().resolve()
        session = self.session = _Session(self, out, make_view(self.shell), insert=args.insert)
        session.mirror(request)

        def work() -> RunReport:
            return session.orchestrator.run(request, data=data, time_budget_s=args.budget)

        if args.background:
            session.thread = threading.Thread(target=session.execute, args=(work,), name="traineragent",
                                              daemon=True)
            session.thread.start()
            self._print(f"TrainerAgent: running in the background into {out}; `%traineragent status`, "
                        "`%traineragent stop`, `%traineragent wait`.")
        else:
            session.execute(work)

    # -- %traineragent COMMAND -----------------------------------------------------------------------
    def _command(self, line: str) -> Any:
        try:
            words = shlex.split(line)
        except ValueError as exc:
            raise UsageError(f"%traineragent: cannot read {line!r}: {exc}") from None
        if not words or words[0] not in COMMANDS:
            raise UsageError(f"%traineragent: unknown command {words[0] if words else '(none)'!r}; use one of "
                             f"{', '.join(COMMANDS)}, or %%traineragent with the request as the cell body.")
        command, rest = words[0], words[1:]
        session = self.session
        if session is None:
            raise UsageError("%traineragent: there is no run yet; start one with %%traineragent.")
        if command == "status":
            self._print(self._status(session))
        elif command == "stop":
            if not session.running:
                self._print("TrainerAgent: nothing is running.")
                return None
            session.driver.interrupt()
            self._print("TrainerAgent: stopping; the notebook so far is saved.")
        elif command == "wait":
            if session.thread is not None:
                session.thread.join()
        elif command == "spec":
            memory = session.orchestrator.memory
            self._print(json.dumps(memory.spec.model_dump(mode="json"), indent=1) if memory else "{}")
        elif command == "plan":
            self._print(self._plan(session))
        elif command == "bundle":
            bundle = session.out / "bundle"
            if not bundle.is_dir():
                self._print("TrainerAgent: no bundle yet" + (" (the run is still going)." if session.running
                                                             else f"; the run ended {self._outcome(session)}."))
            else:
                files = sorted(p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file())
                self._print(f"{bundle}\n" + "\n".join(f"  {f}" for f in files))
                return bundle
        elif command == "ask":
            message = " ".join(rest).strip()
            if not message:
                raise UsageError('%traineragent ask: say what should change, e.g. %traineragent ask "accuracy '
                                 'must now be 97%"')
            if session.running:
                raise UsageError("%traineragent ask: a run is still going; wait for it or stop it first.")
            memory = session.orchestrator.memory
            if memory is None or "split" not in memory.results:
                raise UsageError("%traineragent ask: the last run prepared no data to continue from; start a new "
                                 "one with %%traineragent.")
            session.driver.reset_stop()
            session.mirror(message)
            session.execute(lambda: session.orchestrator.revise(message))
        return None

    @staticmethod
    def _outcome(session: _Session) -> str:
        return session.report.status if session.report else "without a report"

    def _status(self, session: _Session) -> str:
        if session.running:
            return (f"TrainerAgent: running for {time.time() - session.started:.0f} s; step {session.step or '…'}; "
                    f"notebook {session.driver.path}")
        report = session.report
        return f"TrainerAgent: finished ({self._outcome(session)}): {report.reason if report else ''}"

    @staticmethod
    def _plan(session: _Session) -> str:
        memory = session.orchestrator.memory
        plan = getattr(session.orchestrator, "_plan", []) or []
        done = set(memory.done_steps) if memory else set()
        if not plan:
            return "TrainerAgent: no plan yet."
        return "\n".join(f"[{'x' if s['step'] in done else ' '}] {s['agent']}: {s['title']}" for s in plan)

    def _print(self, text: str) -> None:
        print(text)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext trainer_agent_lab``: register ``%%traineragent`` and ``%traineragent``."""
    # Generated cells run in this process: let OpenMP threads sleep while they wait (read when the OpenMP
    # runtime first loads), or gradient boosting crawls whenever the cores are shared.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    ipython.register_magics(TrainerAgentMagics)
    install_guard(ipython)  # a Run All does not re-run the cells a re-run magic cell replaced
