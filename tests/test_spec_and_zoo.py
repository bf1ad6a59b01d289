"""TaskSpec, Constraint and the model zoo's budget rules."""

from __future__ import annotations

import json

import pytest

from trainer_agent_lab.agents.model import inclusive_limit
from trainer_agent_lab.knowledge.zoo import FAMILIES, candidates, smallest_model
from trainer_agent_lab.spec import Constraint, TaskSpec, spec_json_schema


@pytest.mark.parametrize(("op", "value", "actual", "met", "text"), [
    (">=", 0.95, 0.95, True, ">= 0.95"),
    (">", 0.9, 0.9, False, "> 0.9"),
    ("<", 500, 42, True, "< 500"),
    ("<=", 10, 11, False, "<= 10"),
    ("<", 1_000_000, 999_999, True, "< 1000000"),
])
def test_constraint(op, value, actual, met, text):
    c = Constraint(name="x", op=op, value=value)
    assert c.is_met(actual) is met
    assert c.target == text
    assert not c.is_met(None)


def test_spec_round_trips_through_json(tmp_path):
    spec = TaskSpec(request="r", constraints=[Constraint(name="accuracy", op=">=", value=0.9)], qps=100)
    path = spec.write(tmp_path / "spec.json")
    assert TaskSpec.model_validate(json.loads(path.read_text())) == spec
    assert spec.objective == "accuracy"
    assert "constraints" in spec_json_schema()["properties"]


def test_spec_rejects_unknown_fields():
    with pytest.raises(ValueError):
        TaskSpec(request="r", accuracy=0.9)


@pytest.mark.parametrize(("op", "value", "limit"), [("<", 500, 499), ("<=", 10, 10), ("<", 50_000.5, 50_000)])
def test_inclusive_limit(op, value, limit):
    assert inclusive_limit(Constraint(name="parameters", op=op, value=value)) == limit


def test_budget_keeps_only_families_that_can_fit():
    kept = {c.family.name for c in candidates("classification", 13, 3, 133, 500) if c.kept}
    assert "logistic_regression" in kept and "knn" not in kept  # kNN stores 133 x 13 numbers


def test_tiny_budget_keeps_nothing_and_smallest_model_is_named():
    assert not any(c.kept for c in candidates("classification", 64, 10, 1400, 10, strict=False))
    smallest = smallest_model("classification", 64, 10, 1400)
    assert (smallest.family.name, smallest.min_parameters) == ("decision_tree", 2 * 9 + 10 * 10)
    assert smallest_model("regression", 10, 0, 400).min_parameters == 4  # a stump: one split, two leaves


def test_every_family_documents_its_counting():
    assert all(f.counting and f.tasks for f in FAMILIES)
