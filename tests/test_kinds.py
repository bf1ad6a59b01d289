"""Task kinds are plug-ins: the registry knows every task type, each kind's plan is complete, and nothing outside a
kind's folder branches on the kind."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from trainer_agent_lab.agents.base import RunMemory
from trainer_agent_lab.agents.task import TaskAgent
from trainer_agent_lab.kinds import KIND_PACKAGES, kind_for, registry
from trainer_agent_lab.kinds.base import SERVER_STEPS, TaskKind
from trainer_agent_lab.kinds.budget import BudgetSplit, TimeBudget
from trainer_agent_lab.spec import TaskSpec, TaskType

from .markdown_driver import MarkdownOnlyDriver

PACKAGE = Path(__file__).resolve().parents[1] / "trainer_agent_lab"


def test_every_task_type_has_a_kind_and_every_kind_package_is_registered():
    kinds = registry()
    assert set(TaskType) | {None} <= set(kinds)
    assert {k.name for k in kinds.values()} == set(KIND_PACKAGES)
    assert kind_for(None).name == "tables" and kind_for(TaskType.regression).name == "tables"
    assert kind_for(TaskType.image_classification).name == "images"


@pytest.mark.parametrize("kind", sorted(set(registry().values()), key=lambda k: k.name), ids=lambda k: k.name)
def test_each_kind_plans_every_step_with_a_title_and_ends_with_the_server_steps(kind: TaskKind):
    plan = TaskAgent(None, RunMemory(spec=TaskSpec(request="r")), lambda event: None).plan(kind.order,
                                                                                             kind.step_titles)
    assert [(s["agent"], s["step"]) for s in plan] == list(kind.order)
    assert all(s["title"] for s in plan)
    assert kind.order[-len(SERVER_STEPS):] == SERVER_STEPS and kind.order[0] == ("Task", "understand")
    assert kind.server_agent.cells is not None  # each kind brings its own Server cells
    spec = TaskSpec(request="r", data=["x.csv"])
    assert all(text.strip() for text in (kind.data_intent(spec), kind.model_intent(spec), kind.server_intent(spec)))


def test_nothing_outside_the_kinds_branches_on_the_kind():
    """The orchestrator, the agents' bases and the Session have no per-kind branches or tables of special cases."""
    kind_words = re.compile(r"TaskType\.(text|image)_classification|\bvision\b|\bTEXT_ORDER\b|SERVER_AGENTS")
    for path in [PACKAGE / "orchestrator.py", PACKAGE / "session.py", *(PACKAGE / "agents").glob("*.py")]:
        assert not kind_words.search(path.read_text(encoding="utf-8")), path.name


def test_the_time_budget_arithmetic_lives_in_one_place():
    """Host code reads the clock for budgets only in kinds/budget.py (cells time themselves in the notebook)."""
    for path in PACKAGE.rglob("*.py"):
        if "cells" in path.parts or path.name == "budget.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\bRESERVE_S\b|time_budget_s or \d|budget_s - \(time", text), path


def test_time_budget_shares_out_what_is_left():
    budget = TimeBudget(100.0, BudgetSplit(reserve_s=10, reserve_share=0.1, min_search_s=5, probe_share=0.1,
                                           probe_cap_s=4), started=0.0)  # started long ago: spent
    assert budget.search_s() == 5 and budget.probe_s() == 4.0
    fresh = TimeBudget(100.0, BudgetSplit(reserve_s=10, reserve_share=0.1, min_search_s=5))
    assert 79 < fresh.left_s() <= 80 and 39 < fresh.search_s(0.5) <= 40 and fresh.share_s(0.12, 90) == 12


def test_a_new_kind_is_one_package_and_one_registry_entry(tmp_path, monkeypatch):
    """A kind added as ``kinds/<name>/`` with ``KIND``, and its name in ``KIND_PACKAGES``, is what the orchestrator
    runs for its task type: its plan, its phases' opening markdown, its Data phase. Nothing else is touched."""
    import sys
    import types

    from trainer_agent_lab import kinds
    from trainer_agent_lab.errors import NeedsInput
    from trainer_agent_lab.kinds.base import Run
    from trainer_agent_lab.orchestrator import Orchestrator

    class Toy(TaskKind):
        name = "toy"
        task_types = (TaskType.regression,)
        order = (("Task", "understand"), ("Data", "load"), *SERVER_STEPS)
        step_titles = {("Data", "load"): "Load the toy data"}
        server_agent = kinds.kind_for(None).server_agent

        def data_intent(self, spec):
            return "The toy Data agent looks at nothing."

        def data_phase(self, run: Run, *, setup: bool = True) -> None:
            run.task.say("The toy kind's Data phase ran.")
            raise NeedsInput("The toy kind stops here.", question="Enough?")

        def model_phase(self, run: Run) -> None:
            raise AssertionError("not reached")

    package = types.ModuleType("trainer_agent_lab.kinds.toy")
    package.KIND = Toy()
    monkeypatch.setitem(sys.modules, "trainer_agent_lab.kinds.toy", package)
    monkeypatch.setattr(kinds, "KIND_PACKAGES", (*kinds.KIND_PACKAGES, "toy"))
    kinds.registry.cache_clear()
    try:
        assert kinds.kind_for(TaskType.regression).name == "toy"
        driver = MarkdownOnlyDriver(tmp_path / "nb.ipynb")
        report = Orchestrator(driver, tmp_path).run("Predict the price with R2 at least 0.5", data="x.csv")
    finally:
        kinds.registry.cache_clear()
    assert report.status == "needs_input" and report.reason == "The toy kind stops here."
    assert [step["step"] for step in report.plan] == ["understand", "load", "export", "parity", "capacity",
                                                      "conclude", "bundle"]
    markdown = [c.source for c in driver.nb.cells]
    assert any("The toy Data agent looks at nothing." in m for m in markdown)
    assert any("The toy kind's Data phase ran." in m for m in markdown)  # the phase's closing cell
    assert "Load the toy data" in markdown[0]
