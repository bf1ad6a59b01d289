"""Serve the ONNX model in this folder over HTTP: POST /predict, GET /health, GET /metrics.

    python serve.py [--host 127.0.0.1] [--port 8000] [--access-log]

Reads feature_schema.json, label_map.json and the ONNX model that the schema names (model.onnx by default;
set TRAINER_AGENT_MODEL_FILE to choose another file) from this folder. It never loads pickles.
Set TRAINER_AGENT_API_KEY to require that header X-API-Key carries that key on every path but GET /health
(/predict, /metrics, /docs, /redoc and /openapi.json, whose schema tells the training range of each column).
TRAINER_AGENT_ORT_THREADS sets onnxruntime's threads per request (1 by default: scale with replicas).
The CPU work of a request (JSON, feature building, ONNX Runtime) runs in worker processes, each with its own copy
of the model, at a lower CPU priority (nice +5), so the serving process's event loop and its GIL stay free and
/health answers at once however busy /predict is. TRAINER_AGENT_PREDICT_PROCESSES sets how many (1 by default,
whatever the machine: a replica's memory does not depend on the host's CPUs; one request at a time each; measured
on 2 cores, one worker answered as many 1,000-row requests a second as two threads did, and /health p99 under load
went from 39 to 1.5 ms); 0 runs the requests in TRAINER_AGENT_PREDICT_THREADS threads of the serving process (by
default the CPUs this process may use divided by the onnxruntime threads, at most 4: one process, less memory, but
Python's feature building then holds the GIL that /health needs). The workers belong to serve.py's own server
(python serve.py, trainer-agent serve): they start with it, before /health answers, and stop with it; the app
embedded in another process (a notebook, a test client, Ray Serve) predicts in threads of that process. A
replica's memory is that of the serving process plus its workers'.

Tabular models: POST /predict takes {"rows": [{column: value, ...}, ...]} or {"row": {column: value, ...}},
the columns named as in the training file. Every raw column of the schema must be present: numbers (or null,
which the model imputes) for numeric columns, strings (or null) for string columns; dates, booleans and numbers
written as text as strings (or numbers, booleans, null). table_features.py beside this file turns them into the
model's inputs, as the notebook did in training (feature_schema.json's "recipe").
Text models: {"texts": ["...", ...]} or {"text": "..."}, raw strings; text_features.py beside this file
normalises them and computes the features the model takes, from text_vectorizer.json.
Image models: {"images": [image, ...]} or {"image": image}, an image being nested lists of pixel values
[channels][height][width] in the shape and scale feature_schema.json gives (a grey image may be [height][width],
a colour one channels-last [height][width][channels]).
The answer is {"predictions": [...], "model_version": "..."}, plus "probabilities" and "classes" (the
probability columns) for classifiers. A bad request gets a 4xx status and {"detail": "what is wrong"}.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import math
import multiprocessing
import os
import signal
import sys
import threading
import time
import types
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

HERE = Path(__file__).resolve().parent
MAX_BODY_BYTES = 1_000_000
MAX_ROWS = 1000
FLOAT32_MAX = float(np.finfo(np.float32).max)

SCHEMA = json.loads((HERE / "feature_schema.json").read_text())
LABELS = json.loads((HERE / "label_map.json").read_text())
KIND = SCHEMA.get("kind", "tabular")  # "tabular": one ONNX input per column; "text": one string input;
# "image": one float input [batch, channels, height, width]
MODEL_PATH = HERE / os.environ.get("TRAINER_AGENT_MODEL_FILE", SCHEMA.get("model_file", "model.onnx"))
MODEL_VERSION = hashlib.sha256(MODEL_PATH.read_bytes()).hexdigest()[:12]


def _threads(name: str, default: int, least: int = 1) -> int:
    """A count of threads (or processes) from the environment variable ``name``, at least ``least``
    (``default`` where it is unset)."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < least:
        raise SystemExit(f"{name}={value!r}: set it to a whole number, {least} or more (or unset it)")
    return int(value)


ORT_THREADS = _threads("TRAINER_AGENT_ORT_THREADS", 1)
_CPUS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
#: Requests whose CPU work runs at once: each takes ORT_THREADS cores in onnxruntime; past 4, add replicas.
PREDICT_THREADS = _threads("TRAINER_AGENT_PREDICT_THREADS", max(1, min(4, _CPUS // ORT_THREADS)))
#: Worker processes that do that work, one request at a time each (0: threads of this process, POOL). One by default,
#: on any host: each holds a copy of the model, so a default that followed the CPUs would make a replica's memory
#: depend on the machine it lands on; more requests at once come from more replicas.
PREDICT_PROCESSES = _threads("TRAINER_AGENT_PREDICT_PROCESSES", 1, least=0)
#: How much lower the workers' CPU priority is than the serving process's (os.nice): on a busy machine the
#: process that answers /health and reads requests is scheduled first.
WORKER_NICE = 5
#: The thread path: PREDICT_PROCESSES=0, or the app embedded in another process (threads start when first used).
POOL = ThreadPoolExecutor(max_workers=PREDICT_THREADS, thread_name_prefix="predict")
#: The worker processes while the app runs (started and stopped by its lifespan); None otherwise.
WORKERS: ProcessPoolExecutor | None = None
_options = ort.SessionOptions()
_options.intra_op_num_threads = ORT_THREADS
_options.inter_op_num_threads = 1
SESSION = ort.InferenceSession(str(MODEL_PATH), _options, providers=["CPUExecutionProvider"])
OUTPUT_NAMES = [output.name for output in SESSION.get_outputs()]
#: Models with more inputs than this skip ONNX Runtime's Python check of the feed. The check looks each of the
#: model's inputs up in a list of the feed's names (inputs x inputs): 0.16 s a call at 5,000 inputs, where the model
#: itself takes 5 ms. The feed always holds every input (it is built from the schema).
WIDE_INPUTS = 256
_RUN_OPTIONS = ort.RunOptions()
INPUT_RANKS = {i.name: len(i.shape) if isinstance(i.shape, list) else 2 for i in SESSION.get_inputs()}
COLUMNS = [(item["name"], item["dtype"]) for item in SCHEMA["inputs"]]
ONNX_NAMES = {item["name"]: item.get("onnx_name", item["name"]) for item in SCHEMA["inputs"]}
CLASSES = LABELS.get("classes")
PROBA_CODES = LABELS.get("proba_codes") or (list(range(len(CLASSES))) if CLASSES else None)

REGISTRY = CollectorRegistry()
REQUESTS = Counter("requests_total", "HTTP requests by path and status.", ["path", "status"],
                   registry=REGISTRY)
LATENCY = Histogram("request_latency_seconds", "Time to answer a request, by path.", ["path"],
                    registry=REGISTRY, buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                0.5, 1.0, 2.5))
ERRORS = Counter("errors_total", "Requests answered with an error, by kind.", ["kind"], registry=REGISTRY)
ROWS = Counter("predicted_rows_total", "Rows predicted.", registry=REGISTRY)
Gauge("model_info", "The model this process serves.", ["version", "file"],
      registry=REGISTRY).labels(version=MODEL_VERSION, file=MODEL_PATH.name).set(1)
PATHS = ("/predict", "/health", "/metrics", "/docs", "/redoc", "/openapi.json")
#: The one path that answers without the key: liveness probes carry no secrets.
OPEN_PATHS = ("/health",)


class MetricsMiddleware:
    """Counts requests and times them by path (a plain ASGI middleware: cheaper than an http middleware)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"] if scope["path"] in PATHS else "other"
        status = 500
        start = time.perf_counter()

        async def send_and_note(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        except Exception:
            ERRORS.labels(kind="internal").inc()
            raise
        finally:
            LATENCY.labels(path=path).observe(time.perf_counter() - start)
            REQUESTS.labels(path=path, status=str(status)).inc()


class ApiKeyMiddleware:
    """With TRAINER_AGENT_API_KEY set, every path but OPEN_PATHS needs header X-API-Key carrying that key
    (401 otherwise). The key is read from the environment at each request, as the process has it."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        api_key = os.environ.get("TRAINER_AGENT_API_KEY")
        if scope["type"] != "http" or not api_key or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        given = next((value for name, value in scope["headers"] if name == b"x-api-key"), b"")
        if hmac.compare_digest(given, api_key.encode()):
            await self.app(scope, receive, send)
            return
        response = error_response(401, "unauthorized", "a valid X-API-Key header is required")
        await response(scope, receive, send)


class RequestError(Exception):
    """A request the server will not answer: ``status`` and a message for the client."""

    def __init__(self, status: int, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.kind, self.detail = status, kind, detail


def error_response(status: int, kind: str, detail: str) -> JSONResponse:
    ERRORS.labels(kind=kind).inc()
    return JSONResponse({"detail": detail}, status_code=status)


async def read_body(request: Request) -> bytes:
    """The request body, refusing more than MAX_BODY_BYTES without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise RequestError(400, "bad_request", "the Content-Length header is not a number")
        if int(declared) > MAX_BODY_BYTES:
            raise RequestError(413, "too_large", f"the body is over {MAX_BODY_BYTES} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise RequestError(413, "too_large", f"the body is over {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows; send null for a missing value")


def parse_json(body: bytes) -> Any:
    """The JSON document of a body: NaN and Infinity (which Python's json accepts) are refused."""
    if not body:
        raise RequestError(400, "bad_json", "the body is empty; send a JSON object")
    try:
        return json.loads(body, parse_constant=_no_constants)
    except RecursionError:
        raise RequestError(400, "bad_json", "the JSON is nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as err:
        raise RequestError(400, "bad_json", f"the body is not JSON: {err}") from None


def _check_text(value: str, where: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise RequestError(422, "invalid", f"{where} is not valid Unicode text (lone surrogate)") from None
    return value


def take_items(payload: Any) -> list[Any]:
    """The rows (tabular) or texts (text models) of a request."""
    many, one = {"text": ("texts", "text"), "image": ("images", "image")}.get(KIND, ("rows", "row"))
    if isinstance(payload, dict) and many in payload and isinstance(payload[many], list):
        items = payload[many]
    elif isinstance(payload, dict) and one in payload and many not in payload:
        items = [payload[one]]
    else:
        example = {"text": '{"texts": ["..."]} or {"text": "..."}',
                   "image": '{"images": [[[pixel, ...], ...], ...]} or {"image": [[pixel, ...], ...]}'}.get(
            KIND, '{"rows": [{column: value, ...}]} or {"row": {column: value, ...}}')
        raise RequestError(422, "invalid", f"send {example}")
    if not items:
        raise RequestError(422, "invalid", f"no {many} to predict")
    if len(items) > MAX_ROWS:
        raise RequestError(413, "too_large", f"{len(items)} {many}; send at most {MAX_ROWS} per request")
    return items


def as_number(value: Any, where: str) -> float:
    """A JSON number as a finite float32-sized float, or a RequestError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RequestError(422, "invalid", f"{where} must be a number or null, not {value!r:.60}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number) or abs(number) > FLOAT32_MAX:
        raise RequestError(422, "invalid", f"{where} is out of range: numbers must be finite and at most "
                           f"{FLOAT32_MAX:.4g} in size")
    return number


def shaped(name: str, array: np.ndarray) -> np.ndarray:
    """``array`` as [rows] or [rows, 1], whichever the ONNX input takes."""
    return array if INPUT_RANKS.get(name, 2) == 1 else array.reshape(-1, 1)


def _bundle_module(name: str) -> Any:
    """A Python module shipped beside this file (``table_features.py``, ``text_features.py``)."""
    import importlib.util

    path = HERE / f"{name}.py"
    if not path.exists():
        raise SystemExit(f"{path.name} is missing from {HERE}: this bundle needs it beside serve.py; "
                         "copy it from the bundle's zip file.")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: Tabular models: the shared raw -> model columns -> ONNX feed code, and the recipe it follows (None where
#: the schema's inputs are the raw columns themselves).
TABLE = _bundle_module("table_features") if KIND == "tabular" else None
RECIPE = SCHEMA.get("recipe") if KIND == "tabular" else None
#: What one request row carries: (name, dtype) of the raw columns, as the user's file named them.
ROW_COLUMNS = [(item["name"], item["dtype"]) for item in RECIPE["raw_inputs"]] if RECIPE else COLUMNS
NUMBER_DTYPES = ("float", "number")  # a number or null; "string": a string or null; others: either, or a boolean


def _row_value(value: Any, dtype: str, where: str) -> Any:
    """One raw value of a request row, checked against its column's dtype (a RequestError if it is wrong)."""
    if dtype in NUMBER_DTYPES:
        return math.nan if value is None else as_number(value, where)
    if value is None:
        return None  # the recipe and table_features.onnx_feed know what a missing value becomes
    if isinstance(value, str):
        return _check_text(value, where)
    if dtype != "string" and isinstance(value, (bool, int, float)):
        return value if isinstance(value, bool) else as_number(value, where)
    kind = "a string or null" if dtype == "string" else "a string, a number or null"
    raise RequestError(422, "invalid", f"{where} must be {kind}, not {value!r:.60}")


def tabular_feed(rows: list[Any]) -> dict[str, np.ndarray]:
    """The ONNX inputs of request rows: each raw value checked, the schema's recipe applied (table_features.py),
    then one array per model column: float32 (null -> NaN, which the model imputes) or strings (null -> the
    schema's token for missing text)."""
    problems: list[str] = []
    columns: dict[str, list[Any]] = {name: [] for name, _ in ROW_COLUMNS}
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            problems.append(f"rows[{i}] is not an object")
            continue
        missing = [name for name, _ in ROW_COLUMNS if name not in row]
        if missing:
            problems.append(f"rows[{i}] is missing columns: {', '.join(missing)}")
            continue
        for name, dtype in ROW_COLUMNS:
            try:
                columns[name].append(_row_value(row[name], dtype, f"rows[{i}][{name!r}]"))
            except RequestError as err:
                problems.append(err.detail)
        if len(problems) >= 20:
            break
    if problems:
        raise RequestError(422, "invalid", "; ".join(problems[:20]))
    frame = TABLE.to_model_columns(columns, RECIPE) if RECIPE else columns
    return TABLE.onnx_feed(frame, SCHEMA, INPUT_RANKS)


def _text_inputs() -> Any:
    """The bundle's text preprocessing (text_features.py + its vocabulary), when the schema names one."""
    if KIND != "text" or not SCHEMA.get("text_inputs"):
        return None
    return _bundle_module("text_features").load_inputs(HERE, SCHEMA["text_inputs"])


TEXT_INPUTS = _text_inputs()


def text_feed(texts: list[Any]) -> dict[str, np.ndarray]:
    """The input of a text model: TF-IDF features from the bundle's preprocessing, or the strings themselves."""
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise RequestError(422, "invalid", f"texts[{i}] must be a string, not {text!r:.60}")
        _check_text(text, f"texts[{i}]")
    name = ONNX_NAMES[COLUMNS[0][0]]
    if TEXT_INPUTS is not None:
        return TEXT_INPUTS.feed(texts)
    return {name: shaped(name, np.array(texts, dtype=object))}


IMAGE_SHAPE = tuple(SCHEMA["inputs"][0]["shape"]) if KIND == "image" else ()


def _image_array(image: Any, where: str) -> np.ndarray:
    """One image as a float32 array [channels, height, width], or a RequestError saying what is wrong."""
    channels, height, width = IMAGE_SHAPE
    try:
        pixels = np.array(image, dtype=object)
    except ValueError:
        pixels = None
    if pixels is None or pixels.ndim == 0:
        raise RequestError(422, "invalid", f"{where} must be nested lists of numbers "
                           f"[{channels}][{height}][{width}]")
    if pixels.shape == (height, width) and channels == 1:
        pixels = pixels[None]
    elif pixels.shape == (height, width, channels) and pixels.shape != (channels, height, width):
        pixels = pixels.transpose(2, 0, 1)
    if pixels.shape != (channels, height, width):
        raise RequestError(422, "invalid", f"{where} has shape {list(pixels.shape)}; send "
                           f"[{channels}][{height}][{width}] pixel values" + (
                               f" (or [{height}][{width}])" if channels == 1 else ""))
    flat = pixels.ravel()
    if not all(type(v) in (int, float) for v in flat):
        bad = next(v for v in flat if type(v) not in (int, float))
        raise RequestError(422, "invalid", f"{where} holds {bad!r:.40}: pixel values must be numbers")
    try:
        values = flat.astype(np.float64)
    except OverflowError:
        values = np.array([math.inf])
    if not np.isfinite(values).all() or np.abs(values).max() > FLOAT32_MAX:
        raise RequestError(422, "invalid", f"{where} has a pixel value out of range: numbers must be finite and "
                           f"at most {FLOAT32_MAX:.4g} in size")
    return values.astype(np.float32).reshape(channels, height, width)


def image_feed(images: list[Any]) -> dict[str, np.ndarray]:
    """The one float input of an image model: [batch, channels, height, width]."""
    name = ONNX_NAMES[COLUMNS[0][0]]
    return {name: np.stack([_image_array(image, f"images[{i}]") for i, image in enumerate(images)])}


def predictions_from(outputs: dict[str, np.ndarray]) -> dict[str, Any]:
    """Class names (threshold applied for binary tasks) and probabilities, or regression values."""
    if CLASSES is None:
        values = np.asarray(outputs[OUTPUT_NAMES[0]], dtype=np.float64).ravel()
        if not np.isfinite(values).all():
            raise RequestError(422, "non_finite", "the model gave no finite prediction for some rows: their "
                               "values are far outside what it was trained on")
        if LABELS.get("cut_points") is not None:  # an ordinal target: values cut into its ordered values
            return {"predictions": [LABELS["ordered_values"][i] for i in np.searchsorted(LABELS["cut_points"], values)]}
        return {"predictions": values.tolist()}
    proba = np.asarray(outputs.get("probabilities", outputs[OUTPUT_NAMES[-1]]), dtype=np.float64)
    if proba.ndim == 1:
        proba = proba.reshape(len(proba), -1)
    if not np.isfinite(proba).all():
        raise RequestError(422, "non_finite", "the model gave no finite probabilities for some rows: their "
                           "values are far outside what it was trained on")
    threshold, pos_label = LABELS.get("threshold"), LABELS.get("pos_label")
    if threshold is not None and pos_label is not None and proba.shape[1] == 2:
        pos = PROBA_CODES.index(pos_label)
        codes = [PROBA_CODES[pos] if p >= threshold else PROBA_CODES[1 - pos] for p in proba[:, pos]]
    else:
        codes = [PROBA_CODES[j] for j in proba.argmax(axis=1)]
    return {"predictions": [CLASSES[code] for code in codes], "probabilities": proba.tolist(),
            "classes": [CLASSES[code] for code in PROBA_CODES]}


# -- the OpenAPI description of /predict, generated from feature_schema.json --------------------------------
def _column_schema(item: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any]
    if item["dtype"] in NUMBER_DTYPES:
        schema = {"type": ["number", "null"], "minimum": -FLOAT32_MAX, "maximum": FLOAT32_MAX}
        if item.get("min") is not None and item.get("max") is not None:
            schema["description"] = f"trained on values from {item['min']:g} to {item['max']:g}; null if unknown"
        return schema
    if item["dtype"] != "string":  # a date, a boolean or a number written as text
        types = ["string", "number", "null"] + (["boolean"] if item["dtype"] == "boolean" else [])
        schema = {"type": types, "description": item.get("description", "null if unknown")}
        if item.get("examples"):
            schema["examples"] = item["examples"][:5]
        return schema
    schema = {"type": ["string", "null"], "description": "null if unknown"}
    if item.get("categories"):
        schema["examples"] = item["categories"][:5]
    return schema


if KIND == "image":
    _channels, _height, _width = IMAGE_SHAPE
    _PIXEL: dict[str, Any] = {"type": "number", "minimum": -FLOAT32_MAX, "maximum": FLOAT32_MAX}
    _ROW: dict[str, Any] = {"type": "array", "items": _PIXEL, "minItems": _width, "maxItems": _width}
    _GRID: dict[str, Any] = {"type": "array", "items": _ROW, "minItems": _height, "maxItems": _height}
    _scale = SCHEMA["inputs"][0]
    IMAGE_SCHEMA: dict[str, Any] = {
        "description": f"pixel values on the scale {_scale.get('min', 0):g}..{_scale.get('max', 255):g}, "
                       f"[{_channels}][{_height}][{_width}]" + (f" or [{_height}][{_width}]" if _channels == 1 else ""),
        "anyOf": [{"type": "array", "items": _GRID, "minItems": _channels, "maxItems": _channels}]
        + ([_GRID] if _channels == 1 else [])}
    REQUEST_SCHEMA: dict[str, Any] = {
        "type": "object", "anyOf": [{"required": ["images"]}, {"required": ["image"]}],
        "properties": {"images": {"type": "array", "items": IMAGE_SCHEMA, "minItems": 1, "maxItems": MAX_ROWS},
                       "image": IMAGE_SCHEMA}}
elif KIND == "text":
    TEXT_SCHEMA: dict[str, Any] = {"type": "string"}
    REQUEST_SCHEMA: dict[str, Any] = {
        "type": "object", "anyOf": [{"required": ["texts"]}, {"required": ["text"]}],
        "properties": {"texts": {"type": "array", "items": TEXT_SCHEMA, "minItems": 1, "maxItems": MAX_ROWS},
                       "text": TEXT_SCHEMA}}
else:
    ROW_SCHEMA = {"type": "object", "additionalProperties": True, "required": [name for name, _ in ROW_COLUMNS],
                  "properties": {item["name"]: _column_schema(item)
                                 for item in (RECIPE["raw_inputs"] if RECIPE else SCHEMA["inputs"])}}
    REQUEST_SCHEMA = {
        "type": "object", "anyOf": [{"required": ["rows"]}, {"required": ["row"]}],
        "properties": {"rows": {"type": "array", "items": ROW_SCHEMA, "minItems": 1, "maxItems": MAX_ROWS},
                       "row": ROW_SCHEMA}}
PREDICTION_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["predictions", "model_version"],
    "properties": {
        "predictions": {"type": "array", "items": {"type": "number"} if CLASSES is None else
                        {"type": "string", "enum": list(CLASSES)}},
        "model_version": {"type": "string"}}}
if CLASSES is not None:
    PREDICTION_SCHEMA["properties"]["probabilities"] = {"type": "array",
                                                        "items": {"type": "array", "items": {"type": "number"}}}
    PREDICTION_SCHEMA["properties"]["classes"] = {"type": "array", "items": {"type": "string"}}
ERROR_SCHEMA = {"type": "object", "required": ["detail"], "properties": {"detail": {"type": "string"}}}


def _error(text: str) -> dict[str, Any]:
    return {"description": text, "content": {"application/json": {"schema": ERROR_SCHEMA}}}


PREDICT_OPENAPI = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": REQUEST_SCHEMA}}},
    "responses": {
        "200": {"description": "Predictions, in the order of the rows sent.",
                "content": {"application/json": {"schema": PREDICTION_SCHEMA}}},
        "400": _error("The body is not JSON (NaN and Infinity included), or a header is malformed."),
        "401": _error("TRAINER_AGENT_API_KEY is set and X-API-Key does not match it."),
        "413": _error(f"The body is over {MAX_BODY_BYTES} bytes, or has over {MAX_ROWS} rows."),
        "422": _error("The JSON does not follow the schema: a column missing, a value of the wrong type or out "
                      "of range."),
        "503": _error("The worker process predicting the request stopped (out of memory?); it was replaced: "
                      "send the request again."),
    },
}

# -- the worker processes ----------------------------------------------------------------------------------
#: What a fresh worker process runs first (``exec``, a built-in, is what it is given, so the worker needs no
#: module it could import by name): this file loaded as the module it is here, unless the worker already has it
#: (``python serve.py``: multiprocessing runs the main script in the worker as ``__mp_main__``), then
#: ``_worker_started``. Compiled from the source, so no bytecode is written into the bundle.
_WORKER_BOOT = """
import sys, types
if name not in sys.modules:
    module = types.ModuleType(name)
    module.__file__ = path
    sys.modules[name] = module
    with open(path, encoding="utf-8") as source:
        exec(compile(source.read(), path, "exec"), module.__dict__)
sys.modules[name]._worker_started(parent, nice, ready)
"""


def _worker_started(parent: int, nice: int, ready: Any) -> None:
    """In a new worker process (this module loaded, with its own InferenceSession): a lower CPU priority,
    Ctrl-C left to the serving process (which stops the workers), and an exit of its own should the serving
    process die without stopping it (checked every second), so that no worker outlives its server; then
    ``ready`` (a semaphore, or None) is released."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        os.nice(nice)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="watch-server", daemon=True).start()
    if ready is not None:
        ready.release()


def _worker_pid() -> int:
    return os.getpid()


_SPAWN = multiprocessing.get_context("spawn")
#: Whether this process is serve.py's own server (``main()``: ``python serve.py``, ``trainer-agent serve``). Only
#: then do predictions go to worker processes: an app embedded in another process (the notebook's check of the
#: app, a test client, Ray Serve) predicts in threads of that process, whose own ``__main__`` a spawned worker
#: could not be started from (an interactive shell's has no ``__spec__``).
STANDALONE = False


def start_workers(ready: Any = None) -> ProcessPoolExecutor:
    """PREDICT_PROCESSES worker processes, started fresh (``spawn``: nothing of this process's ONNX Runtime or
    threads is forked) as requests come; each loads this file, and so the model, before its first request, then
    releases ``ready`` (a semaphore of _SPAWN) where one is given."""
    if getattr(sys.modules.get(__name__), "answer", None) is not answer:
        # loaded without its own entry in sys.modules (importlib's exec_module, as the bundle's test does):
        # one holding this module's functions, for pickle to name them by when it sends them to the workers
        module = types.ModuleType(__name__)
        module.__dict__.update(globals())
        sys.modules[__name__] = module
    return ProcessPoolExecutor(
        max_workers=PREDICT_PROCESSES, mp_context=_SPAWN, initializer=exec,
        initargs=(_WORKER_BOOT, {"name": __name__, "path": str(Path(__file__).resolve()), "parent": os.getpid(),
                                 "nice": WORKER_NICE, "ready": ready}))


def _replace_workers(broken: ProcessPoolExecutor) -> None:
    """After a worker process died (killed, out of memory): new workers, started as requests come."""
    global WORKERS
    if WORKERS is broken:
        WORKERS = start_workers()
        broken.shutdown(wait=False, cancel_futures=True)


@contextlib.asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """Start the worker processes (all of them, with the model loaded) before the app answers anything, and
    stop them, waiting for each, when it stops: no worker outlives the server. Only in serve.py's own server
    (STANDALONE); embedded, the app predicts in threads."""
    global WORKERS
    if PREDICT_PROCESSES and STANDALONE:
        ready = _SPAWN.Semaphore(0)
        WORKERS = start_workers(ready)
        loop = asyncio.get_running_loop()
        # submitted together, before any worker is up, so that each starts a process of its own
        await asyncio.gather(*(loop.run_in_executor(WORKERS, _worker_pid) for _ in range(PREDICT_PROCESSES)))
        for _ in range(PREDICT_PROCESSES):  # and every one of them has loaded the model
            if not await loop.run_in_executor(None, ready.acquire, True, 300):
                raise RuntimeError("a prediction worker process did not start within 300 s")
    try:
        yield
    finally:
        workers, WORKERS = WORKERS, None
        if workers is not None:
            workers.shutdown(wait=True, cancel_futures=True)


app = FastAPI(title=f"{SCHEMA.get('task', 'model').capitalize()} model server", version=MODEL_VERSION,
              description=f"Predictions from the ONNX model of this bundle ({MODEL_PATH.name}). If the server "
                          "was started with TRAINER_AGENT_API_KEY set, every path but GET /health needs that key in "
                          "the X-API-Key header.", lifespan=lifespan)
app.add_middleware(ApiKeyMiddleware)
app.add_middleware(MetricsMiddleware)  # added last, so outermost: it counts the 401s too


def _json_bytes(reply: dict[str, Any]) -> bytes:
    return json.dumps(reply, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def run_model(feed: dict[str, Any]) -> dict[str, Any]:
    """The model's outputs for ``feed``, by name. A wide model is run by the session under ONNX Runtime's
    Python wrapper (``_sess.run``, what the wrapper calls after its check; see WIDE_INPUTS); an onnxruntime
    without it gets the public call."""
    if len(feed) > WIDE_INPUTS and hasattr(SESSION, "_sess"):
        try:
            return dict(zip(OUTPUT_NAMES, SESSION._sess.run(OUTPUT_NAMES, feed, _RUN_OPTIONS), strict=True))
        except TypeError:  # another onnxruntime's signature
            pass
    return dict(zip(OUTPUT_NAMES, SESSION.run(None, feed), strict=True))


def answer(body: bytes) -> tuple[int, bytes, str | None, int]:
    """(status, JSON bytes, error kind or None, rows predicted) of a /predict body: parsing, features, ONNX
    Runtime and the reply's JSON, all of it CPU work, with no side effects, so that it runs in a worker process
    (or a thread of POOL) off the event loop; the serving process counts the error or the rows."""
    try:
        items = take_items(parse_json(body))
        feed = {"text": text_feed, "image": image_feed}.get(KIND, tabular_feed)(items)
        outputs = run_model(feed)
        reply: dict[str, Any] = {**predictions_from(outputs), "model_version": MODEL_VERSION}
    except RequestError as err:
        return err.status, _json_bytes({"detail": err.detail}), err.kind, 0
    return 200, _json_bytes(reply), None, len(items)


def _count(kind: str | None, rows: int) -> None:
    """Count an answer's error (by kind) or its rows, in this process's metrics."""
    if kind is not None:
        ERRORS.labels(kind=kind).inc()
    else:
        ROWS.inc(rows)


def answer_body(body: bytes) -> tuple[int, bytes]:
    """(status, JSON bytes) of a /predict body, answered in this process (``answer``) and counted."""
    status, content, kind, rows = answer(body)
    _count(kind, rows)
    return status, content


@app.post("/predict", openapi_extra=PREDICT_OPENAPI)
async def predict(request: Request) -> Response:
    """Predict for one row or a batch of rows."""
    try:
        body = await read_body(request)
    except RequestError as err:
        return error_response(err.status, err.kind, err.detail)
    loop, workers = asyncio.get_running_loop(), WORKERS
    try:
        status, content, kind, rows = await loop.run_in_executor(workers or POOL, answer, body)
    except BrokenProcessPool:
        _replace_workers(workers)
        return error_response(503, "worker_lost", "the process predicting this request stopped (out of memory?); "
                              "it has been replaced: send the request again")
    _count(kind, rows)
    return Response(content, status_code=status, media_type="application/json")


@app.get("/health")
async def health() -> dict[str, str]:
    """Liveness: the model is loaded (answered on the event loop, which predictions never hold: they run in
    the worker processes)."""
    return {"status": "ok", "model_version": MODEL_VERSION}


@app.get("/metrics")
def metrics() -> Response:
    """Prometheus metrics of this process."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def main() -> None:
    """Run the server with uvicorn (one serving process and its prediction workers: scale with replicas)."""
    import uvicorn

    parser = argparse.ArgumentParser(description="Serve the model in this folder.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--access-log", action="store_true", help="log every request (slower)")
    args = parser.parse_args()
    # Threads of this process that hold the GIL (the prediction threads with TRAINER_AGENT_PREDICT_PROCESSES=0,
    # the worker pool's queue threads otherwise): a shorter switch interval (5 ms by default) lets the event
    # loop take it back sooner, so /health and new requests wait less.
    sys.setswitchinterval(0.001)
    global STANDALONE
    STANDALONE = True  # this process is the server: its predictions go to the worker processes
    uvicorn.run(app, host=args.host, port=args.port, access_log=args.access_log, log_level="info")


if __name__ == "__main__":
    main()
