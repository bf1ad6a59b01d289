"""The headless NotebookDriver against a real Jupyter kernel."""

from __future__ import annotations

import threading
import time

import nbformat
import pytest

from trainer_agent_lab.errors import KernelDied
from trainer_agent_lab.report import RESULT_MIME


def test_cell_runs_and_notebook_is_saved_after_it(driver):
    result = driver.add_code("x = 21 * 2\nprint(x)")
    assert result.ok and result.duration_s > 0
    assert result.outputs[0]["text"] == "42\n"
    saved = nbformat.read(str(driver.path), as_version=4)
    assert saved.cells[-1].source == "x = 21 * 2\nprint(x)"
    assert saved.cells[-1].outputs[0]["text"] == "42\n"
    assert saved.cells[-1].execution_count == 1


def test_state_is_shared_between_cells(driver):
    driver.add_code("value = [1, 2, 3]")
    assert driver.add_code("print(sum(value))").outputs[0]["text"] == "6\n"


def test_structured_results_are_read_back(driver):
    code = (f"display({{'{RESULT_MIME}': {{'accuracy': 0.93, 'classes': ['a', 'b']}}}}, raw=True)\n"
            f"display({{'{RESULT_MIME}': {{'rows': 10}}}}, raw=True)")
    result = driver.add_code(code)
    assert result.results == {"accuracy": 0.93, "classes": ["a", "b"], "rows": 10}


def test_error_is_structured_and_the_notebook_keeps_it(driver):
    driver.add_code("before = 1")
    result = driver.add_code("import json\njson.loads('{nope')")
    assert not result.ok
    assert result.error.ename == "JSONDecodeError"
    assert "Expecting property name" in result.error.evalue
    assert "json.loads" in result.error.plain_traceback()
    assert result.error.source.startswith("import json")
    assert "\x1b[" not in result.error.to_dict()["traceback"]
    saved = nbformat.read(str(driver.path), as_version=4)
    assert [c.source for c in saved.cells] == ["before = 1", "import json\njson.loads('{nope')"]
    assert saved.cells[-1].outputs[-1]["output_type"] == "error"
    assert driver.add_code("print(before)").ok  # the kernel and its state survive


def test_replace_code_reruns_in_place(driver):
    first = driver.add_code("1/0")
    assert not first.ok
    fixed = driver.replace_code(first.cell_id, "print('fixed')")
    assert fixed.ok and fixed.index == first.index
    assert len(driver.cells) == 1


def test_markdown_and_metadata_are_saved(driver):
    cell_id = driver.add_markdown("# Title")
    driver.update_markdown(cell_id, "# New title")
    driver.set_metadata("trainer_agent", {"request": "r"})
    driver.save()
    saved = nbformat.read(str(driver.path), as_version=4)
    assert saved.cells[0].source == "# New title"
    assert saved.metadata["trainer_agent"] == {"request": "r"}


def test_interrupt_stops_a_running_cell(driver):
    driver.start()
    timer = threading.Timer(1.5, driver.interrupt)
    timer.start()
    began = time.perf_counter()
    result = driver.add_code("import time\nfor _ in range(600):\n    time.sleep(0.1)")
    timer.join()
    assert time.perf_counter() - began < 30
    assert result.error is not None and result.error.ename == "KeyboardInterrupt"
    assert driver.add_code("print('alive')").ok


def test_kernel_death_is_reported_and_work_before_it_is_saved(driver):
    driver.add_code("kept = 1")
    with pytest.raises(KernelDied):
        driver.add_code("import os\nos._exit(1)")
    saved = nbformat.read(str(driver.path), as_version=4)
    assert saved.cells[0].source == "kept = 1" and saved.cells[0].outputs == []
    assert saved.cells[1].source == "import os\nos._exit(1)"


def test_hooks_see_every_cell(driver):
    seen = []
    driver.on_cell_start.append(lambda cell_id, index, source: seen.append(("start", index)))
    driver.on_cell_executed.append(lambda result: seen.append(("done", result.index)))
    driver.add_code("pass")
    assert seen == [("start", 0), ("done", 0)]
