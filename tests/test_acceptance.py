"""The acceptance tasks of ../shared/benchmarks/tasks.yaml that ``make test`` runs (``ACCEPTANCE_TASKS``: the core
and refusal tasks, and those of real tables and requests), run through the CLI and graded.

One run per task, done once per session (``shared_runs.task``: the task's own request, data and time budget,
graded by ``benchmarks/run_tasks.py`` as ``make bench`` grades it); every test below reads that run. Each run
takes up to its time budget (minutes), so these are marked ``slow``; ``make test`` runs them (in the background
while the other tests run: ``tests/shared_runs.py``). The long ones (grounding, generation) are ``make bench``'s.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from trainer_agent_lab.report import EXIT_CODES

from .shared_runs import ACCEPTANCE_TASKS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=[pytest.param(task_id, marks=pytest.mark.needs(*extras), id=task_id)
                                        for task_id, extras in ACCEPTANCE_TASKS.items()])
def task(request: pytest.FixtureRequest, shared_runs) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the task, its graded run): the run is the session's, whichever test asks first."""
    task_id = request.param
    if task_id not in shared_runs.tasks:
        pytest.skip(f"{shared_runs.benchmarks / 'tasks.yaml'} is not present in this checkout or has no {task_id}")
    return shared_runs.tasks[task_id], shared_runs.task(task_id)


def test_ends_with_the_expected_status(task):
    spec, result = task
    assert result["status"] == spec["expect"], result["reason"]
    assert result["exit_code"] == EXIT_CODES[result["status"]]  # the CLI's exit code says the same


def test_meets_the_tasks_checks(task):
    _, result = task
    failed = {k: c["seen"] for k, c in result["checks"].items() if not c["ok"]}
    assert not failed, failed


def test_the_time_budget_holds(task):
    spec, result = task
    assert result["wall_s"] <= spec["budget"] * 1.1 + 15  # kernel start aside


def test_leaves_its_notebook_and_report(task):
    spec, result = task
    run = result["dir"]
    report = json.loads((run / "report.json").read_text())
    assert report["spec"]["time_budget_s"] == spec["budget"]  # the task's own budget, never a smaller one
    assert (run / "notebook.ipynb").is_file()
    if report["status"] == "succeeded":
        assert (run / "bundle" / "model.onnx").is_file() and (run / "bundle.zip").is_file()
    else:  # a refusal or a question says why
        assert report["reason"].strip()
