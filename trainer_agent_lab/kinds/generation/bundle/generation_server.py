"""The model server of an image-generation bundle: POST /predict {"class": ..., "n": ..., "seed": ...} answers n
PNG images (base64) of that class, made by the ONNX decoder; GET /health; GET /metrics (Prometheus).

    python serve.py [--host 127.0.0.1] [--port 8000]

It needs only what requirements.txt installs (onnxruntime, numpy, fastapi, uvicorn, prometheus_client): the
images are encoded as PNG here, without Pillow. The same class and seed always give the same images. With
TRAINER_AGENT_API_KEY set, every path but /health needs the header X-API-Key with that value.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import struct
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

HERE = Path(__file__).resolve().parent
MAX_BODY_BYTES = 10_000
#: The most images one request may ask for.
MAX_IMAGES = 64
MAX_ROWS = MAX_IMAGES
SCHEMA = json.loads((HERE / "feature_schema.json").read_text())
CLASSES = [str(c) for c in json.loads((HERE / "label_map.json").read_text())["classes"]]
MODEL_PATH = HERE / os.environ.get("TRAINER_AGENT_MODEL_FILE", SCHEMA.get("model_file", "model.onnx"))
MODEL_VERSION = hashlib.sha256(MODEL_PATH.read_bytes()).hexdigest()[:12]
LATENT_DIM, PIXEL_MAX = int(SCHEMA["latent_dim"]), float(SCHEMA["pixel_max"])
_options = ort.SessionOptions()
_options.intra_op_num_threads = int(os.environ.get("TRAINER_AGENT_ORT_THREADS", "1"))
_options.inter_op_num_threads = 1
SESSION = ort.InferenceSession(str(MODEL_PATH), _options, providers=["CPUExecutionProvider"])

REGISTRY = CollectorRegistry()
REQUESTS = Counter("requests_total", "HTTP requests by path and status.", ["path", "status"], registry=REGISTRY)
LATENCY = Histogram("request_latency_seconds", "Time to answer a request, by path.", ["path"], registry=REGISTRY)
IMAGES_MADE = Counter("generated_images_total", "Images generated.", registry=REGISTRY)
Gauge("model_info", "The model this process serves.", ["version", "file"],
      registry=REGISTRY).labels(version=MODEL_VERSION, file=MODEL_PATH.name).set(1)
PATHS = ("/predict", "/health", "/metrics", "/docs", "/openapi.json")


def png_bytes(pixels: np.ndarray) -> bytes:
    """A PNG file of one image of uint8 pixels (C, H, W) with 1 (grey) or 3 (RGB) channels."""
    channels, height, width = pixels.shape
    rows = np.ascontiguousarray(pixels.transpose(1, 2, 0)).reshape(height, width * channels)
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)  # filter type 0 on every row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0 if channels == 1 else 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def png_pixels(data: bytes) -> np.ndarray:
    """The uint8 pixels (C, H, W) of a PNG that :func:`png_bytes` wrote (for tests and clients without Pillow)."""
    pos, parts, header = 8, [], None
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        header = struct.unpack(">IIBBBBB", body) if kind == b"IHDR" else header
        parts += [body] if kind == b"IDAT" else []
        pos += 12 + length
    width, height, _, colour = header[:4]
    channels = 1 if colour == 0 else 3
    rows = np.frombuffer(zlib.decompress(b"".join(parts)), np.uint8).reshape(height, 1 + width * channels)[:, 1:]
    return rows.reshape(height, width, channels).transpose(2, 0, 1)


def generate(class_index: int, n: int, seed: int) -> np.ndarray:
    """``n`` images (uint8, N x C x H x W) of class ``class_index``: the decoder on seeded standard normal noise."""
    noise = np.random.default_rng(seed).standard_normal((n, LATENT_DIM)).astype(np.float32)
    labels = np.full(n, class_index, dtype=np.int64)
    pixels = SESSION.run(None, {"noise": noise, "label": labels})[0]
    return np.clip(np.rint(np.asarray(pixels, dtype=np.float64) / PIXEL_MAX * 255), 0, 255).astype(np.uint8)


class BadRequest(Exception):
    """A request the server will not answer (status, detail)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def read_request(payload: Any) -> tuple[int, int, int]:
    """(class index, n, seed) from a request body; BadRequest says what is wrong."""
    if not isinstance(payload, dict) or "class" not in payload:
        raise BadRequest(422, 'send {"class": one of ' + json.dumps(CLASSES) + ', "n": 1, "seed": 0}')
    asked = payload["class"]
    if isinstance(asked, bool) or not isinstance(asked, (str, int)):
        raise BadRequest(422, f"class must be one of {CLASSES} (a name, or its index)")
    if str(asked) in CLASSES:
        index = CLASSES.index(str(asked))
    elif isinstance(asked, int) and 0 <= asked < len(CLASSES):
        index = asked
    else:
        raise BadRequest(422, f"unknown class {asked!r}: the model draws {', '.join(CLASSES)}")
    n, seed = payload.get("n", 1), payload.get("seed")
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_IMAGES:
        raise BadRequest(413 if isinstance(n, int) and n > MAX_IMAGES else 422, f"n must be 1..{MAX_IMAGES}")
    if seed is None:
        seed = int.from_bytes(os.urandom(4), "little")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise BadRequest(422, "seed must be a whole number, 0 or more")
    return index, n, seed


app = FastAPI(title="Image generator", version=MODEL_VERSION,
              description="Class-conditional image generation: POST /predict with a class, a count and a seed.")


@app.middleware("http")
async def count_and_guard(request: Request, call_next: Any) -> Response:
    """Times and counts every request; with TRAINER_AGENT_API_KEY set, every path but /health needs the key."""
    path = request.url.path if request.url.path in PATHS else "other"
    start, key = time.perf_counter(), os.environ.get("TRAINER_AGENT_API_KEY")
    if key and path != "/health" and not hmac.compare_digest(request.headers.get("x-api-key", ""), key):
        response: Response = JSONResponse({"detail": "a valid X-API-Key header is required"}, status_code=401)
    else:
        response = await call_next(request)
    LATENCY.labels(path=path).observe(time.perf_counter() - start)
    REQUESTS.labels(path=path, status=str(response.status_code)).inc()
    return response


@app.post("/predict")
async def predict(request: Request) -> JSONResponse:
    """PNG images (base64) of the class asked for."""
    body = await request.body()
    try:
        if len(body) > MAX_BODY_BYTES:
            raise BadRequest(413, f"the body is over {MAX_BODY_BYTES} bytes")
        try:
            payload = json.loads(body, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)))
        except ValueError as err:
            raise BadRequest(400, f"the body is not JSON: {err}") from None
        index, n, seed = read_request(payload)
    except BadRequest as err:
        return JSONResponse({"detail": err.detail}, status_code=err.status)
    images = generate(index, n, seed)
    IMAGES_MADE.inc(n)
    return JSONResponse({"class": CLASSES[index], "n": n, "seed": seed, "format": "png", "model_version": MODEL_VERSION,
                         "images": [base64.b64encode(png_bytes(image)).decode() for image in images],
                         "predictions": [CLASSES[index]] * n})


@app.get("/health")
def health() -> dict[str, str]:
    """Liveness: the model is loaded."""
    return {"status": "ok", "model_version": MODEL_VERSION}


@app.get("/metrics")
def metrics() -> Response:
    """Prometheus metrics."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def main() -> None:
    """Serve the app with uvicorn."""
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, access_log=False)


if __name__ == "__main__":
    main()
