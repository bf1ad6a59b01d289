"""How long ``trainer-agent plan`` takes: one CLI process per public task of ../shared/benchmarks/tasks.yaml.

Each call is what a person runs (a fresh interpreter: imports, the request, the ethics check and its judge, the
peek at the data); writes the per-task wall times, the verdicts beside each task's expected status, and the median
to benchmarks/results/plan.md.

    .venv/bin/python benchmarks/plan_latency.py [--out benchmarks/results/plan.md]
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
    args = parser.parse_args()
    tasks = yaml.safe_load((BENCHMARKS / "tasks.yaml").read_text())
    rows, times = [], []
    for task in tasks:
        data = task.get("data") or "none"
        command = [sys.executable, "-m", "trainer_agent_lab", "plan", task["request"], "--json"]
        if data != "none":
            command += ["--data", data if data.startswith(("sklearn:", "synthetic:")) else str(BENCHMARKS / data)]
        began = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, cwd=BENCHMARKS,
                              env={**os.environ, "HF_HUB_OFFLINE": "1"})
        wall = time.perf_counter() - began
        times.append(wall)
        try:
            verdict = json.loads(done.stdout)["verdict"]
        except (ValueError, KeyError):
            verdict = f"error (exit {done.returncode})"
        rows.append(f"| {task['id']} | {task['expect']} | {verdict} | {wall:.2f} |")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    niceness = os.nice(0) if hasattr(os, "nice") else 0
    lines = ["# `trainer-agent plan` on the public tasks", "",
             f"`benchmarks/plan_latency.py` wrote this on {time.strftime('%Y-%m-%d %H:%M')}: one CLI process per task "
             f"(imports included), on a {os.cpu_count()}-core machine with a load average of "
             f"{load if load is None else round(load, 1)} at the end from other work"
             + (f", the timed processes at niceness {niceness} (so they got the CPU first: what a quiet machine "
                "gives)" if niceness < 0 else "") + ".", "",
             "| task | the run must end | plan's verdict | wall s |", "|---|---|---|---|", *rows, "",
             f"Median: {statistics.median(times):.2f} s over {len(times)} tasks.", "",
             "A `run` verdict for a task whose run is refused or asks a question is one only the run's training can "
             "reach (the feasibility probe, the learning curve): plan names it under *Only the run can tell*.", ""]
    Path(args.out).write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
