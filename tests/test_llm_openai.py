"""The OpenAI-compatible LLM path against a real HTTP server on 127.0.0.1 that answers as scripted.

The fake server speaks ``POST /v1/chat/completions`` in the OpenAI response shape and records each request
(headers and JSON body). Each test scripts its answers: a valid TaskSpec, text that is not JSON, JSON that
fails the schema, HTTP 500, an answer slower than the client's timeout. Whatever the model does, a run
goes on with the offline parser's reading. No network beyond 127.0.0.1.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trainer_agent_lab import cli
from trainer_agent_lab.errors import UsageError
from trainer_agent_lab.llm import OfflinePlanner, make_llm, parse_request
from trainer_agent_lab.llm.openai_client import OpenAIClient
from trainer_agent_lab.spec import TaskType

from .llm_fake_server import KEY, Answer, FakeLLM, serve

pytest.importorskip("openai")

#: A request the rules cannot read: no number is written as the offline vocabulary expects.
FREE_FORM = ("Sort the wines into their cultivars; it should be right nineteen times out of twenty, stay tiny "
             "(a few hundred weights at most) and cope with two hundred calls a second.")
LLM_SPEC = {
    "request": "paraphrased by the model", "language": "en", "task_type": "classification",
    "data": ["sklearn:wine"], "constraints": [{"name": "accuracy", "op": ">=", "value": 0.95},
                                              {"name": "parameters", "op": "<=", "value": 300}],
    "qps": 200, "time_budget_s": 3600, "notes": "an extra key the schema does not know", "target": None,
}


@pytest.fixture
def fake_llm(monkeypatch) -> Iterator[FakeLLM]:
    """The scripted server (tests/llm_fake_server.py), answering a valid TaskSpec until a test scripts it."""
    with serve(monkeypatch) as fake:
        fake.script(Answer(json.dumps(LLM_SPEC)))
        yield fake


def client(**options: Any) -> OpenAIClient:
    planner = make_llm("openai", **options)
    assert isinstance(planner, OpenAIClient)
    return planner


# -------------------------------------------------------------------------------------------- parsing
def test_the_models_valid_spec_is_used_and_the_request_carries_schema_text_and_key(fake_llm, caplog):
    rules = parse_request(FREE_FORM, data=["sklearn:wine"], time_budget_s=60)
    assert rules.constraint("accuracy") is None  # the rules miss what the model reads

    planner = client()
    spec = planner.parse_request(FREE_FORM, data=["sklearn:wine"], time_budget_s=60)

    assert spec.constraint("accuracy").target == ">= 0.95"
    assert spec.constraint("parameters").target == "<= 300"
    assert spec.qps == 200 and spec.task_type is TaskType.classification
    assert spec.request == FREE_FORM  # verbatim, whatever the model wrote
    assert spec.data[0] == "sklearn:wine"
    assert spec.time_budget_s == 60  # the user's budget wins over the model's 3600
    assert planner.notes == []

    (sent,) = fake_llm.requests
    assert sent["path"] == "/v1/chat/completions"
    assert sent["headers"]["authorization"] == f"Bearer {KEY}"
    body = sent["body"]
    assert body["model"] == "fake-model" and body["temperature"] == 0
    system, user = body["messages"]
    assert system["role"] == "system" and user["role"] == "user"
    assert json.dumps(spec_schema := body["response_format"]["json_schema"]["schema"]) in system["content"]
    assert set(spec_schema["properties"]) >= {"constraints", "qps", "time_budget_s"}
    assert body["response_format"]["type"] == "json_schema"
    assert FREE_FORM in user["content"]
    assert KEY not in repr(planner) and KEY not in caplog.text
    assert all(KEY not in str(value) for value in vars(planner).values())
    assert planner._client.api_key != KEY  # read from the environment at each request, not kept


def test_the_user_data_wins_and_made_up_data_and_names_are_dropped(fake_llm):
    answer = {"data": ["/secret/made_up.csv", "sklearn:iris"], "target": "quality",
              "constraints": [{"name": "accuracy", "op": ">=", "value": 92},
                              {"name": "vibes", "op": ">=", "value": 1}],
              "hints": ["outliers", "be_nice"], "optimize": "happiness", "report_metrics": ["f1", "joy"]}
    fake_llm.script(Answer("Here you go:\n```json\n" + json.dumps(answer) + "\n```"))
    planner = client()
    spec = planner.parse_request("Predict wine quality from data/wine.csv, watch the outliers.",
                                 data=["data/wine.csv"])
    assert spec.data[:2] == ["data/wine.csv", "sklearn:iris"] and "/secret/made_up.csv" not in spec.data
    assert spec.constraints[0].name == "accuracy" and spec.constraints[0].value == 0.92  # 92 read as 92%
    assert [c.name for c in spec.constraints] == ["accuracy"]
    assert spec.target == "quality"  # the request names it
    assert spec.hints == ["outliers"] and spec.optimize is None and spec.report_metrics == ["f1"]
    assert any("made_up.csv" in n for n in planner.notes) and any("vibes" in n for n in planner.notes)


def test_a_server_without_json_schema_is_asked_again_in_json_object_mode(fake_llm):
    fake_llm.script(Answer(status=400), Answer(json.dumps(LLM_SPEC)))
    planner = client()
    spec = planner.parse_request(FREE_FORM, data=["sklearn:wine"])
    assert spec.constraint("accuracy") is not None
    assert [b["response_format"]["type"] for b in fake_llm.bodies] == ["json_schema", "json_object"]
    planner.parse_request(FREE_FORM)
    assert fake_llm.bodies[-1]["response_format"]["type"] == "json_object"  # remembered


def test_a_model_that_refuses_temperature_is_asked_again_without_it(fake_llm):
    fake_llm.script(Answer(status=400, message="Unsupported value: 'temperature' does not support 0"),
                    Answer(json.dumps(LLM_SPEC)))
    planner = client()
    assert planner.parse_request(FREE_FORM).constraint("accuracy") is not None
    assert ["temperature" in b for b in fake_llm.bodies] == [True, False]
    assert fake_llm.bodies[-1]["response_format"]["type"] == "json_schema"
    fake_llm.script(Answer(status=400, message="something else is wrong"))
    assert planner.explain("x") is None and "refused the request (HTTP 400)" in planner.notes[-1]


@pytest.mark.parametrize(("answer", "said"), [
    (Answer("Sure! The user wants a wine classifier {with accuracy"), "not a JSON object"),
    (Answer(json.dumps({"constraints": [{"name": "accuracy", "op": "≥", "value": "high"}], "qps": "lots"})),
     "does not match the TaskSpec schema"),
    (Answer(json.dumps(["a", "list"])), "not a JSON object"),
    (Answer(""), "empty answer"),
    (Answer(status=500), "HTTP 500"),
], ids=["invalid-json", "schema-invalid", "not-an-object", "empty", "http-500"])
def test_a_bad_answer_falls_back_to_the_offline_parser(fake_llm, caplog, answer, said):
    fake_llm.script(answer)
    request = "Train a classifier on the wine data with at least 90% accuracy."
    planner = client()
    with caplog.at_level(logging.WARNING, logger="trainer_agent_lab.llm"):
        spec = planner.parse_request(request, data=["sklearn:wine"], time_budget_s=45)
    assert spec == parse_request(request, data=["sklearn:wine"], time_budget_s=45)
    (note,) = planner.notes
    assert said in note and "offline parser" in note and said in caplog.text
    # one retry (max_retries=1) for the server error, none for an answer that came back
    assert len(fake_llm.requests) == (2 if answer.status == 500 else 1)


def test_a_slow_model_times_out_and_falls_back(fake_llm):
    fake_llm.script(Answer(json.dumps(LLM_SPEC), delay_s=5))
    planner = client(timeout=0.3, max_retries=0)
    spec = planner.parse_request(FREE_FORM, data=["sklearn:wine"])
    assert spec == parse_request(FREE_FORM, data=["sklearn:wine"])
    assert "did not answer within 0.3 s" in planner.notes[0]


def test_no_server_listening_falls_back(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with socket.socket() as s:  # a port nobody listens on once this closes
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    planner = client(base_url=f"http://127.0.0.1:{port}/v1", timeout=2, max_retries=0)
    spec = planner.parse_request(FREE_FORM)
    assert spec == parse_request(FREE_FORM)
    assert "could not connect" in planner.notes[0]


# ---------------------------------------------------------------------------- explanations and repairs
def test_explain_returns_the_models_words(fake_llm):
    fake_llm.script(Answer("  The split keeps 20% of the rows aside to measure accuracy honestly.  "))
    planner = client()
    assert planner.explain("split: test_size=0.2, stratified") == (
        "The split keeps 20% of the rows aside to measure accuracy honestly.")
    body = fake_llm.bodies[0]
    assert "response_format" not in body
    assert body["messages"][1] == {"role": "user", "content": "split: test_size=0.2, stratified"}
    fake_llm.script(Answer(status=503))
    assert planner.explain("anything") is None and "HTTP 503" in planner.notes[-1]


def test_propose_repair_returns_a_corrected_cell_or_none(fake_llm):
    source = "import numpy as np\nx = np.arange(3)\nprint(x.sum(axis=2))\n"
    traceback = "\x1b[0;31mAxisError\x1b[0m: axis 2 is out of bounds for array of dimension 1"
    fixed = "import numpy as np\nx = np.arange(3)\nprint(x.sum(axis=0))\n"
    fake_llm.script(Answer(f"Use axis 0:\n```python\n{fixed}```\n"))
    planner = client()
    assert planner.propose_repair(source, traceback) == fixed
    prompt = fake_llm.bodies[0]["messages"][1]["content"]
    assert source in prompt and "AxisError: axis 2 is out of bounds" in prompt and "\x1b" not in prompt

    for answer in ("NO_FIX", "```python\ndef broken(:\n```", f"```python\n{source}```", ""):
        fake_llm.script(Answer(answer))
        assert planner.propose_repair(source, traceback) is None, answer
    fake_llm.script(Answer("```python\n%matplotlib inline\nprint(1)\n```"))
    assert planner.propose_repair(source, traceback) == "%matplotlib inline\nprint(1)\n"


def test_the_offline_planner_needs_nothing():
    planner = make_llm("offline")
    assert isinstance(planner, OfflinePlanner)
    assert planner.parse_request("wine, 90% accuracy") == parse_request("wine, 90% accuracy")
    assert planner.explain("x") is None and planner.propose_repair("x = 1", "Error") is None


# ------------------------------------------------------------------------------------ configuration
def test_openai_without_endpoint_or_key_is_a_usage_error(monkeypatch, tmp_path, capsys):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(UsageError, match="OPENAI_BASE_URL"):
        make_llm("openai")
    with pytest.raises(UsageError, match="Unknown LLM kind"):
        make_llm("claude-in-a-box")
    code = cli.main(["run", "wine, 90% accuracy", "--data", "sklearn:wine", "--llm", "openai",
                     "--out", str(tmp_path / "run"), "--yes"])
    assert code == 2
    assert "OPENAI_API_KEY" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()  # stopped before any kernel or folder
    assert cli.main(["run", "wine", "--llm-model", "m"]) == 2


def test_openai_package_missing_is_a_usage_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "openai", None)  # import openai raises ImportError
    with pytest.raises(UsageError, match=r"trainer-agent-lab\[llm\]"):
        make_llm("openai", base_url="http://127.0.0.1:1/v1")


def test_a_key_alone_means_api_openai_com_and_arguments_beat_the_environment(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("TRAINER_AGENT_LLM_MODEL", raising=False)
    monkeypatch.setenv("MY_KEY", KEY)
    planner = client(api_key_env="MY_KEY")
    assert planner.base_url is None and planner.model == "gpt-4o-mini"
    assert "api.openai.com" in str(planner._client.base_url)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
    planner = client(base_url="http://127.0.0.1:2/v1", model="qwen2.5")
    assert (planner.base_url, planner.model) == ("http://127.0.0.1:2/v1", "qwen2.5")


# ------------------------------------------------------------------------------------ end to end
def test_cli_run_with_a_model_that_answers_garbage_succeeds_with_the_offline_parser(fake_llm, tmp_path):
    fake_llm.script(Answer("I am not JSON, I am a teapot."))
    out = tmp_path / "run"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-m", "trainer_agent_lab", "run",
                           "Train a classifier on the wine data with at least 90% accuracy.", "--data", "sklearn:wine",
                           "--llm", "openai", "--time-budget", "60", "--yes", "--out", str(out)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    assert report["status"] == "succeeded"
    assert report["spec"]["constraints"] == [{"name": "accuracy", "op": ">=", "value": 0.9}]
    assert report["spec"]["time_budget_s"] == 60
    assert any("offline parser" in note for note in report["notes"])
    assert "fake-model" in proc.stderr and "offline parser" in proc.stderr
    assert any("moderation step failed" in note and "offline ethics policy" in note for note in report["notes"])
    assert KEY not in proc.stderr + proc.stdout + (out / "report.json").read_text()
    assert fake_llm.kinds() == ["parse", "moderation"]  # no cell failed: no repair was asked for
    assert all(r["headers"]["authorization"] == f"Bearer {KEY}" for r in fake_llm.requests)


def test_api_run_takes_a_planner(fake_llm, tmp_path):
    """``api.run(llm=...)`` hands the planner's parser to the orchestrator (stopped early: no data)."""
    from trainer_agent_lab.api import run

    fake_llm.script(Answer(json.dumps({"constraints": [{"name": "f1", "op": ">=", "value": 0.8}]})))
    events: list[str] = []
    report = run("a classifier with an f1 of eight tenths", out=tmp_path / "run", llm=client(),
                 on_event=lambda e: events.append(e.text))
    assert report.status == "needs_input"  # no data: the run stops before any cell trains
    assert report.spec["constraints"] == [{"name": "f1", "op": ">=", "value": 0.8}]
    assert json.loads((tmp_path / "run" / "spec.json").read_text())["constraints"][0]["name"] == "f1"
    with pytest.raises(UsageError):
        run("x", out=tmp_path / "bad", llm=Path("not a planner"))  # type: ignore[arg-type]
