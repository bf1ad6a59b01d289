"""Judge the float tabular model against the container's memory, and quantise to int8 where needed."""

# %% [context]
import json
import subprocess
import sys

import onnx

from ....cells.context import BUNDLE_DIR, ONNX_PATH, QUANTISE_REASONS, REQUIREMENTS, _report, float_checks
from .context import EXPORTED_INPUTS, X_test, onnx_bytes, opset, to_onnx_feed

# isort: split
# %% Measure the peak memory of a process that serves the float model (memory_probe.py, written above, run in a
# fresh process on 200 test rows), count it for each process of a replica that holds the model, and quantise when
# that is over the request's container.
from onnxruntime.quantization import QuantType, quantize_dynamic


def serving_memory_mb(path):
    """Peak resident memory (MB) of a process that serves ``path``, as memory_probe.py measures it."""
    columns = {}
    for name, array in to_onnx_feed(X_test.head(200)).items():
        values = array.ravel().tolist()
        columns[name] = values if array.dtype == object else [None if v != v else v for v in values]
    child = subprocess.run([sys.executable, str(MEMORY_PROBE), str(path)], input=json.dumps(columns),
                           capture_output=True, text=True, timeout=300)
    if child.returncode != 0:
        raise RuntimeError(f"the memory probe failed:\n{child.stderr[-2000:]}")
    return round(float(child.stdout.split()[-1]), 1)


MEMORY_PROBE = BUNDLE_DIR / "memory_probe.py"
#: The processes of one replica that each hold the model: serve.py's own and its one prediction worker (the bundle's
#: default TRAINER_AGENT_PREDICT_PROCESSES=1); the capacity step measures the real replica, all its processes.
REPLICA_PROCESSES = 2
container_mb = REQUIREMENTS.get("container_memory_mb")
try:
    if container_mb:
        float_checks["replica_memory_mb"] = round(REPLICA_PROCESSES * serving_memory_mb(ONNX_PATH), 1)
        if float_checks["replica_memory_mb"] > container_mb:
            QUANTISE_REASONS.append(f"a replica serving the float model (serve.py and its prediction worker, each "
                                    f"with the model) peaks at about {float_checks['replica_memory_mb']:.0f} MB, "
                                    f"over the {container_mb:g} MB container")
finally:
    MEMORY_PROBE.unlink(missing_ok=True)  # a scratch script, not part of the bundle
if float_checks:
    print("float model, measured here:", float_checks)


# %% Quantise (dynamic int8, onnxruntime) when asked or when a target was missed; trees, linear and distance
# models have no MatMul/Gemm weights to quantise, so their int8 file behaves as the float one.
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
        float_checks=float_checks, inputs=EXPORTED_INPUTS, n_inputs=len(EXPORTED_INPUTS))
