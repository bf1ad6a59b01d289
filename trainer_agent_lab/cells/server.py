"""Cells the Server agent writes for tabular scikit-learn pipelines: export, parity, capacity, bundle.

Each function returns the source of one code cell. The cells rely on the kernel-namespace contract in
:mod:`trainer_agent_lab.cells` (``model``, ``X_train``, ``X_test``, ``y_test``, ``TASK``, ``CLASSES``,
``POS_LABEL``, ``THRESHOLD``, ``NUMERIC_FEATURES``, ``CATEGORICAL_FEATURES``, ``TARGET``, ``REQUIREMENTS``,
``_report``) and add to it, in this order:

===========================  ===================================================================
cell                         defines
===========================  ===================================================================
:func:`export_onnx_cell`     ``BUNDLE_DIR``, ``ONNX_PATH``, ``INT8_PATH`` (``None`` unless quantised),
                             ``ONNX_INPUT_NAMES`` (raw column -> ONNX input name),
                             ``MISSING_CATEGORY`` (what a missing text value is sent as)
:func:`parity_cell`          ``to_onnx_feed(frame)``, ``onnx_session(path)``, ``onnx_predict(session,
                             frame)``, ``model_predict(frame)``, ``labels_from_proba(proba)``,
                             ``PARITY``
:func:`capacity_cell`        ``SERVING_MODEL_PATH``, ``CAPACITY``
:func:`bundle_cell`          ``BUNDLE_ZIP``
===========================  ===================================================================

A missing value in a text column is sent to ONNX as ``MISSING_CATEGORY``: ``"missing"``, the category the
Data agent fills missing text with before training; or ``""`` when the pipeline imputes text itself, in
which case the export cell converts a copy of ``model`` whose string imputers look for ``""`` (skl2onnx
cannot convert a string imputer that looks for NaN). ``feature_schema.json`` records it for ``serve.py``.
"""

from __future__ import annotations

from trainer_agent_lab.bundle import serve_app_source
from trainer_agent_lab.cells.base import code_cell

__all__ = ["bundle_cell", "capacity_cell", "export_onnx_cell", "parity_cell"]


class _RawText(str):
    """A string rendered as a raw triple-quoted literal, so a whole file reads naturally in a cell."""

    def __repr__(self) -> str:
        text = str(self)
        if "'''" in text or text.endswith("\\"):
            return repr(text)
        return "r'''" + text + "'''"


_EXPORT_BODY = '''
import copy
from pathlib import Path

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

int8_bytes, int8_quantised = None, None
if REQUIREMENTS.get("quantize_int8"):
    INT8_PATH = BUNDLE_DIR / "model.int8.onnx"
    quantize_dynamic(ONNX_PATH, INT8_PATH, weight_type=QuantType.QInt8)
    int8_ops = {node.op_type for node in onnx.load(INT8_PATH).graph.node}
    int8_quantised = bool(int8_ops & {"DynamicQuantizeLinear", "MatMulInteger", "DynamicQuantizeMatMul",
                                      "QLinearMatMul", "ConvInteger", "DequantizeLinear"})
    int8_bytes = INT8_PATH.stat().st_size
    if int8_quantised:
        print(f"{INT8_PATH}: {int8_bytes / 1024:.1f} KiB, weights of MatMul/Gemm stored as int8")
    else:
        print(f"{INT8_PATH}: {int8_bytes / 1024:.1f} KiB; this model has no MatMul/Gemm weights to quantise "
              "(trees, linear or distance operators), so the int8 file is identical in behaviour")

_report(onnx_path=str(ONNX_PATH), onnx_bytes=onnx_bytes, int8_path=str(INT8_PATH) if INT8_PATH else None,
        int8_bytes=int8_bytes, int8_quantised=int8_quantised, opset=opset)
'''


def export_onnx_cell() -> str:
    """Convert ``model`` to ``bundle/model.onnx`` (one input per raw column), and int8 when asked."""
    return code_cell("Convert the trained pipeline to ONNX so it can be served without Python pickles",
                     _EXPORT_BODY)


_PARITY_BODY = '''
import numpy as np
import onnxruntime as ort
import pandas as pd
from sklearn.metrics import accuracy_score, r2_score

PROBA_CODES = np.asarray(model.classes_) if TASK == "classification" else None


def to_onnx_feed(frame):
    """The ONNX inputs for the raw columns of a DataFrame: one [rows, 1] array per column."""
    feed = {}
    for col in NUMERIC_FEATURES:
        feed[ONNX_INPUT_NAMES[col]] = frame[col].to_numpy(dtype=np.float32, na_value=np.nan).reshape(-1, 1)
    for col in CATEGORICAL_FEATURES:
        values = frame[col].astype(object).where(frame[col].notna(), MISSING_CATEGORY)
        feed[ONNX_INPUT_NAMES[col]] = values.astype(str).to_numpy(dtype=object).reshape(-1, 1)
    return feed


def onnx_session(path):
    """An onnxruntime session on the CPU for a model file."""
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


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
    return code_cell("Check the ONNX model gives the trained pipeline's predictions on the test set",
                     _PARITY_BODY)


_CAPACITY_BODY = '''
import json
import math
import subprocess
import sys
import time

import numpy as np
import plotly.graph_objects as go

HTTP_OVERHEAD_MS = 1.0  # assumed cost of HTTP + JSON per request in one uvicorn worker, until a load test
HEADROOM = 0.7  # plan replicas to run at no more than 70% of their measured capacity
WARMUP_CALLS, TIMED_CALLS, BATCH_ROWS = 50, 1000, 256

SERVING_MODEL_PATH = INT8_PATH if REQUIREMENTS.get("quantize_int8") and INT8_PATH is not None else ONNX_PATH
session = onnx_session(SERVING_MODEL_PATH)
single_feeds = [to_onnx_feed(X_test.iloc[[i]]) for i in range(min(len(X_test), 200))]
for i in range(WARMUP_CALLS):
    session.run(None, single_feeds[i % len(single_feeds)])
single_ms = np.empty(TIMED_CALLS)
for i in range(TIMED_CALLS):
    start = time.perf_counter()
    session.run(None, single_feeds[i % len(single_feeds)])
    single_ms[i] = (time.perf_counter() - start) * 1000

batch_feed = to_onnx_feed(X_test.iloc[np.arange(BATCH_ROWS) % len(X_test)])
session.run(None, batch_feed)
batches, start = 0, time.perf_counter()
while batches < 5 or (time.perf_counter() - start < 0.5 and batches < 200):
    session.run(None, batch_feed)
    batches += 1
batch_rows_per_s = batches * BATCH_ROWS / (time.perf_counter() - start)

# Peak memory of a fresh process that loads what serve.py loads and answers 200 requests.
REPLICA_SCRIPT = """
import json, sys
import numpy as np, onnxruntime as ort
for name in ("fastapi", "uvicorn", "prometheus_client"):
    try:
        __import__(name)
    except ImportError:
        pass
columns = json.load(sys.stdin)
session = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
feed = {}
for inp in session.get_inputs():
    values = columns[inp.name]
    if inp.type == "tensor(string)":
        feed[inp.name] = np.array(values, dtype=object).reshape(-1, 1)
    else:
        values = [np.nan if v is None else v for v in values]
        feed[inp.name] = np.array(values, dtype=np.float32).reshape(-1, 1)
rows = len(next(iter(feed.values())))
for i in range(200):
    session.run(None, {name: array[i % rows : i % rows + 1] for name, array in feed.items()})
# Peak RSS in KiB. On Linux ru_maxrss carries over the parent's peak through fork and exec, so read this
# process's own high-water mark (VmHWM); elsewhere fall back to ru_maxrss (bytes on macOS) or psutil.
try:
    with open("/proc/self/status") as status:
        print(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
except OSError:
    try:
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(peak / 1024 if sys.platform == "darwin" else peak)
    except ImportError:
        import psutil
        print(psutil.Process().memory_info().peak_wset / 1024)
"""
replica_columns = {}
for name, array in to_onnx_feed(X_test.head(200)).items():
    values = array.ravel().tolist()
    if array.dtype != object:
        values = [None if math.isnan(v) else v for v in values]
    replica_columns[name] = values
child = subprocess.run([sys.executable, "-c", REPLICA_SCRIPT, str(SERVING_MODEL_PATH)],
                       input=json.dumps(replica_columns), capture_output=True, text=True, timeout=300)
if child.returncode != 0:
    raise RuntimeError(f"the replica memory probe failed:\\n{child.stderr}")
replica_memory_mb = round(float(child.stdout.strip().splitlines()[-1]) / 1024, 1)

p50_ms, p99_ms, mean_ms = (float(v) for v in (*np.percentile(single_ms, [50, 99]), single_ms.mean()))
qps_per_replica = math.floor(1000 / (mean_ms + HTTP_OVERHEAD_MS))
target_qps = REQUIREMENTS.get("qps")
replicas_for_target = None
if target_qps:  # a replica slower than 1 request/s still serves a fraction of one
    per_replica = qps_per_replica or 1000 / (mean_ms + HTTP_OVERHEAD_MS)
    replicas_for_target = math.ceil(target_qps / (per_replica * HEADROOM))
container_memory_mb = REQUIREMENTS.get("container_memory_mb")
fits_container = None if container_memory_mb is None else replica_memory_mb <= container_memory_mb
advice = None
if fits_container is False:
    advice = (f"One replica peaks at {replica_memory_mb:.0f} MB but a container has {container_memory_mb} "
              f"MB: give each container at least {math.ceil(replica_memory_mb * 1.2)} MB, or serve a "
              "smaller model (int8 quantisation, fewer or shallower trees, a smaller network).")

CAPACITY = {
    "p50_ms": round(p50_ms, 4), "p99_ms": round(p99_ms, 4), "mean_ms": round(mean_ms, 4),
    "batch_rows_per_s": round(batch_rows_per_s, 1), "qps_per_replica": qps_per_replica,
    "headroom": HEADROOM, "replicas_for_target": replicas_for_target,
    "replica_memory_mb": replica_memory_mb, "container_memory_mb": container_memory_mb,
    "fits_container": fits_container,
}
(BUNDLE_DIR / "capacity.json").write_text(json.dumps({
    **CAPACITY, "target_qps": target_qps, "advice": advice, "model_file": SERVING_MODEL_PATH.name,
    "http_overhead_ms": HTTP_OVERHEAD_MS, "batch_rows": BATCH_ROWS, "timed_calls": TIMED_CALLS,
    "method": "single-row onnxruntime calls in this kernel; qps_per_replica = floor(1000 / (mean_ms + "
              "http_overhead_ms)), an assumed HTTP cost until a load test measures it; replica memory is the "
              "peak RSS of a fresh process that imports the serving libraries and runs 200 predictions",
}, indent=2) + "\\n")

for key, value in CAPACITY.items():
    print(f"{key:>20}: {value}")
if advice:
    print(advice)
fig = go.Figure(go.Histogram(x=single_ms, nbinsx=60))
fig.update_layout(title=f"Single-row latency of {SERVING_MODEL_PATH.name} ({TIMED_CALLS} calls)",
                  xaxis_title="ms", yaxis_title="calls", height=320)
for label, value in (("p50", p50_ms), ("p99", p99_ms)):
    fig.add_vline(x=value, line_dash="dash", annotation_text=label)
fig.show()
_report(capacity=CAPACITY, capacity_advice=advice, serving_model=SERVING_MODEL_PATH.name)
'''


def capacity_cell() -> str:
    """Measure latency, throughput and replica memory; estimate the replicas the target QPS needs."""
    return code_cell("Measure latency, throughput and memory of one serving replica, then size the "
                     "deployment", _CAPACITY_BODY)


_BUNDLE_BODY = '''
import json
import shutil
from importlib import metadata

import numpy as np
import pandas as pd


def json_value(value):
    """A JSON-ready Python value: missing values (NaN, None, pd.NA) as None, numpy scalars unwrapped."""
    if not isinstance(value, str) and pd.isna(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


def write_json(name, payload):
    (BUNDLE_DIR / name).write_text(json.dumps(payload, indent=2) + "\\n")


(BUNDLE_DIR / "serve.py").write_text(SERVE_PY)

inputs = [{"name": col, "onnx_name": ONNX_INPUT_NAMES[col], "dtype": "float",
           "min": json_value(X_train[col].min()), "max": json_value(X_train[col].max()),
           "mean": json_value(X_train[col].mean())} for col in NUMERIC_FEATURES]
inputs += [{"name": col, "onnx_name": ONNX_INPUT_NAMES[col], "dtype": "string", "missing": MISSING_CATEGORY,
            "categories": sorted(str(v) for v in X_train[col].dropna().unique())[:100]}
           for col in CATEGORICAL_FEATURES]
# serve.py serves the int8 model when quantisation was asked for (the one the capacity cell measured)
serving_file = (INT8_PATH if REQUIREMENTS.get("quantize_int8") and INT8_PATH is not None else ONNX_PATH).name
write_json("feature_schema.json", {"inputs": inputs, "task": TASK, "target": str(TARGET),
                                   "model_file": serving_file})

if TASK == "classification":
    write_json("label_map.json", {"classes": [str(c) for c in CLASSES],
                                  "pos_label": None if POS_LABEL is None else int(POS_LABEL),
                                  "threshold": None if THRESHOLD is None else float(THRESHOLD),
                                  "proba_codes": [int(c) for c in model.classes_]})
else:
    write_json("label_map.json", {"classes": None})

sample = X_test.head(3)
write_json("sample_request.json", {"rows": [{col: json_value(v) for col, v in row.items()}
                                            for row in sample.to_dict("records")]})
codes, proba = model_predict(sample)
if TASK == "classification":
    response = {"predictions": [str(CLASSES[int(c)]) for c in codes],
                "probabilities": np.asarray(proba, dtype=float).tolist()}
else:
    response = {"predictions": [float(v) for v in codes]}
write_json("sample_response.json", response)


def pinned(dist):
    """``name==version`` for an installed distribution, else just the name."""
    try:
        return f"{dist}=={metadata.version(dist)}"
    except metadata.PackageNotFoundError:
        return dist


SERVING_PACKAGES = ["onnxruntime", "numpy", "fastapi", "uvicorn", "prometheus_client", "pydantic"]
(BUNDLE_DIR / "requirements.txt").write_text("\\n".join(pinned(d) for d in SERVING_PACKAGES) + "\\n")

bundle_files = sorted(p.name for p in BUNDLE_DIR.iterdir() if p.is_file())
BUNDLE_ZIP = BUNDLE_DIR.with_suffix(".zip")  # next to the folder; unzips to a bundle/ folder
shutil.make_archive(str(BUNDLE_DIR), "zip", root_dir=BUNDLE_DIR.parent, base_dir=BUNDLE_DIR.name)
print(f"{BUNDLE_DIR}/: {', '.join(bundle_files)}")
print(f"{BUNDLE_ZIP}: {BUNDLE_ZIP.stat().st_size / 1024:.1f} KiB")
print(f"serve it: cd {BUNDLE_DIR} && pip install -r requirements.txt && python serve.py --port 8000")
_report(bundle_dir=str(BUNDLE_DIR), bundle_zip=str(BUNDLE_ZIP), files=bundle_files)
'''


def bundle_cell() -> str:
    """Write the deployment bundle (serve.py, schema, label map, samples, requirements) and zip it."""
    return code_cell("Write the deployment bundle: the serving app, its schema and samples, then a zip",
                     _BUNDLE_BODY, SERVE_PY=_RawText(serve_app_source()))
