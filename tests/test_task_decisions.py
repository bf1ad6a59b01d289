"""The Task agent's decisions that need no kernel: target, task kind, positive class."""

from __future__ import annotations

import pytest

from trainer_agent_lab.agents.task import resolve_positive_class, resolve_target, resolve_task
from trainer_agent_lab.errors import DataError, NeedsInput
from trainer_agent_lab.spec import Constraint, TaskSpec, TaskType


def spec(**kw):
    return TaskSpec(request="r", **kw)


def col(name, dtype, n_unique):
    return {"name": name, "dtype": dtype, "n_unique": n_unique, "missing": 0}


def test_named_target_is_used_case_insensitively():
    assert resolve_target(spec(target="Price"), ["area", "price"], False) == "price"


def test_missing_target_suggests_the_closest_names():
    with pytest.raises(NeedsInput) as err:
        resolve_target(spec(target="churn"), ["customer_id", "churned", "plan"], False)
    assert "'churn' is not in the data" in str(err.value)
    assert err.value.options[0] == "churned"


def test_ambiguous_target_asks_which():
    with pytest.raises(NeedsInput) as err:
        resolve_target(spec(target="PRICE"), ["Price", "price"], False)
    assert err.value.options == ["Price", "price"]


def test_obvious_target_column_is_found():
    assert resolve_target(spec(), ["a", "b", "label"], False) == "label"


def test_no_target_asks_unless_defaults_are_accepted():
    with pytest.raises(NeedsInput):
        resolve_target(spec(), ["a", "b", "c"], False)
    assert resolve_target(spec(), ["a", "b", "c"], True) == "c"


@pytest.mark.parametrize(("kw", "column", "expected"), [
    ({}, col("y", "object", 2), "classification"),
    ({}, col("y", "int64", 10), "classification"),
    ({}, col("y", "float64", 900), "regression"),
    ({"constraints": [Constraint(name="r2", op=">=", value=0.8)]}, col("y", "int64", 5), "regression"),
    ({"report_metrics": ["mae"]}, col("y", "float64", 300), "regression"),
    ({"constraints": [Constraint(name="f1", op=">=", value=0.5)]}, col("y", "float64", 2), "classification"),
    ({"task_type": TaskType.classification}, col("y", "float64", 800), "classification"),
])
def test_task_kind(kw, column, expected):
    assert resolve_task(spec(**kw), column, 1000) == expected


def test_regression_on_text_target_is_a_clear_error():
    with pytest.raises(DataError, match="not numeric"):
        resolve_task(spec(task_type=TaskType.regression), col("colour", "object", 3), 100)


@pytest.mark.parametrize(("hint", "classes", "target", "expected"), [
    ("malignant", ["benign", "malignant"], "target", "malignant"),
    ("churners", ["no", "yes"], "churned", "yes"),
    (None, ["no", "yes"], "churned", "yes"),
    (None, ["ham", "spam"], "kind", "spam"),  # the rarer class when nothing else says
    ("fraud", ["fraud", "legit"], "label", "fraud"),
])
def test_positive_class(hint, classes, target, expected):
    counts = {"ham": 90, "spam": 10, "benign": 200, "malignant": 100, "no": 90, "yes": 10}
    assert resolve_positive_class(hint, classes, counts, target) == expected
