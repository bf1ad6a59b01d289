"""The Ray engine on the real engine, on this machine: a Ray head on 127.0.0.1 with two one-CPU workers; the model
search's cells run their trials as Ray Tune trials there and find the family the local search finds on wine (same
seed); the Ray Serve app of a real bundle's deploy/ answers sample_request.json over HTTP with the notebook's labels.
Slow (a Ray cluster starts, ~1-2 min in all); skipped without the ray extra."""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

import numpy as np
import psutil
import pytest

ray = pytest.importorskip("ray")
pytest.importorskip("ray.tune")

from sklearn.datasets import load_wine  # noqa: E402

from trainer_agent_lab.cells.data import setup_cell  # noqa: E402
from trainer_agent_lab.cells.render import run_cells  # noqa: E402
from trainer_agent_lab.kinds.tables.data_cells import column_types_cell, load_cell, split_cell  # noqa: E402
from trainer_agent_lab.kinds.tables.model_agent import default_settings  # noqa: E402
from trainer_agent_lab.kinds.tables.model_cells import search_cell  # noqa: E402

from .test_end_to_end import BUDGET_S, REQUEST  # noqa: E402

pytestmark = pytest.mark.slow

FAMILIES = ["logistic_regression", "decision_tree", "gaussian_nb", "knn"]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ray_start(*args: str) -> None:
    """``ray start ARGS`` (bounded), with this environment's ray."""
    command = [str(Path(sys.executable).parent / "ray"), "start", "--disable-usage-stats", *args]
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    for _ in range(3):  # bounded: on a busy machine a node's agents can start too slowly for Ray, once or twice
        done = subprocess.run(command, capture_output=True, text=True, timeout=180, env=env)
        if done.returncode == 0:
            return
    raise AssertionError(done.stdout[-2000:] + done.stderr[-2000:])


def cluster_processes(temp_dir: Path) -> list[psutil.Process]:
    """The processes of the cluster this module started (their command lines name its own temp folder)."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        if any(str(temp_dir) in part for part in proc.info["cmdline"] or ()):
            found.append(proc)
    return found


@pytest.fixture(scope="module")
def cluster():
    """A Ray head on 127.0.0.1 (no CPUs of its own, no dashboard) and two workers of one CPU each, started with
    ``ray start`` as on a real cluster; stopped at the end by ending the processes it started."""
    temp_dir = Path(tempfile.mkdtemp(prefix="ray-test-", dir="/tmp"))  # short: Ray's socket paths have a limit
    port = free_port()
    address = f"127.0.0.1:{port}"
    try:
        ray_start("--head", f"--port={port}", "--node-ip-address=127.0.0.1", "--num-cpus=0", f"--temp-dir={temp_dir}",
                  "--include-dashboard=false", '--system-config={"agent_register_timeout_ms": 120000}')
        for _ in range(2):
            ray_start(f"--address={address}", "--node-ip-address=127.0.0.1", "--num-cpus=1")
        yield types.SimpleNamespace(address=address)
    finally:
        ray.shutdown()
        processes = cluster_processes(temp_dir)
        for proc in processes:
            proc.terminate()
        _, alive = psutil.wait_procs(processes, timeout=5)
        for proc in alive:
            proc.kill()
        shutil.rmtree(temp_dir, ignore_errors=True)


def wine_namespace(tmp_path, monkeypatch):
    """The cells up to the search, run on wine as in a notebook: the module is ``__main__`` as in a kernel (Tune
    pickles the search space by reference)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    main = types.ModuleType("__main__")
    monkeypatch.setitem(sys.modules, "__main__", main)
    frame = load_wine(as_frame=True).frame
    frame["target"] = [f"class_{i}" for i in frame["target"]]
    frame.to_csv("wine.csv", index=False)
    from IPython.display import display
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import Pipeline

    ns, reports = vars(main), []
    ns.update(display=display, time=time, LogisticRegression=LogisticRegression, Ridge=Ridge, Pipeline=Pipeline,
              HistGradientBoostingClassifier=HistGradientBoostingClassifier,
              HistGradientBoostingRegressor=HistGradientBoostingRegressor)  # what the feasibility cells import
    run_cells([*setup_cell(7, {"constraints": []}), *load_cell("wine.csv")], ns)
    ns["_report"] = lambda **results: reports.append(ns["_plain"](results))
    run_cells([*column_types_cell("target"), *split_cell("target", "classification", None, 0.25)], ns)
    return ns, reports


def search(ns, reports, **engine):
    """Run the search cells (``engine``: as ``search_cell`` takes it); the search's report."""
    run_cells(search_cell(families=FAMILIES, defaults=[default_settings(f, 133) for f in FAMILIES],
                          objective="accuracy", metric_constraints=[{"name": "accuracy", "op": ">=", "value": 0.9}],
                          param_limit=None, bytes_limit=None, tune_threshold=False, time_budget_s=25.0, margin=0.01,
                          patience=12, **engine), ns)
    return next(r for r in reports if "leaderboard" in r)


def test_the_search_on_a_ray_cluster_finds_the_local_searchs_family(cluster, tmp_path, monkeypatch):
    (tmp_path / "local").mkdir()
    (tmp_path / "ray").mkdir()
    ns, reports = wine_namespace(tmp_path / "local", monkeypatch)
    local = search(ns, reports)
    ns, reports = wine_namespace(tmp_path / "ray", monkeypatch)
    on_ray = search(ns, reports, engine="ray", engine_address=cluster.address)
    assert on_ray["engine"]["name"] == "ray" and on_ray["engine"]["cpus"] == 2 and on_ray["engine"]["nodes"] == 3
    assert on_ray["best_family"] == local["best_family"]
    assert on_ray["trials"] >= len(FAMILIES)  # every family's default ran, as in the local search
    workers = set(ns["nodes"].loc[ns["nodes"]["CPUs"] > 0, "node"])
    assert len(workers) == 2 and set(ns["trials"]["node"]) <= workers  # on the workers (the head has no CPUs)
    assert ns["study"].best_trial.params["family"] == on_ray["best_family"]  # the study the soft vote reads


def test_the_ray_serve_app_answers_the_sample_request_with_the_notebooks_labels(cluster, shared_runs, tmp_path):
    httpx = pytest.importorskip("httpx")
    serve = pytest.importorskip("ray.serve")
    run = shared_runs.cli(REQUEST, "sklearn:wine", BUDGET_S)
    assert run.returncode == 0, run.stderr[-3000:]
    bundle = shutil.copytree(run.out / "bundle", tmp_path / "bundle")
    documented = re.search(r"The answer to the sample request:\s*```json\n(.*?)```", (bundle / "API.md").read_text(),
                           re.S)
    expected = json.loads(documented.group(1))["predictions"]
    sys.path.insert(0, str(bundle))
    try:  # as `serve run --working-dir . deploy.ray_serve_app:app` in the bundle folder (its README) does
        ray.init(address=cluster.address, runtime_env={"working_dir": str(bundle)})
        port = free_port()
        serve.start(http_options={"host": "127.0.0.1", "port": port})
        ray_serve_app = importlib.import_module("deploy.ray_serve_app")
        serve.run(ray_serve_app.app, name="model", route_prefix="/")
        body = (bundle / "sample_request.json").read_bytes()
        answer = None
        for _ in range(60):  # bounded: the replica may still be starting
            try:
                answer = httpx.post(f"http://127.0.0.1:{port}/predict", content=body,
                                    headers={"Content-Type": "application/json"}, timeout=10)
                if answer.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        assert answer is not None and answer.status_code == 200, answer and answer.text
        assert answer.json()["predictions"] == expected
        health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=10)
        assert health.json()["status"] == "ok"
        assert np.isclose(ray_serve_app.MEMORY_BYTES / 2**20, np.ceil(
            json.loads((bundle / "capacity.json").read_text())["replica_memory_mb"] * 1.25), atol=1)
    finally:
        serve.shutdown()
        ray.shutdown()
        sys.path.remove(str(bundle))
        for name in ("deploy.ray_serve_app", "deploy"):
            sys.modules.pop(name, None)
