"""Multi-turn sessions: a requirement change re-runs only the agents it concerns."""

from __future__ import annotations

import json

import nbformat

from trainer_agent_lab import TrainerAgent
from trainer_agent_lab.agents.revision import merge_spec, phases_for
from trainer_agent_lab.llm.offline import parse_request


def _steps(notebook_path, since: int) -> list[tuple[str, str]]:
    nb = nbformat.read(str(notebook_path), as_version=4)
    meta = [c.metadata.get("trainer_agent", {}) for c in nb.cells[since:] if c.cell_type == "code"]
    return [(m.get("agent"), m.get("step")) for m in meta]


def _code_cells(notebook_path) -> int:
    return len(nbformat.read(str(notebook_path), as_version=4).cells)


def test_two_requirement_changes_rerun_only_what_they_concern(tmp_path):
    with TrainerAgent("sklearn:wine", out=tmp_path / "run", time_budget_s=90) as agent:
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
