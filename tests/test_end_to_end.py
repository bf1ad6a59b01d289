"""One request end to end through the CLI: report contract, notebook shape, re-execution, serving."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import nbformat
import psutil
import pytest
from nbclient import NotebookClient

from trainer_agent_lab.report import RESULT_MIME

REQUEST = ("Train a classifier on the wine data with at least 95% accuracy and fewer than 500 parameters; "
           "serve it at 100 requests per second on 512 MB containers.")
#: ``make demo`` gives this request 120 s; the run ends on the search's patience in about 20-50 s, and 60 s
#: still leaves the search 15 s (a 95% wine model under 500 parameters is a linear one, found in a few trials).
BUDGET_S = 60


@pytest.fixture(scope="module")
def wine_run(shared_runs) -> Path:
    """The session's one CLI run of REQUEST (every test here reads it)."""
    run = shared_runs.cli(REQUEST, "sklearn:wine", BUDGET_S)
    assert run.returncode == 0, run.stderr[-3000:]
    assert f"notebook: {run.out / 'notebook.ipynb'}" in run.stdout
    assert "[Model]" in run.stderr  # the agents speak on stderr
    assert run.wall_s <= BUDGET_S * 1.1 + 15, run.wall_s  # the budget holds (kernel start aside)
    return run.out


def test_report_follows_the_contract(wine_run):
    report = json.loads((wine_run / "report.json").read_text())
    assert report["status"] == "succeeded"
    assert {"status", "reason", "spec", "plan", "metrics", "constraints", "model", "capacity", "timings",
            "cells"} <= set(report)
    assert report["metrics"]["accuracy"] >= 0.95
    assert {c["name"]: c["met"] for c in report["constraints"]} == {
        "accuracy": True, "parameters": True, "replica_memory_mb": True}
    assert report["model"]["parameters"] < 500 and report["model"]["onnx_bytes"] > 0
    assert {"p50_ms", "p99_ms", "qps_per_replica", "replicas_for_target", "replica_memory_mb"} <= set(
        report["capacity"])
    assert report["capacity"]["replicas_for_target"] >= 1
    timings = report["timings"]
    assert timings["total_s"] >= timings["cells_s"] > 0 and timings["agent_s"] >= 0
    assert report["cells"]["total"] >= 12 and all(step["done"] for step in report["plan"])
    spec = json.loads((wine_run / "spec.json").read_text())
    assert spec["qps"] == 100 and spec["container_memory_mb"] == 512
    for name in ("model.onnx", "serve.py", "sample_request.json", "feature_schema.json", "label_map.json"):
        assert (wine_run / "bundle" / name).exists(), name
    assert (wine_run / "bundle.zip").stat().st_size > 0


def test_notebook_opens_with_requirements_and_plan_and_explains_every_cell(wine_run):
    nb = nbformat.read(str(wine_run / "notebook.ipynb"), as_version=4)
    nbformat.validate(nb)
    first = nb.cells[0].source
    assert "| accuracy | >= 0.95 |" in first and "| parameters | < 500 parameters |" in first
    assert "- [x] **Model**: Tune candidates" in first and "- [ ]" not in first
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    for agent in ("Data", "Model", "Server"):  # each phase opens with its agent's heading and closes with findings
        assert any(h.startswith(f"## {agent} agent") for h in markdown), agent
        assert any(h.startswith(f"**What the agents found and decided ({agent.lower()} phase)**") for h in markdown)
    assert any(h.startswith("### Task agent — did we meet the requirements?") for h in markdown)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.source.startswith(("# ", "%%writefile ")) for c in code)  # a why line, or a file it writes
    assert not any("trainer_agent_lab" in c.source for c in code)
    assert all(c.execution_count for c in code)
    assert nb.metadata["trainer_agent"]["request"] == REQUEST


def _evaluate_result(nb) -> dict:
    """The test metrics the evaluate step's cells handed back."""
    for cell in nb.cells:
        if cell.get("metadata", {}).get("trainer_agent", {}).get("step") != "evaluate":
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {}).get(RESULT_MIME, {})
            if "metrics" in data:
                return data["metrics"]
    raise AssertionError("no evaluation result in the notebook")


def test_notebook_reruns_in_a_fresh_kernel_with_the_same_metrics(wine_run, tmp_path):
    nb = nbformat.read(str(wine_run / "notebook.ipynb"), as_version=4)
    before = _evaluate_result(nb)
    fresh = nbformat.read(str(wine_run / "notebook.ipynb"), as_version=4)
    NotebookClient(fresh, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in fresh.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    assert _evaluate_result(fresh) == before
    assert (tmp_path / "bundle" / "model.onnx").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_bundle_serves_what_the_notebook_predicted(wine_run, tmp_path):
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as sink:
        server = subprocess.Popen([sys.executable, "-m", "trainer_agent_lab", "serve", str(wine_run / "bundle"),
                                   "--port", str(port)], stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30  # bounded wait for start-up
        while True:
            assert server.poll() is None, f"trainer-agent serve exited: {log.read_text()[-2000:]}"
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the bundle's server did not start within 30 s"
            time.sleep(0.1)
        sample = json.loads((wine_run / "bundle" / "sample_request.json").read_text())
        expected = json.loads((wine_run / "bundle" / "sample_response.json").read_text())
        answer = httpx.post(f"{base}/predict", json=sample, timeout=10)
        assert answer.status_code == 200
        assert answer.json()["predictions"] == expected["predictions"]
        assert 400 <= httpx.post(f"{base}/predict", content=b"{not json", timeout=10).status_code < 500
        assert "predict" in httpx.get(f"{base}/metrics", timeout=10).text
    finally:  # the CLI and the serve.py process it started (terminating the CLI alone would leave that one)
        try:
            children = psutil.Process(server.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        for process in children:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.terminate()
        server.terminate()
        server.wait(timeout=10)
        for process in psutil.wait_procs(children, timeout=10)[1]:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
