"""Cells the Task agent writes: the opening summary of requirements and plan, and the constraint table."""

from __future__ import annotations

from typing import Any

from ..spec import TaskSpec
from .base import code_cell

_UNITS = {"parameters": "parameters", "onnx_bytes": "bytes", "p50_ms": "ms", "p99_ms": "ms",
          "replica_memory_mb": "MB"}


def requirements_markdown(spec: TaskSpec, plan: list[dict[str, Any]], checked: set[str] | None = None) -> str:
    """The notebook's first cell: the request, its measurable requirements, and the plan as a checklist."""
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
    return "\n".join(lines) + "\n"


_CONSTRAINTS = '''
import operator

capacity_file = Path("bundle") / "capacity.json"
CAPACITY = json.loads(capacity_file.read_text()) if capacity_file.exists() else {}
onnx_file = Path("bundle") / "model.onnx"
measured = {**METRICS, "parameters": N_PARAMETERS,
            "onnx_bytes": onnx_file.stat().st_size if onnx_file.exists() else None,
            **{k: CAPACITY.get(k) for k in ("p50_ms", "p99_ms", "replica_memory_mb")}}
ops = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
rows = []
for c in CONSTRAINTS:
    actual = measured.get(c["name"])
    met = actual is not None and bool(ops[c["op"]](actual, c["value"]))
    rows.append({"name": c["name"], "target": f"{c['op']} {c['value']:g}", "actual": actual, "met": met})
table = pd.DataFrame(rows, columns=["name", "target", "actual", "met"])
display(Markdown("**Constraint table** (every figure measured above)"))
display(table.style.format({"actual": lambda v: "n/a" if v is None else f"{v:,.4g}"})
        .map(lambda m: "color: green" if m else "color: red", subset=["met"]) if len(table) else table)
print("all requirements met" if table["met"].all() else
      "NOT met: " + ", ".join(table.loc[~table["met"], "name"]))
_report(constraints=rows, metrics=METRICS, capacity=CAPACITY)
'''


def constraint_table_cell(constraints: list[dict[str, Any]]) -> str:
    """The closing table: each requirement, its target, the measured value, and whether it is met."""
    return code_cell("Check every requirement against what the cells above measured.", _CONSTRAINTS,
                     CONSTRAINTS=constraints)
