"""Smoke test of this bundle: start serve.py's app in this process on 127.0.0.1 and send sample_request.json.

    python -m pytest test_bundle.py      (or: python test_bundle.py)

It needs only what requirements.txt installs (plus pytest for the first form).
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import uvicorn

HERE = Path(__file__).resolve().parent
_SERVER: dict = {}


def base_url() -> str:
    """Start the app once, in a thread of this process, on a free port of 127.0.0.1; return its URL."""
    if "url" not in _SERVER:
        spec = importlib.util.spec_from_file_location("bundle_serve", HERE / "serve.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(module.app, log_level="warning", access_log=False))
        threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
        for _ in range(400):  # bounded wait for start-up (at most ~20 s)
            if server.started:
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("the app did not start")
        _SERVER.update(server=server, url=f"http://127.0.0.1:{sock.getsockname()[1]}")
    return _SERVER["url"]


def call(method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    """(status, body) of one request to the app."""
    headers = {"Content-Type": "application/json"}
    if os.environ.get("TRAINER_AGENT_API_KEY"):
        headers["X-API-Key"] = os.environ["TRAINER_AGENT_API_KEY"]
    request = urllib.request.Request(base_url() + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def close(a, b) -> bool:
    """Equal labels, or numbers equal to float32 precision."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-4)
    return a == b


def test_sample_request_gets_the_sample_response() -> None:
    status, body = call("POST", "/predict", (HERE / "sample_request.json").read_bytes())
    assert status == 200, body
    got = json.loads(body)
    expected = json.loads((HERE / "sample_response.json").read_text())
    assert len(got["predictions"]) == len(expected["predictions"])
    assert all(close(a, b) for a, b in zip(got["predictions"], expected["predictions"], strict=True)), (got, expected)
    for got_row, expected_row in zip(got.get("probabilities", []), expected.get("probabilities", []), strict=True):
        assert all(abs(a - b) < 1e-3 for a, b in zip(got_row, expected_row, strict=True))


def test_health_and_metrics() -> None:
    status, body = call("GET", "/health")
    assert status == 200 and json.loads(body)["status"] == "ok"
    status, body = call("GET", "/metrics")
    assert status == 200 and b"requests_total" in body


def test_bad_requests_get_4xx() -> None:
    for body in (b"{not json", b'{"nothing": 1}', b"[]", b'{"rows": [NaN]}'):
        status, _ = call("POST", "/predict", body)
        assert 400 <= status < 500, (body, status)


if __name__ == "__main__":
    tests = [test_sample_request_gets_the_sample_response, test_health_and_metrics, test_bad_requests_get_4xx]
    for test in tests:
        test()
        print(f"ok  {test.__name__}")
    _SERVER["server"].should_exit = True
