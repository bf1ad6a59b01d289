"""How long ``trainer-agent plan`` takes: one CLI process per public task of ../shared/benchmarks/tasks.yaml.

Each call is what a person runs (a fresh interpreter: imports, the request, the ethics check and its judge, the
peek at the data, the signal screen and, where it finds nothing, the run's probe); every task is planned
``--rounds`` times, round after round. Writes each task's median wall time, the verdicts beside each task's
expected status, the median over tasks and the load average before and after to benchmarks/results/plan.md.

    .venv/bin/python benchmarks/plan_latency.py [--rounds 3] [--out benchmarks/results/plan.md]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT.parent / "shared" / "benchmarks"


def main() -> None:
    """Time every public task's plan and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "plan.md"))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tasks = yaml.safe_load((BENCHMARKS / "tasks.yaml").read_text())
    walls: dict[str, list[float]] = {t["id"]: [] for t in tasks}
    verdicts: dict[str, str] = {}
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    for _ in range(args.rounds):
        for task in tasks:
            data = task.get("data") or "none"
            command = [sys.executable, "-m", "trainer_agent_lab", "plan", task["request"], "--json"]
            if data != "none":
                command += ["--data", data if data.startswith(("sklearn:", "synthetic:")) else str(BENCHMARKS / data)]
            began = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, cwd=BENCHMARKS,
                                  env={**os.environ, "HF_HUB_OFFLINE": "1"})
            walls[task["id"]].append(time.perf_counter() - began)
            try:
                verdicts[task["id"]] = json.loads(done.stdout)["verdict"]
            except (ValueError, KeyError):
                verdicts[task["id"]] = f"error (exit {done.returncode})"
    statuses = {"run": ("succeeded", "failed"), "refuse": ("refused",), "needs_input": ("needs_input",)}
    times = [statistics.median(walls[t["id"]]) for t in tasks]
    matching = sum(t["expect"] in statuses.get(verdicts[t["id"]], ()) for t in tasks)
    rows = [f"| {t['id']} | {t['expect']} | {verdicts[t['id']]} | {w:.2f} | {min(walls[t['id']]):.2f}–"
            f"{max(walls[t['id']]):.2f} |" for t, w in zip(tasks, times, strict=True)]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    niceness = os.nice(0) if hasattr(os, "nice") else 0
    lines = ["# `trainer-agent plan` on the public tasks", "",
             f"`benchmarks/plan_latency.py` wrote this on {time.strftime('%Y-%m-%d %H:%M')}: one CLI process per task "
             f"(imports included), on a {os.cpu_count()}-core machine with a load average of "
             f"{load_before if load_before is None else round(load_before, 1)} before and "
             f"{load if load is None else round(load, 1)} at the end, {args.rounds} rounds"
             + (f", the timed processes at niceness {niceness} (so they got the CPU first: what a quiet machine "
                "gives)" if niceness < 0 else ", at normal priority") + ".", "",
             "| task | the run must end | plan's verdict | median wall s | range |", "|---|---|---|---|---|", *rows,
             "", f"Median: {statistics.median(times):.2f} s over {len(times)} tasks (each task's median of its "
             f"rounds). Verdicts that are the run's status: {matching} of {len(tasks)}.", ""]
    Path(args.out).write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
