"""``trainer-agent plan`` knows what the run's feasibility check will say: a rank screen of each column, the run's own
probe when no column shows signal on its own, and, for texts, whether the labels could confirm the accuracy asked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trainer_agent_lab import plan
from trainer_agent_lab.knowledge.text_data import examples_to_confirm, unconfirmable
from trainer_agent_lab.plan_signal import probe, screen


def table(kind: str, n: int = 600, seed: int = 0) -> pd.DataFrame:
    """Inputs x0..x5 (and a colour); the target follows one column (``monotone``), only an interaction of two
    (``xor``: no column alone says anything), or nothing (``noise``)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(6)})
    frame["colour"] = rng.choice(["red", "green", "blue"], size=n)
    if kind == "monotone":
        frame["target"] = 2 * frame["x3"] + rng.normal(size=n)
    elif kind == "xor":
        frame["target"] = np.where((frame["x1"] > 0) ^ (frame["x2"] > 0), "yes", "no")
    else:
        frame["target"] = rng.normal(size=n)
    return frame


def test_a_column_that_predicts_the_target_on_its_own_is_evident_and_noise_is_not():
    found = screen(table("monotone"), "target", "regression")
    assert found["evident"] and found["column"] == "x3" and found["statistic"] == "Spearman's rho²"
    assert found["effect"] > 0.5 and found["p"] < 1e-20 and found["columns"] == 7
    assert not screen(table("noise"), "target", "regression")["evident"]
    xor = screen(table("xor"), "target", "classification")
    assert not xor["evident"] and xor["statistic"] in ("AUC − 0.5", "Cramér's V²")


def test_the_probe_is_the_runs_own_cell_and_finds_signal_only_in_an_interaction():
    found = probe(table("xor"), "target", "classification", [{"name": "accuracy", "op": ">=", "value": 0.8}], 0)
    assert not found["no_signal"] and found["scoring"] == "roc_auc" and found["score"] > 0.8
    assert found["rows"] == 600 and found["gates"][0]["reachable"]
    noise = probe(table("noise"), "target", "regression", [], 0)
    assert noise["no_signal"] and noise["scoring"] == "r2"


def test_plan_refuses_a_table_without_signal_as_the_run_does_and_writes_nothing(tmp_path: Path):
    path = tmp_path / "measurements.csv"
    table("noise", n=1200).to_csv(path, index=False)
    result = plan("Predict target with R2 of at least 0.5.", str(path), assume_yes=True)
    assert result.verdict == "refuse" and result.signal == "probe", result.reason
    assert "no signal for target" in result.reason and "permutation" in result.reason
    assert sorted(p.name for p in tmp_path.iterdir()) == ["measurements.csv"]


def test_plan_runs_the_probe_only_when_no_column_shows_signal(tmp_path: Path):
    for kind, how in (("monotone", "screen"), ("xor", "probe")):
        path = tmp_path / f"{kind}.csv"
        table(kind).to_csv(path, index=False)
        result = plan("Predict target with the best model you can.", str(path), assume_yes=True)
        assert result.verdict == "run" and result.signal == how, (kind, result.reason, result.checks)
        outcome = next(c["outcome"] for c in result.checks if c["check"] == "signal")
        assert ("x3 on its own" in outcome) if how == "screen" else ("the run's probe ran on 600" in outcome)
        assert not any("has signal" in u for u in result.unknown_until_run)


@pytest.mark.parametrize(("accuracy", "needed"), [(0.9, 139), (0.95, 73), (0.6, 369), (0.99, 16)])
def test_the_test_an_accuracy_target_needs(accuracy: float, needed: int):
    assert examples_to_confirm(accuracy) == needed
    assert unconfirmable(needed, accuracy) is None
    question = unconfirmable(needed - 1, accuracy)
    assert question is not None and f"{needed - 1} labeled examples are too few to confirm" in str(question)


def test_plan_asks_for_labels_that_could_not_confirm_the_accuracy_asked(tmp_path: Path):
    words = ["coupon", "discount", "gift", "sale", "free", "shipping", "quality", "cotton", "steel", "warranty"]
    rng = np.random.default_rng(1)
    for n, verdict in ((60, "needs_input"), (400, "run")):
        rows = [{"text": " ".join(rng.choice(words, size=8)), "label": int(rng.random() < 0.5)} for _ in range(n)]
        path = tmp_path / f"labeled_{n}.csv"
        pd.DataFrame(rows).to_csv(path, index=False)
        result = plan("Train a text classifier on this labeled file with at least 90% accuracy.", str(path),
                      assume_yes=True)
        assert result.kind == "texts" and result.verdict == verdict, (n, result.reason)
        if verdict == "needs_input":
            assert "60 labeled examples are too few to confirm 90% accuracy" in result.reason and result.question
        loose = plan("Train a text classifier on this labeled file.", str(path), assume_yes=True)
        assert loose.verdict == "run", loose.reason
