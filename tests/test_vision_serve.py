"""The bundle's serve.py for image models, started for real on 127.0.0.1 and sent images over HTTP."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import onnx
import pytest
from fastapi.testclient import TestClient
from onnx import TensorProto, helper, numpy_helper

from tests.test_cells_server import load_serve_module
from trainer_agent_lab.bundle import model_server_source

CLASSES = ["zero", "one", "two"]


def write_bundle(folder: Path, shape: tuple[int, int, int], seed: int = 0) -> np.ndarray:
    """A linear image classifier as ONNX (pixels [N, C, H, W] -> Flatten -> Gemm -> Softmax) and the files
    serve.py reads; returns the weights so tests can compute the expected answers."""
    folder.mkdir(parents=True, exist_ok=True)
    size = int(np.prod(shape))
    weights = np.random.default_rng(seed).normal(0, 0.1, (size, len(CLASSES))).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Flatten", ["pixels"], ["flat"], axis=1),
         helper.make_node("Gemm", ["flat", "W"], ["logits"]),
         helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1)],
        "linear", [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, ["batch", *shape])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", len(CLASSES)])],
        [numpy_helper.from_array(weights, "W")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)  # any onnxruntime
    onnx.save(model, folder / "model.onnx")
    (folder / "serve.py").write_text(model_server_source())
    (folder / "feature_schema.json").write_text(json.dumps({
        "kind": "image", "task": "classification", "target": "label", "model_file": "model.onnx",
        "inputs": [{"name": "images", "onnx_name": "pixels", "dtype": "float", "shape": list(shape), "min": 0,
                    "max": 16}]}))
    (folder / "label_map.json").write_text(json.dumps({"classes": CLASSES, "proba_codes": [0, 1, 2]}))
    return weights


def expected(weights: np.ndarray, images: np.ndarray) -> tuple[list[str], np.ndarray]:
    logits = images.reshape(len(images), -1).astype(np.float64) @ weights
    proba = np.exp(logits - logits.max(axis=1, keepdims=True))
    proba /= proba.sum(axis=1, keepdims=True)
    return [CLASSES[i] for i in proba.argmax(axis=1)], proba


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """serve.py of a grey 8x8 model, in its own process on a free 127.0.0.1 port; stopped after the tests."""
    folder = tmp_path_factory.mktemp("image_bundle")
    weights = write_bundle(folder, (1, 8, 8))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([sys.executable, "serve.py", "--host", "127.0.0.1", "--port", str(port)], cwd=folder,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # bounded wait for start-up (~30 s)
            if process.poll() is not None:
                raise RuntimeError(f"serve.py exited with {process.returncode}")
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError("serve.py did not start")
        yield {"url": url, "weights": weights}
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_images_are_classified_as_the_model_does(server: dict) -> None:
    images = np.random.default_rng(1).integers(0, 17, (5, 1, 8, 8))
    reply = httpx.post(server["url"] + "/predict", json={"images": images.tolist()}, timeout=10)
    assert reply.status_code == 200, reply.text
    labels, proba = expected(server["weights"], images)
    assert reply.json()["predictions"] == labels and reply.json()["classes"] == CLASSES
    assert np.allclose(reply.json()["probabilities"], proba, atol=1e-5)
    # one image, and a grey image sent as rows [H][W]
    one = httpx.post(server["url"] + "/predict", json={"image": images[0, 0].tolist()}, timeout=10)
    assert one.status_code == 200 and one.json()["predictions"] == labels[:1]


@pytest.mark.parametrize("body, status, detail", [
    ({"image": [[1, 2], [3, 4]]}, 422, "shape [2, 2]"),
    ({"images": [[[0] * 8] * 7]}, 422, "shape [7, 8]"),
    ({"image": [["a"] * 8] * 8}, 422, "must be numbers"),
    ({"image": [[True] * 8] * 8}, 422, "must be numbers"),
    ({"image": [[1] * 8] * 7 + [[1] * 7]}, 422, "shape"),
    ({"image": 5}, 422, "nested lists"),
    ({"image": [[1e300] * 8] * 8}, 422, "out of range"),
    ({"images": []}, 422, "no images"),
    ({"rows": [{"x": 1}]}, 422, '{"images"'),
    ({"images": [[[0] * 8] * 8] * 1001}, 413, "at most 1000"),
])
def test_bad_images_get_4xx_and_say_why(server: dict, body: dict, status: int, detail: str) -> None:
    reply = httpx.post(server["url"] + "/predict", json=body, timeout=10)
    assert reply.status_code == status, reply.text
    assert detail in reply.json()["detail"]


def test_nan_is_refused_and_metrics_count(server: dict) -> None:
    # an answered request of its own: under xdist the module's other tests may run on another worker
    good = httpx.post(server["url"] + "/predict", json={"image": [[1] * 8] * 8}, timeout=10)
    assert good.status_code == 200, good.text
    reply = httpx.post(server["url"] + "/predict", content=b'{"image": [[NaN]]}',
                       headers={"Content-Type": "application/json"}, timeout=10)
    assert reply.status_code == 400
    metrics = httpx.get(server["url"] + "/metrics", timeout=10).text
    assert 'requests_total{path="/predict",status="200"}' in metrics and "predicted_rows_total" in metrics
    assert 'requests_total{path="/predict",status="400"}' in metrics


def test_openapi_describes_images(server: dict) -> None:
    schema = httpx.get(server["url"] + "/openapi.json", timeout=10).json()
    body = schema["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == {"images", "image"}
    image = body["properties"]["image"]
    assert "0..16" in image["description"] and len(image["anyOf"]) == 2  # [1][8][8] or [8][8]


def test_colour_images_channels_first_or_last(tmp_path: Path) -> None:
    weights = write_bundle(tmp_path, (3, 4, 4), seed=2)
    client = TestClient(load_serve_module(tmp_path).app)
    images = np.random.default_rng(3).integers(0, 17, (2, 3, 4, 4))
    labels, _ = expected(weights, images)
    first = client.post("/predict", json={"images": images.tolist()})
    last = client.post("/predict", json={"images": images.transpose(0, 2, 3, 1).tolist()})
    assert first.status_code == last.status_code == 200
    assert first.json()["predictions"] == last.json()["predictions"] == labels
    grey_rows = client.post("/predict", json={"image": images[0, 0].tolist()})
    assert grey_rows.status_code == 422  # [H][W] rows are for one-channel models only
