"""The Data agent's cells (set-up, load, clean, split) and the constraint table, executed for real with ``exec``
in a plain namespace.

The cells are the same cell files the agents render into the notebook; ``_report`` (defined by the set-up cell)
is replaced afterwards to collect what each cell hands back to the agents, passed through the set-up cell's
own ``_plain`` so the results are exactly the JSON the agents read (merged over a step's cells, as the agents
merge them).
"""

from __future__ import annotations

import re
import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse

from trainer_agent_lab.cells.data import setup_cell
from trainer_agent_lab.cells.render import Cell, run_cells
from trainer_agent_lab.cells.task import constraint_table_cell
from trainer_agent_lab.kinds.tables.data_cells import clean_cell, load_cell, split_cell


class Kernel:
    """A namespace that runs cells like a kernel does, collecting their structured results."""

    def __init__(self) -> None:
        from IPython.display import display

        self.ns: dict[str, Any] = {"display": display, "__name__": "__main__"}
        self.reports: list[dict[str, Any]] = []
        self.run(setup_cell(7, {"constraints": []}))
        plain = self.ns["_plain"]
        self.ns["_report"] = lambda **results: self.reports.append(plain(results))

    def run(self, cells: list[Cell] | str) -> dict[str, Any] | None:
        """Execute a step's code cells in order; return the results they reported, merged as the agents merge
        them (None when they reported nothing)."""
        before = len(self.reports)
        run_cells([Cell(cells)] if isinstance(cells, str) else cells, self.ns)  # running the cells is the test
        if len(self.reports) == before:
            return None
        merged: dict[str, Any] = {}
        for report in self.reports[before:]:
            merged.update(report)
        return merged

    def __getitem__(self, name: str) -> Any:
        return self.ns[name]


@pytest.fixture
def kernel(tmp_path, monkeypatch):
    # the notebook's folder: the load step writes table_files.py there and imports it, as in a kernel
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "table_files", raising=False)
    return Kernel()


# -------------------------------------------------------------------------------------------------- load
TABLE = pd.DataFrame({
    "age": [31, 45, 52, 23, 38, 61],
    "monthly fee": [9.5, 20.0, 15.25, 9.5, 30.0, 12.0],
    "plan": ["basic", "pro", "pro", "basic", "team", "basic"],
    "churned": ["yes", "no", "no", "yes", "no", "yes"],
})
#: The table as the load cell leaves it: names made into identifiers (they become ONNX input names).
LOADED = TABLE.rename(columns={"monthly fee": "monthly_fee"})


def _save_to_disk(path):
    import datasets

    datasets.Dataset.from_pandas(TABLE).save_to_disk(str(path))


def _save_dict_to_disk(path):
    import datasets

    other = TABLE.iloc[:2].assign(age=[99, 98])
    datasets.DatasetDict({"test": datasets.Dataset.from_pandas(other, preserve_index=False),
                          "train": datasets.Dataset.from_pandas(TABLE, preserve_index=False)}
                         ).save_to_disk(str(path))


WRITERS = {
    "data.csv": lambda p: TABLE.to_csv(p, index=False),
    "data.tsv": lambda p: TABLE.to_csv(p, index=False, sep="\t"),
    "semicolons.csv": lambda p: TABLE.to_csv(p, index=False, sep=";"),
    "data.parquet": lambda p: TABLE.to_parquet(p, index=False),
    "data.jsonl": lambda p: TABLE.to_json(p, orient="records", lines=True),
    "records.json": lambda p: TABLE.to_json(p, orient="records"),
    "saved_dataset": _save_to_disk,
    "saved_dataset_dict": _save_dict_to_disk,
}


@pytest.mark.parametrize("name", list(WRITERS))
def test_load_reads_every_format_into_the_same_frame(kernel, tmp_path, capsys, name):
    WRITERS[name](tmp_path / name)
    result = kernel.run(load_cell(name))
    out = capsys.readouterr().out

    pd.testing.assert_frame_equal(kernel["df"].reset_index(drop=True), LOADED, check_dtype=False)
    assert pd.api.types.is_integer_dtype(kernel["df"]["age"])
    assert pd.api.types.is_float_dtype(kernel["df"]["monthly_fee"])
    assert result["rows"] == 6
    assert [(c["name"], c["n_unique"], c["missing"]) for c in result["columns"]] == [
        ("age", 6, 0), ("monthly_fee", 5, 0), ("plan", 3, 0), ("churned", 2, 0)]
    assert result["columns"][0]["dtype"] == "int64"
    assert "Column names made into identifiers (they become ONNX input names): {'monthly fee': 'monthly_fee'}" \
        in out
    assert re.search(rf"^Loaded {re.escape(name)}( \([^)]+\))?: 6 rows x 4 columns$", out, re.M)  # (how it was read)
    if name == "saved_dataset_dict":
        assert "Using split 'train' of ['test', 'train']" in out


def test_load_bundled_wine_maps_target_names_and_renames_columns(kernel, capsys):
    result = kernel.run(load_cell("sklearn:wine"))
    out = capsys.readouterr().out
    df = kernel["df"]

    assert df.shape == (178, 14)
    assert "od280_od315_of_diluted_wines" in df.columns and "od280/od315_of_diluted_wines" not in df.columns
    assert "'od280/od315_of_diluted_wines': 'od280_od315_of_diluted_wines'" in out
    assert df["target"].value_counts().to_dict() == {"class_1": 71, "class_0": 59, "class_2": 48}
    assert df["target"].map(type).eq(str).all()
    target = next(c for c in result["columns"] if c["name"] == "target")
    assert target["n_unique"] == 3 and target["missing"] == 0
    assert result["rows"] == 178


@pytest.mark.parametrize(("make", "ref", "message"), [
    (None, "missing.csv", "Data not found: missing.csv. Check the path given with --data."),
    (lambda p: p.write_bytes(b""), "empty.csv", "is empty (0 bytes)"),
    (lambda p: p.write_text("a,b,c\n1,2,3\n4,5,6,7,8\n"), "ragged.csv", "Could not parse ragged.csv"),
    (lambda p: p.mkdir(), "folder", "The folder folder holds no table file (CSV, TSV, JSON, Parquet or Excel)"),
    (lambda p: p.write_text("a,b\n"), "header_only.csv", "header_only.csv has a header (2 columns) but no rows"),
    (None, "sklearn:nope", "Unknown bundled data set 'nope'"),
], ids=["missing", "empty", "ragged", "plain-folder", "header-only", "unknown-bundled"])
def test_load_fails_with_a_clear_message(kernel, tmp_path, make, ref, message):
    if make is not None:
        make(tmp_path / ref)
    with pytest.raises((FileNotFoundError, ValueError)) as err:
        kernel.run(load_cell(ref))
    assert message in str(err.value)


# ------------------------------------------------------------------------------------------------- clean
def _load(kernel, tmp_path, frame, name="messy.csv"):
    """Write ``frame`` as CSV and load it with the load cell, so the types are the ones a real run gets."""
    frame.to_csv(tmp_path / name, index=False)
    kernel.run(load_cell(name))
    kernel.ns["RAW"] = kernel.ns["df"].copy()  # the file's rows as the column types step keeps them


def test_clean_classification_frame(kernel, tmp_path):
    n = 24
    messy = pd.DataFrame({
        "customer_id": [f"C{1000 + i}" for i in range(n)],
        "age": [20 + (i * 7) % 41 for i in range(n)],
        "fee": [f"{1000 + 37 * i:,}" if i % 3 else f"${5 + i}" for i in range(n)],
        "country": ["NL"] * n,
        "plan": ["basic", "pro", None, "team"] * (n // 4),
        "churned": ["Yes", "no", " yes", "No", "no", "NO"] * (n // 6),
    })
    messy = pd.concat([messy, messy.iloc[[3, 5]]], ignore_index=True)  # two exact duplicate rows
    _load(kernel, tmp_path, messy)
    result = kernel.run(clean_cell("churned", "classification", 6.0))

    assert result["notes"] == [
        "Target labels differed only in case or spaces; merged them.",
        "Dropped 2 duplicate rows (exact copies of a row of the file would leak between train and test).",
        "Read fee as numbers (it held numbers written as text).",
        "Dropped column customer_id: an identifier (named like an ID, nearly unique per row): it carries no "
        "signal and would let the model memorise rows.",
        "Dropped column country: constant: one value only, so it cannot help.",
        "Missing values left for the model's imputers (median for numbers, 'missing' for text): plan (6).",
    ]
    assert result["rows"] == n
    assert sorted(result["dropped_columns"]) == ["country", "customer_id"]
    assert result["classes"] == ["no", "yes"]
    df = kernel["df"]
    assert list(df.columns) == ["age", "fee", "plan", "churned"]
    assert not df.duplicated().any()
    assert df["churned"].value_counts().to_dict() == {"no": 16, "yes": 8}
    assert pd.api.types.is_numeric_dtype(df["fee"])
    assert df["fee"].tolist()[:4] == [5, 1037, 1074, 8]
    assert df["plan"].isna().sum() == 6


def test_clean_text_identifier_and_free_text_are_dropped(kernel, tmp_path):
    n = 60
    frame = pd.DataFrame({
        "email": [f"user{i}@example.com" for i in range(n)],
        "comment": [f"comment number {i % 55}" for i in range(n)],
        "x": [i % 7 for i in range(n)],
        "mostly_empty": [1.0] * 10 + [None] * (n - 10),
        "label": ["a", "b", "c"] * (n // 3),
    })
    frame.loc[[4, 9], "mostly_empty"] = 2.0
    _load(kernel, tmp_path, frame)
    result = kernel.run(clean_cell("label", "classification", 6.0))

    assert result["dropped_columns"] == {
        "email": "an identifier (a different text in every row)",
        "comment": "free text with 55 distinct values; a tabular model cannot use it",
        "mostly_empty": "83% missing",
    }
    assert list(kernel["df"].columns) == ["x", "label"]
    assert result["notes"] == [f"Dropped column {col}: {why}." for col, why in result["dropped_columns"].items()]


def test_clean_drops_the_row_numbers_a_saved_index_left_and_keeps_counters_that_are_data(kernel, tmp_path):
    n = 40
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({
        "": np.arange(1, n + 1),  # R's write.csv: the row names, first, with no name
        "rownames": rng.permutation(np.arange(101, 101 + n)),  # a subset's own row names, in no order
        "day": np.arange(n),  # a counter that is data: not first, and named for what it counts
        "size": 50 + np.arange(n),  # first-looking numbers that are not positions
        "label": ["a", "b"] * (n // 2),
    })
    _load(kernel, tmp_path, frame)
    result = kernel.run(clean_cell("label", "classification", 6.0))

    assert result["dropped_columns"] == {
        "Unnamed_0": "an identifier (named like an ID, nearly unique per row): it carries no signal and would let "
                     "the model memorise rows",
        "rownames": "an identifier (named like an ID, nearly unique per row): it carries no signal and would let "
                    "the model memorise rows",
    }
    assert list(kernel["df"].columns) == ["day", "size", "label"]

    # 1, 2, 3 ... first in the file whatever its name, and 0, 1, 2 ... under a name nobody gave (R's "X")
    numbered = pd.DataFrame({"case": np.arange(1, n + 1), "size": frame["size"], "X": np.arange(n),
                             "label": frame["label"]})
    _load(kernel, tmp_path, numbered)
    result = kernel.run(clean_cell("label", "classification", 6.0))
    why = "the file's row numbers (1, 2, 3 ... in the file's order, as a saved index is written): they tell the rows " \
          "apart, not the target"
    assert result["dropped_columns"] == {"case": why, "X": why}
    _load(kernel, tmp_path, numbered.rename(columns={"X": "week"}).iloc[:, 1:])
    assert kernel.run(clean_cell("label", "classification", 6.0))["dropped_columns"] == {}


def test_clean_regression_drops_the_extreme_outlier_and_non_numeric_targets(kernel, tmp_path):
    n = 40
    frame = pd.DataFrame({
        "size": [50 + i for i in range(n)],
        "rooms": [1 + i % 4 for i in range(n)],
        "price": [str(100 + (i * 13) % 50) for i in range(n)],
    })
    frame.loc[7, "price"] = "1000000"  # a typo'd price, far outside the rest
    frame.loc[12, "price"] = "unknown"  # ("n/a" would already be read as missing)
    frame.loc[20, "price"] = None
    _load(kernel, tmp_path, frame)
    result = kernel.run(clean_cell("price", "regression", 6.0))

    notes = result["notes"]
    assert notes[:2] == ["Dropped 1 rows with no value for the target price.",
                         "Dropped 1 rows whose target was not a number."]
    assert len(notes) == 3
    assert notes[2].startswith("Dropped 1 rows whose price is an outlier (robust z-score > 6.0: beyond ")
    df = kernel["df"]
    assert len(df) == result["rows"] == n - 3
    assert pd.api.types.is_float_dtype(df["price"])
    assert df["price"].between(100, 149).all()
    assert set(df["size"] - 50) == set(range(n)) - {7, 12, 20}
    assert result["classes"] is None and result["dropped_columns"] == {}


def test_clean_leaves_a_tidy_frame_alone(kernel, tmp_path):
    _load(kernel, tmp_path, TABLE)
    result = kernel.run(clean_cell("churned", "classification", 6.0))
    assert result == {"notes": [], "rows": 6, "dropped_columns": {}, "inputs": LOADED.shape[1] - 1,
                      "classes": ["no", "yes"], "leak_notes": [], "suspected_leaks": []}
    pd.testing.assert_frame_equal(kernel["df"], LOADED, check_dtype=False)


# ------------------------------------------------------------------------------------------------- split
def _split_frame(n_no=32, n_yes=8):
    n = n_no + n_yes
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "age": rng.integers(18, 80, n).astype(float),
        "active": [i % 2 == 0 for i in range(n)],
        "plan": [[None, "basic", "pro", "team"][i % 4] for i in range(n)],
        "region": ["north", "south"] * (n // 2),
        "churned": ["no"] * n_no + ["yes"] * n_yes,
    })


def _dense(matrix):
    return matrix.toarray() if scipy.sparse.issparse(matrix) else np.asarray(matrix)


def test_split_classification_is_stratified_and_preprocessing_transforms_the_test_set(kernel):
    frame = _split_frame()
    frame.loc[3, "age"] = np.nan
    kernel.ns["df"] = frame
    result = kernel.run(split_cell("churned", "classification", "yes", 0.25))

    assert kernel["CLASSES"] == ["no", "yes"]
    assert kernel["POS_LABEL"] == 1
    assert result == {"n_train": 30, "n_test": 10, "n_features": 2 + 4 + 2, "numeric": ["age", "active"],
                      "categorical": ["plan", "region"], "classes": ["no", "yes"], "pos_label": 1}
    y_train, y_test = kernel["y_train"], kernel["y_test"]
    assert np.bincount(y_test).tolist() == [8, 2]  # the 4:1 balance in both parts
    assert np.bincount(y_train).tolist() == [24, 6]
    X = pd.concat([kernel["X_train"], kernel["X_test"]])
    assert X["active"].dtype == "float64" and set(X["active"]) == {0.0, 1.0}
    assert X["plan"].isna().sum() == 0
    assert (X["plan"] == "missing").sum() == 10
    assert set(X["plan"]) == {"missing", "basic", "pro", "team"}
    assert X["age"].isna().sum() == 1  # numbers are imputed by the preprocessor, not here

    pre = kernel["make_preprocessor"]().fit(kernel["X_train"])
    encoded = _dense(pre.transform(kernel["X_test"]))
    assert encoded.shape == (10, 8)
    assert not np.isnan(encoded).any()
    unscaled = _dense(kernel["make_preprocessor"](scale=False).fit(kernel["X_train"]).transform(kernel["X_test"]))
    assert unscaled[:, 0].tolist() == kernel["X_test"]["age"].fillna(kernel["X_train"]["age"].median()).tolist()


def test_split_names_the_positive_class_even_when_it_sorts_first(kernel):
    frame = _split_frame().replace({"churned": {"no": "stayed", "yes": "left"}})
    kernel.ns["df"] = frame
    result = kernel.run(split_cell("churned", "classification", "left", 0.25))
    assert kernel["CLASSES"] == ["left", "stayed"]
    assert result["pos_label"] == kernel["POS_LABEL"] == 0
    assert np.bincount(kernel["y_test"]).tolist() == [2, 8]


def test_split_multiclass_has_no_positive_label(kernel):
    kernel.run(load_cell("sklearn:wine"))
    result = kernel.run(split_cell("target", "classification", None, 0.25))
    assert result["classes"] == ["class_0", "class_1", "class_2"]
    assert kernel["POS_LABEL"] is None and result["pos_label"] is None
    assert result["n_train"] + result["n_test"] == 178
    counts = np.bincount(kernel["y_test"]).tolist()
    assert sum(counts) == 45
    shares = [59 / 178, 71 / 178, 48 / 178]  # the classes' shares in the whole set, kept in the test part
    assert all(abs(count - 45 * share) <= 1 for count, share in zip(counts, shares, strict=True))
    assert result["categorical"] == [] and len(result["numeric"]) == 13


def test_split_regression_keeps_float_targets(kernel):
    frame = _split_frame().drop(columns=["churned"]).assign(price=np.linspace(100, 500, 40))
    kernel.ns["df"] = frame
    result = kernel.run(split_cell("price", "regression", None, 0.2))
    assert kernel["CLASSES"] is None and kernel["POS_LABEL"] is None
    assert result["classes"] is None and (result["n_train"], result["n_test"]) == (32, 8)
    assert kernel["y_test"].dtype == np.float64
    assert sorted(np.concatenate([kernel["y_train"], kernel["y_test"]]).tolist()) == np.linspace(100, 500, 40).tolist()
    encoded = _dense(kernel["make_preprocessor"]().fit(kernel["X_train"]).transform(kernel["X_test"]))
    assert encoded.shape == (8, result["n_features"])


# ---------------------------------------------------------------------------------------------- set-up cell
def test_setup_is_a_short_visible_cell_then_hidden_plumbing():
    cells = setup_cell(7, {"constraints": []})
    visible = [c for c in cells if c.kind == "code" and not c.hidden]
    assert len(visible) == 1 and visible[0].source.count("\n") <= 30
    assert "SEED = 7\nREQUIREMENTS = {'constraints': []}\n" in visible[0].source
    assert all(c.hidden for c in cells[1:])  # _report and the static PNG renderer
    assert "application/vnd.trainer-agent.result+json" in cells[1].source


def test_setup_seeds_and_hands_results_back_as_json(kernel):
    plain = kernel["_plain"]
    assert kernel["SEED"] == 7 and kernel["REQUIREMENTS"] == {"constraints": []}
    assert plain({"a": np.float64(float("nan")), "b": np.arange(2), 3: (np.int64(4),)}) == {
        "a": None, "b": [0, 1], "3": [4]}


# ------------------------------------------------------------------------------------------ constraint table
def test_constraint_table_checks_every_requirement_against_the_measurements(kernel, tmp_path, capsys):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "model.onnx").write_bytes(b"x" * 2048)
    (bundle / "capacity.json").write_text('{"p99_ms": 12.5, "replica_memory_mb": 300}')
    kernel.ns.update(METRICS={"accuracy": 0.93}, N_PARAMETERS=500)
    result = kernel.run(constraint_table_cell([
        {"name": "accuracy", "op": ">=", "value": 0.9}, {"name": "parameters", "op": "<=", "value": 100},
        {"name": "onnx_bytes", "op": "<", "value": 4096}, {"name": "p99_ms", "op": "<=", "value": 10},
        {"name": "p50_ms", "op": "<=", "value": 5}]))
    assert [(r["name"], r["target"], r["actual"], r["met"]) for r in result["constraints"]] == [
        ("accuracy", ">= 0.9", 0.93, True), ("parameters", "<= 100", 500, False),
        ("onnx_bytes", "< 4096", 2048, True), ("p99_ms", "<= 10", 12.5, False), ("p50_ms", "<= 5", None, False)]
    assert result["capacity"] == {"p99_ms": 12.5, "replica_memory_mb": 300}
    assert result["metrics"] == {"accuracy": 0.93}
    assert kernel["CONSTRAINT_ROWS"] == result["constraints"]
    assert "NOT met: parameters, p99_ms, p50_ms" in capsys.readouterr().out


def test_constraint_table_without_bundle_files_or_constraints(kernel, capsys):
    kernel.ns.update(METRICS={"r2": 0.5}, N_PARAMETERS=10)
    result = kernel.run(constraint_table_cell([]))
    assert result == {"constraints": [], "metrics": {"r2": 0.5}, "capacity": {}}
    assert "all requirements met" in capsys.readouterr().out
