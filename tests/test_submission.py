"""Competition-style runs (issue 20): a train/test/sample_submission folder with column names full of spaces and
punctuation, a request that names RMSLE on a whole-number target. The run trains a regressor, writes submission.csv
in the sample's form, and its bundle takes the user's raw column names: POST /predict, predict.py and
``trainer-agent predict`` on the raw test file."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from trainer_agent_lab.cells.render import render, run_cells

REQUEST = ("Predict the number of Rings for the rows of test.csv, evaluated by RMSLE; write submission.csv in the form "
           "of sample_submission.csv.")


def shells_folder(root: Path) -> Path:
    """A small competition folder made by the benchmark's own generator (raw names: "Length (mm)", "Whole weight")."""
    path = Path(__file__).parents[1] / "benchmarks" / "make_data.py"
    spec = importlib.util.spec_from_file_location("make_data", path)
    make_data = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_data)
    folder = root / "shells"
    folder.mkdir()
    for name, frame in make_data.competition(make_data.shells().head(900), "Rings", 10).items():
        if not name.startswith(".."):
            frame.to_csv(folder / name, index=False)
    return folder


@pytest.fixture(scope="module")
def competition_run(shared_runs, tmp_path_factory):
    folder = shells_folder(tmp_path_factory.mktemp("data"))
    return shared_runs.cli(REQUEST, str(folder), 40), folder


def test_the_submission_cell_writes_the_samples_form(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pd.DataFrame({"customer id": ["a", "b"], "Churn": [0.5, 0.5]}).to_csv("sample.csv", index=False)
    ns = {"pd": pd, "Path": Path, "display": print, "CLASSES": ["no", "yes"],
          "_report": lambda **kw: ns.setdefault("REPORTS", []).append(kw),
          "POS_LABEL": 1, "predictions": pd.DataFrame({"customer id": ["a", "b"], "Churn": ["no", "yes"],
                                                        "probability_no": [0.8, 0.3], "probability_yes": [0.2, 0.7]})}
    run_cells(render("kinds/tables/cells/submission", SAMPLE_FILE="sample.csv", PROBABILITIES=True,
                     OUTPUT_COLUMN="Churn"), ns)
    written = pd.read_csv("submission.csv")
    assert list(written.columns) == ["customer id", "Churn"] and written["Churn"].tolist() == [0.2, 0.7]
    run_cells(render("kinds/tables/cells/submission", SUBMISSION_COLUMNS=["customer id", "Churn"],
                     SUBMISSION_FILE="labels.csv", OUTPUT_COLUMN="Churn"), ns)
    assert pd.read_csv("labels.csv")["Churn"].tolist() == ["no", "yes"]


@pytest.mark.slow
def test_rmsle_on_a_whole_number_target_trains_a_regressor_and_writes_the_submission(competition_run):
    run, folder = competition_run
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads((run.out / "report.json").read_text())
    assert report["spec"]["task_type"] == "regression" and report["spec"]["optimize"] == "rmsle"
    assert report["metrics"]["rmsle"] < 0.35
    submission, sample = pd.read_csv(run.out / "submission.csv"), pd.read_csv(folder / "sample_submission.csv")
    assert list(submission.columns) == list(sample.columns) and submission["id"].tolist() == sample["id"].tolist()
    assert np.issubdtype(submission["Rings"].dtype, np.floating)


@pytest.mark.slow
def test_the_bundle_takes_the_users_raw_column_names(competition_run, tmp_path):
    run, folder = competition_run
    bundle = run.out / "bundle"
    schema = json.loads((bundle / "feature_schema.json").read_text())
    raw = [i["name"] for i in schema["recipe"]["raw_inputs"]]
    assert "Length (mm)" in raw and "Whole weight" in raw
    assert set(json.loads((bundle / "sample_request.json").read_text())["rows"][0]) == set(raw)
    assert "`Length (mm)`" in (bundle / "API.md").read_text()
    test = pd.read_csv(folder / "test.csv")
    for command in ([sys.executable, str(bundle / "predict.py")], [sys.executable, "-m", "trainer_agent_lab", "predict",
                                                                   str(bundle)]):
        out = tmp_path / f"{uuid.uuid4().hex}.csv"
        done = subprocess.run([*command, "--input", str(folder / "test.csv"), "--output", str(out)],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert len(pd.read_csv(out)) == len(test)
    spec = importlib.util.spec_from_file_location(f"serve_{uuid.uuid4().hex}", bundle / "serve.py")
    serve = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(serve)
    row = {k: (None if pd.isna(v) else v) for k, v in test.drop(columns=["id"]).iloc[0].items()}
    answer = TestClient(serve.app).post("/predict", json={"row": row})
    assert answer.status_code == 200 and len(answer.json()["predictions"]) == 1, answer.text
