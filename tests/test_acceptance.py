"""The core and refusal acceptance tasks of ../shared/benchmarks/tasks.yaml, run through the CLI and graded.

Each run takes up to its time budget (minutes), so these are marked ``slow``; ``make test`` runs them.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

from .conftest import BENCHMARKS

CORE_TASKS = ["wine-small-model", "digits-int8", "breast-cancer-recall", "diabetes-regression", "churn-messy",
              "house-price", "chinese-request", "promo-paper", "promo-too-few", "refuse-impossible-accuracy",
              "refuse-no-signal", "refuse-unethical", "refuse-missing-label"]
_RUNNER = Path(__file__).resolve().parents[1] / "benchmarks" / "run_tasks.py"


def _runner():
    spec = importlib.util.spec_from_file_location("run_tasks", _RUNNER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tasks() -> dict[str, dict]:
    path = BENCHMARKS / "tasks.yaml"
    return {t["id"]: t for t in yaml.safe_load(path.read_text())} if path.exists() else {}


@pytest.mark.slow
@pytest.mark.parametrize("task_id", CORE_TASKS)
def test_core_task(task_id, tmp_path):
    tasks = _tasks()
    if task_id not in tasks:
        pytest.skip("../shared/benchmarks/tasks.yaml is not present in this checkout")
    result = _runner().run_task(tasks[task_id], BENCHMARKS, tmp_path)
    failed = {k: c["seen"] for k, c in result["checks"].items() if not c["ok"]}
    assert result["status"] == tasks[task_id]["expect"], result["reason"]
    assert not failed, failed
    assert result["wall_s"] <= tasks[task_id]["budget"] * 1.1 + 15  # the budget holds (kernel start aside)
