"""Every cell file parses, renders with its defaults, is ruff clean, and keeps visible cells short."""

from __future__ import annotations

import subprocess
import sys

import pytest

from trainer_agent_lab.cells import render

PACKAGE = render.PACKAGE_ROOT
#: Cell files: modules inside a ``cells`` folder, except the package plumbing (renderer, contexts).
CELL_FILES = sorted(p for p in PACKAGE.rglob("cells/**/*.py")
                    if p.name not in ("__init__.py", "context.py", "render.py", "base.py")
                    and "# %%" in p.read_text(encoding="utf-8"))
NAMES = [str(p.relative_to(PACKAGE).with_suffix("")) for p in CELL_FILES]
MAX_VISIBLE_LINES = 80


@pytest.mark.parametrize("name", NAMES)
def test_cell_file_renders_with_its_defaults_and_keeps_visible_cells_short(name):
    cells = render.render(name)
    assert cells, f"{name} renders no cell"
    for cell in cells:
        if cell.kind == "code":
            compile(cell.source, name, "exec")
            if not cell.hidden:
                lines = cell.source.count("\n")
                assert lines <= MAX_VISIBLE_LINES, f"{name}: a visible cell of {lines} lines"


def test_cell_files_are_ruff_clean():
    assert CELL_FILES
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", *map(str, CELL_FILES)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:]


def test_a_parameter_no_file_declares_is_an_error():
    from trainer_agent_lab.errors import UsageError

    with pytest.raises(UsageError, match="declares"):
        render.render(NAMES[0], NO_SUCH_PARAMETER=1)
