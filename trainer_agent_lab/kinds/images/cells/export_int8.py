"""Quantise the image network to int8 when asked or needed: static QDQ calibrated on training images, dynamic as
the fallback; keep the variant that best agrees with the float model."""
# ruff: noqa: E402  (as in the notebook: a cell's parameters come first, its imports after them)

# %% [context]
import tempfile
from pathlib import Path

import numpy as np
import onnx
import pandas as pd
from IPython.display import display

from ....cells.context import BUNDLE_DIR, ONNX_PATH, QUANTISE_REASONS, _report, float_checks, onnx_session
from .context import SEED, X_train, onnx_bytes, opset, to_onnx_feed

# %% [parameters]
CALIBRATION_IMAGES = 256
CHECK_IMAGES = 500
AGREEMENT_WANTED = 0.995

# isort: split
# %% Quantise to int8 when asked or when the float model missed a latency target. Static QDQ (weights per
# channel, activations calibrated on training images) keeps a CNN's accuracy and is what makes convolutions run in
# int8; first the images it calibrates on and the images it is checked on (against the float model's labels).
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_dynamic,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process


def onnx_labels(path, images):
    return onnx_session(path).run(None, to_onnx_feed(images))[0].argmax(axis=1)


class Calibration(CalibrationDataReader):
    """Training images, 32 at a time, for the activation ranges of static quantisation."""

    def __init__(self, images):
        self.batches = iter([to_onnx_feed(images[i:i + 32]) for i in range(0, len(images), 32)])

    def get_next(self):
        return next(self.batches, None)


int8_bytes, int8_quantised, int8_method, int8_trials = None, None, None, []
if QUANTISE_REASONS:
    rng = np.random.default_rng(SEED)
    picked = rng.permutation(len(X_train))
    calibration, check = X_train[picked[:CALIBRATION_IMAGES]], X_train[picked[CALIBRATION_IMAGES:][:CHECK_IMAGES]]
    if len(check) < 50:
        check = X_train[picked[:CHECK_IMAGES]]
    float_labels = onnx_labels(ONNX_PATH, check)
    scratch = Path(tempfile.mkdtemp())
    prepared = scratch / "prepared.onnx"
    quant_pre_process(str(ONNX_PATH), str(prepared), skip_symbolic_shape=True)

# %% Try static QDQ with min-max, then percentile calibration, until one agrees well enough with the float model;
# else dynamic quantisation (it leaves convolutions in float). Keep the best as model.int8.onnx.
if QUANTISE_REASONS:
    methods = {
        "static QDQ, per-channel weights, min-max calibration": dict(calibrate_method=CalibrationMethod.MinMax),
        "static QDQ, per-channel weights, percentile calibration": dict(
            calibrate_method=CalibrationMethod.Percentile, extra_options={"CalibPercentile": 99.99}),
    }
    for name, options in methods.items():
        target = scratch / f"int8_{len(int8_trials)}.onnx"
        quantize_static(str(prepared), str(target), Calibration(calibration), quant_format=QuantFormat.QDQ,
                        per_channel=True, weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8,
                        op_types_to_quantize=["Conv", "Gemm", "MatMul", "Relu", "MaxPool", "GlobalAveragePool"],
                        **options)
        agreement = float((onnx_labels(target, check) == float_labels).mean())
        int8_trials.append({"method": name, "agreement_with_float": agreement, "path": target})
        if agreement >= AGREEMENT_WANTED:
            break
    if max(t["agreement_with_float"] for t in int8_trials) < AGREEMENT_WANTED:
        target = scratch / "int8_dynamic.onnx"
        quantize_dynamic(str(prepared), str(target), weight_type=QuantType.QInt8)
        int8_trials.append({"method": "dynamic (weights of MatMul/Gemm only)", "path": target,
                            "agreement_with_float": float((onnx_labels(target, check) == float_labels).mean())})
    chosen = max(int8_trials, key=lambda t: t["agreement_with_float"])
    INT8_PATH = BUNDLE_DIR / "model.int8.onnx"
    INT8_PATH.write_bytes(chosen["path"].read_bytes())
    int8_method = chosen["method"]
    int8_ops = {node.op_type for node in onnx.load(INT8_PATH).graph.node}
    int8_quantised = bool(int8_ops & {"QuantizeLinear", "DynamicQuantizeLinear", "MatMulInteger", "QLinearConv"})
    int8_bytes = INT8_PATH.stat().st_size
    display(pd.DataFrame([{k: v for k, v in t.items() if k != "path"} for t in int8_trials]))
    print(f"Quantised to int8 because {'; '.join(QUANTISE_REASONS)}: {int8_method}, "
          f"{chosen['agreement_with_float']:.2%} agreement with the float model on {len(check)} training images; "
          f"{INT8_PATH}: {int8_bytes / 1024:.1f} KiB")
_report(onnx_path=str(ONNX_PATH), onnx_bytes=onnx_bytes, int8_path=str(INT8_PATH) if INT8_PATH else None,
        int8_bytes=int8_bytes, int8_quantised=int8_quantised, int8_method=int8_method, opset=opset,
        quantise_reasons=QUANTISE_REASONS, float_checks=float_checks,
        int8_trials=[{k: v for k, v in t.items() if k != "path"} for t in int8_trials])
