"""The one renderer: cell source files (jupytext "percent" format) to notebook cells, papermill-style.

A cell file is a plain Python module that ruff lints, split into blocks by ``# %%`` markers:

``# %% [context]``
    Names that earlier cells define, imported from :mod:`trainer_agent_lab.cells.context` so linters know
    them. Left out of the notebook.
``# %% [parameters]``
    ``NAME = default`` assignments, one per line (a value may span lines). Rendered with the caller's values
    (``repr``, or pretty-printed when long) in the first code cell, after its opening comment and imports, as
    papermill injects parameters; names the file does not declare are an error, so a typo cannot pass
    silently.
``# %% Title`` (or ``# %% [hidden] Title``)
    A code cell. The title becomes its first line, a ``# Title`` comment saying why the cell is there; comment
    lines right after the marker continue it. The parameters go below those lines.
    ``[hidden]`` cells are collapsed in the notebook (``metadata.jupyter.source_hidden``): plumbing a reader
    need not study.
``# %% [markdown]``
    A markdown cell; its lines are the comment lines with the leading ``# `` removed.

Anything before the first marker (the module docstring, ``from __future__`` lines) is for readers of the
package and is left out. Cell files never import ``trainer_agent_lab`` outside their context block, so the
notebook stands alone.
"""

from __future__ import annotations

import ast
import pprint
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import UsageError

#: The folder cell files are named from: the package root (``"kinds/tables/cells/search"`` is
#: ``trainer_agent_lab/kinds/tables/cells/search.py``).
PACKAGE_ROOT = Path(__file__).resolve().parent.parent

_MARKER = re.compile(r"^# %%(?:\s+\[(?P<kind>[a-z]+)\])?\s*(?P<title>.*)$")


@dataclass(frozen=True)
class Cell:
    """One notebook cell rendered from a cell file."""

    source: str
    kind: str = "code"  # "code" | "markdown"
    hidden: bool = False

    @property
    def metadata(self) -> dict[str, Any]:
        """Notebook metadata this cell carries (collapsed source for hidden cells)."""
        return {"jupyter": {"source_hidden": True}} if self.hidden else {}


@dataclass
class CellFile:
    """A parsed cell file: its parameters (with their defaults' source) and its cells."""

    path: Path
    parameters: dict[str, str] = field(default_factory=dict)
    blocks: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, title, body)

    def render(self, values: dict[str, Any]) -> list[Cell]:
        """The notebook cells, parameters rendered with ``values`` (defaults for the rest)."""
        unknown = sorted(set(values) - set(self.parameters))
        if unknown:
            raise UsageError(f"Cell file {self.path.name} has no parameter {', '.join(unknown)}; it declares "
                             f"{', '.join(self.parameters) or 'none'}.")
        params = [f"{name} = {render_value(values[name], len(name) + 3)}" if name in values else f"{name} = {default}"
                  for name, default in self.parameters.items()]
        cells: list[Cell] = []
        for kind, title, body in self.blocks:
            if kind == "markdown":
                text = "\n".join(re.sub(r"^# ?", "", line) for line in body.splitlines())
                cells.append(Cell(text.strip() + "\n", "markdown"))
                continue
            body_lines = body.strip("\n").splitlines()
            lead = 0
            while lead < len(body_lines) and body_lines[lead].startswith("#"):
                lead += 1
            lines = ([f"# {title}"] if title else []) + body_lines[:lead]
            rest = body_lines[lead:]
            if params:  # papermill-style, but below the cell's own imports so they stay at the top of the cell
                cut = _imports_end(rest)
                imports = rest[:cut]
                rest = [*params, *([""] if rest[cut:] else []), *rest[cut:]]
                if imports:
                    rest = [*imports, "", *rest]
                params = []
            source = "\n".join(lines + rest)
            cells.append(Cell(source.rstrip() + "\n", "code", hidden=kind == "hidden"))
        if params:  # a file of parameters only
            cells.append(Cell("\n".join(params) + "\n"))
        return cells


def _imports_end(lines: list[str]) -> int:
    """How many of ``lines`` are the import statements a cell opens with (blank lines after them excluded)."""
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return 0
    end = 0
    for node in tree.body:
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            break
        end = node.end_lineno or end
    return end


def render_value(value: Any, indent: int = 0) -> str:
    """A Python literal for ``value``; long containers and strings are printed over several lines whose
    continuation lines are shifted by ``indent`` columns (to sit under the value after ``NAME = ``). Containers
    are packed: as many items on a line as fit (a list of short names takes a few lines, not one per name)."""
    text = repr(value)
    if indent + len(text) > 110 and isinstance(value, (dict, list, tuple, str)):
        text = _packed(value, max(110 - indent, 40))
        text = text.replace("\n", "\n" + " " * indent)
    return text


def _packed(value: Any, width: int) -> str:
    """``value``'s literal within ``width`` columns: the items of a list, tuple or dict packed greedily onto lines,
    an item too long for a line printed the same way one column in; strings and the rest as pprint prints them."""
    text = repr(value)
    if len(text) <= width:
        return text
    if isinstance(value, dict) and value:
        opening, closing = "{", "}"
        items = [f"{k!r}: " + _packed(v, width - len(repr(k)) - 3).replace("\n", "\n" + " " * (len(repr(k)) + 2))
                 for k, v in value.items()]
    elif isinstance(value, (list, tuple)) and (isinstance(value, list) or len(value) > 1) and value:
        opening, closing = ("[", "]") if isinstance(value, list) else ("(", ")")
        items = [_packed(v, width - 1) for v in value]
    else:
        return pprint.pformat(value, width=width, sort_dicts=False)
    lines: list[str] = []
    for item in items:
        if lines and "\n" not in item and "\n" not in lines[-1] and len(lines[-1]) + len(item) + 3 <= width:
            lines[-1] += ", " + item
        else:
            lines.append(item)
    return opening + ",\n ".join(line.replace("\n", "\n ") for line in lines) + closing


def _cell_path(name: str) -> Path:
    path = PACKAGE_ROOT / f"{name}.py"
    if not path.is_file():
        raise UsageError(f"No cell file {name!r} (looked for {path}).")
    return path


@cache
def load(name: str) -> CellFile:
    """Parse the cell file ``name`` (a path relative to the package, without ``.py``)."""
    path = _cell_path(name)
    text = path.read_text(encoding="utf-8")
    blocks: list[tuple[str, str, list[str]]] = []
    for line in text.splitlines():
        match = _MARKER.match(line)
        if match:
            blocks.append((match["kind"] or "code", match["title"].strip(), []))
        elif blocks:
            blocks[-1][2].append(line)
    cell_file = CellFile(path)
    for kind, title, lines in blocks:
        body = "\n".join(lines)
        if kind == "context":
            continue
        if kind == "parameters":
            cell_file.parameters.update(_parameters(body, path))
            continue
        if kind not in ("code", "hidden", "markdown"):
            raise UsageError(f"Cell file {path.name}: unknown block kind [{kind}].")
        cell_file.blocks.append((kind, title, body))
    return cell_file


def _parameters(body: str, path: Path) -> dict[str, str]:
    """``NAME = default`` assignments of a parameters block, the defaults as source text."""
    tree = ast.parse(body)
    found: dict[str, str] = {}
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else \
            node.target if isinstance(node, ast.AnnAssign) else None
        if not isinstance(target, ast.Name) or getattr(node, "value", None) is None:
            raise UsageError(f"Cell file {path.name}: a parameters block holds only NAME = value lines.")
        found[target.id] = ast.get_source_segment(body, node.value) or "None"  # type: ignore[arg-type]
    return found


def render(*names: str, **values: Any) -> list[Cell]:
    """The cells of the files ``names`` in order; each parameter goes to every file that declares it.

    A value no file declares is an error (a misspelt parameter must not fall back to a default silently).
    """
    files = [load(name) for name in names]
    declared = {p for f in files for p in f.parameters}
    unknown = sorted(set(values) - declared)
    if unknown:
        raise UsageError(f"No cell file among {', '.join(names)} declares {', '.join(unknown)}.")
    cells: list[Cell] = []
    for f in files:
        cells += f.render({k: v for k, v in values.items() if k in f.parameters})
    return cells


def writefile(target: str, template: str) -> Cell:
    """A collapsed ``%%writefile target`` cell holding the package file ``template`` verbatim (relative to the
    package root, e.g. ``"bundle/model_server.py"``): how the notebook writes a file of the bundle that it does not
    compute (the serving app, its test), so that the notebook stays the whole record and needs no package of ours.
    :func:`writefile_cells` puts a markdown line above such cells."""
    path = PACKAGE_ROOT / template
    if not path.is_file():
        raise UsageError(f"No template {template!r} (looked for {path}).")
    return Cell(f"%%writefile {target}\n" + path.read_text(encoding="utf-8"), "code", hidden=True)


def writefile_cells(files: dict[str, str], why: str) -> list[Cell]:
    """A markdown line saying what the collapsed cells below write and why, then one ``%%writefile`` cell per
    entry of ``files`` (target in the notebook's folder -> template in the package)."""
    listing = ", ".join(f"`{target}`" for target in files)
    return [Cell(f"{why} ({listing}; the cells are collapsed: click to expand.)\n", "markdown"),
            *(writefile(target, template) for target, template in files.items())]


def run_cells(cells: Sequence[Cell], namespace: dict[str, Any]) -> None:
    """Run rendered cells as a kernel does, without one: code cells with ``exec`` in ``namespace``, ``%%writefile``
    cells by writing their file (relative to the working directory); markdown is skipped. For tests and
    benchmarks that run cells directly."""
    for cell in cells:
        if cell.kind != "code":
            continue
        first, _, body = cell.source.partition("\n")
        if first.startswith("%%writefile "):
            Path(first.split(maxsplit=1)[1]).write_text(body, encoding="utf-8")
        else:
            exec(compile(cell.source, f"<cell {first[:60]}>", "exec"), namespace)


def source(*names: str, **values: Any) -> str:
    """All the code of ``names`` as one script (for tests and for readers), hidden cells included."""
    return "\n\n".join(c.source for c in render(*names, **values) if c.kind == "code")
