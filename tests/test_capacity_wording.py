"""The capacity step names a latency target only when the request asked for one (issue 16: "p99 … OVER the 23.7 ms
target" appeared beside "every requirement is met" for a request that set no latency).

It reads two of the session's shared acceptance runs (``shared_runs.task``), no run of its own: diabetes asks for
200 QPS on 512 MB containers and no latency; churn asks for a p99 under 5 ms.
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("task_id, asked", [("diabetes-regression", False), ("churn-messy", True)])
def test_a_latency_target_is_named_only_when_asked(shared_runs, task_id: str, asked: bool) -> None:
    if task_id not in shared_runs.tasks:
        pytest.skip(f"the shared benchmarks have no {task_id}")
    folder = shared_runs.task(task_id)["dir"]
    capacity = json.loads((folder / "bundle" / "capacity.json").read_text())
    advice = capacity["capacity_advice"]
    assert capacity["verified_p99_asked"] is asked
    if asked:
        assert f"the {capacity['verified_p99_target_ms']:g} ms p99 target" in advice, advice
    else:
        assert "target" not in advice, advice
        assert "no latency was asked for" in advice, advice
        report = json.loads((folder / "report.json").read_text())
        assert all(row["name"] not in ("p50_ms", "p99_ms") for row in report["constraints"])
