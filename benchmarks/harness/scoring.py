"""Scoring: the constraints a request states, who met them, ratios to the best baseline, and the tables.

Two views of every task:

- **raw metric**: each system's test value of the task's primary metric, and its ratio to the best baseline's
  (oriented so that above 1 is better: ``value / best`` for larger-is-better metrics, ``best / value`` for
  errors such as MAE);
- **constraint satisfaction**: whether each system met *every* stated constraint — the metric targets, the
  parameter budget, the model-size limit, the latency limit, an int8 or ONNX deliverable. A baseline that is more
  accurate but over the parameter budget has not met the request.
"""

from __future__ import annotations

import operator
from typing import Any

from .common import LOWER_IS_BETTER

OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
METRIC_NAMES = frozenset({"accuracy", "balanced_accuracy", "f1", "precision", "recall", "r2", "mae", "rmse", "rmsle",
                          "qwk", "log_loss"})
#: Figures of a model any system has, beside its metrics: what a constraint of the request may name.
MODEL_FIGURES = ("parameters", "onnx_bytes", "p50_ms", "p99_ms", "n_inputs")
#: tasks.yaml ``bundle_has`` files that are deliverables the request asked for.
DELIVERABLES = {"model.int8.onnx": "int8", "model.onnx": "onnx"}
AGENTS = "agents"
BASELINES = ("sklearn", "sklearn-linear", "flaml", "autogluon")
LABELS = {AGENTS: "agents", "sklearn": "scikit-learn", "sklearn-linear": "sklearn linear", "flaml": "FLAML",
          "autogluon": "AutoGluon"}


def stated_constraints(checks: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The constraints of a task's ``checks`` that any model can be held to (not the agents' notes or reasons)."""
    found = []
    for name, want in (checks or {}).items():
        if name == "bundle_has" and want in DELIVERABLES:
            found.append({"name": DELIVERABLES[want], "op": "==", "value": True, "target": f"{want} delivered"})
        elif isinstance(want, str) and want.split()[0] in OPS and (
                name in METRIC_NAMES or name in MODEL_FIGURES):
            op, value = want.split()
            found.append({"name": name, "op": op, "value": float(value), "target": f"{name} {want}"})
    return found


def spec_constraints(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The constraints the agents read from the request (``spec.json``), for tasks whose checks state none."""
    return [{"name": c["name"], "op": c["op"], "value": float(c["value"]), "target": f"{c['name']} {c['op']} "
             f"{c['value']:g} (from the request)"} for c in spec.get("constraints") or []
            if c.get("op") in OPS and (c["name"] in METRIC_NAMES or c["name"] in MODEL_FIGURES)]


def primary_metric(checks: dict[str, Any] | None, task: str | None) -> str:
    """The metric the task is judged on: its first metric check, else the first it asks for, else the default."""
    for name in checks or {}:
        if name in METRIC_NAMES:
            return name
    for name in (checks or {}).get("metrics_have", []):
        if name in METRIC_NAMES:
            return name
    return "r2" if task == "regression" else "accuracy"


def figure_of(result: dict[str, Any], name: str) -> Any:
    """A system's value for a constraint (agents' values come from report.json, baselines' from the harness)."""
    if name in METRIC_NAMES:
        return (result.get("metrics") or {}).get(name)
    if name == "onnx_bytes":  # a baseline ships its pickle: that is the model file it has
        return result.get("onnx_bytes", result.get("size_bytes"))
    if name in ("int8", "onnx"):
        return bool(result.get("deliverables", {}).get(name, False))
    return result.get(name)


def judge(result: dict[str, Any], constraints: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each constraint with the system's actual value and whether it is met (an unknown value is not met)."""
    rows = []
    for c in constraints:
        actual = figure_of(result, c["name"])
        if c["op"] == "==":
            met = actual == c["value"]
        else:
            met = actual is not None and OPS[c["op"]](float(actual), c["value"])
        rows.append({"name": c["name"], "target": c["target"], "actual": actual, "met": bool(met)})
    return rows


def better_ratio(value: float | None, best: float | None, metric: str) -> float | None:
    """``value`` against ``best``, above 1 when ``value`` is better (errors are inverted)."""
    if value is None or best is None:
        return None
    if metric in LOWER_IS_BETTER:
        return best / value if value else None
    return value / best if best > 0 and value >= 0 else None  # a ratio of R2 at or below zero means nothing


def score_task(entry: dict[str, Any]) -> dict[str, Any]:
    """Add the constraint rows, the best baselines and the ratios to one task's entry (in place) and return it."""
    metric, constraints = entry["primary_metric"], entry["constraints"]
    sign = -1 if metric in LOWER_IS_BETTER else 1
    for result in entry["systems"].values():
        if result.get("status") == "ok":
            result["constraints"] = judge(result, constraints)
            result["all_met"] = all(r["met"] for r in result["constraints"])
            result["primary"] = (result.get("metrics") or {}).get(metric)
    baselines = [(name, r) for name, r in entry["systems"].items()
                 if name != AGENTS and r.get("status") == "ok" and r.get("primary") is not None]
    best = max(baselines, key=lambda nr: sign * nr[1]["primary"], default=None)
    meeting = [(n, r) for n, r in baselines if r["all_met"]]
    best_met = max(meeting, key=lambda nr: sign * nr[1]["primary"], default=None)
    entry["best_baseline"] = {"system": best[0], "value": best[1]["primary"]} if best else None
    entry["best_baseline_meeting_constraints"] = (
        {"system": best_met[0], "value": best_met[1]["primary"]} if best_met else None)
    for result in entry["systems"].values():
        if result.get("status") == "ok":
            result["ratio_to_best_baseline"] = better_ratio(result.get("primary"), best[1]["primary"] if best else None,
                                                            metric)
    return entry


def _num(value: Any, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _bytes(n: int | None) -> str:
    if n is None:
        return "—"
    return f"{n / 1e6:.2f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB"


def _cell_raw(result: dict[str, Any]) -> str:
    if result.get("status") != "ok":
        return f"*{result.get('status', 'not run')}*"
    ratio = result.get("ratio_to_best_baseline")
    return f"{_num(result.get('primary'))}" + (f" ({ratio:.3f}×)" if ratio is not None else "")


def _cell_constraints(result: dict[str, Any]) -> str:
    if result.get("status") != "ok":
        return f"*{result.get('status', 'not run')}*"
    missed = [f"{r['name']} {_num(r['actual'])}" for r in result.get("constraints", []) if not r["met"]]
    return "✅ all met" if not missed else "❌ " + ", ".join(missed)


def at_or_above(entries: list[dict[str, Any]]) -> dict[str, int]:
    """How many tasks with a measured agents' metric have the agents meeting every stated constraint and at or above
    the best baseline: of those baselines that meet the request too (``meeting``), and of all of them (``any``)."""
    counts = {"tasks": 0, "meeting": 0, "any": 0}
    for e in entries:
        agents = e["systems"].get(AGENTS, {})
        if agents.get("status") != "ok" or agents.get("primary") is None:
            continue
        counts["tasks"] += 1
        sign = -1 if e["primary_metric"] in LOWER_IS_BETTER else 1
        for key, best in (("meeting", e.get("best_baseline_meeting_constraints")), ("any", e.get("best_baseline"))):
            counts[key] += bool(agents.get("all_met") and (best is None or
                                                           sign * agents["primary"] >= sign * best["value"]))
    return counts


def markdown_tables(entries: list[dict[str, Any]], systems: list[str]) -> list[str]:
    """A summary line, the two views, then a detail table per task."""
    head = " | ".join(LABELS.get(s, s) for s in systems)
    counts = at_or_above(entries)
    summary = [] if not counts["tasks"] else [
        f"**Summary**: on {counts['tasks']} tasks with a measured agents' metric, the agents meet every stated "
        f"constraint and are at or above the best baseline that meets them too on {counts['meeting']} "
        f"({counts['meeting'] / counts['tasks']:.0%}), and at or above the best baseline of all, whether it meets "
        f"them or not, on {counts['any']} ({counts['any'] / counts['tasks']:.0%}).", ""]
    lines = [*summary, "## Raw metric (test split; in brackets: ratio to the best baseline, above 1 = better)", "",
             f"| task | metric | {head} | best baseline |", "|---|---|" + "---|" * len(systems) + "---|"]
    for e in entries:
        best = e.get("best_baseline")
        cells = " | ".join(_cell_raw(e["systems"].get(s, {"status": "not run"})) for s in systems)
        lines.append(f"| {e['id']} | {e['primary_metric']} | {cells} | "
                     f"{LABELS.get(best['system'], best['system']) + ' ' + _num(best['value']) if best else '—'} |")
    lines += ["", "## Constraint satisfaction (every stated constraint; an unknown value counts as not met)", "",
              f"| task | stated constraints | {head} | best baseline meeting them |",
              "|---|---|" + "---|" * len(systems) + "---|"]
    for e in entries:
        best = e.get("best_baseline_meeting_constraints")
        stated = "; ".join(c["target"] for c in e["constraints"]) or "none"
        cells = " | ".join(_cell_constraints(e["systems"].get(s, {"status": "not run"})) for s in systems)
        lines.append(f"| {e['id']} | {stated} | {cells} | "
                     f"{LABELS.get(best['system'], best['system']) + ' ' + _num(best['value']) if best else 'none'} |")
    lines += ["", "## Per task", ""]
    for e in entries:
        split = e.get("split") or {}
        lines += [f"### {e['id']}", "", f"> {e['request']}", "",
                  f"Data `{e['data']}`, budget {e['budget_s']} s. Agents: **{e['agents_status']}**"
                  + (f" — {e['agents_reason']}" if e.get("agents_reason") and e["agents_status"] != "succeeded" else "")
                  + ".", ""]
        if split:
            lines += [f"Split ({split.get('source')}): {split.get('n_train')} train / {split.get('n_test')} test "
                      f"rows; {split.get('how')}.", ""]
        lines += ["| system | model | " + e["primary_metric"] + " | wall s | fit s | parameters | size | p50 ms "
                  "| p99 ms | all met |", "|---|---|---|---|---|---|---|---|---|---|"]
        for s in systems:
            r = e["systems"].get(s)
            if r is None:
                continue
            if r.get("status") != "ok":
                lines.append(f"| {LABELS.get(s, s)} | *{r.get('status')}*: {r.get('why', '')} | | | | | | | | |")
                continue
            lines.append(f"| {LABELS.get(s, s)} | {r.get('model', '')} | {_num(r.get('primary'))} | "
                         f"{_num(r.get('wall_s'), 3)} | {_num(r.get('fit_s'), 3)} | {_num(r.get('parameters'))} | "
                         f"{_bytes(r.get('size_bytes'))} | {_num(r.get('p50_ms'), 3)} | {_num(r.get('p99_ms'), 3)} | "
                         f"{_num(r.get('all_met'))} |")
        lines.append("")
    return lines
