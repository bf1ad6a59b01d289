"""Smoke test of this image-generation bundle: the app, loaded in this process, must draw the sample request's
images as the notebook did (same class and seed, pixels within 1 of 255), and refuse bad requests.

    python -m pytest test_bundle.py      (or: python test_bundle.py)
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bundle_serve", HERE / "serve.py")
serve = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(serve)
HEADERS = {"X-API-Key": os.environ["TRAINER_AGENT_API_KEY"]} if os.environ.get("TRAINER_AGENT_API_KEY") else {}


def test_sample_request_gets_the_sample_images() -> None:
    request = json.loads((HERE / "sample_request.json").read_text())
    expected = json.loads((HERE / "sample_response.json").read_text())
    with TestClient(serve.app) as client:
        got = client.post("/predict", json=request, headers=HEADERS)
    assert got.status_code == 200, got.text
    images = got.json()["images"]
    assert len(images) == len(expected["images"]) == request["n"]
    for mine, theirs in zip(images, expected["images"], strict=True):
        a, b = (serve.png_pixels(base64.b64decode(x)).astype(int) for x in (mine, theirs))
        assert a.shape == b.shape and np.abs(a - b).max() <= 1


def test_health_metrics_and_bad_requests() -> None:
    with TestClient(serve.app) as client:
        assert client.get("/health").json()["status"] == "ok"
        assert b"requests_total" in client.get("/metrics", headers=HEADERS).content
        for body in (b"{not json", b'{"nothing": 1}', b"[]", b'{"class": "no such class"}',
                     b'{"class": 0, "n": 100000}', b'{"class": 0, "seed": -1}'):
            status = client.post("/predict", content=body, headers=HEADERS).status_code
            assert 400 <= status < 500, (body, status)


if __name__ == "__main__":
    for test in (test_sample_request_gets_the_sample_images, test_health_metrics_and_bad_requests):
        test()
        print(f"ok  {test.__name__}")
