"""Cells the Task agent writes: the opening summary of requirements and plan (markdown built here), the
feasibility probe and the constraint table (cell files, rendered)."""

from __future__ import annotations

import html
import re
from typing import Any

from ..spec import TaskSpec
from .render import Cell, render

_UNITS = {"parameters": "parameters", "onnx_bytes": "bytes", "p50_ms": "ms", "p99_ms": "ms",
          "replica_memory_mb": "MB"}
#: Characters that mean something to Markdown (or to the notebook's LaTeX: ``$``) wherever they stand.
_MARKDOWN_CHARS = re.compile(r"([\\`*_\[\]|~$])")
#: What makes a line a heading, a list item or a rule when it starts the line ("# ", "- ", "1. ", "===").
_LINE_START = re.compile(r"^(\s*(?:\d+)?)([#+=.)-])")


def escape_markdown(text: str) -> str:
    """``text`` as literal words in Markdown: HTML escaped (``<script>`` shows as text), Markdown's characters
    backslash-escaped, and nothing at a line's start that would make it a heading or a list item."""
    text = _MARKDOWN_CHARS.sub(r"\\\1", html.escape(text, quote=False))
    return "\n".join(_LINE_START.sub(r"\1\\\2", line) for line in text.split("\n"))


def without_tags(text: str) -> str:
    """``text`` with every ``<`` that could open an HTML tag or comment escaped ("a <= 5" stays as it is), for
    text that is Markdown already but may quote the request."""
    return re.sub(r"<(?=[A-Za-z/!?])", "&lt;", text)


def quote_markdown(text: str) -> str:
    """``text`` as a Markdown block quote it cannot break out of: every line quoted (blank ones too) and escaped."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(f"> {escape_markdown(line.strip())}".rstrip() for line in lines)


def _cell(text: str) -> str:
    """``text`` inside a Markdown table cell."""
    return escape_markdown(" ".join(text.split()))


def _code(text: str) -> str:
    """``text`` as code inside a Markdown table cell (as plain escaped text when it holds a backtick)."""
    text = " ".join(text.split())
    return _cell(text) if "`" in text else "`" + text.replace("|", "\\|") + "`"


def requirements_markdown(spec: TaskSpec, plan: list[dict[str, Any]], checked: set[str] | None = None, *,
                          seed: int | None = None, environment: dict[str, Any] | None = None) -> str:
    """The notebook's first cell: the request, its measurable requirements, the plan as a checklist, and (when
    given) the seed and the environment (Python and package versions) to reproduce it with."""
    checked = checked or set()
    lines = ["# TrainerAgent run", "", quote_markdown(spec.request), "", "## Requirements", "",
             "| requirement | target |", "|---|---|"]
    if spec.task_type:
        lines.append(f"| task | {spec.task_type.value.replace('_', ' ')} |")
    if spec.target:
        lines.append(f"| target column | {_code(spec.target)} |")
    lines += [f"| data | {_code(ref)} |" for ref in spec.data]
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
    lines += [f"| not understood | “{_cell(clause)}” — not checked |" for clause in spec.not_understood]
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
