"""The Session behind every door: data references, checks before anything starts, run or revise; and multi-turn
sessions, where a requirement change re-runs only the agents it concerns."""

from __future__ import annotations

import json

import nbformat
import pytest

from trainer_agent_lab import Session, TrainerAgent
from trainer_agent_lab import session as session_module
from trainer_agent_lab.agents.revision import merge_spec, phases_for
from trainer_agent_lab.errors import UsageError
from trainer_agent_lab.llm.rule_reader import parse_request
from trainer_agent_lab.report import RunReport
from trainer_agent_lab.session import DataRef, resolve_data


def _steps(notebook_path, since: int) -> list[tuple[str, str]]:
    nb = nbformat.read(str(notebook_path), as_version=4)
    meta = [c.metadata.get("trainer_agent", {}) for c in nb.cells[since:] if c.cell_type == "code"]
    return [(m.get("agent"), m.get("step")) for m in meta]


def _code_cells(notebook_path) -> int:
    return len(nbformat.read(str(notebook_path), as_version=4).cells)


def test_two_requirement_changes_rerun_only_what_they_concern(tmp_path):
    with TrainerAgent("sklearn:wine", out=tmp_path / "run", time_budget_s=40) as agent:
        first = agent.ask("Classify the wine data with at least 90% accuracy.")
        assert first.status == "succeeded", first.reason
        notebook = agent.driver.path
        mark = _code_cells(notebook)

        second = agent.ask("Now also deploy it on 2 GB containers at 100 QPS.")
        assert second.status == "succeeded", second.reason
        ran = _steps(notebook, mark)
        assert {agent_name for agent_name, _ in ran} == {"Task", "Server"}
        assert ("Task", "revise") in ran and ("Server", "capacity") in ran
        assert second.capacity["replicas_for_target"] >= 1
        spec = json.loads((tmp_path / "run" / "spec.json").read_text())
        assert spec["qps"] == 100 and spec["container_memory_mb"] == 2048
        assert {c.name for c in second.constraints} == {"accuracy", "replica_memory_mb"}
        mark = _code_cells(notebook)

        third = agent.ask("The accuracy must now be at least 95%.")
        assert third.status == "succeeded", third.reason
        ran = _steps(notebook, mark)
        assert "Data" not in {a for a, _ in ran}
        assert ("Model", "search") in ran and ("Server", "bundle") in ran
        assert next(c for c in third.constraints if c.name == "accuracy").target == ">= 0.95"
        assert third.spec["qps"] == 100  # earlier changes stay

    nb = nbformat.read(str(tmp_path / "run" / "notebook.ipynb"), as_version=4)
    headings = [c.source for c in nb.cells if c.cell_type == "markdown" and "requirements changed" in c.source]
    assert len(headings) == 2 and "| qps | — | 100.0 |" in headings[0]


def test_merge_keeps_what_a_follow_up_does_not_mention():
    old = parse_request("wine classifier with at least 90% accuracy and under 500 parameters", data=["sklearn:wine"])
    new, changed = merge_spec(old, parse_request("now 95% accuracy please"), "now 95% accuracy please")
    assert changed == {"accuracy"}
    assert new.constraint("accuracy").value == 0.95 and new.constraint("parameters").value == 500
    assert new.data == ["sklearn:wine"]
    assert phases_for(changed) == ["model", "server"]
    assert phases_for({"qps"}) == ["server"] and phases_for({"data"}) == ["data", "model", "server"]


# ------------------------------------------------------------------------------ one Session behind every door
def test_every_form_of_data_reference_resolves_the_same_way(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert resolve_data(None) is None and resolve_data("  ") is None
    assert resolve_data("sklearn:wine") == DataRef("sklearn:wine", "sklearn")
    assert resolve_data("SKLEARN:Wine").ref == "sklearn:wine"
    assert resolve_data("synthetic:shapes") == DataRef("synthetic:shapes", "synthetic")
    assert resolve_data("synthetic:job_ads").ref == resolve_data("synthetic:job-ads").ref == "synthetic:job-ads"
    for ref, where in [("data/x.csv", tmp_path / "data/x.csv"), ("./y.parquet", tmp_path / "y.parquet"),
                       ("~/z.jsonl", tmp_path / "home/z.jsonl"), (str(tmp_path / "abs"), tmp_path / "abs")]:
        data = resolve_data(ref)
        assert data == DataRef(str(where.resolve()), "path") and data.path == where.resolve() and not data.exists
    assert resolve_data("x.csv", base=tmp_path / "notebooks").ref == str((tmp_path / "notebooks/x.csv").resolve())
    with pytest.raises(UsageError, match="'sklearn:nothing' is not a bundled data set"):
        resolve_data("sklearn:nothing")
    with pytest.raises(UsageError, match="'synthetic:cats' is not data the agents can generate"):
        resolve_data("synthetic:cats")
    with pytest.raises(UsageError, match="'sklearn:' is not a bundled data set"):
        resolve_data("sklearn:")


def test_bad_arguments_are_refused_before_anything_exists(tmp_path):
    out = tmp_path / "run"
    for kwargs, message in [({"data": "sklearn:nope"}, "not a bundled data set"),
                            ({"time_budget_s": -1}, "must be a positive number of seconds"),
                            ({"time_budget_s": float("nan")}, "must be a positive number of seconds"),
                            ({"llm": "gpt"}, "Unknown LLM kind"), ({"llm": 42}, "llm must be")]:
        with pytest.raises(UsageError, match=message):
            Session(out=out, **kwargs)
    session = Session(out=out, data="synthetic:shapes")
    assert session.data_for("anything").ref == "synthetic:shapes" and session.driver is None
    with pytest.raises(UsageError, match="The request is empty"):
        session.run("  ")
    with pytest.raises(UsageError, match="no prepared run"):
        session.revise("accuracy must now be 95%")
    assert not out.exists()


class Recorder:
    """Stands in for the orchestrator: records what the Session asks, answers with scripted reports."""

    def __init__(self, driver, out_dir, **options) -> None:
        self.calls: list[tuple] = []
        self.memory = None
        self.answers: list[RunReport] = []

    def run(self, request, data=None, time_budget_s=None) -> RunReport:
        self.calls.append(("run", request, data, time_budget_s))
        return self.answers.pop(0)

    def revise(self, message) -> RunReport:
        self.calls.append(("revise", message))
        return self.answers.pop(0)


def test_an_answer_to_the_time_budget_question_sets_the_budget(tmp_path, monkeypatch):
    monkeypatch.setattr(session_module, "Orchestrator", Recorder)
    session = Session(out=tmp_path / "run", data="sklearn:wine", time_budget_s=5, driver=lambda path: None)
    session.start().orchestrator.answers = [
        RunReport(status="needs_input", question="How many seconds may the run take?"),
        RunReport(status="needs_input", question="Which column is the target?"), RunReport(status="refused"),
        RunReport(status="failed")]
    session.ask("classify the wine")
    session.ask("120 please")
    session.ask("cultivar")
    session.ask("something else")
    assert session.orchestrator.calls == [
        ("run", "classify the wine", "sklearn:wine", 5.0), ("run", "classify the wine", "sklearn:wine", 120.0),
        ("run", "classify the wine. The target column is cultivar.", "sklearn:wine", 120.0),
        ("run", "something else", "sklearn:wine", 120.0)]  # after a refusal, a new request
    assert [r.status for r in session.reports] == ["needs_input", "needs_input", "refused", "failed"]
