"""The paper's LLM annotator and corrector, against the scripted OpenAI-compatible server on 127.0.0.1: what the
model says is written into the notebook as data and applied; a failing model leaves the labels as they were."""

from __future__ import annotations

import json

import pytest

from trainer_agent_lab import api
from trainer_agent_lab.kinds.texts.cells.job_ads import make_job_ads
from trainer_agent_lab.llm.annotation import read_annotations

from .llm_fake_server import Answer, serve

pytest.importorskip("openai")

REQUEST = "Tell remote job adverts apart from the rest with at least 95% accuracy."


def test_reading_the_annotators_answer_keeps_only_allowed_labels():
    answer = {"labels": [{"i": 0, "label": "1"}, {"i": 1, "label": "maybe"}, {"i": 5, "label": "0"},
                         {"i": 2, "label": " 0 "}, {"i": 2, "label": "1"}, "junk"]}
    assert read_annotations(answer, ["0", "1"], 3) == ["1", None, "0"]


def _cells(folder):
    notebook = json.loads((folder / "notebook.ipynb").read_text())
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    return {c["metadata"].get("trainer_agent", {}).get("step"): c for c in code}


def test_the_annotator_corrects_suspects_and_labels_part_of_the_pool(monkeypatch, tmp_path):
    folder = make_job_ads(tmp_path / "ads", labeled=40, unlabeled=30, test=0, noise=0.25)
    (folder / "test.csv").unlink()
    with serve(monkeypatch) as fake:
        fake.script_for("annotate", Answer(json.dumps({"labels": [{"i": i, "label": "1"} for i in range(200)]})))
        report = api.run(REQUEST, str(folder), out=tmp_path / "run", time_budget_s=60, llm="openai")
        assert "annotate" in fake.kinds()
        sent = next(b for b in fake.bodies if "annotator" in b["messages"][0]["content"])
    cells = _cells(tmp_path / "run")
    assert "annotate" in cells, report.reason
    applied = next(o for o in cells["annotate"]["outputs"] if "application/vnd.trainer-agent.result+json" in
                   o.get("data", {}))["data"]["application/vnd.trainer-agent.result+json"]
    assert applied["annotated"] == 30  # the whole (small) pool, labeled "1" by the model
    assert "ANNOTATIONS = {" in "".join(cells["annotate"]["source"])  # the answers are data in the notebook
    assert REQUEST in sent["messages"][0]["content"] and '"0"' in sent["messages"][0]["content"]
    assert report.status in ("needs_input", "succeeded", "failed")


def test_a_failing_annotator_leaves_the_labels_alone(monkeypatch, tmp_path):
    folder = make_job_ads(tmp_path / "ads", labeled=40, unlabeled=30, test=0, noise=0.25)
    (folder / "test.csv").unlink()
    with serve(monkeypatch) as fake:
        fake.script_for("annotate", Answer(status=500))
        report = api.run(REQUEST, str(folder), out=tmp_path / "run", time_budget_s=60, llm="openai")
    assert "annotate" not in _cells(tmp_path / "run")
    assert any("annotator failed" in note for note in report.notes)
