"""A bundle written by the Server agent's cells, served for real: `trainer-agent serve` on 127.0.0.1, the
bundle's own test, and a schemathesis run against its openapi.json that must find no 5xx.

Every server here listens on 127.0.0.1 only; every loop is bounded and stops by itself.
"""

from __future__ import annotations

import functools
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import schemathesis
import uvicorn
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tests.test_cells_server import load_serve_module, run_cells, shop
from trainer_agent_lab.kinds.tables.server_cells import (
    bundle_cell,
    capacity_cell,
    export_onnx_cell,
    parity_cell,
    serving_app_cell,
)

STEPS = (("export", export_onnx_cell), ("parity", parity_cell), ("serving", serving_app_cell),
         ("capacity", functools.partial(capacity_cell, load_requests=400, verify_seconds=1.0)),
         ("bundle", functools.partial(bundle_cell, request="Will they buy? Serve it at 50 QPS.")))


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the Server agent's cells on a small random forest with a text column; return bundle/."""
    root = tmp_path_factory.mktemp("http")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        ns = shop(requirements={"qps": 50, "container_memory_mb": 1024})
        ns.update(METRICS={"accuracy": 0.8}, N_PARAMETERS=1000, CONSTRAINT_ROWS=[])
        for _name, make in STEPS:
            run_cells(ns, make())
    return root / "bundle"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(bundle: Path, **env: str) -> tuple[subprocess.Popen, str]:
    """`trainer-agent serve BUNDLE --port N` on 127.0.0.1; (process, base URL) once /health answers."""
    port = _free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TRAINER_AGENT_")} | env
    server = subprocess.Popen([sys.executable, "-m", "trainer_agent_lab", "serve", str(bundle), "--port", str(port)],
                              env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):  # bounded wait for start-up (~30 s)
        if server.poll() is not None:
            raise AssertionError(f"trainer-agent serve exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return server, base
        except httpx.TransportError:
            time.sleep(0.1)
    _stop(server)
    raise AssertionError("the bundle's server did not start")


def _stop(server: subprocess.Popen) -> None:
    """Stop `trainer-agent serve` and the serve.py process it started (terminating the CLI alone leaves it)."""
    try:
        children = psutil.Process(server.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    for process in [server, *children]:
        try:
            process.terminate()
        except (psutil.NoSuchProcess, ProcessLookupError):
            pass
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)
    _, alive = psutil.wait_procs(children, timeout=10)
    for process in alive:
        process.kill()


@pytest.fixture(scope="module")
def served(bundle: Path) -> Iterator[str]:
    server, base = _start(bundle)
    yield base
    _stop(server)


def _post(base: str, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(f"{base}/predict", content=body, timeout=10,
                      headers={"Content-Type": "application/json", **(headers or {})})


def test_predict_answers_the_sample_as_the_notebook_did(bundle: Path, served: str) -> None:
    request = (bundle / "sample_request.json").read_bytes()
    expected = json.loads((bundle / "sample_response.json").read_text())
    reply = _post(served, request)
    assert reply.status_code == 200, reply.text
    assert reply.json()["predictions"] == expected["predictions"]
    for got, want in zip(reply.json()["probabilities"], expected["probabilities"], strict=True):
        assert got == pytest.approx(want, abs=1e-5)
    one = json.dumps({"row": json.loads(request)["rows"][0]}).encode()
    assert _post(served, one).json()["predictions"] == expected["predictions"][:1]


def test_health_and_metrics(bundle: Path, served: str) -> None:
    health = httpx.get(f"{served}/health", timeout=10)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    # its own answered and refused requests: under xdist the module's other tests may run on another worker
    assert _post(served, (bundle / "sample_request.json").read_bytes()).status_code == 200
    _post(served, b"{not json")
    metrics = httpx.get(f"{served}/metrics", timeout=10)
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    for name in ('requests_total{path="/predict",status="200"}', 'requests_total{path="/predict",status="400"}',
                 'request_latency_seconds_bucket{le="0.005",path="/predict"}', 'errors_total{kind="bad_json"}',
                 "predicted_rows_total", "model_info{"):
        assert name in metrics.text, name


@pytest.mark.parametrize("body, status, words", [
    (b"{not json", 400, "not JSON"),
    (b'{"row": {"price": NaN, "visits": 1, "colour": "red"}}', 400, "NaN"),
    (b'{"row": {"price": "3", "visits": 1, "colour": "red"}}', 422, "must be a number"),
    (b'{"row": {"price": 3, "visits": 1, "colour": 1}}', 422, "must be a string"),
    (b'{"row": {"price": 3, "visits": 1}}', 422, "missing columns: colour"),
    (b'{"rows": []}', 422, "no rows"),
    (b'{"price": 3}', 422, "send"),
])
def test_bad_requests_get_4xx_with_a_message(served: str, body: bytes, status: int, words: str) -> None:
    reply = _post(served, body)
    assert reply.status_code == status and words in reply.json()["detail"], reply.text


def test_oversized_bodies_get_413_and_the_server_stays_up(served: str) -> None:
    row = {"price": 3.0, "visits": 1.0, "colour": "red"}
    assert _post(served, json.dumps({"rows": [row] * 1001}).encode()).status_code == 413
    big = b'{"rows": [], "pad": "' + b"x" * 1_100_000 + b'"}'
    reply = _post(served, big)
    assert reply.status_code == 413 and "over 1000000 bytes" in reply.json()["detail"]

    # Streamed without a Content-Length: the server stops reading at the limit.
    def chunks() -> Iterator[bytes]:
        yield b'{"rows": [], "pad": "'
        for _ in range(40):
            yield b"x" * 50_000
        yield b'"}'

    assert httpx.post(f"{served}/predict", content=chunks(), timeout=10).status_code == 413
    assert httpx.get(f"{served}/health", timeout=10).status_code == 200


def test_api_key_guards_every_path_but_health(bundle: Path) -> None:
    """With TRAINER_AGENT_API_KEY set, /predict, /metrics, the docs and the OpenAPI schema (which tells the
    training range of each column) answer 401 without the key or with a wrong one, and work with it."""
    server, base = _start(bundle, TRAINER_AGENT_API_KEY="s3cret")
    try:
        request = (bundle / "sample_request.json").read_bytes()
        assert _post(base, request).status_code == 401
        assert _post(base, request, {"X-API-Key": "wrong"}).status_code == 401
        assert _post(base, request, {"X-API-Key": "s3cret"}).status_code == 200
        for path, answer in (("/metrics", 200), ("/docs", 200), ("/redoc", 200), ("/openapi.json", 200),
                             ("/no-such-path", 404)):
            for headers in ({}, {"X-API-Key": "wrong"}, {"X-API-Key": ""}):
                reply = httpx.get(f"{base}{path}", headers=headers, timeout=10)
                assert reply.status_code == 401 and "X-API-Key" in reply.json()["detail"], (path, headers)
                assert "maximum" not in reply.text and "trained on" not in reply.text
            assert httpx.get(f"{base}{path}", headers={"X-API-Key": "s3cret"}, timeout=10).status_code == answer
        schema = httpx.get(f"{base}/openapi.json", headers={"X-API-Key": "s3cret"}, timeout=10).json()
        assert "/predict" in schema["paths"] and '"maximum"' in json.dumps(schema)
        assert httpx.get(f"{base}/health", timeout=10).status_code == 200  # probes need no key
        metrics = httpx.get(f"{base}/metrics", headers={"X-API-Key": "s3cret"}, timeout=10).text
        assert 'errors_total{kind="unauthorized"}' in metrics and 'path="/openapi.json",status="401"' in metrics
    finally:
        _stop(server)


class SlowSession:
    """The bundle's ONNX session, made slow on purpose: each run sleeps first (and says it has begun)."""

    def __init__(self, session: Any, seconds: float) -> None:
        self.session, self.seconds, self.began = session, seconds, threading.Event()

    def run(self, names: Any, feed: Any) -> Any:
        self.began.set()
        time.sleep(self.seconds)
        return self.session.run(names, feed)


def test_health_answers_while_a_slow_predict_is_in_flight(bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app on a real uvicorn (127.0.0.1, in a thread), predicting in threads of its own process
    (TRAINER_AGENT_PREDICT_PROCESSES=0, as Ray Serve's replicas run it): while a 2 s prediction runs, /health still
    answers at once, because the prediction's work is off the event loop; the prediction then answers as it
    should."""
    monkeypatch.setenv("TRAINER_AGENT_PREDICT_PROCESSES", "0")
    module = load_serve_module(bundle)
    assert module.PREDICT_PROCESSES == 0
    module.SESSION = slow = SlowSession(module.SESSION, seconds=2.0)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(module.app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        for _ in range(200):  # bounded wait for start-up (~10 s)
            if server.started:
                break
            time.sleep(0.05)
        assert server.started, "uvicorn did not start"
        replies: list[httpx.Response] = []
        predicting = threading.Thread(target=lambda: replies.append(
            _post(base, (bundle / "sample_request.json").read_bytes())))
        predicting.start()
        assert slow.began.wait(10), "the prediction did not reach the model"
        with httpx.Client(base_url=base, timeout=5) as client:
            for _ in range(5):
                start = time.perf_counter()
                assert client.get("/health").status_code == 200
                assert time.perf_counter() - start < 0.5
                assert predicting.is_alive()  # still in flight: /health did not wait for it
        predicting.join(15)
        assert replies and replies[0].status_code == 200, replies
        assert replies[0].json()["predictions"] == json.loads((bundle / "sample_response.json").read_text())[
            "predictions"]
    finally:
        server.should_exit = True
        thread.join(10)
        module.POOL.shutdown(wait=False)
    assert module.WORKERS is None


def _workers_of(pid: int) -> list[psutil.Process]:
    """The prediction worker processes (multiprocessing's spawned children) of process ``pid``."""
    found = []
    for child in psutil.Process(pid).children():
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.Error:
            pass
    return found


def test_health_answers_while_the_workers_predict_and_no_worker_outlives_the_server(bundle: Path) -> None:
    """serve.py's own server (`trainer-agent serve`, 127.0.0.1) with 2 worker processes: while both are held
    mid-work (stopped with SIGSTOP: predictions as long as the test wants, and no clock to race), /health answers,
    again and again, and the predictions wait; once the workers go on, every prediction answers as the notebook did
    and the serving process counts the rows; when the server stops, the workers are gone. Embedded in this process
    (a test client, as a notebook checks the app), the same app predicts in threads: no worker is started."""
    server, base = _start(bundle, TRAINER_AGENT_PREDICT_PROCESSES="2")
    workers: list[psutil.Process] = []
    body = (bundle / "sample_request.json").read_bytes()
    try:
        workers = _workers_of(server.pid)  # started with the app, before /health answered
        assert len(workers) == 2, workers
        assert all(process.nice() > psutil.Process(server.pid).nice() for process in workers)  # scheduled after it
        replies: list[httpx.Response] = []
        for process in workers:
            process.suspend()
        try:
            predicting = [threading.Thread(target=lambda: replies.append(_post(base, body))) for _ in range(3)]
            for one in predicting:
                one.start()
            with httpx.Client(base_url=base, timeout=5) as client:
                for _ in range(10):
                    assert client.get("/health").json()["status"] == "ok"
                    assert all(one.is_alive() for one in predicting)  # held in the workers: /health did not wait
        finally:
            for process in workers:
                process.resume()
        for one in predicting:
            one.join(30)
        expected = json.loads((bundle / "sample_response.json").read_text())["predictions"]
        assert [reply.status_code for reply in replies] == [200, 200, 200], replies
        assert all(reply.json()["predictions"] == expected for reply in replies)
        metrics = httpx.get(f"{base}/metrics", timeout=5).text
        assert f"predicted_rows_total {3.0 * len(expected)}" in metrics  # counted in the serving process
    finally:
        _stop(server)
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, f"worker processes outlived the server: {alive}"
    module = load_serve_module(bundle)
    before = {process.pid for process in _workers_of(os.getpid())}
    with TestClient(module.app) as client:
        assert client.post("/predict", content=body).json()["predictions"] == expected
        assert module.WORKERS is None and {p.pid for p in _workers_of(os.getpid())} == before
    module.POOL.shutdown(wait=False)


def test_keep_alive_connection_survives_bad_requests(served: str) -> None:
    """Malformed requests on one connection, then a good one on the same connection."""
    host, port = served.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        for body in (b"{", b"[]", b'{"row": 1}', b'{"row": {"price": Infinity}}'):
            conn.request("POST", "/predict", body, {"Content-Type": "application/json"})
            reply = conn.getresponse()
            assert 400 <= reply.status < 500 and json.loads(reply.read())["detail"]
        conn.request("POST", "/predict", b'{"row": {"price": 1, "visits": 2, "colour": "red"}}',
                     {"Content-Type": "application/json"})
        assert conn.getresponse().status == 200
    finally:
        conn.close()


def test_the_bundles_own_test_passes(bundle: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAINER_AGENT_")}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_bundle.py"],
                          cwd=bundle, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "3 passed" in proc.stdout
    proc = subprocess.run([sys.executable, "test_bundle.py"], cwd=bundle, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0 and proc.stdout.count("ok  ") == 3, proc.stdout + proc.stderr


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_schemathesis_finds_no_server_errors(bundle: Path, mode: GenerationMode) -> None:
    """Requests generated from the bundle's openapi.json, valid and invalid, sent to the app in-process."""
    schema = schemathesis.openapi.from_dict(json.loads((bundle / "openapi.json").read_text()))
    schema.app = load_serve_module(bundle).app
    seen: list[int] = []

    @given(case=schema["/predict"]["POST"].as_strategy(generation_mode=mode))
    @settings(max_examples=150, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def no_5xx(case: Any) -> None:
        response = case.call()
        seen.append(response.status_code)
        assert response.status_code < 500, (case.body, response.text)

    no_5xx()
    if mode is GenerationMode.POSITIVE:
        assert 200 in seen
    else:
        assert any(400 <= status < 500 for status in seen)
    other = schema["/health"]["GET"].as_strategy()

    @given(case=other)
    @settings(max_examples=5, deadline=None, derandomize=True, database=None)
    def health_ok(case: Any) -> None:
        assert case.call().status_code < 500

    health_ok()


def test_a_wide_model_is_run_under_onnx_runtimes_name_check_and_answers_the_same(bundle: Path,
                                                                                monkeypatch: pytest.MonkeyPatch):
    """Above WIDE_INPUTS inputs serve.py calls the session under ONNX Runtime's Python wrapper, whose check of the
    feed's names costs inputs x inputs (0.16 s a call at 5,000 inputs): the same answer, by the session beneath."""
    monkeypatch.setenv("TRAINER_AGENT_PREDICT_PROCESSES", "0")
    module = load_serve_module(bundle)
    body = (bundle / "sample_request.json").read_bytes()
    status, narrow, _, rows = module.answer(body)
    calls: list[int] = []

    class Beneath:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def run(self, names: list[str], feed: dict[str, Any], options: Any) -> Any:
            calls.append(len(feed))
            return self.inner.run(names, feed, options)

    module.SESSION._sess = Beneath(module.SESSION._sess)
    module.WIDE_INPUTS = 0  # this bundle's few inputs count as wide
    wide_status, wide, _, wide_rows = module.answer(body)
    assert status == wide_status == 200 and wide == narrow and rows == wide_rows > 0
    assert calls and calls[0] == len(module.SESSION.get_inputs())
