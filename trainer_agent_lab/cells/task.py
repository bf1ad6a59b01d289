"""Cells the Task agent writes: the opening summary of requirements and plan, and the constraint table."""

from __future__ import annotations

from typing import Any

from ..spec import TaskSpec
from .base import code_cell
from .signal import SIGNAL_TEST

_UNITS = {"parameters": "parameters", "onnx_bytes": "bytes", "p50_ms": "ms", "p99_ms": "ms",
          "replica_memory_mb": "MB"}


def requirements_markdown(spec: TaskSpec, plan: list[dict[str, Any]], checked: set[str] | None = None, *,
                          seed: int | None = None, environment: dict[str, Any] | None = None) -> str:
    """The notebook's first cell: the request, its measurable requirements, the plan as a checklist, and (when
    given) the seed and the environment (Python and package versions) to reproduce it with."""
    checked = checked or set()
    lines = ["# TrainerAgent run", "", f"> {spec.request}", "", "## Requirements", "",
             "| requirement | target |", "|---|---|"]
    if spec.task_type:
        lines.append(f"| task | {spec.task_type.value.replace('_', ' ')} |")
    if spec.target:
        lines.append(f"| target column | `{spec.target}` |")
    lines += [f"| data | `{ref}` |" for ref in spec.data]
    for c in spec.constraints:
        unit = _UNITS.get(c.name, "")
        lines.append(f"| {c.name} | {c.target} {unit}".rstrip() + " |")
    if spec.optimize:
        lines.append(f"| optimise | {spec.optimize} |")
    if spec.positive_label:
        lines.append(f"| class of interest | {spec.positive_label} |")
    if spec.report_metrics:
        lines.append(f"| report | {', '.join(spec.report_metrics)} |")
    if spec.qps:
        lines.append(f"| load | {spec.qps:g} requests/s |")
    if spec.container_memory_mb:
        lines.append(f"| container memory | {spec.container_memory_mb:g} MB |")
    if spec.quantize_int8:
        lines.append("| quantisation | int8 |")
    lines.append("| deployment format | ONNX bundle |")
    if spec.time_budget_s:
        lines.append(f"| time budget | {spec.time_budget_s:g} s |")
    lines += ["", "## Plan", ""]
    for step in plan:
        mark = "x" if step["step"] in checked else " "
        lines.append(f"- [{mark}] **{step['agent']}**: {step['title']}")
    if seed is not None or environment:
        lines += reproduce_markdown(seed, environment or {})
    return "\n".join(lines) + "\n"


def reproduce_markdown(seed: int | None, environment: dict[str, Any]) -> list[str]:
    """Lines of the first cell's "Reproduce" section: the seed, Python, and ``pip install`` pins."""
    lines = ["", "## Reproduce", ""]
    if seed is not None:
        lines.append(f"Every random step uses seed `{seed}`.")
    packages = environment.get("packages") or {}
    if environment.get("python"):
        lines.append(f"Made with Python {environment['python']}; only public packages are needed:")
    if packages:
        pins = " ".join(f"{name}=={version}" for name, version in packages.items())
        lines += ["", "```", f"pip install {pins}", "```"]
    return lines


_CONSTRAINTS = '''
import operator

capacity_file = Path("bundle") / "capacity.json"
CAPACITY = json.loads(capacity_file.read_text()) if capacity_file.exists() else {}
onnx_file = Path("bundle") / "model.onnx"
measured = {**METRICS, "parameters": N_PARAMETERS,
            "onnx_bytes": onnx_file.stat().st_size if onnx_file.exists() else None,
            **{k: CAPACITY.get(k) for k in ("p50_ms", "p99_ms", "replica_memory_mb")}}
ops = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
CONSTRAINT_ROWS = []
for c in CONSTRAINTS:
    actual = measured.get(c["name"])
    met = actual is not None and bool(ops[c["op"]](actual, c["value"]))
    CONSTRAINT_ROWS.append({"name": c["name"], "target": f"{c['op']} {c['value']:g}", "actual": actual, "met": met})
table = pd.DataFrame(CONSTRAINT_ROWS, columns=["name", "target", "actual", "met"])
display(Markdown("**Constraint table** (every figure measured above)"))
display(table.style.format({"actual": lambda v: "n/a" if v is None else f"{v:,.4g}"})
        .map(lambda m: "color: green" if m else "color: red", subset=["met"]) if len(table) else table)
print("all requirements met" if table["met"].all() else
      "NOT met: " + ", ".join(table.loc[~table["met"], "name"]))
_report(constraints=CONSTRAINT_ROWS, metrics=METRICS, capacity=CAPACITY)
'''


def constraint_table_cell(constraints: list[dict[str, Any]]) -> str:
    """The closing table: each requirement, its target, the measured value, and whether it is met."""
    return code_cell("Check every requirement against what the cells above measured.", _CONSTRAINTS,
                     CONSTRAINTS=constraints)


_FEASIBILITY = '''
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold, learning_curve

classify = TASK == "classification"
rows = min(len(X_train), 1500)
X_probe, y_probe = X_train.iloc[:rows], y_train[:rows]
cv = (StratifiedKFold if classify else KFold)(n_splits=3, shuffle=True, random_state=SEED)
signal_scoring, chance = signal_metric(y_probe) if classify else ("r2", 0.0)
probes = {
    "linear": Pipeline([("prep", make_preprocessor()),
                        ("est", LogisticRegression(max_iter=2000) if classify else Ridge())]),
    "boosted trees": Pipeline([("prep", make_preprocessor(scale=False)), ("est", (
        HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor)(
            max_iter=30, max_leaf_nodes=15, min_samples_leaf=5, early_stopping=False, random_state=SEED))]),
}
folds = {name: cross_val_score(p, X_probe, y_probe, cv=cv, scoring=signal_scoring) for name, p in probes.items()}
scores = {name: float(v.mean()) for name, v in folds.items()}
best = max(scores, key=scores.get)
score, p_value = scores[best], None
if folds[best].min() < chance + 0.1:  # borderline: test it against shuffled targets
    p_value, permuted = permutation_p_value(probes[best], X_probe, y_probe, cv, signal_scoring, score, PROBE_SECONDS)
    fig = px.histogram(x=permuted, nbins=15, labels={"x": signal_scoring},
                       title=f"Probe {signal_scoring}: {len(permuted)} shuffled targets vs the real ones ({score:.3f})")
    fig.add_vline(x=score, line_color="red", annotation_text="real targets")
    fig.show()
gates = []
for c in GATED:
    sizes, _, val = learning_curve(probes[best], X_probe, y_probe, cv=cv, scoring=c["name"], train_sizes=[0.5, 1.0])
    half, full = val.mean(axis=1)
    ceiling = min(1.0, full + max(0.0, 3 * (full - half)) + 0.10)  # generous: only clear misses are refused
    gates.append({"name": c["name"], "target": c["value"], "probe": float(full), "at_half_data": float(half),
                  "optimistic_ceiling": float(ceiling), "reachable": bool(c["value"] <= ceiling)})
display(pd.DataFrame([{"probe": k, signal_scoring: round(v, 4)} for k, v in scores.items()]))
if gates:
    display(pd.DataFrame(gates))
no_signal = shows_no_signal(score, chance, p_value)
print(f"signal: {signal_scoring} {score:.3f} vs chance {chance:.3f}; "
      + (f"permutation p-value {p_value:.3f}" if p_value is not None else "clearly above chance in every fold")
      + (" -> NO SIGNAL" if no_signal else ""))
_report(probe=best, score=float(score), chance=chance, p_value=p_value, no_signal=no_signal,
        scoring=signal_scoring, gates=gates)
'''


def feasibility_cell(gated: list[dict[str, Any]], probe_seconds: float) -> str:
    """A quick probe before the search: is there signal at all, and are the metric targets in reach?"""
    return code_cell("Check feasibility before spending the budget: quick probes, a permutation test for "
                     "signal, and a learning curve against each metric target.", SIGNAL_TEST + _FEASIBILITY,
                     GATED=gated, PROBE_SECONDS=probe_seconds)
