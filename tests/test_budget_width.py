"""The reserve after the search grows with the table's width, and the wide-table cells stay fast and correct.

No whole run: the budget arithmetic directly, then the split cell's Parquet writer on a small mixed frame.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from trainer_agent_lab.kinds.budget import BudgetSplit, TimeBudget


@pytest.mark.parametrize("total_s", [30.0, 60.0, 300.0])
def test_the_reserve_grows_with_the_number_of_model_inputs(total_s: float) -> None:
    narrow, wide = TimeBudget(total_s), TimeBudget(total_s)
    before = narrow.reserve_s
    narrow.inputs, wide.inputs = 4, 5000
    per_input = narrow.split.per_input_s
    assert narrow.reserve_s == pytest.approx(before + 4 * per_input)  # a narrow table keeps what it kept
    assert wide.reserve_s == pytest.approx(before + 5000 * per_input)
    assert wide.reserve_s - narrow.reserve_s == pytest.approx(4996 * per_input)
    # so a wide table's search gets less of what is left, by exactly that much, whatever the budget
    assert narrow.left_s() - wide.left_s() == pytest.approx(4996 * per_input, abs=0.05)


def test_the_width_term_is_linear_for_any_width_and_never_negative() -> None:
    budget = TimeBudget(60)
    base = budget.reserve_s
    grown = []
    for inputs in (0, 1, 100, 10_000, 100_000):
        budget.inputs = inputs
        grown.append(budget.reserve_s - base)
    assert grown == pytest.approx([budget.split.per_input_s * n for n in (0, 1, 100, 10_000, 100_000)])
    budget.inputs = -3  # nonsense is read as no inputs
    assert budget.reserve_s == pytest.approx(base)


def test_a_flat_reserve_is_not_changed_by_the_width() -> None:
    flat = TimeBudget(100, BudgetSplit(reserve_s=10, reserve_share=0.1), inputs=5000)
    assert flat.reserve_s == 20.0


def test_measuring_steps_shrink_with_the_time_left() -> None:
    on_time = TimeBudget(60)
    late = TimeBudget(60, started=time.perf_counter() - 58)  # 2 s left of the whole budget
    assert on_time.capacity_s() == 12.0
    assert late.capacity_s() == late.split.step_min_s  # bounded by the time left, down to its floor
    assert late.latency_s() == late.split.step_min_s


def test_the_split_cells_parquet_writer_keeps_every_column(tmp_path: object) -> None:
    """The one-block writer the split cell uses reads back as pandas' own writer would have written it."""
    from trainer_agent_lab.cells.render import render, run_cells

    rng = np.random.default_rng(0)
    n = 40
    df = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(300)})
    df["flag"] = rng.random(n) > 0.5
    df["colour"] = rng.choice(["red", "blue", None], size=n)
    df["target"] = (df["x0"] > 0).map({True: "yes", False: "no"})
    recipe = {"version": 1, "columns": [], "raw_inputs": []}
    ns = {"df": df, "RECIPE": recipe, "SEED": 0, "_report": lambda **kw: ns.update(report=kw),
          "date_values": None, "Markdown": str, "display": lambda *a, **k: None, "json": __import__("json"),
          "Path": __import__("pathlib").Path, "np": np, "pd": pd}
    import os

    cwd = os.getcwd()
    os.chdir(tmp_path)  # type: ignore[arg-type]
    try:
        run_cells(render("kinds/tables/cells/split", TARGET="target", TASK="classification", POSITIVE_CLASS="yes"),
                  ns)
        train = pd.read_parquet("split/train.parquet")
    finally:
        os.chdir(cwd)
    assert list(train.columns) == list(ns["X_train"].columns) + ["target"]
    assert len(train) == len(ns["X_train"]) == ns["report"]["n_train"]
    np.testing.assert_array_equal(train[ns["NUMERIC_FEATURES"]].to_numpy(), ns["X_train"][ns["NUMERIC_FEATURES"]])
    assert train["flag"].dtype == "float64" and set(train["flag"].unique()) <= {0.0, 1.0}  # booleans as numbers
    assert train["colour"].tolist() == ns["X_train"]["colour"].tolist() and "missing" in set(train["colour"])
    assert set(train["target"]) == {"yes", "no"}
    assert ns["N_ENCODED"] == 301 + ns["X_train"]["colour"].nunique()
