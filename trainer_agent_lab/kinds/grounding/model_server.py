"""Serve the grounding model in this folder over HTTP: POST /predict, GET /health, GET /metrics.

    python serve.py [--host 127.0.0.1] [--port 8000]

POST /predict takes {"image": "<base64 PNG or JPEG>", "query": "the red circle"} or a batch,
{"items": [{"image": ..., "query": ...}, ...]}, and answers {"box": [x0, y0, x1, y1], "score": s} for one
(plus "predictions" and "scores", the lists of a batch), the box in the pixels of the image sent (x to the right,
y down) and the score the model's confidence (0..1). Reads feature_schema.json, tokenizer.json and the ONNX model
(model.onnx; TRAINER_AGENT_MODEL_FILE chooses another) from this folder; never loads pickles. Set
TRAINER_AGENT_API_KEY to require that header X-API-Key carries that key on POST /predict.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import hmac
import io
import json
import os
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from PIL import Image, UnidentifiedImageError
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

HERE = Path(__file__).resolve().parent
MAX_BODY_BYTES = 8_000_000
MAX_ROWS = 64
MAX_PIXELS = 4096 * 4096
SCHEMA = json.loads((HERE / "feature_schema.json").read_text())
TOKENIZER = json.loads((HERE / "tokenizer.json").read_text())
MODEL_PATH = HERE / os.environ.get("TRAINER_AGENT_MODEL_FILE", SCHEMA.get("model_file", "model.onnx"))
MODEL_VERSION = hashlib.sha256(MODEL_PATH.read_bytes()).hexdigest()[:12]
_options = ort.SessionOptions()
_options.intra_op_num_threads = int(os.environ.get("TRAINER_AGENT_ORT_THREADS", "1"))
_options.inter_op_num_threads = 1
SESSION = ort.InferenceSession(str(MODEL_PATH), _options, providers=["CPUExecutionProvider"])
SIDE = int(SCHEMA["side"])
VOCAB, MAX_TOKENS = TOKENIZER["vocab"], int(TOKENIZER["max_tokens"])
WORDS = re.compile(TOKENIZER["pattern"])

REGISTRY = CollectorRegistry()
REQUESTS = Counter("requests_total", "HTTP requests by path and status.", ["path", "status"], registry=REGISTRY)
LATENCY = Histogram("request_latency_seconds", "Time to answer a request, by path.", ["path"], registry=REGISTRY,
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5))
ERRORS = Counter("errors_total", "Requests answered with an error, by kind.", ["kind"], registry=REGISTRY)
PATHS = ("/predict", "/health", "/metrics")


class RequestError(Exception):
    """A request the server will not answer: ``status`` and a message for the client."""

    def __init__(self, status: int, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.kind, self.detail = status, kind, detail


def tokenize(text: str) -> np.ndarray:
    """The query's token ids, as the notebook made them: words by tokenizer.json's pattern, padded on the left."""
    ids = [VOCAB.get(w, 1) for w in WORDS.findall(text.lower())][:MAX_TOKENS]
    return np.array([0] * (MAX_TOKENS - len(ids)) + ids, dtype=np.int64)


def decode_image(value: Any, where: str) -> tuple[np.ndarray, tuple[int, int]]:
    """A base64 image as the network's pixels [3, SIDE, SIDE] and its own (width, height)."""
    if not isinstance(value, str) or not value:
        raise RequestError(422, "invalid", f"{where}.image must be a base64 string of a PNG or JPEG file")
    try:
        data = base64.b64decode(value.split(",", 1)[-1] if value.startswith("data:") else value, validate=True)
        with Image.open(io.BytesIO(data)) as im:
            if im.width * im.height > MAX_PIXELS:
                raise RequestError(413, "too_large", f"{where}.image has over {MAX_PIXELS} pixels")
            rgb = im.convert("RGB")
    except (binascii.Error, ValueError):
        raise RequestError(422, "invalid", f"{where}.image is not valid base64") from None
    except (UnidentifiedImageError, OSError):
        raise RequestError(422, "invalid", f"{where}.image is not an image file Pillow can read") from None
    pixels = np.asarray(rgb.resize((SIDE, SIDE), Image.BILINEAR), dtype=np.float32).transpose(2, 0, 1)
    return pixels, rgb.size


def take_items(payload: Any) -> tuple[list[dict[str, Any]], bool]:
    """The (image, query) items of a request, and whether it was a single one."""
    if isinstance(payload, dict) and isinstance(payload.get("items"), list):
        items, single = payload["items"], False
    elif isinstance(payload, dict) and "image" in payload and "query" in payload:
        items, single = [payload], True
    else:
        raise RequestError(422, "invalid", 'send {"image": "<base64 PNG>", "query": "..."} or '
                           '{"items": [{"image": ..., "query": ...}, ...]}')
    if not items:
        raise RequestError(422, "invalid", "no items to predict")
    if len(items) > MAX_ROWS:
        raise RequestError(413, "too_large", f"{len(items)} items; send at most {MAX_ROWS} per request")
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("query"), str) or not item["query"].strip():
            raise RequestError(422, "invalid", f"items[{i}] needs a non-empty string query and an image")
    return items, single


def answer(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Boxes (in each image's own pixels) and scores."""
    decoded = [decode_image(item.get("image"), f"items[{i}]") for i, item in enumerate(items)]
    feed = {SCHEMA["onnx_inputs"][0]: np.stack([p for p, _ in decoded]),
            SCHEMA["onnx_inputs"][1]: np.stack([tokenize(item["query"]) for item in items])}
    boxes, scores = SESSION.run(None, feed)
    out = []
    for box, (_, (width, height)) in zip(boxes, decoded, strict=True):
        scale = np.array([width, height, width, height], dtype=np.float64) / SIDE
        clipped = np.clip(np.asarray(box, dtype=np.float64) * scale, 0, [width, height, width, height])
        out.append([round(float(v), 2) for v in clipped])
    return {"predictions": out, "scores": [round(float(s), 4) for s in scores]}


app = FastAPI(title="Visual grounding model server", version=MODEL_VERSION,
              description=f"The box of the object a query describes, from the ONNX model {MODEL_PATH.name}.")


@app.middleware("http")
async def count_requests(request: Request, call_next: Any) -> Response:
    path = request.url.path if request.url.path in PATHS else "other"
    start = time.perf_counter()
    response = await call_next(request)
    LATENCY.labels(path=path).observe(time.perf_counter() - start)
    REQUESTS.labels(path=path, status=str(response.status_code)).inc()
    return response


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def error_response(err: RequestError) -> JSONResponse:
    ERRORS.labels(kind=err.kind).inc()
    return JSONResponse({"detail": err.detail}, status_code=err.status)


@app.post("/predict")
async def predict(request: Request) -> JSONResponse:
    """The box of the object each query describes in its image, and a score."""
    api_key = os.environ.get("TRAINER_AGENT_API_KEY")
    if api_key and not hmac.compare_digest(request.headers.get("x-api-key", "").encode(), api_key.encode()):
        return error_response(RequestError(401, "unauthorized", "a valid X-API-Key header is required"))
    try:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            raise RequestError(413, "too_large", f"the body is over {MAX_BODY_BYTES} bytes")
        try:
            payload = json.loads(body, parse_constant=_no_constants)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise RequestError(400, "bad_json", "the body is not JSON") from None
        items, single = take_items(payload)
        result = answer(items)
    except RequestError as err:
        return error_response(err)
    if single:
        result = {"box": result["predictions"][0], "score": result["scores"][0], **result}
    return JSONResponse({**result, "model_version": MODEL_VERSION})


@app.get("/health")
def health() -> dict[str, str]:
    """Liveness: the model is loaded."""
    return {"status": "ok", "model_version": MODEL_VERSION}


@app.get("/metrics")
def metrics() -> Response:
    """Prometheus metrics of this process."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def main() -> None:
    """Run the server with uvicorn (one process: scale with replicas)."""
    import uvicorn

    parser = argparse.ArgumentParser(description="Serve the grounding model in this folder.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_level="info")


if __name__ == "__main__":
    main()
