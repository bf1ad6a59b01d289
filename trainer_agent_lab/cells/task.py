"""Cells the Task agent writes: the opening summary of requirements and plan (markdown built here), the
feasibility probe and the constraint table (cell files, rendered)."""

from __future__ import annotations

from typing import Any

from ..spec import TaskSpec
from .render import Cell, render

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


def constraint_table_cell(constraints: list[dict[str, Any]]) -> list[Cell]:
    """The closing table: each requirement, its target, the measured value, and whether it is met
    (``cells/constraints.py``, every kind's)."""
    return render("cells/constraints", CONSTRAINTS=constraints)
