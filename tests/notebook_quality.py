"""What makes a generated notebook one a data scientist would share: lint clean, short cells, phases explained.

Used by the tests that read the shared acceptance runs (one run, many assertions) and by ``make notebook-check``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat

from trainer_agent_lab.notebook.environment import imported_distributions

ROOT = Path(__file__).resolve().parents[1]
#: The longest visible code cell allowed (collapsed cells, ``jupyter.source_hidden``, may be longer).
MAX_VISIBLE_LINES = 80


def is_magic(source: str) -> bool:
    """A cell that is an IPython cell magic (``%%writefile`` bodies are files, not notebook code)."""
    return source.lstrip().startswith("%")


def ruff_findings(notebook: Path, workdir: Path) -> str:
    """ruff's findings (project configuration) on ``notebook`` exported with ``jupyter nbconvert --to script``,
    magic cells left out; empty when clean."""
    nb = nbformat.read(notebook, as_version=4)
    nb.cells = [c for c in nb.cells if c.cell_type != "code" or not is_magic(c.source)]
    nb.metadata.setdefault("language_info", {}).update(name="python", file_extension=".py")
    copy = workdir / notebook.name
    nbformat.write(nb, copy)
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "script", str(copy)], check=True,
                   capture_output=True)
    script = copy.with_suffix(".py")
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--config",
                           str(ROOT / "pyproject.toml"), str(script)], capture_output=True, text=True, cwd=workdir)
    return "" if done.returncode == 0 else done.stdout


def visible_code_lines(notebook: Path) -> list[int]:
    """Line counts of the visible (not collapsed, not magic) code cells."""
    nb = nbformat.read(notebook, as_version=4)
    return [len(c.source.splitlines()) for c in nb.cells if c.cell_type == "code"
            and not c.metadata.get("jupyter", {}).get("source_hidden") and not is_magic(c.source)]


def phase_markdown(notebook: Path) -> dict[str, set[str]]:
    """For each phase (data, model, server): which of its opening and closing markdown cells the notebook has."""
    nb = nbformat.read(notebook, as_version=4)
    found: dict[str, set[str]] = {}
    for cell in nb.cells:
        meta = cell.metadata.get("trainer_agent", {})
        if cell.cell_type == "markdown" and "phase" in meta:
            found.setdefault(meta["phase"], set()).add(meta["part"])
    return found


def unlisted_imports(notebook: Path) -> set[str]:
    """Distributions the notebook's code cells import that its first cell's ``pip install`` line does not name."""
    nb = nbformat.read(notebook, as_version=4)
    line = re.search(r"pip install (.*)", nb.cells[0].source)
    named = {p.split("==")[0].lower() for p in line.group(1).split()} if line else set()
    used = imported_distributions(c.source for c in nb.cells if c.cell_type == "code")
    return {d for d in used if d.lower() not in named}
