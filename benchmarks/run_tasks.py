"""Run acceptance tasks through ``trainer-agent run`` and check their ``report.json``.

    python benchmarks/run_tasks.py --tasks ../shared/benchmarks/tasks.yaml --out benchmarks/results [--only ID ...]

Writes ``results.json`` and ``results.md`` in ``--out``: per task, status, the checks, the figures reached,
wall time and the agents' overhead (time outside cell execution).
"""

from __future__ import annotations

import argparse
import json
import operator
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
#: Where each checked figure lives in report.json.
FIGURES = {"parameters": ("model", "parameters"), "onnx_bytes": ("model", "onnx_bytes"),
           "p50_ms": ("capacity", "p50_ms"), "p99_ms": ("capacity", "p99_ms")}


def figure(report: dict, name: str) -> float | None:
    """A checked figure from the report: a metric, or a model/capacity entry."""
    section, key = FIGURES.get(name, ("metrics", name))
    return (report.get(section) or {}).get(key)


def check(report: dict, bundle: Path, name: str, want) -> tuple[bool, str]:
    """One check of tasks.yaml against a report; returns (passed, what was seen)."""
    if name == "bundle_has":
        return (bundle / want).exists(), f"{want} {'present' if (bundle / want).exists() else 'missing'}"
    if name == "metrics_have":
        seen = [k for k in want if report.get("metrics", {}).get(k) is not None]
        return len(seen) == len(want), f"metrics {seen}"
    if name == "capacity_has":
        value = report.get("capacity", {}).get(want)
        return value is not None, f"{want}={value}"
    if name in ("notes_mention", "reason_mentions"):
        text = (" ".join(report.get("notes", [])) if name == "notes_mention" else report.get("reason", "")).lower()
        missing = [w for w in want if w.lower() not in text]
        return not missing, "all mentioned" if not missing else f"missing {missing}"
    op, value = want.split()
    actual = figure(report, name)
    ok = actual is not None and OPS[op](float(actual), float(value))
    return ok, f"{name}={actual:.4g}" if isinstance(actual, (int, float)) else f"{name}={actual}"


def run_task(task: dict, root: Path, out: Path) -> dict:
    """Run one task with the CLI and grade it."""
    data = task["data"] if task["data"].startswith("sklearn:") else str((root / task["data"]).resolve())
    run_dir = out / task["id"]
    command = [sys.executable, "-m", "trainer_agent_lab", "run", task["request"], "--data", data,
               "--out", str(run_dir), "--time-budget", str(task["budget"]), "--yes", "--quiet"]
    began = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - began
    report = json.loads((run_dir / "report.json").read_text()) if (run_dir / "report.json").exists() else {}
    checks = {name: check(report, run_dir / "bundle", name, want) for name, want in
              (task.get("checks") or {}).items()}
    status = report.get("status", "no report")
    passed = status == task["expect"] and all(ok for ok, _ in checks.values())
    return {"id": task["id"], "expect": task["expect"], "status": status, "passed": passed,
            "exit_code": proc.returncode, "wall_s": round(wall, 1), "budget_s": task["budget"],
            "checks": {k: {"ok": ok, "seen": seen} for k, (ok, seen) in checks.items()},
            "reason": report.get("reason", proc.stderr[-500:]), "metrics": report.get("metrics", {}),
            "model": report.get("model", {}), "capacity": report.get("capacity", {}),
            "timings": report.get("timings", {})}


def markdown(results: list[dict]) -> str:
    """The results table, plus the agents' overhead."""
    lines = ["# Acceptance tasks", "", f"Run on {time.strftime('%Y-%m-%d')} with `make bench`.", "",
             "| task | expected | status | passed | checks | wall s | budget s | agent overhead |",
             "|---|---|---|---|---|---|---|---|"]
    shares = []
    for r in results:
        t = r["timings"]
        share = t.get("agent_s", 0) / t["total_s"] if t.get("total_s") else None
        if share is not None and r["status"] == "succeeded":
            shares.append(share)
        checks = "; ".join(f"{'ok' if c['ok'] else 'FAIL'} {c['seen']}" for c in r["checks"].values())
        lines.append(f"| {r['id']} | {r['expect']} | {r['status']} | {'yes' if r['passed'] else 'NO'} | {checks} "
                     f"| {r['wall_s']} | {r['budget_s']} | {'' if share is None else f'{share:.1%}'} |")
    if shares:
        lines += ["", f"Agent overhead (time outside cell execution and kernel start, share of the run's wall "
                  f"time) over the succeeded runs: median {statistics.median(shares):.1%}, "
                  f"max {max(shares):.1%}."]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--only", nargs="*", help="task ids to run (default: all)")
    args = parser.parse_args()
    if not args.tasks.exists():
        print(f"{args.tasks} not found; pass --tasks PATH/tasks.yaml", file=sys.stderr)
        return 2
    tasks = yaml.safe_load(args.tasks.read_text())
    if args.only:
        tasks = [t for t in tasks if t["id"] in args.only]
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    for task in tasks:
        result = run_task(task, args.tasks.parent, args.out.resolve())
        results.append(result)
        print(f"{task['id']}: {result['status']} ({'pass' if result['passed'] else 'FAIL'}) in {result['wall_s']} s",
              flush=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "results.md").write_text(markdown(results))
    print(markdown(results))
    return 0 if all(r["passed"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
