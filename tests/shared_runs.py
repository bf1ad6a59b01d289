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
"""

from __future__ import annotations

import importlib.util
import itertools
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]


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
        self._folders = itertools.count(1)
        self._runner: ModuleType | None = None
        self.tasks = load_tasks(benchmarks)

    def _once(self, key: tuple, work: Any) -> Any:
        if key not in self._done:
            try:
                self._done[key] = ("ok", work())
            except BaseException as exc:  # noqa: BLE001 - remembered and raised again for every reader
                self._done[key] = ("error", exc)
        kind, value = self._done[key]
        if kind == "error":
            raise value
        return value

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
