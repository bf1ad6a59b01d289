"""Predictions for a file: a bundle built in-process from the Server agent's rendered cells (a model on raw columns
with a price written as text, a date and a category), then its ``predict.py``, ``trainer-agent predict`` and the
notebook's predictions cell on a test file; all three must give identical predictions, the trained model's."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from trainer_agent_lab.bundle import table_features, template
from trainer_agent_lab.cells.render import render, run_cells, source
from trainer_agent_lab.cli import main as cli_main
from trainer_agent_lab.kinds.tables.server_cells import bundle_cell, export_onnx_cell, parity_cell, serving_app_cell

SEED = 0
PARTS = ["year", "month", "dayofweek", "doy_sin", "doy_cos"]
#: The user's columns -> the model's: a price written as text, a date, a category.
RECIPE = {"version": 1, "columns": [
    {"raw": "unit price", "column": "unit_price", "kind": "number"},
    {"raw": "signup date", "column": "signup_date", "kind": "datetime", "format": "%Y-%m-%d", "parts": PARTS},
    {"raw": "colour", "column": "colour", "kind": "category"}],
    "raw_inputs": [{"name": "unit price", "dtype": "number"}, {"name": "signup date", "dtype": "datetime"},
                   {"name": "colour", "dtype": "string"}]}


def raw_rows(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Rows as a user's file has them."""
    days = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    return pd.DataFrame({"customer_id": np.arange(1000, 1000 + n),
                         "unit price": [f"${v:,.2f}" for v in rng.uniform(1, 2000, n)],
                         "signup date": days.strftime("%Y-%m-%d"),
                         "colour": rng.choice(["red", "green", "blue"], n).astype(object)})


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The export, parity and serving cells run for real, and the bundle cell's predict.py written."""
    root = tmp_path_factory.mktemp("predict")
    rng = np.random.default_rng(SEED)
    raw = raw_rows(300, rng)
    frame = table_features.to_model_frame(raw, RECIPE)
    y = ((frame["unit_price"] > 900) ^ (frame["colour"] == "red")).to_numpy(dtype=int)
    numeric = [c for c in frame.columns if c != "colour"]
    index_train, index_test = train_test_split(np.arange(len(frame)), test_size=0.3, random_state=SEED)
    prep = ColumnTransformer([("num", Pipeline([("impute", SimpleImputer(strategy="median")),
                                                ("scale", StandardScaler())]), numeric),
                              ("cat", OneHotEncoder(handle_unknown="ignore"), ["colour"])])
    model = Pipeline([("prep", prep), ("est", LogisticRegression(max_iter=500))])
    model.fit(frame.iloc[index_train], y[index_train])
    ns: dict[str, Any] = {"__name__": "__main__"}
    cwd = Path.cwd()
    os.chdir(root)
    try:
        run_cells(render("cells/setup", SEED=SEED, REQUIREMENTS={"constraints": [], "qps": None,
                                                                 "container_memory_mb": None,
                                                                 "quantize_int8": False}), ns)
        ns.update({"_report": lambda **kw: None, "time": time, "skm": skm, "SimpleImputer": SimpleImputer,
                   "MISSING_CATEGORY": "missing", "DATA_REF": "test", "PARAMS": {"family": "logistic_regression"},
                   "METRICS": {}, "N_PARAMETERS": None, "CONSTRAINT_ROWS": [], "TASK": "classification",
                   "TARGET": "bought", "NUMERIC_FEATURES": numeric, "CATEGORICAL_FEATURES": ["colour"],
                   "ORIGINAL_NAMES": {"unit_price": "unit price", "signup_date": "signup date"},
                   "X_train": frame.iloc[index_train], "X_test": frame.iloc[index_test],
                   "y_train": y[index_train], "y_test": y[index_test], "model": model, "CLASSES": ["no", "yes"],
                   "POS_LABEL": 1, "THRESHOLD": 0.4, "table_features": table_features, "RECIPE": RECIPE,
                   "X_test_raw": raw.iloc[index_test]})
        predict_py = [c for c in bundle_cell() if c.source.startswith(("%%writefile bundle/predict.py",
                                                                        "%%writefile bundle/table_files.py"))]
        run_cells([*render("kinds/tables/cells/fold_bags"), *export_onnx_cell(), *parity_cell(), *serving_app_cell(),
                   *predict_py], ns)
    finally:
        os.chdir(cwd)
    test = raw_rows(120, np.random.default_rng(1))
    test.loc[::17, "unit price"] = None  # missing values: imputed as in training
    test.insert(2, "note", "é")  # a column the model does not use
    test_file = root / "test.csv"
    test.to_csv(test_file, sep=";", index=False, encoding="cp1252")  # not UTF-8, not commas: read as the load cell does
    proba = model.predict_proba(table_features.to_model_frame(test, RECIPE))[:, 1]
    return {"root": root, "dir": root / "bundle", "ns": ns, "test_file": test_file,
            "expected": np.where(proba >= 0.4, "yes", "no"), "proba": proba}


def predict_py(bundle_dir: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(bundle_dir / "predict.py"), *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def test_predict_py_and_the_cli_give_identical_predictions(bundle: dict[str, Any], tmp_path: Path) -> None:
    direct, via_cli = tmp_path / "direct.csv", tmp_path / "cli.csv"
    done = predict_py(bundle["dir"], "--input", str(bundle["test_file"]), "--output", str(direct), "--column",
                      "bought", cwd=tmp_path)  # run from elsewhere: the bundle finds its own files
    assert done.returncode == 0, done.stderr
    assert cli_main(["predict", str(bundle["dir"]), "--input", str(bundle["test_file"]), "--output", str(via_cli),
                     "--column", "bought", "--quiet"]) == 0
    assert direct.read_bytes() == via_cli.read_bytes()

    out = pd.read_csv(direct)
    assert list(out.columns) == ["customer_id", "bought", "probability_no", "probability_yes"]
    assert out["customer_id"].tolist() == list(range(1000, 1120))  # the id column kept, rows in order
    assert (out["bought"].to_numpy() == bundle["expected"]).mean() >= 0.99  # float32 ONNX vs float64 sklearn
    assert np.allclose(out["probability_yes"], bundle["proba"], atol=1e-4)


def test_the_notebook_cell_writes_predictions_csv(bundle: dict[str, Any], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(bundle["root"])
    reports: list[dict[str, Any]] = []
    ns = {**bundle["ns"], "_report": lambda **kw: reports.append(kw)}
    cells = render("kinds/tables/cells/predictions", PREDICT_FILE=str(bundle["test_file"]), OUTPUT_COLUMN="bought",
                   KEEP_COLUMNS=["note"])
    assert not any("trainer_agent_lab" in c.source for c in cells)
    run_cells(cells, ns)
    written = pd.read_csv(bundle["root"] / "predictions.csv")
    assert list(written.columns[:3]) == ["customer_id", "note", "bought"]
    assert (written["bought"].to_numpy() == bundle["expected"]).mean() >= 0.99
    assert reports[-1]["predictions"]["rows"] == 120 and reports[-1]["predictions"]["column"] == "bought"
    run_cells(cells, ns)  # a re-run replaces its own file


def load_predict_py(bundle_dir: Path) -> Any:
    """The bundle's predict.py as a module (its ``main(argv)`` is what ``python predict.py ...`` runs)."""
    spec = importlib.util.spec_from_file_location("bundle_predict", bundle_dir / "predict.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bad_inputs_say_what_to_do(bundle: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    main = load_predict_py(bundle["dir"]).main
    raw = pd.read_csv(bundle["test_file"], sep=";", encoding="cp1252")
    lacking = tmp_path / "lacking.csv"
    raw.drop(columns=["signup date"]).to_csv(lacking, index=False)
    assert main(["--input", str(lacking), "--output", str(tmp_path / "out.csv")]) == 1
    assert "lacking.csv lacks 1 column(s) the model needs: signup date" in capsys.readouterr().err
    assert not (tmp_path / "out.csv").exists()

    loose = tmp_path / "loose.json"  # the same columns spelled as identifiers, in JSON lines
    raw.rename(columns={"unit price": "Unit_Price", "signup date": "signup_date"}).to_json(
        loose, orient="records", lines=True)
    existing = tmp_path / "existing.csv"
    existing.write_text("mine\n")
    assert main(["--input", str(loose), "--output", str(existing)]) == 2
    assert "pass --force" in capsys.readouterr().err and existing.read_text() == "mine\n"
    assert main(["--input", str(loose), "--output", str(tmp_path / "p.parquet"), "--quiet", "--batch-size", "7",
                 "--no-probabilities"]) == 0
    assert capsys.readouterr().err == ""
    out = pd.read_parquet(tmp_path / "p.parquet")
    assert list(out.columns) == ["customer_id", "bought"] and len(out) == 120
    assert (out["bought"].to_numpy() == bundle["expected"]).mean() >= 0.99
    assert main(["--input", str(tmp_path / "nope.csv"), "--output", str(tmp_path / "y.csv")]) == 1
    assert "The input file" in capsys.readouterr().err

    assert cli_main(["predict", str(tmp_path), "--input", str(loose), "--output", str(tmp_path / "x.csv")]) == 2
    assert "is not a bundle" in capsys.readouterr().err
    assert cli_main(["predict", str(bundle["dir"]), "--input", str(tmp_path / "nope.csv"), "--output",
                     str(tmp_path / "x.csv")]) == 2
    assert "Check the path given with --input" in capsys.readouterr().err


def test_bundle_files_cover_predict_py(bundle: dict[str, Any]) -> None:
    """predict.py imports only what the bundle's requirements install (pandas among them), and the image has it."""
    text = (bundle["dir"] / "predict.py").read_text()
    assert "trainer_agent_lab" not in text
    imports = {line.split()[1].split(".")[0] for line in text.splitlines() if line.startswith(("import ", "from "))}
    assert imports - set(sys.stdlib_module_names) == {"numpy", "onnxruntime", "pandas"}
    schema = json.loads((bundle["dir"] / "feature_schema.json").read_text())
    assert schema["recipe"]["raw_inputs"] == RECIPE["raw_inputs"]
    assert '"pandas"' in source("cells/bundle_requirements")  # pinned in requirements.txt
    assert " predict.py " in template("Dockerfile.tmpl").split("\nCOPY --chown")[1].splitlines()[0]
