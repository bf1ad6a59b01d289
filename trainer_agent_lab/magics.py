"""IPython magics: ``%load_ext trainer_agent_lab``, then ``%%traineragent`` and ``%traineragent ...``.

A thin adapter over :class:`~trainer_agent_lab.session.Session` (data references resolved as in every door)
with the in-kernel driver: the generated cells run in the user's own shell, so afterwards ``df``, ``model``,
``METRICS``, ``X_train``... are the user's variables, plus ``TRAINER_AGENT_REPORT`` (the :class:`RunReport`) and
``BUNDLE_DIR`` (the bundle's absolute path). The cells are also saved, with their outputs, in the run
notebook ``OUT/notebook.ipynb``, in a run folder of its own: a fresh ``runs/<YYYYMMDD-HHMMSS>`` (``-2``... when
taken) unless ``--out DIR`` names one, which must be new or empty (a folder holding anything, an earlier run's
files too, is refused: nothing is ever written over); in JupyterLab with the lab extension they are also
inserted, with their outputs, below the magic cell (a later run of the same cell replaces them; ``--no-insert``
keeps them out).

::

    %%traineragent --data sklearn:wine --budget 60
    wine classifier with at least 95% accuracy

    %traineragent status | stop | spec | plan | bundle | wait
    %traineragent ask "accuracy must now be 97%"
    %traineragent plan [--data REF] [--budget S] [--json] "a wine classifier with 95% accuracy"

``%traineragent plan "REQUEST"`` says what a run of the request would do and whether it would start (``run``,
``refuse`` or ``needs_input``, with the reason), on a peek at the data and without training; it returns the
:class:`~trainer_agent_lab.planning.Plan`. Without a request it shows the latest run's plan checklist.

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
from .errors import TrainerAgentError
from .notebook.inkernel import InKernelDriver, make_view
from .notebook.lab_mirror import LabMirror, install_guard
from .report import RunReport
from .session import Session, check_time_budget, data_in_request, resolve_data

COMMANDS = ("status", "stop", "spec", "plan", "bundle", "ask", "wait")


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad options as a ``UsageError`` instead of exiting the kernel."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"%%traineragent: {message}\nusage: %%traineragent [--data REF] [--budget S] [--out DIR] "
                         "[--background] [--no-insert]\n<the request, in plain words, on the following lines>")


def _parser() -> _Parser:
    parser = _Parser(prog="%%traineragent", add_help=False)
    parser.add_argument("--data", help="a file, a folder, sklearn:NAME or synthetic:NAME")
    parser.add_argument("--budget", type=float, help="time budget in seconds")
    parser.add_argument("--engine", help="where the model search runs: local (default), ray or ray=HOST:PORT")
    parser.add_argument("--out", help="the run folder, new or empty (default: a fresh runs/<timestamp>)")
    parser.add_argument("--background", action="store_true", help="run on a thread; the cell returns at once")
    parser.add_argument("--no-insert", dest="insert", action="store_false",
                        help="do not insert the generated cells below the magic cell in JupyterLab")
    return parser


def check_data(ref: str) -> str:
    """The data reference, resolved as every door resolves it (:func:`~trainer_agent_lab.session.resolve_data`);
    here a path must also exist, so that a typo changes nothing in the namespace."""
    try:
        data = resolve_data(ref)
    except TrainerAgentError as exc:
        raise UsageError(f"%%traineragent: --data {exc}") from None
    assert data is not None
    if not data.exists:
        raise UsageError(f"%%traineragent: --data {ref!r}: no such file or folder (working directory "
                         f"{Path.cwd()}).")
    return data.ref


class MagicRun:
    """The magic's :class:`~trainer_agent_lab.session.Session` (in-kernel driver), and its thread and report."""

    def __init__(self, magics: TrainerAgentMagics, out: Path | None, view: Any, *, data: str | None = None,
                 time_budget_s: float | None = None, insert: bool = True, engine: str | None = None) -> None:
        self.magics = magics
        self.view = view
        self.insert = insert
        self.session = Session(data=data, out=out, time_budget_s=time_budget_s, assume_yes=True, engine=engine,
                               on_event=self.on_event,
                               driver=lambda path: InKernelDriver(magics.shell, path, view=view)).start()
        #: The run folder (a fresh ``runs/<time>`` unless ``--out`` named a new or empty one).
        self.out = self.session.out
        self.thread: threading.Thread | None = None
        self.report: RunReport | None = None
        self.step = ""
        self.started = time.time()
        self.finished: float | None = None

    @property
    def driver(self) -> InKernelDriver:
        """The in-kernel driver of this run's notebook."""
        return self.session.driver  # type: ignore[return-value]

    @property
    def running(self) -> bool:
        return self.finished is None

    def on_event(self, event: Event) -> None:
        if event.kind == "message":
            self.view.message(event.agent, event.text)
        elif event.kind == "step":
            state = event.data.get("state")
            self.step = f"{event.agent} · {event.text} ({state})"
            memory = self.session.memory
            done = len(set(memory.done_steps)) if memory else 0
            self.view.progress(done, len(self.session.plan) or 16)

    def mirror(self, request: str) -> None:
        """Send this run's cells to the lab notebook, below the cell that runs now (call on the shell's thread)."""
        if self.insert:
            self.driver.mirror = LabMirror(self.magics.shell, run_dir=self.out, notebook=self.driver.path,
                                           request=request, start=len(self.driver.nb.cells))

    def execute(self, work: Any) -> None:
        """Run ``work`` (session.run or .revise), then publish the results into the user's namespace."""
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
        if self.report is not None and self.report.paths.get("bundle"):  # only a bundle this turn wrote
            ns["BUNDLE_DIR"] = Path(self.report.paths["bundle"]).resolve()


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
        #: The latest ``%%traineragent`` run.
        self.current: MagicRun | None = None

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
        try:
            budget = check_time_budget(args.budget, "--budget")
            data = check_data(args.data) if args.data else None
            if data is None and data_in_request(request) is None:
                raise UsageError("%%traineragent: no data: pass --data PATH or a bundled set such as "
                                 "--data sklearn:wine.")
        except TrainerAgentError as exc:
            raise UsageError(f"%%traineragent: {exc}") from None
        if self.current is not None and self.current.running and self.current.thread is not None:
            raise UsageError("%%traineragent: a run is still going; `%traineragent stop` it or "
                             "`%traineragent wait` for it first.")
        try:  # a named --out must be new or empty; without it the session makes a fresh runs/<time>
            run = MagicRun(self, Path(args.out) if args.out else None, make_view(self.shell), data=data,
                           time_budget_s=budget, insert=args.insert, engine=args.engine)
        except TrainerAgentError as exc:
            raise UsageError(f"%%traineragent: {exc}") from None
        self.current = run
        out = run.out
        run.mirror(request)

        def work() -> RunReport:
            return run.session.run(request)

        if args.background:
            run.thread = threading.Thread(target=run.execute, args=(work,), name="traineragent", daemon=True)
            run.thread.start()
            self._print(f"TrainerAgent: running in the background into {out}; `%traineragent status`, "
                        "`%traineragent stop`, `%traineragent wait`.")
        else:
            run.execute(work)

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
        if command == "plan" and rest:
            return self._plan_request(rest)
        run = self.current
        if run is None:
            raise UsageError("%traineragent: there is no run yet; start one with %%traineragent.")
        if command == "status":
            self._print(self._status(run))
        elif command == "stop":
            if not run.running:
                self._print("TrainerAgent: nothing is running.")
                return None
            run.session.interrupt()
            self._print("TrainerAgent: stopping; the notebook so far is saved.")
        elif command == "wait":
            if run.thread is not None:
                run.thread.join()
        elif command == "spec":
            memory = run.session.memory
            self._print(json.dumps(memory.spec.model_dump(mode="json"), indent=1) if memory else "{}")
        elif command == "plan":
            self._print(self._plan(run))
        elif command == "bundle":
            bundle = run.out / "bundle"
            if not bundle.is_dir():
                self._print("TrainerAgent: no bundle yet" + (" (the run is still going)." if run.running
                                                             else f"; the run ended {self._outcome(run)}."))
            else:
                files = sorted(p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file())
                self._print(f"{bundle}\n" + "\n".join(f"  {f}" for f in files))
                return bundle
        elif command == "ask":
            message = " ".join(rest).strip()
            if not message:
                raise UsageError('%traineragent ask: say what should change, e.g. %traineragent ask "accuracy '
                                 'must now be 97%"')
            if run.running:
                raise UsageError("%traineragent ask: a run is still going; wait for it or stop it first.")
            if not run.session.prepared:
                raise UsageError("%traineragent ask: the last run prepared no data to continue from; start a new "
                                 "one with %%traineragent.")
            run.driver.reset_stop()
            run.mirror(message)
            run.execute(lambda: run.session.revise(message))
        return None

    def _plan_request(self, words: list[str]) -> Any:
        """``%traineragent plan [--data REF] [--budget S] [--json] REQUEST``: the Session's plan, printed."""
        parser = _Parser(prog="%traineragent plan", add_help=False)
        parser.add_argument("--data")
        parser.add_argument("--budget", type=float)
        parser.add_argument("--json", action="store_true")
        parser.add_argument("request", nargs="*")
        args = parser.parse_args(words)
        request = " ".join(args.request).strip()
        if not request:
            raise UsageError('%traineragent plan: say what model you need, e.g. %traineragent plan --data '
                             'sklearn:wine "a wine classifier with 95% accuracy"')
        try:
            plan = Session(data=check_data(args.data) if args.data else None,
                           time_budget_s=check_time_budget(args.budget, "--budget"),
                           assume_yes=True).plan_for(request)
        except TrainerAgentError as exc:
            raise UsageError(f"%traineragent plan: {exc}") from None
        self._print(json.dumps(plan.to_json(), indent=1, ensure_ascii=False) if args.json else plan.text())
        return plan

    @staticmethod
    def _outcome(run: MagicRun) -> str:
        return run.report.status if run.report else "without a report"

    def _status(self, run: MagicRun) -> str:
        if run.running:
            return (f"TrainerAgent: running for {time.time() - run.started:.0f} s; step {run.step or '…'}; "
                    f"notebook {run.driver.path}")
        report = run.report
        return f"TrainerAgent: finished ({self._outcome(run)}): {report.reason if report else ''}"

    @staticmethod
    def _plan(run: MagicRun) -> str:
        memory = run.session.memory
        done = set(memory.done_steps) if memory else set()
        if not run.session.plan:
            return "TrainerAgent: no plan yet."
        return "\n".join(f"[{'x' if s['step'] in done else ' '}] {s['agent']}: {s['title']}"
                         for s in run.session.plan)

    def _print(self, text: str) -> None:
        print(text)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext trainer_agent_lab``: register ``%%traineragent`` and ``%traineragent``."""
    # Generated cells run in this process: let OpenMP threads sleep while they wait (read when the OpenMP
    # runtime first loads), or gradient boosting crawls whenever the cores are shared.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    ipython.register_magics(TrainerAgentMagics)
    install_guard(ipython)  # a Run All does not re-run the cells a re-run magic cell replaced
