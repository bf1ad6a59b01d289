"""Serve the ONNX model in this folder over HTTP: POST /predict, GET /health, GET /metrics.

    python serve.py [--host 127.0.0.1] [--port 8000]

Reads feature_schema.json, label_map.json and the ONNX model that the schema names (model.onnx by default;
set TRAINER_AGENT_MODEL_FILE to choose another file) from this folder. It never loads pickles.
Set TRAINER_AGENT_API_KEY to require that header X-API-Key carries that key on POST /predict.

POST /predict takes {"rows": [{column: value, ...}, ...]} or {"row": {column: value, ...}}: every column of
the schema must be present; numbers (or null, which the model imputes) for numeric columns, strings (or
null) for string columns. It answers {"predictions": [...], "model_version": "..."}, plus "probabilities"
and "classes" (the probability columns) for classifiers.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

HERE = Path(__file__).resolve().parent
MAX_BODY_BYTES = 1_000_000
MAX_ROWS = 1000

SCHEMA = json.loads((HERE / "feature_schema.json").read_text())
LABELS = json.loads((HERE / "label_map.json").read_text())
MODEL_PATH = HERE / os.environ.get("TRAINER_AGENT_MODEL_FILE", SCHEMA.get("model_file", "model.onnx"))
MODEL_VERSION = hashlib.sha256(MODEL_PATH.read_bytes()).hexdigest()[:12]
SESSION = ort.InferenceSession(str(MODEL_PATH), providers=["CPUExecutionProvider"])
OUTPUT_NAMES = [output.name for output in SESSION.get_outputs()]
COLUMNS = [(item["name"], item["dtype"]) for item in SCHEMA["inputs"]]
ONNX_NAMES = {item["name"]: item.get("onnx_name", item["name"]) for item in SCHEMA["inputs"]}
MISSING_TEXT = {item["name"]: item.get("missing", "") for item in SCHEMA["inputs"]}
CLASSES = LABELS.get("classes")
PROBA_CODES = LABELS.get("proba_codes") or (list(range(len(CLASSES))) if CLASSES else None)

REGISTRY = CollectorRegistry()
REQUESTS = Counter("requests_total", "HTTP requests by path and status.", ["path", "status"],
                   registry=REGISTRY)
LATENCY = Histogram("request_latency_seconds", "Time to answer a request.", ["path"], registry=REGISTRY,
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5))
ERRORS = Counter("errors_total", "Requests answered with an error, by kind.", ["kind"], registry=REGISTRY)
ROWS = Counter("predicted_rows_total", "Rows predicted.", registry=REGISTRY)

app = FastAPI(title="Model server", version=MODEL_VERSION,
              description="Predictions from the ONNX model of this bundle.")


class RequestError(Exception):
    """A request the server will not answer: ``status`` and a message for the client."""

    def __init__(self, status: int, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.kind, self.detail = status, kind, detail


def error_response(status: int, kind: str, detail: str) -> JSONResponse:
    ERRORS.labels(kind=kind).inc()
    return JSONResponse({"detail": detail}, status_code=status)


@app.middleware("http")
async def count_requests(request: Request, call_next):
    path = request.url.path if request.url.path in ("/predict", "/health", "/metrics") else "other"
    start = time.perf_counter()
    try:
        response = await call_next(request)
    except Exception:  # count it, then let the server answer 500
        REQUESTS.labels(path=path, status="500").inc()
        ERRORS.labels(kind="internal").inc()
        raise
    LATENCY.labels(path=path).observe(time.perf_counter() - start)
    REQUESTS.labels(path=path, status=str(response.status_code)).inc()
    return response


async def read_body(request: Request) -> bytes:
    """The request body, refusing more than MAX_BODY_BYTES without reading it all."""
    declared = request.headers.get("content-length", "0")
    if not declared.isdigit():
        raise RequestError(400, "bad_request", "the Content-Length header is not a number")
    if int(declared) > MAX_BODY_BYTES:
        raise RequestError(413, "too_large", f"the body is over {MAX_BODY_BYTES} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise RequestError(413, "too_large", f"the body is over {MAX_BODY_BYTES} bytes")
    return body


def parse_rows(body: bytes) -> list[dict[str, Any]]:
    """The rows of a request body, or a RequestError saying what is wrong with it."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as err:
        raise RequestError(400, "bad_json", f"the body is not JSON: {err}") from None
    if isinstance(payload, dict) and isinstance(payload.get("row"), dict):
        rows = [payload["row"]]
    elif isinstance(payload, dict) and isinstance(payload.get("rows"), list):
        rows = payload["rows"]
    else:
        raise RequestError(422, "invalid", 'send {"rows": [{column: value, ...}]} or {"row": {...}}')
    if not rows:
        raise RequestError(422, "invalid", "no rows to predict")
    if len(rows) > MAX_ROWS:
        raise RequestError(413, "too_large", f"{len(rows)} rows; send at most {MAX_ROWS} per request")
    return rows


def build_feed(rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """One [rows, 1] array per schema column: float32 (null -> NaN, which the model imputes) or strings
    (null -> the schema's token for missing text)."""
    problems = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            problems.append(f"rows[{i}] is not an object")
            continue
        missing = [name for name, _ in COLUMNS if name not in row]
        if missing:
            problems.append(f"rows[{i}] is missing columns: {', '.join(missing)}")
        for name, dtype in COLUMNS:
            value = row.get(name)
            if value is None:
                continue
            if dtype == "float" and (isinstance(value, bool) or not isinstance(value, (int, float))):
                problems.append(f"rows[{i}][{name!r}] must be a number or null, not {value!r:.60}")
            elif dtype == "string" and not isinstance(value, str):
                problems.append(f"rows[{i}][{name!r}] must be a string or null, not {value!r:.60}")
    if problems:
        raise RequestError(422, "invalid", "; ".join(problems[:20]))
    feed = {}
    for name, dtype in COLUMNS:
        values = [row.get(name) for row in rows]
        if dtype == "float":
            array = np.array([math.nan if v is None else v for v in values], dtype=np.float32)
        else:
            array = np.array([MISSING_TEXT[name] if v is None else v for v in values], dtype=object)
        feed[ONNX_NAMES[name]] = array.reshape(-1, 1)
    return feed


def predictions_from(outputs: dict[str, np.ndarray]) -> dict[str, Any]:
    """Class names (threshold applied for binary tasks) and probabilities, or regression values."""
    if CLASSES is None:
        return {"predictions": [float(v) for v in np.asarray(outputs[OUTPUT_NAMES[0]]).ravel()]}
    proba = np.asarray(outputs.get("probabilities", outputs[OUTPUT_NAMES[-1]]), dtype=np.float64)
    threshold, pos_label = LABELS.get("threshold"), LABELS.get("pos_label")
    if threshold is not None and pos_label is not None and proba.shape[1] == 2:
        pos = PROBA_CODES.index(pos_label)
        codes = [PROBA_CODES[pos] if p >= threshold else PROBA_CODES[1 - pos] for p in proba[:, pos]]
    else:
        codes = [PROBA_CODES[j] for j in proba.argmax(axis=1)]
    return {"predictions": [CLASSES[code] for code in codes], "probabilities": proba.tolist(),
            "classes": [CLASSES[code] for code in PROBA_CODES]}


ROW_SCHEMA = {"type": "object", "additionalProperties": True, "required": [name for name, _ in COLUMNS],
              "properties": {name: {"type": ["number" if dtype == "float" else "string", "null"]}
                             for name, dtype in COLUMNS}}


@app.post("/predict", openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"type": "object", "properties": {"rows": {"type": "array", "items": ROW_SCHEMA},
                                                "row": ROW_SCHEMA}}}}}})
async def predict(request: Request) -> JSONResponse:
    """Predict for one row or a batch of rows."""
    api_key = os.environ.get("TRAINER_AGENT_API_KEY")
    if api_key and not hmac.compare_digest(request.headers.get("x-api-key", "").encode(), api_key.encode()):
        return error_response(401, "unauthorized", "a valid X-API-Key header is required")
    try:
        feed = build_feed(parse_rows(await read_body(request)))
    except RequestError as err:
        return error_response(err.status, err.kind, err.detail)
    outputs = dict(zip(OUTPUT_NAMES, SESSION.run(None, feed), strict=True))
    ROWS.inc(len(next(iter(feed.values()))))
    return JSONResponse({**predictions_from(outputs), "model_version": MODEL_VERSION})


@app.get("/health")
def health() -> dict[str, str]:
    """Liveness: the model is loaded."""
    return {"status": "ok", "model_version": MODEL_VERSION}


@app.get("/metrics")
def metrics() -> Response:
    """Prometheus metrics of this process."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def main() -> None:
    """Run the server with uvicorn."""
    import uvicorn

    parser = argparse.ArgumentParser(description="Serve the model in this folder.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
