"""The LLM's judgement in a run: the ethics moderation step and cell repairs no offline rule knows.

Against the scripted OpenAI-compatible server on 127.0.0.1 (tests/llm_fake_server.py), each kind of request
(parse, moderation, repair) scripted on its own. Moderation: the offline refusal stands whatever the model
says; the model refuses only under a rule of the written policy; a refusal outside it is a reported concern;
a model that fails leaves the offline verdict alone, with a note. Repairs: a planted failing cell is rewritten
by the model and re-run in a real kernel, counted in report.json; garbage, unsafe or stubborn answers end with
a question and the traceback summary.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest

from trainer_agent_lab.agents.base import RunMemory
from trainer_agent_lab.agents.data import DataAgent
from trainer_agent_lab.cells.render import Cell
from trainer_agent_lab.errors import CellExecutionFailed
from trainer_agent_lab.kinds.tables import data_cells
from trainer_agent_lab.llm import make_llm
from trainer_agent_lab.notebook.headless import HeadlessDriver
from trainer_agent_lab.orchestrator import Orchestrator
from trainer_agent_lab.report import RunReport
from trainer_agent_lab.spec import TaskSpec

from .llm_fake_server import Answer, FakeLLM, serve

pytest.importorskip("openai")

#: The offline policy lets this through (no word of denying), yet it falls under deny_services_protected.
SUBTLE = ("Train a model that sorts the mortgage requests by the applicant's church membership and approves the "
          "members first.")
REFUSE = {"decision": "refuse", "rule": "deny_services_protected",
          "rationale": "Church membership is religion, and the model would approve applicants for it.",
          "alternative": "A default-risk model on repayment history, audited for disparate impact."}
ALLOW = {"decision": "allow", "rule": None, "rationale": "A legitimate model.", "alternative": None}
#: A bug no offline rule knows, planted in the real profile cell; the model's fix is the real cell.
GOOD, BAD = "[shown].nunique(),", "[shown].n_unique(),"


def planted(real: Callable[..., list[Cell]]) -> Callable[..., list[Cell]]:
    """The real profile cells, with the bug planted in the one that counts unique values."""
    return lambda *a: [replace(c, source=c.source.replace(GOOD, BAD)) for c in real(*a)]


def fixed_source(real: Callable[..., list[Cell]]) -> str:
    """The real source of the cell the bug is planted in: the model's fix."""
    return next(c.source for c in real("target", "classification") if GOOD in c.source)


@pytest.fixture
def fake_llm(monkeypatch) -> Iterator[FakeLLM]:
    with serve(monkeypatch) as fake:
        fake.script(Answer("{}"))  # parse: nothing beyond the rules' reading
        yield fake


def orchestrate(folder: Path, request: str, data: str | None = None, events: list | None = None) -> RunReport:
    """One run through the orchestrator with the OpenAI-compatible planner (no kernel unless there is data)."""
    driver = HeadlessDriver(folder / "notebook.ipynb", start_now=data is not None)
    sink = (lambda e: events.append(e)) if events is not None else (lambda e: None)
    try:
        orchestrator = Orchestrator(driver, folder, llm=make_llm("openai"), on_event=sink, assume_yes=True)
        return orchestrator.run(request, data=data, time_budget_s=60)
    finally:
        driver.close()


# ------------------------------------------------------------------------------------------ moderation
def test_a_model_refusal_under_a_policy_rule_refuses_with_its_rationale(fake_llm, tmp_path):
    fake_llm.script_for("moderation", Answer(json.dumps(REFUSE)))
    report = orchestrate(tmp_path, SUBTLE)

    assert report.status == "refused"
    assert "denying people services because of their health or a protected attribute" in report.reason
    assert "Church membership is religion" in report.reason and "fake-model" in report.reason
    assert "What I can build instead: A default-risk model on repayment history" in report.reason
    assert json.loads((tmp_path / "report.json").read_text())["status"] == "refused"
    assert fake_llm.kinds() == ["parse", "moderation"]
    body = fake_llm.bodies[1]
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["name"] == "Moderation"
    system, user = body["messages"]
    assert all(rule in system["content"] for rule in
               ("deny_services_protected", "surveil_or_punish", "re_identify", "weapons"))
    assert SUBTLE in user["content"]


def test_a_model_refusal_outside_the_policy_is_reported_not_enforced(fake_llm, tmp_path):
    fake_llm.script_for("moderation", Answer(json.dumps(
        {"decision": "Refuse", "rule": "customer_manipulation", "rationale": "Retention offers can nudge people."})))
    events: list = []
    report = orchestrate(tmp_path, "Predict which customers will churn from the telco data.", events=events)

    assert report.status == "needs_input"  # not refused: it goes on, and stops only for the missing data
    (concern,) = [n for n in report.notes if "would refuse" in n]
    assert "'customer_manipulation', which is not a rule of the policy" in concern
    assert "Retention offers can nudge people" in concern and "goes on" in concern
    assert any(e.kind == "message" and e.text == concern for e in events)


def test_the_offline_refusal_stands_and_the_model_is_not_asked(fake_llm, tmp_path):
    fake_llm.script_for("moderation", Answer(json.dumps(ALLOW)))
    report = orchestrate(tmp_path, "Re-identify the patients in this anonymised hospital data set.")
    assert report.status == "refused" and "re-identifying people" in report.reason.lower()
    assert "moderation" not in fake_llm.kinds()


@pytest.mark.parametrize(("answer", "said"), [
    (Answer("I would rather not say {"), "not a JSON object"),
    (Answer(json.dumps({"decision": "maybe", "rule": None})), "does not match its schema"),
    (Answer(status=500), "HTTP 500"),
], ids=["invalid-json", "schema-invalid", "http-500"])
def test_a_failing_moderation_step_leaves_the_offline_verdict(fake_llm, tmp_path, answer, said):
    fake_llm.script_for("moderation", answer)
    report = orchestrate(tmp_path, SUBTLE)
    assert report.status == "needs_input", report.reason  # the offline policy allowed it; only the data is missing
    (note,) = [n for n in report.notes if "moderation step failed" in n]
    assert said in note and "offline ethics policy alone decided" in note


# --------------------------------------------------------------------------------- repairs, end to end
def test_a_planted_failing_cell_is_repaired_by_the_model_end_to_end(fake_llm, tmp_path, monkeypatch):
    real = data_cells.profile_cell
    monkeypatch.setattr(data_cells, "profile_cell", planted(real))
    fake_llm.script_for("moderation", Answer(json.dumps(ALLOW)))
    fake_llm.script_for("repair", Answer("The method is nunique:\n```python\n" + fixed_source(real) + "```"))
    # a parameter budget no model fits ends the run right after the data phase
    report = orchestrate(tmp_path, "Classify the wine data with at most 5 parameters.", data="sklearn:wine")

    assert report.status == "refused" and "5 parameters" in report.reason
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["cells"]["failed_then_repaired"] == 1
    assert "split" in [s["step"] for s in saved["plan"] if s["done"]]  # the data phase went on after the repair
    assert fake_llm.kinds() == ["parse", "moderation", "repair"]
    prompt = fake_llm.bodies[2]["messages"][1]["content"]
    assert "The notebook step: profile" in prompt and BAD in prompt and "AttributeError" in prompt

    nb = nbformat.read(tmp_path / "notebook.ipynb", as_version=4)
    (cell,) = [c for c in nb.cells if c.metadata.get("trainer_agent", {}).get("step") == "profile"
               and "unique" in c.source]
    first, second = cell.source.splitlines()[:2]
    assert first.startswith("# Repaired (llm): no offline rule fits AttributeError")
    assert second.startswith("# Profile the data")  # the cell keeps its why line
    assert GOOD in cell.source and not any(o.output_type == "error" for o in cell.outputs)


def test_a_model_answering_garbage_ends_failed_with_one_paragraph_and_the_traceback(fake_llm, tmp_path, monkeypatch):
    real = data_cells.profile_cell
    monkeypatch.setattr(data_cells, "profile_cell", planted(real))
    fake_llm.script_for("moderation", Answer(json.dumps(ALLOW)))
    fake_llm.script_for("repair", Answer("Sure! Here is the fix: df.nunique( ... hope that helps {"))
    report = orchestrate(tmp_path, "Classify the wine data.", data="sklearn:wine")

    assert report.status == "failed" and "\n" not in report.reason
    assert "The profile cell still fails after 0 repairs; the language model proposed no fix" in report.reason
    assert "AttributeError" in report.reason and "n_unique" in report.reason  # the traceback's last lines
    assert report.error and "n_unique" in report.error["traceback"]
    assert json.loads((tmp_path / "report.json").read_text())["cells"]["failed_then_repaired"] == 0


# ----------------------------------------------------------------------- repairs, one agent, one kernel
@pytest.fixture(scope="module")
def agent(tmp_path_factory) -> Iterator[DataAgent]:
    driver = HeadlessDriver(tmp_path_factory.mktemp("llm-repairs") / "nb.ipynb")
    agent = DataAgent(driver, RunMemory(spec=TaskSpec(request="r")), lambda event: None)
    agent.run("prelude", "# A minimal results helper, as the set-up cell defines it\n"
                         "def _report(**results):\n    display({'application/vnd.trainer-agent.result+json': results},"
                         " raw=True)\n_report(ready=True)\n")
    yield agent
    driver.close()


FAILING = "# Count the rows\nimport pandas as pd\nrows = pd.DataFrame({'a': [1, 2]}).row_count()\n_report(rows=rows)\n"


@pytest.mark.parametrize(("answer", "said"), [
    ("```python\nimport trainer_agent_lab\nrows = 2\n_report(rows=rows)\n```", "uses trainer_agent_lab"),
    ("```python\nrows = 2\nprint(rows)\n```", "no longer hands its results back"),
    (f"```python\n{FAILING}```", "proposed no fix"),  # the same cell again
], ids=["imports-us", "drops-report", "same-cell"])
def test_unsafe_or_useless_fixes_are_not_run(agent, fake_llm, answer, said):
    agent.memory.llm = make_llm("openai")
    fake_llm.script_for("repair", Answer(answer))
    cells = len(agent.driver.cells)
    with pytest.raises(CellExecutionFailed, match=said) as err:
        agent.run("count", FAILING)
    assert "AttributeError" in str(err.value) and "AttributeError" in err.value.error["ename"]
    assert len(agent.driver.cells) == cells + 1 and agent.driver.cells[-1].source == FAILING  # not edited


def test_a_fix_that_keeps_failing_is_tried_three_times_then_the_step_fails(agent, fake_llm):
    agent.memory.llm = make_llm("openai")
    fake_llm.script_for("repair", *[Answer(f"```python\n# Count the rows\nraise ValueError('attempt {i}')\n"
                                           "_report(rows=0)\n```") for i in (1, 2, 3)])
    with pytest.raises(CellExecutionFailed, match=r"after 3 repairs: ValueError: attempt 3"):
        agent.run("stubborn", FAILING)
    assert fake_llm.kinds() == ["repair"] * 3
    assert agent.driver.cells[-1].source.startswith("# Repaired (llm)")


def test_the_models_fix_runs_and_its_results_come_back(agent, fake_llm):
    agent.memory.llm = make_llm("openai")
    before = agent.memory.repaired
    fake_llm.script_for("repair", Answer("```python\nimport pandas as pd\nrows = len(pd.DataFrame({'a': [1, 2]}))\n"
                                         "_report(rows=rows)\n```"))
    assert agent.run("count", FAILING) == {"rows": 2}
    assert agent.memory.repaired == before + 1
    assert agent.driver.cells[-1].source.splitlines()[1] == "# Count the rows"  # why line put back on top


def test_the_datas_failures_are_not_handed_to_the_model(agent, fake_llm):
    agent.memory.llm = make_llm("openai")
    fake_llm.script_for("repair", Answer("```python\n# Load\ndf = None\n```"))
    with pytest.raises(CellExecutionFailed):
        agent.run("load", "# Load\nraise ValueError('The data file x.csv is empty (0 bytes).')\n")
    with pytest.raises(CellExecutionFailed):
        agent.run("profile", "# Read\nopen('/nonexistent/file.csv')\n")
    assert fake_llm.requests == []
