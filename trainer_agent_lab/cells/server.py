"""Cells the Server agent writes for tabular scikit-learn pipelines: export, parity, serving app, capacity, bundle.

Each function returns the source of one code cell. The cells rely on the kernel-namespace contract in
:mod:`trainer_agent_lab.cells` (``model``, ``X_train``, ``X_test``, ``y_test``, ``TASK``, ``CLASSES``,
``POS_LABEL``, ``THRESHOLD``, ``NUMERIC_FEATURES``, ``CATEGORICAL_FEATURES``, ``TARGET``, ``REQUIREMENTS``,
``_report``; ``METRICS``, ``N_PARAMETERS``, ``PARAMS``, ``DATA_REF`` and the Task agent's ``CONSTRAINT_ROWS``
where present) and add to it, in this order:

===========================  ===================================================================
cell                         defines
===========================  ===================================================================
:func:`export_onnx_cell`     ``BUNDLE_DIR``, ``ONNX_PATH``, ``INT8_PATH`` (``None`` unless quantised),
                             ``QUANTISE_REASONS``, ``ONNX_INPUT_NAMES`` (raw column -> ONNX input name),
                             ``MISSING_CATEGORY`` (what a missing text value is sent as),
                             ``onnx_session(path)``, ``to_onnx_feed(frame)``,
                             ``single_row_ms(path, frame, calls)``
:func:`parity_cell`          ``onnx_predict(session, frame)``, ``model_predict(frame)``,
                             ``labels_from_proba(proba)``, ``PARITY``, ``parity_int8``, ``int8_metrics``
:func:`serving_app_cell`     ``SERVING_MODEL_PATH``, ``request_rows(frame)``; writes ``serve.py``,
                             ``feature_schema.json``, ``label_map.json``, ``sample_request.json``,
                             ``sample_response.json`` (all that ``serve.py`` needs to start)
:func:`capacity_cell`        ``CAPACITY`` (and ``capacity.json``): measured in this kernel and on the real
                             app, started from ``bundle/`` on a free 127.0.0.1 port
:func:`bundle_cell`          ``BUNDLE_ZIP``; writes ``openapi.json``, ``API.md``, ``model_card.md``,
                             ``Dockerfile``, ``requirements.txt``, ``test_bundle.py``
===========================  ===================================================================

Quantisation (dynamic int8, onnxruntime) happens when the request asks for it, or when the float model misses
a ``p50_ms``/``p99_ms`` target in ``REQUIREMENTS["constraints"]`` or its serving process does not fit
``REQUIREMENTS["container_memory_mb"]``; the parity cell then scores both models on the test split.

A missing value in a text column is sent to ONNX as ``MISSING_CATEGORY``: ``"missing"``, the category the
Data agent fills missing text with before training; or ``""`` when the pipeline imputes text itself, in
which case the export cell converts a copy of ``model`` whose string imputers look for ``""`` (skl2onnx
cannot convert a string imputer that looks for NaN). ``feature_schema.json`` records it for ``serve.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

from trainer_agent_lab.bundle import serve_app_source, template
from trainer_agent_lab.cells.base import code_cell

__all__ = ["bundle_cell", "capacity_cell", "export_onnx_cell", "parity_cell", "serving_app_cell"]


class _RawText(str):
    """A string rendered as a raw triple-quoted literal, so a whole file reads naturally in a cell."""

    def __repr__(self) -> str:
        text = str(self)
        if "'''" in text or text.endswith("\\"):
            return repr(text)
        return "r'''" + text + "'''"


_EXPORT_BODY = '''
import copy
import json
import operator
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import skl2onnx
from onnxruntime.quantization import QuantType, quantize_dynamic
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.base import is_classifier
from sklearn.impute import SimpleImputer

BUNDLE_DIR = Path("bundle")
BUNDLE_DIR.mkdir(parents=True, exist_ok=True)
ONNX_PATH = BUNDLE_DIR / "model.onnx"
INT8_PATH = None
(BUNDLE_DIR / "model.int8.onnx").unlink(missing_ok=True)  # a re-run decides afresh


def fitted_parts(estimator):
    """The estimator and every fitted step inside it (pipelines, column transformers)."""
    yield estimator
    for _, part in getattr(estimator, "steps", []):
        yield from fitted_parts(part)
    for _, part, _columns in getattr(estimator, "transformers_", []):
        if hasattr(part, "fit"):
            yield from fitted_parts(part)


# What a missing text value is sent as. The Data agent fills missing text with "missing" before training,
# so the model knows it as a category. A pipeline that imputes text itself (a SimpleImputer looking for NaN)
# cannot be converted as it is: convert a copy whose string imputers look for "" and send "" instead.
MISSING_CATEGORY = "missing"
model_for_onnx = copy.deepcopy(model)
for part in fitted_parts(model_for_onnx):
    if isinstance(part, SimpleImputer) and part.statistics_.dtype == object:
        if not isinstance(part.missing_values, str):
            part.missing_values = MISSING_CATEGORY = ""

# One ONNX input per raw column, shape [rows, 1], so the bundle takes raw values.
initial_types = [(col, FloatTensorType([None, 1])) for col in NUMERIC_FEATURES]
initial_types += [(col, StringTensorType([None, 1])) for col in CATEGORICAL_FEATURES]
final_step = model_for_onnx.steps[-1][1]
options = {id(final_step): {"zipmap": False}} if is_classifier(final_step) else None

# The newest opset that skl2onnx has tested, that onnx knows and that this onnxruntime loads.
onnx_model, last_error = None, None
newest = min(skl2onnx.get_latest_tested_opset_version(), onnx.defs.onnx_opset_version())
for opset in range(newest, 14, -1):
    try:
        candidate = convert_sklearn(
            model_for_onnx, initial_types=initial_types, options=options, target_opset=opset
        )
        ort.InferenceSession(candidate.SerializeToString(), providers=["CPUExecutionProvider"])
    except Exception as err:  # try the next opset; the last error is raised below
        last_error = err
        continue
    onnx_model = candidate
    break
if onnx_model is None:
    known_limits = {  # skl2onnx 1.20 messages -> what to do
        "got a boolean": "skl2onnx's tree converters need protobuf < 7: pip install 'protobuf<7'",
        "Infrequent categories are not implemented": "skl2onnx groups rare categories (max_categories, "
        "min_frequency) only when two or more text columns share the encoder: retrain without grouping",
    }
    message = repr(last_error) + repr(last_error.__cause__)
    hints = [hint for text, hint in known_limits.items() if text in message]
    raise RuntimeError(f"could not convert the model to ONNX at opsets {newest}..15"
                       + "".join(f"; {hint}" for hint in hints)) from last_error
# skl2onnx turns column names into identifiers ("mean radius" -> "mean_radius"); inputs keep their order.
ONNX_INPUT_NAMES = dict(zip([name for name, _ in initial_types], [i.name for i in onnx_model.graph.input]))
onnx.helper.set_model_props(onnx_model, {"task": TASK, "target": str(TARGET)})
onnx.save(onnx_model, ONNX_PATH)
onnx_bytes = ONNX_PATH.stat().st_size
print(f"{ONNX_PATH}: {onnx_bytes / 1024:.1f} KiB, opset {opset}, "
      f"{len(initial_types)} inputs, outputs {[o.name for o in onnx_model.graph.output]}")


def onnx_session(path):
    """An onnxruntime session on the CPU, set up as serve.py sets it up: one thread per request."""
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = 1, 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def to_onnx_feed(frame):
    """The ONNX inputs for the raw columns of a DataFrame: one [rows, 1] array per column."""
    feed = {}
    for col in NUMERIC_FEATURES:
        feed[ONNX_INPUT_NAMES[col]] = frame[col].to_numpy(dtype=np.float32, na_value=np.nan).reshape(-1, 1)
    for col in CATEGORICAL_FEATURES:
        values = frame[col].astype(object).where(frame[col].notna(), MISSING_CATEGORY)
        feed[ONNX_INPUT_NAMES[col]] = values.astype(str).to_numpy(dtype=object).reshape(-1, 1)
    return feed


def single_row_ms(path, frame, calls, warmup=50):
    """Milliseconds of ``calls`` single-row predictions (after ``warmup``), cycling over rows of ``frame``."""
    session = onnx_session(path)
    feeds = [to_onnx_feed(frame.iloc[[i]]) for i in range(min(len(frame), 200))]
    for i in range(warmup):
        session.run(None, feeds[i % len(feeds)])
    times = np.empty(calls)
    for i in range(calls):
        start = time.perf_counter()
        session.run(None, feeds[i % len(feeds)])
        times[i] = (time.perf_counter() - start) * 1000
    return times


# Peak memory (MB) of a fresh process that imports what serve.py imports, loads a model and predicts.
MEMORY_PROBE = """
import json, sys
import numpy as np, onnxruntime as ort
import fastapi, prometheus_client, uvicorn
columns = json.load(sys.stdin)
options = ort.SessionOptions()
options.intra_op_num_threads = 1
session = ort.InferenceSession(sys.argv[1], options, providers=["CPUExecutionProvider"])
feed = {}
for inp in session.get_inputs():
    values = columns[inp.name]
    if inp.type == "tensor(string)":
        feed[inp.name] = np.array(values, dtype=object).reshape(-1, 1)
    else:
        feed[inp.name] = np.array([np.nan if v is None else v for v in values], dtype=np.float32).reshape(-1, 1)
rows = len(next(iter(feed.values())))
for i in range(100):
    session.run(None, {name: array[i % rows : i % rows + 1] for name, array in feed.items()})
session.run(None, feed)
try:  # Linux: this process's own high-water mark (ru_maxrss would carry over the parent's through fork)
    with open("/proc/self/status") as status:
        print(int(next(line.split()[1] for line in status if line.startswith("VmHWM:"))) / 1024)
except OSError:
    import psutil
    print(psutil.Process().memory_info().rss / 2**20)
"""


def serving_memory_mb(path):
    """Peak resident memory of a process that serves ``path`` (measured by MEMORY_PROBE)."""
    columns = {}
    for name, array in to_onnx_feed(X_test.head(200)).items():
        values = array.ravel().tolist()
        columns[name] = values if array.dtype == object else [None if v != v else v for v in values]
    child = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(path)], input=json.dumps(columns),
                           capture_output=True, text=True, timeout=300)
    if child.returncode != 0:
        raise RuntimeError(f"the memory probe failed:\\n{child.stderr[-2000:]}")
    return round(float(child.stdout.split()[-1]), 1)


# Quantise when asked, or when the float model misses a latency or container-memory target.
ops = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
QUANTISE_REASONS = ["the request asks for int8"] if REQUIREMENTS.get("quantize_int8") else []
float_checks = {}
latency_targets = [c for c in REQUIREMENTS.get("constraints", []) if c["name"] in ("p50_ms", "p99_ms")]
if latency_targets:
    float_ms = single_row_ms(ONNX_PATH, X_test, 300)
    for c in latency_targets:
        measured = float(np.percentile(float_ms, 50 if c["name"] == "p50_ms" else 99))
        float_checks[c["name"]] = round(measured, 4)
        if not ops[c["op"]](measured, c["value"]):
            QUANTISE_REASONS.append(f"the float model's single-row {c['name'][:3]} is {measured:.3f} ms, "
                                    f"over the target {c['op']} {c['value']:g} ms")
container_mb = REQUIREMENTS.get("container_memory_mb")
if container_mb:
    float_checks["replica_memory_mb"] = serving_memory_mb(ONNX_PATH)
    if float_checks["replica_memory_mb"] > container_mb:
        QUANTISE_REASONS.append(f"a process serving the float model peaks at "
                                f"{float_checks['replica_memory_mb']:.0f} MB, over the {container_mb:g} MB "
                                "container")
if float_checks:
    print("float model, measured here:", float_checks)

int8_bytes, int8_quantised = None, None
if QUANTISE_REASONS:
    INT8_PATH = BUNDLE_DIR / "model.int8.onnx"
    quantize_dynamic(ONNX_PATH, INT8_PATH, weight_type=QuantType.QInt8)
    int8_ops = {node.op_type for node in onnx.load(INT8_PATH).graph.node}
    int8_quantised = bool(int8_ops & {"DynamicQuantizeLinear", "MatMulInteger", "DynamicQuantizeMatMul",
                                      "QLinearMatMul", "ConvInteger", "DequantizeLinear"})
    int8_bytes = INT8_PATH.stat().st_size
    print("Quantised to int8 because " + "; ".join(QUANTISE_REASONS) + ".")
    if int8_quantised:
        print(f"{INT8_PATH}: {int8_bytes / 1024:.1f} KiB, weights of MatMul/Gemm stored as int8")
    else:
        print(f"{INT8_PATH}: {int8_bytes / 1024:.1f} KiB; this model has no MatMul/Gemm weights to quantise "
              "(trees, linear or distance operators), so the int8 file is identical in behaviour")

_report(onnx_path=str(ONNX_PATH), onnx_bytes=onnx_bytes, int8_path=str(INT8_PATH) if INT8_PATH else None,
        int8_bytes=int8_bytes, int8_quantised=int8_quantised, opset=opset, quantise_reasons=QUANTISE_REASONS,
        float_checks=float_checks)
'''


def export_onnx_cell() -> str:
    """Convert ``model`` to ``bundle/model.onnx`` (one input per raw column), and to int8 where needed."""
    return code_cell("Convert the trained pipeline, preprocessing included, to ONNX so it can be served without "
                     "Python pickles; quantise to int8 when asked or when the float model misses a target",
                     _EXPORT_BODY)


_PARITY_BODY = '''
import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, r2_score

PROBA_CODES = np.asarray(model.classes_) if TASK == "classification" else None


def labels_from_proba(proba):
    """Class codes from probabilities: the threshold on POS_LABEL for binary tasks, else the argmax."""
    proba = np.asarray(proba, dtype=np.float64)
    if THRESHOLD is not None and POS_LABEL is not None and proba.shape[1] == 2:
        pos = int(np.flatnonzero(PROBA_CODES == POS_LABEL)[0])
        return np.where(proba[:, pos] >= THRESHOLD, PROBA_CODES[pos], PROBA_CODES[1 - pos])
    return PROBA_CODES[proba.argmax(axis=1)]


def onnx_predict(session, frame):
    """(class codes or values, probabilities or None) from an ONNX session."""
    outputs = dict(zip([o.name for o in session.get_outputs()], session.run(None, to_onnx_feed(frame))))
    if TASK == "classification":
        proba = np.asarray(outputs.get("probabilities", list(outputs.values())[-1]), dtype=np.float64)
        return labels_from_proba(proba), proba
    return np.asarray(list(outputs.values())[0], dtype=np.float64).ravel(), None


def model_predict(frame):
    """(class codes or values, probabilities or None) from the trained scikit-learn pipeline."""
    if TASK == "classification":
        proba = model.predict_proba(frame)
        return labels_from_proba(proba), proba
    return np.asarray(model.predict(frame), dtype=np.float64).ravel(), None


def parity_with_model(path):
    """How closely the ONNX file at ``path`` reproduces ``model`` on X_test."""
    got, got_proba = onnx_predict(onnx_session(path), X_test)
    result = {"rows": int(len(X_test))}
    if TASK == "classification":
        result["label_agreement"] = float(np.mean(got == ref))
        result["max_prob_diff"] = float(np.max(np.abs(got_proba - ref_proba)))
    else:
        diff = np.abs(got - ref)
        # within 1e-4 relative to the value, or 1e-4 absolute for values smaller than 1
        result["label_agreement"] = float(np.mean(diff <= 1e-4 * np.maximum(np.abs(ref), 1.0)))
        result["max_abs_diff"] = float(diff.max())
        result["max_rel_diff"] = float(np.max(diff / np.maximum(np.abs(ref), 1e-6)))
    return result, got


def score_on_test(predictions):
    """The test metric the Model agent reported: accuracy for classification, r2 for regression."""
    if TASK == "classification":
        return {"accuracy": float(accuracy_score(y_test, predictions))}
    return {"r2": float(r2_score(y_test, predictions))}


ref, ref_proba = model_predict(X_test)
PARITY, onnx_pred = parity_with_model(ONNX_PATH)
parity_int8, int8_metrics = None, None
parity_table = {"model.onnx": {**PARITY, **score_on_test(onnx_pred)}}
if INT8_PATH is not None and INT8_PATH.exists():
    parity_int8, int8_pred = parity_with_model(INT8_PATH)
    int8_metrics = score_on_test(int8_pred)
    parity_table["model.int8.onnx"] = {**parity_int8, **int8_metrics}
parity_table["scikit-learn model"] = score_on_test(ref)
print(pd.DataFrame(parity_table).T.to_string(float_format=lambda v: f"{v:.6g}"))
if PARITY["label_agreement"] < 0.999:
    print("ONNX disagrees with the model on some test rows. A common cause: trees behind a StandardScaler "
          "(scikit-learn scales in float64, ONNX in float32, so values lying on a split move sides); trees "
          "need no scaling, so train them without it.")
_report(parity=PARITY, parity_int8=parity_int8, onnx_metrics=score_on_test(onnx_pred),
        int8_metrics=int8_metrics)
'''


def parity_cell() -> str:
    """Check that ``bundle/model.onnx`` (and the int8 file) predict what ``model`` predicts on X_test."""
    return code_cell("Check the ONNX model (and the int8 one) gives the trained pipeline's predictions on the "
                     "test set, and score both", _PARITY_BODY)


_SERVING_BODY = '''
import json

import numpy as np
import pandas as pd


def json_value(value):
    """A JSON-ready Python value: missing values (NaN, None, pd.NA) as None, numpy scalars unwrapped."""
    if not isinstance(value, str) and pd.isna(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


def write_json(name, payload):
    (BUNDLE_DIR / name).write_text(json.dumps(payload, indent=2) + "\\n")


def request_rows(frame):
    """The rows of a DataFrame as POST /predict takes them: numbers or null, strings or null."""
    columns = list(NUMERIC_FEATURES) + list(CATEGORICAL_FEATURES)
    return [{col: json_value(v) for col, v in row.items()} for row in frame[columns].to_dict("records")]


# Serve the int8 model when it was asked for, or when it was made to meet a target and kept its answers.
SERVING_MODEL_PATH = ONNX_PATH
if INT8_PATH is not None:
    if REQUIREMENTS.get("quantize_int8") or parity_int8["label_agreement"] >= 0.99:
        SERVING_MODEL_PATH = INT8_PATH
    else:
        print(f"The int8 model agrees with the trained one on {parity_int8['label_agreement']:.1%} of the test "
              "rows only, so the bundle serves the float model.")

(BUNDLE_DIR / "serve.py").write_text(SERVE_PY)
inputs = [{"name": col, "onnx_name": ONNX_INPUT_NAMES[col], "dtype": "float",
           "min": json_value(X_train[col].min()), "max": json_value(X_train[col].max()),
           "mean": json_value(X_train[col].mean())} for col in NUMERIC_FEATURES]
inputs += [{"name": col, "onnx_name": ONNX_INPUT_NAMES[col], "dtype": "string", "missing": MISSING_CATEGORY,
            "categories": sorted(str(v) for v in X_train[col].dropna().unique())[:100]}
           for col in CATEGORICAL_FEATURES]
write_json("feature_schema.json", {"kind": "tabular", "inputs": inputs, "task": TASK, "target": str(TARGET),
                                   "model_file": SERVING_MODEL_PATH.name})
if TASK == "classification":
    write_json("label_map.json", {"classes": [str(c) for c in CLASSES],
                                  "pos_label": None if POS_LABEL is None else int(POS_LABEL),
                                  "threshold": None if THRESHOLD is None else float(THRESHOLD),
                                  "proba_codes": [int(c) for c in model.classes_]})
else:
    write_json("label_map.json", {"classes": None})

# A sample request and what the trained model answers to it (the bundle's test sends one, expects the other).
sample = X_test.head(3)
write_json("sample_request.json", {"rows": request_rows(sample)})
codes, proba = model_predict(sample)
if TASK == "classification":
    sample_response = {"predictions": [str(CLASSES[int(c)]) for c in codes],
                       "probabilities": np.asarray(proba, dtype=float).tolist()}
else:
    sample_response = {"predictions": [float(v) for v in codes]}
write_json("sample_response.json", sample_response)
serving_files = ["serve.py", "feature_schema.json", "label_map.json", SERVING_MODEL_PATH.name,
                 "sample_request.json", "sample_response.json"]
print(f"{BUNDLE_DIR}/ can serve now: {', '.join(serving_files)}")
print(f"serving {SERVING_MODEL_PATH.name}; try it: cd {BUNDLE_DIR} && python serve.py --port 8000")
_report(serving_model=SERVING_MODEL_PATH.name, files=serving_files, sample_predictions=sample_response["predictions"])
'''


def serving_app_cell() -> str:
    """Write what ``serve.py`` needs to start: the app, the feature schema, the label map, and samples."""
    return code_cell("Write the serving app and the files it reads (feature schema, label map), so the next "
                     "cell can measure the real app", _SERVING_BODY, SERVE_PY=_RawText(serve_app_source()))


_CAPACITY_BODY = '''
import http.client
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import plotly.graph_objects as go
import psutil
from plotly.subplots import make_subplots

WARMUP_CALLS, TIMED_CALLS, BATCH_ROWS = 50, 1000, 256

# 1. The model alone in this process, one thread as serve.py runs it: single-row latency, batch throughput.
single_ms = single_row_ms(SERVING_MODEL_PATH, X_test, TIMED_CALLS, WARMUP_CALLS)
p50_ms, p99_ms, mean_ms = (float(v) for v in (*np.percentile(single_ms, [50, 99]), single_ms.mean()))
session = onnx_session(SERVING_MODEL_PATH)
batch_feed = to_onnx_feed(X_test.iloc[np.arange(BATCH_ROWS) % len(X_test)])
session.run(None, batch_feed)
batches, start = 0, time.perf_counter()
while batches < 5 or (time.perf_counter() - start < 0.5 and batches < 200):
    session.run(None, batch_feed)
    batches += 1
batch_rows_per_s = batches * BATCH_ROWS / (time.perf_counter() - start)

# 2. The real app: serve.py from the bundle in its own process on a free loopback port.
BODIES = [json.dumps({"row": row}).encode() for row in request_rows(X_test.head(200))]
HEADERS = {"Content-Type": "application/json"}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post(conn, body):
    """Send one prediction request on a kept-alive connection; the status, or 0 if the connection failed."""
    try:
        conn.request("POST", "/predict", body, HEADERS)
        reply = conn.getresponse()
        reply.read()
        return reply.status
    except (OSError, http.client.HTTPException):
        conn.close()  # reconnects on the next request
        return 0


def closed_loop(total, workers, time_limit_s):
    """``total`` requests from ``workers`` threads, each sending its next request when the last returns."""
    latency, status = np.full(total, np.nan), np.zeros(total, dtype=int)
    deadline = time.perf_counter() + time_limit_s

    def worker(w):
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
        for i in range(w, total, workers):
            if time.perf_counter() > deadline:
                break
            sent = time.perf_counter()
            status[i] = post(conn, BODIES[i % len(BODIES)])
            latency[i] = (time.perf_counter() - sent) * 1000
        conn.close()

    began = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(worker, range(workers)))
    elapsed = time.perf_counter() - began
    done = ~np.isnan(latency)
    return latency[done], status[done], elapsed


def paced(qps, seconds, workers):
    """Requests at a steady ``qps`` for ``seconds``; latency counts from when each was due, so a server that
    falls behind shows it (no coordinated omission)."""
    total, interval = max(20, int(qps * seconds)), 1.0 / qps
    latency, status = np.full(total, np.nan), np.zeros(total, dtype=int)
    began = time.perf_counter() + 0.05
    deadline = began + 3 * seconds + 1

    def worker(w):
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
        for i in range(w, total, workers):
            due = began + i * interval
            now = time.perf_counter()
            if now > deadline:
                break
            if due > now:
                time.sleep(due - now)
            status[i] = post(conn, BODIES[i % len(BODIES)])
            latency[i] = (time.perf_counter() - due) * 1000
        conn.close()

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(worker, range(workers)))
    done = ~np.isnan(latency)
    return latency[done], status[done], done.sum() / (time.perf_counter() - began)


PORT = free_port()
env = {k: v for k, v in os.environ.items() if k not in ("TRAINER_AGENT_API_KEY", "TRAINER_AGENT_MODEL_FILE")}
env["TRAINER_AGENT_ORT_THREADS"] = "1"
server_log = tempfile.TemporaryFile()
server = subprocess.Popen([sys.executable, "serve.py", "--host", "127.0.0.1", "--port", str(PORT)],
                          cwd=BUNDLE_DIR, env=env, stdout=server_log, stderr=subprocess.STDOUT)
try:
    started = time.perf_counter()
    while True:  # bounded wait for /health
        if server.poll() is not None or time.perf_counter() - started > 60:
            server_log.seek(0)
            raise RuntimeError(f"serve.py did not start:\\n{server_log.read().decode(errors='replace')[-3000:]}")
        try:
            probe = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            probe.request("GET", "/health")
            if probe.getresponse().status == 200:
                break
        except OSError:
            pass
        finally:
            probe.close()
        time.sleep(0.05)
    startup_s = time.perf_counter() - started

    # Sample the server's resident memory while it works; VmHWM (Linux) catches peaks between samples.
    server_process, rss_peak, sampling = psutil.Process(server.pid), [0], threading.Event()

    def sample_memory():
        while not sampling.is_set():
            try:
                rss_peak[0] = max(rss_peak[0], server_process.memory_info().rss)
            except psutil.Error:
                return
            sampling.wait(0.02)

    sampler = threading.Thread(target=sample_memory, daemon=True)
    sampler.start()
    closed_loop(min(200, LOAD_REQUESTS), CONCURRENCY, 10)  # warm-up
    load_ms, load_status, load_s = closed_loop(LOAD_REQUESTS, CONCURRENCY, 15)
    load_ok = int((load_status == 200).sum())
    qps_per_replica = round(load_ok / load_s, 1)
    http_p50_ms, http_p99_ms = (float(v) for v in np.percentile(load_ms, [50, 99]))

    # 3. Verify the estimate: a steady load at the planned per-replica QPS must hold the p99 target (the
    # request's, else the full-load run's own p99). If it does not, plan each replica lighter and re-check.
    asked = [c["value"] for c in REQUIREMENTS.get("constraints", []) if c["name"] == "p99_ms"]
    p99_target_ms = float(min(asked)) if asked else round(http_p99_ms, 3)
    verify_runs = []
    for HEADROOM in HEADROOM_STEPS:
        planned_qps = max(qps_per_replica * HEADROOM, 1.0)
        v_ms, v_status, v_qps = paced(planned_qps, VERIFY_SECONDS, CONCURRENCY)
        verify_runs.append({"headroom": HEADROOM, "planned_qps": round(planned_qps, 1), "verified_qps":
                            round(float(v_qps), 1), "p50_ms": round(float(np.percentile(v_ms, 50)), 3),
                            "p99_ms": round(float(np.percentile(v_ms, 99)), 3),
                            "errors": int((v_status != 200).sum()), "requests": int(len(v_ms))})
        if verify_runs[-1]["p99_ms"] <= p99_target_ms and verify_runs[-1]["errors"] == 0:
            break
    verified = verify_runs[-1]
    verified_holds = verified["p99_ms"] <= p99_target_ms and verified["errors"] == 0
    sampling.set()
    sampler.join()
    replica_memory_mb = rss_peak[0] / 2**20
    try:
        with open(f"/proc/{server.pid}/status") as status_file:
            hwm_kib = next(int(line.split()[1]) for line in status_file if line.startswith("VmHWM:"))
        replica_memory_mb = max(replica_memory_mb, hwm_kib / 1024)
    except (OSError, StopIteration):
        pass
    replica_memory_mb = round(replica_memory_mb, 1)
finally:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)
    server_log.close()

# 4. Size the deployment from what was measured.
target_qps = REQUIREMENTS.get("qps")
planned_qps = qps_per_replica * HEADROOM
replicas_for_target = math.ceil(target_qps / planned_qps) if target_qps and planned_qps > 0 else None
container_memory_mb = REQUIREMENTS.get("container_memory_mb")
fits_container = None if container_memory_mb is None else replica_memory_mb <= container_memory_mb
advice = [f"One replica (one serve.py process) answered {qps_per_replica:g} requests/s over HTTP "
          f"({LOAD_REQUESTS} requests, {CONCURRENCY} at a time); planned at {HEADROOM:.0%} of that "
          f"({planned_qps:.0f}/s) its p99 was {verified['p99_ms']:.1f} ms, "
          + ("within" if verified_holds else "OVER") + f" the {p99_target_ms:g} ms target."]
if replicas_for_target:
    advice.append(f"Run {replicas_for_target} replica(s) for {target_qps:g} QPS.")
if fits_container is False:
    fixes = [f"give each container at least {math.ceil(replica_memory_mb * 1.25)} MB"]
    if INT8_PATH is None or SERVING_MODEL_PATH != INT8_PATH:
        fixes.append("serve the int8 model (ask for int8 quantisation)")
    fixes.append("train a smaller model (fewer or shallower trees, a smaller network)")
    advice.append(f"It does NOT fit: one replica peaks at {replica_memory_mb:.0f} MB, over the "
                  f"{container_memory_mb:g} MB container; " + ", or ".join(fixes) + ".")
elif fits_container:
    advice.append(f"Each replica peaks at {replica_memory_mb:.0f} MB, within its {container_memory_mb:g} MB "
                  "container.")
else:
    advice.append(f"Each replica peaks at {replica_memory_mb:.0f} MB: give its container at least "
                  f"{math.ceil(replica_memory_mb * 1.25)} MB.")
if not verified_holds:
    advice.append("Even the lightest planned load missed the p99 target here: serve a faster model, or "
                  "measure on the deployment hardware.")
capacity_advice = " ".join(advice)

CAPACITY = {
    "p50_ms": round(p50_ms, 4), "p99_ms": round(p99_ms, 4), "mean_ms": round(mean_ms, 4),
    "batch_rows_per_s": round(batch_rows_per_s, 1), "http_p50_ms": round(http_p50_ms, 3),
    "http_p99_ms": round(http_p99_ms, 3), "qps_per_replica": qps_per_replica, "headroom": HEADROOM,
    "target_qps": target_qps, "replicas_for_target": replicas_for_target, "replica_memory_mb": replica_memory_mb,
    "container_memory_mb": container_memory_mb, "fits_container": fits_container,
    "verified_qps": verified["verified_qps"], "verified_p99_ms": verified["p99_ms"],
    "verified_p99_target_ms": p99_target_ms, "verified_holds": verified_holds,
    "load_errors": int(len(load_status) - load_ok), "serving_model": SERVING_MODEL_PATH.name,
    "capacity_advice": capacity_advice,
}
(BUNDLE_DIR / "capacity.json").write_text(json.dumps({
    **CAPACITY, "verify_runs": verify_runs, "server_startup_s": round(startup_s, 2),
    "load_requests": LOAD_REQUESTS, "concurrency": CONCURRENCY, "timed_calls": TIMED_CALLS,
    "batch_rows": BATCH_ROWS, "cpu_count": os.cpu_count(),
    "method": "p50_ms/p99_ms/mean_ms: single-row onnxruntime calls (one thread) in the notebook's kernel after "
              f"{WARMUP_CALLS} warm-up calls. http_*: serve.py started from this folder on 127.0.0.1, "
              f"{LOAD_REQUESTS} single-row POST /predict requests from {CONCURRENCY} keep-alive connections "
              "(client on the same machine, so it takes CPU from the server); qps_per_replica = successful "
              "requests / seconds. Verification: a steady load at qps_per_replica x headroom for "
              f"{VERIFY_SECONDS} s, latency counted from each request's due time. replicas_for_target = "
              "ceil(target_qps / (qps_per_replica x headroom)). replica_memory_mb: the server's peak RSS "
              "(psutil samples and VmHWM) over start-up and both runs.",
}, indent=2) + "\\n")

for key, value in CAPACITY.items():
    if key != "capacity_advice":
        print(f"{key:>24}: {value}")
for run in verify_runs:
    print(f"verification at {run['headroom']:.0%} of qps_per_replica ({run['verified_qps']:g} requests/s for "
          f"{VERIFY_SECONDS:g} s): p50 {run['p50_ms']:g} ms, p99 {run['p99_ms']:g} ms, {run['errors']} errors")
print(capacity_advice)
fig = make_subplots(rows=1, cols=2, subplot_titles=(
    f"model alone: {TIMED_CALLS} single-row calls", f"HTTP: {LOAD_REQUESTS} requests, {CONCURRENCY} at a time"))
fig.add_trace(go.Histogram(x=single_ms, nbinsx=60, name="onnxruntime"), row=1, col=1)
fig.add_trace(go.Histogram(x=load_ms, nbinsx=60, name="full load", opacity=0.6), row=1, col=2)
fig.add_trace(go.Histogram(x=v_ms, nbinsx=60, name=f"at {HEADROOM:.0%} load", opacity=0.6), row=1, col=2)
for col, (p50, p99) in ((1, (p50_ms, p99_ms)), (2, (http_p50_ms, http_p99_ms))):
    for label, value in (("p50", p50), ("p99", p99)):
        fig.add_vline(x=value, line_dash="dash", annotation_text=label, row=1, col=col)
fig.update_layout(title=f"Latency of {SERVING_MODEL_PATH.name}", barmode="overlay", height=360)
fig.update_xaxes(title_text="ms")
fig.show()
_report(capacity=CAPACITY, capacity_advice=capacity_advice, serving_model=SERVING_MODEL_PATH.name,
        verify_runs=verify_runs)
'''


def capacity_cell(load_requests: int = 2000, concurrency: int = 8, verify_seconds: float = 2.5,
                  headroom_steps: Sequence[float] = (0.7, 0.5, 0.35)) -> str:
    """Measure latency, throughput and memory of the real serving app; size and verify the deployment."""
    return code_cell("Measure one serving replica (the model alone, then the real app under a bounded load test "
                     "on 127.0.0.1), size the deployment, and check the estimate holds",
                     _CAPACITY_BODY, LOAD_REQUESTS=load_requests, CONCURRENCY=concurrency,
                     VERIFY_SECONDS=verify_seconds, HEADROOM_STEPS=tuple(headroom_steps))


_BUNDLE_BODY = '''
import hashlib
import json
import math
import os
import platform
import shutil
import string
import sys
import types
from importlib import metadata

import numpy as np
from fastapi.testclient import TestClient

ns = globals()


def md_table(header, rows):
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\\n".join(lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows])


def figure(value, unit=""):
    """A measured value for a document: 4 significant digits, thousands separated, or n/a."""
    if value is None:
        return "n/a"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        text = str(value)
    elif isinstance(value, int) or abs(value) >= 1000:
        text = f"{value:,.0f}"
    else:
        text = f"{value:.4g}"
    return f"{text} {unit}".strip()


def pinned(dist):
    """``name==version`` for an installed distribution, else just the name."""
    try:
        return f"{dist}=={metadata.version(dist)}"
    except metadata.PackageNotFoundError:
        return dist


# The app as serve.py defines it, loaded without writing bytecode into the bundle: its OpenAPI description,
# and a last check that it answers the sample request as the trained model does.
serve_module = types.ModuleType("bundle_serve")
serve_module.__file__ = str((BUNDLE_DIR / "serve.py").resolve())
sys.modules["bundle_serve"] = serve_module
try:
    exec(compile((BUNDLE_DIR / "serve.py").read_text(), serve_module.__file__, "exec"), serve_module.__dict__)
    openapi = serve_module.app.openapi()
    sample_request = json.loads((BUNDLE_DIR / "sample_request.json").read_text())
    sample_response = json.loads((BUNDLE_DIR / "sample_response.json").read_text())
    key = {"X-API-Key": os.environ["TRAINER_AGENT_API_KEY"]} if os.environ.get("TRAINER_AGENT_API_KEY") else {}
    with TestClient(serve_module.app) as client:
        answer = client.post("/predict", json=sample_request, headers=key)
finally:
    del sys.modules["bundle_serve"]
answer.raise_for_status()
if TASK == "classification":
    bundle_check = answer.json()["predictions"] == sample_response["predictions"]
else:
    bundle_check = bool(np.allclose(answer.json()["predictions"], sample_response["predictions"], rtol=1e-4))
(BUNDLE_DIR / "openapi.json").write_text(json.dumps(openapi, indent=2) + "\\n")

# What serve.py needs, pinned to the versions the capacity cell measured; uvicorn's faster HTTP parser and
# event loop where they are installed (uvicorn picks them up by itself).
SERVING_PACKAGES = ["onnxruntime", "numpy", "fastapi", "starlette", "pydantic", "pydantic_core", "uvicorn", "h11",
                    "anyio", "prometheus_client"]
OPTIONAL_PACKAGES = {"httptools": "", "uvloop": '; sys_platform != "win32"'}
requirements = [pinned(d) for d in SERVING_PACKAGES]
requirements += [pinned(d) + marker for d, marker in OPTIONAL_PACKAGES.items() if "==" in pinned(d)]
(BUNDLE_DIR / "requirements.txt").write_text("\\n".join(requirements) + "\\n")
(BUNDLE_DIR / "test_bundle.py").write_text(TEST_BUNDLE_PY)

# The facts the documents state, all measured or defined by the cells above.
family = ns.get("PARAMS", {}).get("family") or type(model.steps[-1][1]).__name__
title = f"{family.replace('_', ' ')} {TASK} of {TARGET!r}"
image = "model-server"
capacity = json.loads((BUNDLE_DIR / "capacity.json").read_text())
model_version = hashlib.sha256(SERVING_MODEL_PATH.read_bytes()).hexdigest()[:12]
model_files = [ONNX_PATH.name] + ([INT8_PATH.name] if INT8_PATH is not None else [])
capacity_doc = "\\n".join([
    f"- model alone, single row: p50 {figure(capacity['p50_ms'], 'ms')}, p99 {figure(capacity['p99_ms'], 'ms')}; "
    f"batches of {capacity['batch_rows']}: {figure(capacity['batch_rows_per_s'])} rows/s",
    f"- over HTTP, {capacity['load_requests']} requests {capacity['concurrency']} at a time: "
    f"{figure(capacity['qps_per_replica'])} requests/s per replica, p50 {figure(capacity['http_p50_ms'], 'ms')}, "
    f"p99 {figure(capacity['http_p99_ms'], 'ms')}",
    f"- verified: a steady {figure(capacity['verified_qps'])} requests/s ({capacity['headroom']:.0%} of that) had "
    f"p99 {figure(capacity['verified_p99_ms'], 'ms')} (target {figure(capacity['verified_p99_target_ms'], 'ms')})",
    f"- peak memory of one replica: {figure(capacity['replica_memory_mb'], 'MB')}"
    + (f" (container: {figure(capacity['container_memory_mb'], 'MB')})" if capacity["container_memory_mb"] else ""),
    f"- replicas for {figure(capacity['target_qps'])} QPS: {capacity['replicas_for_target']}"
    if capacity["replicas_for_target"] else "- no target QPS was given",
    "", capacity["capacity_advice"]])

# API.md
request_rows_doc = []
for item in json.loads((BUNDLE_DIR / "feature_schema.json").read_text())["inputs"]:
    if item["dtype"] == "float":
        seen = f"{figure(item['min'])} .. {figure(item['max'])}" if item.get("min") is not None else ""
        request_rows_doc.append((f"`{item['name']}`", "number or null", seen))
    else:
        shown = ", ".join(f"`{c}`" for c in item["categories"][:8]) + (" ..." if len(item["categories"]) > 8 else "")
        request_rows_doc.append((f"`{item['name']}`", "string or null", shown))
request_doc = ("`POST /predict` with `Content-Type: application/json` and either one row, "
               "`{\\"row\\": {column: value, ...}}`, or a batch, `{\\"rows\\": [{...}, ...]}`. Every column below "
               "must be present; `null` means unknown (numbers are then imputed as in training, "
               + (f"strings become `{MISSING_CATEGORY}`" if MISSING_CATEGORY else "strings too") + "). "
               "Extra keys are ignored.\\n\\n"
               + md_table(("column", "type", "seen in training"), request_rows_doc)
               + "\\n\\nExample (`sample_request.json`):\\n\\n```json\\n"
               + json.dumps(sample_request, indent=2) + "\\n```")
if TASK == "classification":
    response_doc = ("`predictions`: one class name per row"
                    + (f" (`{CLASSES[POS_LABEL]}` when its probability is at least {THRESHOLD:.3g})"
                       if THRESHOLD is not None and POS_LABEL is not None else "")
                    + "; `probabilities`: one list per row, in the order of `classes`; `model_version`: the "
                    "first 12 hex digits of the model file's SHA-256.")
else:
    response_doc = (f"`predictions`: one number per row (the predicted `{TARGET}`); `model_version`: the first 12 "
                    "hex digits of the model file's SHA-256.")
response_doc += "\\n\\nThe answer to the sample request:\\n\\n```json\\n" + json.dumps(
    {**answer.json(), "model_version": model_version}, indent=2) + "\\n```"
api_md = string.Template(API_MD).substitute(
    title=title, image=image, max_rows=serve_module.MAX_ROWS, max_body_bytes=serve_module.MAX_BODY_BYTES,
    request_doc=request_doc, response_doc=response_doc, model_file=SERVING_MODEL_PATH.name,
    curl_single=json.dumps({"row": sample_request["rows"][0]}).replace("'", "'\\\\''"),
    sample_predictions=json.dumps(sample_response["predictions"]), capacity_doc=capacity_doc)
(BUNDLE_DIR / "API.md").write_text(api_md)

# model_card.md
request_text = REQUEST or "(no request text was recorded)"
model_rows = [("family", family), ("pipeline", " -> ".join(name for name, _ in model.steps)),
              ("parameters", figure(ns.get("N_PARAMETERS"))),
              ("ONNX model", f"`{ONNX_PATH.name}`, {ONNX_PATH.stat().st_size:,} bytes")]
if INT8_PATH is not None:
    model_rows.append(("int8 model", f"`{INT8_PATH.name}`, {INT8_PATH.stat().st_size:,} bytes; made because "
                       + "; ".join(QUANTISE_REASONS)))
model_rows += [("served", f"`{SERVING_MODEL_PATH.name}` (version `{model_version}`)"),
               ("inputs", f"{len(NUMERIC_FEATURES)} numeric, {len(CATEGORICAL_FEATURES)} text columns, raw values "
                "(preprocessing is inside the ONNX graph)")]
if THRESHOLD is not None and POS_LABEL is not None:
    model_rows.append(("decision threshold", f"{THRESHOLD:.3g} on `{CLASSES[POS_LABEL]}`"))
data_lines = [f"- source: `{ns.get('DATA_REF') or ', '.join(DATA_REFS) or 'not recorded'}`",
              f"- target: `{TARGET}` ({TASK})",
              f"- rows: {len(X_train):,} to train, {len(X_test):,} held out to test",
              f"- inputs: {', '.join(f'`{c}`' for c in (NUMERIC_FEATURES + CATEGORICAL_FEATURES)[:30])}"
              + (" ..." if len(NUMERIC_FEATURES) + len(CATEGORICAL_FEATURES) > 30 else "")]
if TASK == "classification":
    counts = np.bincount(np.asarray(y_train, dtype=int), minlength=len(CLASSES))
    data_lines.append("- classes (training rows): " + ", ".join(f"`{c}` {n:,}" for c, n in zip(CLASSES, counts)))
metric_rows = [(name, figure(value)) for name, value in ns.get("METRICS", {}).items()]
metrics_doc = md_table(("metric", "trained model"), metric_rows) if metric_rows else "(not recorded)"
parity_rows = [("`model.onnx`", f"{PARITY['label_agreement']:.2%}",
                figure(PARITY.get("max_prob_diff", PARITY.get("max_abs_diff"))))]
if ns.get("parity_int8"):
    parity_rows.append(("`model.int8.onnx`", f"{parity_int8['label_agreement']:.2%}",
                        figure(parity_int8.get("max_prob_diff", parity_int8.get("max_abs_diff")))))
metrics_doc += ("\\n\\nAgreement of the ONNX models with the trained one on the test rows:\\n\\n"
                + md_table(("file", "same prediction", "largest " + ("probability" if TASK == "classification"
                                                                    else "absolute") + " difference"), parity_rows))
if ns.get("int8_metrics"):
    metrics_doc += "\\n\\nScored on the test split, the int8 model: " + ", ".join(
        f"{k} {figure(v)}" for k, v in int8_metrics.items())
constraint_rows = [(row["name"], row["target"], figure(row["actual"]), "yes" if row["met"] else "**no**")
                   for row in ns.get("CONSTRAINT_ROWS", [])]
constraints_doc = (md_table(("requirement", "target", "measured", "met"), constraint_rows) if constraint_rows
                   else "The request set no measurable targets.")
limitations = [f"Trained on {len(X_train):,} rows from one source: it reflects that data, its collection and "
               "its labels, mistakes included; check it on data from where it will be used before relying on it."]
if NUMERIC_FEATURES:
    limitations.append("Numbers outside the training ranges (see API.md) are extrapolation: predictions there "
                       "are not backed by data.")
if CATEGORICAL_FEATURES:
    limitations.append("Text values not seen in training are ignored by the one-hot encoding: such a column "
                       "then adds nothing to the prediction.")
if PARITY["label_agreement"] < 1:
    limitations.append(f"The ONNX model computes in float32 and agrees with the trained model on "
                       f"{PARITY['label_agreement']:.2%} of the test rows.")
if INT8_PATH is not None and not int8_quantised:
    limitations.append("This model has no weights int8 can compress (trees, linear or distance operators): "
                       "the int8 file behaves like the float one.")
if TASK == "classification":
    limitations.append("Probabilities are the model's scores, not calibrated risks, unless checked on new data.")
limitations.append("Capacity figures were measured on the machine that trained the model "
                   f"({platform.machine()}, {os.cpu_count()} CPUs); re-measure on the deployment hardware.")
model_card = string.Template(MODEL_CARD_MD).substitute(
    title=title, intended_use=f"Built for this request:\\n\\n> {request_text}",
    model_rows="\\n".join(f"| {k} | {v} |" for k, v in model_rows), data_doc="\\n".join(data_lines),
    metrics_doc=metrics_doc, constraints_doc=constraints_doc, capacity_doc=capacity_doc,
    limitations_doc="\\n".join(f"- {text}" for text in limitations))
(BUNDLE_DIR / "model_card.md").write_text(model_card)

dockerfile = string.Template(DOCKERFILE).substitute(
    image=image, python_version=f"{sys.version_info.major}.{sys.version_info.minor}",
    container_memory_mb=math.ceil(capacity["container_memory_mb"] or capacity["replica_memory_mb"] * 1.25),
    replica_memory_mb=capacity["replica_memory_mb"], qps_per_replica=capacity["qps_per_replica"],
    replicas_for_target=(f"{capacity['replicas_for_target']} replica(s) for {capacity['target_qps']:g} QPS"
                         if capacity["replicas_for_target"] else "replicas as the load needs"),
    model_files=" ".join(model_files))
(BUNDLE_DIR / "Dockerfile").write_text(dockerfile)

shutil.rmtree(BUNDLE_DIR / "__pycache__", ignore_errors=True)
bundle_files = sorted(p.name for p in BUNDLE_DIR.iterdir() if p.is_file())
BUNDLE_ZIP = BUNDLE_DIR.with_suffix(".zip")  # next to the folder; unzips to a bundle/ folder
shutil.make_archive(str(BUNDLE_DIR), "zip", root_dir=BUNDLE_DIR.parent, base_dir=BUNDLE_DIR.name)
print(f"{BUNDLE_DIR}/: {', '.join(bundle_files)}")
print(f"{BUNDLE_ZIP}: {BUNDLE_ZIP.stat().st_size / 1024:.1f} KiB")
print("the app answers sample_request.json as the trained model does:", bundle_check)
print(f"serve it: cd {BUNDLE_DIR} && pip install -r requirements.txt && python serve.py --port 8000")
_report(bundle_dir=str(BUNDLE_DIR), bundle_zip=str(BUNDLE_ZIP), files=bundle_files, bundle_check=bundle_check,
        model_version=model_version)
'''


def bundle_cell(request: str | None = None, data_refs: Sequence[str] = ()) -> str:
    """Write the rest of the bundle (OpenAPI, API docs, model card, Dockerfile, requirements, its test), zip it."""
    return code_cell("Finish the deployment bundle: OpenAPI description, API docs, model card, Dockerfile, pinned "
                     "requirements and a test of the bundle, then a zip", _BUNDLE_BODY,
                     REQUEST=request, DATA_REFS=list(data_refs),
                     API_MD=_RawText(template("api.md.tmpl")), MODEL_CARD_MD=_RawText(template("model_card.md.tmpl")),
                     DOCKERFILE=_RawText(template("Dockerfile.tmpl")),
                     TEST_BUNDLE_PY=_RawText(template("bundle_test.py")))
