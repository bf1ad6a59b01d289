"""The notebook is saved before and after every cell, cheaply: a valid nbformat file on disk at every moment (the
running cell's source already in it), outputs of finished cells serialised once and reused, a re-run cell's new
outputs written, and the final file nbformat's own indented, validated one. Cells run for real in an in-process
IPython shell (the in-kernel backend)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell

from trainer_agent_lab.notebook.inkernel import CellView, InKernelDriver


@pytest.fixture()
def driver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> InKernelDriver:
    monkeypatch.chdir(tmp_path)
    return InKernelDriver(InteractiveShell.instance(), tmp_path / "nb.ipynb", view=CellView(io.StringIO()))


def on_disk(driver: InKernelDriver) -> nbformat.NotebookNode:
    notebook = nbformat.read(driver.path, as_version=4)
    nbformat.validate(notebook)
    return notebook


def test_every_save_is_a_valid_notebook_holding_the_running_cell(driver: InKernelDriver) -> None:
    driver.add_markdown("# A run")
    driver.add_code("print('x' * 200_000)")  # a large output, as a wide table's profile has
    # the cell reads the notebook from disk while it runs: its own source is there already (the save before it)
    result = driver.add_code(f"import json\nfrom pathlib import Path\n"
                             f"cells = json.loads(Path({str(driver.path)!r}).read_text())['cells']\n"
                             "print(sum('SELF-MARKER' in ''.join(c['source']) for c in cells))")
    assert result.ok and result.outputs[0]["text"].strip() == "1"
    saved = on_disk(driver)
    assert [c.cell_type for c in saved.cells] == ["markdown", "code", "code"]
    assert saved.cells[1].outputs[0]["text"] == "x" * 200_000 + "\n"


def test_a_rerun_cell_gets_its_new_outputs_and_close_writes_nbformat_itself(driver: InKernelDriver) -> None:
    first = driver.add_code("print('before')")
    driver.add_code("print('other')")
    driver.replace_code(first.cell_id, "print('after')")
    saved = on_disk(driver)
    assert saved.cells[0].outputs[0]["text"] == "after\n" and saved.cells[1].outputs[0]["text"] == "other\n"
    assert driver._outputs_json  # finished cells' outputs are kept serialised between saves
    driver.write_final()
    text = driver.path.read_text()
    assert text.startswith('{\n "cells": [') and json.loads(text) == json.loads(nbformat.writes(driver.nb))
