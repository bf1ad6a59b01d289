"""report.json's paths name only files this run wrote: predictions.csv when this turn's predictions step (run
right after its bundle step) finished, never one an earlier run left in the folder."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from trainer_agent_lab import kinds
from trainer_agent_lab.errors import NeedsInput
from trainer_agent_lab.kinds.base import SERVER_STEPS, Run, TaskKind
from trainer_agent_lab.orchestrator import Orchestrator
from trainer_agent_lab.spec import TaskType

from .markdown_driver import MarkdownOnlyDriver


def _run_with_steps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, steps: list[str]) -> dict[str, str]:
    """Run a toy kind whose Data phase writes the bundle and predictions.csv for the steps it says it did (as the
    Server agent's cells would), then stops; return the report's paths."""

    class Toy(TaskKind):
        name = "toy"
        task_types = (TaskType.regression,)
        order = (("Task", "understand"), ("Data", "load"), *SERVER_STEPS)
        step_titles = {("Data", "load"): "Load the toy data"}
        server_agent = kinds.kind_for(None).server_agent

        def data_intent(self, spec):
            return "The toy Data agent writes what the Server agent's steps would."

        def data_phase(self, run: Run, *, setup: bool = True) -> None:
            if "bundle" in steps:
                (tmp_path / "bundle").mkdir(exist_ok=True)
                (tmp_path / "bundle.zip").write_bytes(b"PK")
            if "predictions" in steps:
                (tmp_path / "predictions.csv").write_text("prediction\n1.5\n")
            run.task.memory.done_steps.extend(steps)
            raise NeedsInput("The toy kind stops here.", question="Enough?")

        def model_phase(self, run: Run) -> None:
            raise AssertionError("not reached")

    package = types.ModuleType("trainer_agent_lab.kinds.toy")
    package.KIND = Toy()
    monkeypatch.setitem(sys.modules, "trainer_agent_lab.kinds.toy", package)
    monkeypatch.setattr(kinds, "KIND_PACKAGES", (*kinds.KIND_PACKAGES, "toy"))
    kinds.registry.cache_clear()
    try:
        driver = MarkdownOnlyDriver(tmp_path / "nb.ipynb")
        report = Orchestrator(driver, tmp_path).run("Predict the price with R2 at least 0.5", data="x.csv")
    finally:
        kinds.registry.cache_clear()
    assert report.status == "needs_input"
    return report.paths


def test_predictions_this_turn_wrote_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = _run_with_steps(tmp_path, monkeypatch, ["bundle", "predictions"])
    assert paths["predictions"] == str(tmp_path / "predictions.csv") and paths["bundle"] == str(tmp_path / "bundle")


def test_a_predictions_file_an_earlier_run_left_is_not_reported(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "predictions.csv").write_text("prediction\n0\n")  # left by an earlier run
    assert "predictions" not in _run_with_steps(tmp_path, monkeypatch, [])
    # a bundle this turn wrote, with no predictions step after it: the old file is still not this run's
    paths = _run_with_steps(tmp_path, monkeypatch, ["predictions", "bundle"])
    assert "bundle" in paths and "predictions" not in paths
