"""The steps around the search keep their cost to the table's size: the clean step finds duplicate rows by hashing
them (not by comparing every value as text) and counts distinct values of all numeric columns at once; the split
leaves one block per dtype; the export finds a wide pipeline's columns among its inputs by a dictionary; the signal
test's shuffles keep to their seconds and say the p-value's resolution; the evaluation's plots draw a bounded number
of points. Real cells on small tables written in ``tmp_path``, run without a kernel.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import pytest
from IPython.display import display
from sklearn import metrics as skm
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

from trainer_agent_lab.cells.data import setup_cell
from trainer_agent_lab.cells.render import render, run_cells
from trainer_agent_lab.kinds.tables.data_cells import clean_cell, column_types_cell, load_cell, split_cell
from trainer_agent_lab.kinds.tables.model_cells import evaluate_cell
from trainer_agent_lab.kinds.tables.sampling import PLOT_ROWS


@pytest.fixture()
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))  # the load and column types steps import the files they write
    return tmp_path


def prepared(folder: Path, frame: pd.DataFrame, target: str = "label", positive: str | None = "yes") -> dict[str, Any]:
    """``frame`` written as a CSV in ``folder``, then loaded, typed, cleaned and split by the real cells."""
    frame.to_csv(folder / "data.csv", index=False)
    ns: dict[str, Any] = {"display": display, "__name__": "__main__", "time": time}
    run_cells([*setup_cell(0, {"constraints": []}), *load_cell("data.csv")], ns)
    ns["reports"] = []
    ns["_report"] = lambda **results: ns["reports"].append(results)
    run_cells([*column_types_cell(target), *clean_cell(target, "classification", 6.0),
               *split_cell(target, "classification", positive, 0.25)], ns)
    return ns


def wide_table(rows: int, columns: int) -> pd.DataFrame:
    """Numbers in ``columns`` columns (a class target driven by three of them)."""
    rng = np.random.default_rng(0)
    numbers = rng.normal(size=(rows, columns)).round(3)
    frame = pd.DataFrame(numbers, columns=[f"c{i}" for i in range(columns)])
    frame["label"] = np.where(numbers[:, 0] + numbers[:, 1] - numbers[:, 2] > 0, "yes", "no")
    return frame


def test_clean_drops_exact_copies_of_file_rows_and_useless_columns(in_tmp: Path) -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"x": rng.normal(size=60).round(6), "shop": rng.choice(["a", "b", "c"], 60),
                          "constant": 1.0, "sparse": np.where(np.arange(60) < 50, np.nan, 1.0),
                          "label": rng.choice(["yes", "no"], 60)})
    frame.loc[5, "x"] = np.nan
    frame.loc[7, "shop"] = np.nan
    copies = frame.iloc[[5, 7, 9]]  # a missing number and a missing text repeat as themselves
    near = frame.iloc[[11]].assign(x=frame.loc[11, "x"] + 0.01)  # not a copy: one value differs
    ns = prepared(in_tmp, pd.concat([frame, copies, near], ignore_index=True))
    cleaned = next(r for r in ns["reports"] if "dropped_columns" in r)  # the clean step's report
    assert cleaned["rows"] == 61 and "Dropped 3 duplicate rows" in " ".join(cleaned["notes"])
    assert set(cleaned["dropped_columns"]) == {"constant", "sparse"}
    assert {"x", "shop"} <= set(ns["df"].columns)


def test_a_wide_tables_duplicates_and_columns_cost_one_pass_and_the_split_is_one_block(in_tmp: Path) -> None:
    frame = wide_table(80, 3000)
    frame["c10"] = 0.5  # constant
    frame.loc[frame.index < 60, "c11"] = np.nan  # mostly missing
    frame = pd.concat([frame, frame.iloc[:4]], ignore_index=True)
    ns = prepared(in_tmp, frame)
    cleaned = next(r for r in ns["reports"] if "dropped_columns" in r)
    assert cleaned["rows"] == 80 and set(cleaned["dropped_columns"]) == {"c10", "c11"}
    assert "Dropped 4 duplicate rows" in " ".join(cleaned["notes"])
    for part in (ns["X_train"], ns["X_test"]):  # one float block: every later column selection is one take
        assert part.shape[1] == 2998 and part._mgr.nblocks == 1


def test_the_export_of_a_wide_pipeline_finds_its_columns_by_name_and_agrees_with_it(in_tmp: Path) -> None:
    ns = prepared(in_tmp, wide_table(120, 1500))
    ns["model"] = Pipeline([("pre", ns["make_preprocessor"]()), ("est", LogisticRegression(max_iter=300))]).fit(
        ns["X_train"], ns["y_train"])
    ns.update(PARAMS={"family": "logistic_regression"}, METRICS={}, N_PARAMETERS=1501, THRESHOLD=None,
              X_test_raw=ns["X_test"], REQUIREMENTS={"constraints": [], "qps": None, "container_memory_mb": None,
                                                     "quantize_int8": False}, REPORTS=ns["reports"])
    run_cells(render("cells/bundle_folder", "kinds/tables/cells/fold_bags"), ns)
    cells = render("kinds/tables/cells/export")
    run_cells(cells[:-1], ns)  # to the conversion: the lookup agrees with skl2onnx's own on names and positions
    from skl2onnx.common._topology import Variable  # noqa: PLC0415  (only this test builds skl2onnx variables)
    from skl2onnx.common.data_types import FloatTensorType  # noqa: PLC0415

    variables = [Variable(name, name, scope=None, type=FloatTensorType([None, 1])) for name in ["a", "b", "c", "b"]]
    for columns in (["c", "a"], ["b"], [0, 2], ["a", 1]):
        assert dict(ns["column_indices"](columns, variables, True)) == dict(
            ns["skl2onnx_column_indices"](columns, variables, True))
    began = time.perf_counter()
    run_cells(cells[-1:], ns)
    assert time.perf_counter() - began < 20  # was columns x inputs comparisons: ~10 s for 5,000 columns
    import onnxruntime as ort  # noqa: PLC0415

    session = ort.InferenceSession(str(ns["ONNX_PATH"]), providers=["CPUExecutionProvider"])
    onnx_proba = session.run(["probabilities"], ns["to_onnx_feed"](ns["X_test"]))[0]
    assert np.abs(onnx_proba - ns["model"].predict_proba(ns["X_test"])).max() < 1e-4


def signal_namespace() -> dict[str, Any]:
    ns: dict[str, Any] = {"SEED": 0, "__name__": "__main__", "np": np, "pd": pd}  # the context block's imports
    run_cells(render("cells/signal_test"), ns)
    return ns


def test_the_signal_tests_shuffles_keep_to_their_seconds_and_say_their_resolution(
        capsys: pytest.CaptureFixture[str]) -> None:
    ns = signal_namespace()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 4))
    y = (X[:, 0] > 0).astype(int)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    probe = LogisticRegression()
    # no time: one shuffle, which cannot resolve the 0.1 line; none scores as well, so nothing is refused on it
    p_value, permuted = ns["permutation_p_value"](probe, X, y, cv, "roc_auc", 0.99, 0.0)
    assert len(permuted) == 1 and p_value == 0.5 and p_value.beaten == 0
    assert not ns["shows_no_signal"](0.99, 0.5, p_value)
    assert "resolution is 0.50" in capsys.readouterr().out
    # time enough: as many as fit, at most 29; a p-value from as many shuffles as the old rule is judged as before
    p_value, permuted = ns["permutation_p_value"](probe, X, y, cv, "roc_auc", 0.99, 30.0)
    assert len(permuted) == 29 and p_value == 1 / 30 and not ns["shows_no_signal"](0.99, 0.5, p_value)
    # no signal: it stops once 3 shuffles scored as well (no more could bring p under 0.1) and refuses
    noise = DummyClassifier(strategy="prior")
    p_value, permuted = ns["permutation_p_value"](noise, X, y, cv, "roc_auc", 0.5, 30.0)
    assert len(permuted) == 3 and p_value.beaten == 3 and ns["shows_no_signal"](0.5, 0.5, p_value)
    assert ns["shows_no_signal"](0.6, 0.5, 0.3) and not ns["shows_no_signal"](0.6, 0.5, 0.05)  # plain floats


def test_the_evaluation_plots_a_bounded_number_of_points(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    shown: list[go.Figure] = []
    monkeypatch.setattr(go.Figure, "show", lambda self, *args, **kwargs: shown.append(self))
    rng = np.random.default_rng(0)
    rows = 3 * PLOT_ROWS
    X_test = pd.DataFrame({"x": rng.normal(size=rows)})
    y_test = (X_test["x"].to_numpy() + rng.normal(size=rows) > 0).astype(int)
    model = LogisticRegression().fit(X_test, y_test)

    def compute_metrics(y_true: np.ndarray, scores: np.ndarray, threshold: float | None = None) -> dict[str, float]:
        from sklearn.metrics import roc_auc_score  # noqa: PLC0415

        return {"roc_auc": roc_auc_score(y_true, scores[:, 1]), "rows": len(y_true)}

    ns: dict[str, Any] = {"__name__": "__main__", "display": lambda *args, **kwargs: None, "SEED": 0,
                          "CLASSES": ["no", "yes"], "CLASSIFY": True, "CV_METRICS": {}, "N_CLASSES": 2,
                          "ORDINAL": False, "POS_LABEL": 1, "TARGET": "label", "THRESHOLD": None, "X_test": X_test,
                          "y_test": y_test, "model": model, "compute_metrics": compute_metrics, "cut": None,
                          "_report": lambda **results: None, "np": np, "pd": pd, "px": px, "go": go, "skm": skm}
    run_cells(evaluate_cell()[:1], ns)
    assert ns["METRICS"]["rows"] == rows  # the metrics count every row
    curves = shown[-1]
    assert all(0 < len(trace.x) <= PLOT_ROWS for trace in curves.data)
    assert f"at most {PLOT_ROWS:,} points of the {rows:,} test rows" in capsys.readouterr().out


def test_a_long_text_column_is_read_as_numbers_only_where_a_sample_says_it_may_be(in_tmp: Path) -> None:
    rng = np.random.default_rng(2)
    rows = 3000
    amounts = [f"{v:,.0f} units" if i % 40 else "unknown" for i, v in enumerate(rng.uniform(1000, 9000, rows))]
    frame = pd.DataFrame({"code": [f"A{i % 37}-{i % 11}" for i in range(rows)], "amount": amounts,
                          "x": rng.normal(size=rows), "label": rng.choice(["yes", "no"], rows)})
    ns = prepared(in_tmp, frame)
    assert ns["df"]["code"].dtype != "float64" and "code" in ns["CATEGORICAL_FEATURES"]  # text stays text
    assert "amount" not in ns["NUMERIC_FEATURES"]  # "1,234 units": not a number, in the sample or in full
