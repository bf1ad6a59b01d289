"""Export the trained pipeline to ONNX (and int8 where asked or needed)."""

from __future__ import annotations

from ..base import code_cell
from .common import LATENCY_CHECKS, ONNX_TIMING

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


def to_onnx_feed(frame):
    """The ONNX inputs for the raw columns of a DataFrame: one [rows, 1] array per column."""
    feed = {}
    for col in NUMERIC_FEATURES:
        feed[ONNX_INPUT_NAMES[col]] = frame[col].to_numpy(dtype=np.float32, na_value=np.nan).reshape(-1, 1)
    for col in CATEGORICAL_FEATURES:
        values = frame[col].astype(object).where(frame[col].notna(), MISSING_CATEGORY)
        feed[ONNX_INPUT_NAMES[col]] = values.astype(str).to_numpy(dtype=object).reshape(-1, 1)
    return feed


''' + ONNX_TIMING + '''

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
''' + LATENCY_CHECKS + '''
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
                     _EXPORT_BODY, TIMED_FEED=False, ONE_ITEM="single-row")
