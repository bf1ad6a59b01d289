"""Cells the Server agent writes for image models: ONNX export (+ int8), parity, serving files, bundle docs.

The capacity cell and the bundle cell are the shared ones (:mod:`trainer_agent_lab.cells.server`): the export
cell here defines what they call (``onnx_session``, ``to_onnx_feed``, ``single_row_ms``), the serving cell
defines ``single_request_bodies`` and ``SERVING_MODEL_PATH``, and :func:`bundle_cell` hands the shared bundle
cell the image-specific part of the documents.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...bundle import serve_app_source
from ..base import RawText, code_cell
from ..server import bundle_cell as shared_bundle_cell
from ..server import capacity_cell as shared_capacity_cell
from ..server.common import LATENCY_CHECKS, ONNX_TIMING, SERVING_HEAD, SERVING_TAIL

__all__ = ["bundle_cell", "capacity_cell", "export_onnx_cell", "parity_cell", "serving_app_cell"]

_EXPORT_BODY = '''
import operator
import tempfile
import time
import warnings
from pathlib import Path

import onnx
import onnxruntime as ort
import torch
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                      quantize_dynamic, quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process

BUNDLE_DIR = Path("bundle")
BUNDLE_DIR.mkdir(parents=True, exist_ok=True)
ONNX_PATH = BUNDLE_DIR / "model.onnx"
INT8_PATH = None
(BUNDLE_DIR / "model.int8.onnx").unlink(missing_ok=True)  # a re-run decides afresh
ONNX_INPUT_NAME = "pixels"

# The served graph: raw pixels in (normalisation is inside `model`), class probabilities out.
served_model = torch.nn.Sequential(model, torch.nn.Softmax(dim=1)).eval()
example = torch.from_numpy(X_test[:2])
onnx_model, last_error = None, None
for opset in range(min(20, onnx.defs.onnx_opset_version()), 12, -1):
    try:
        with warnings.catch_warnings():
            # the TorchScript exporter needs no onnxscript; torch marks it deprecated in favour of dynamo
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.onnx.export(served_model, (example,), str(ONNX_PATH), input_names=[ONNX_INPUT_NAME],
                              output_names=["probabilities"], opset_version=opset, dynamo=False,
                              dynamic_axes={ONNX_INPUT_NAME: {0: "batch"}, "probabilities": {0: "batch"}})
        candidate = onnx.load(ONNX_PATH)
        ort.InferenceSession(candidate.SerializeToString(), providers=["CPUExecutionProvider"])
    except Exception as err:  # try the next opset; the last error is raised below
        last_error = err
        continue
    onnx_model = candidate
    break
if onnx_model is None:
    raise RuntimeError("could not export the network to ONNX at opsets 20..13") from last_error
onnx.helper.set_model_props(onnx_model, {"task": "image_classification", "classes": json.dumps(CLASSES)})
onnx.save(onnx_model, ONNX_PATH)
onnx_bytes = ONNX_PATH.stat().st_size
print(f"{ONNX_PATH}: {onnx_bytes / 1024:.1f} KiB, opset {opset}, input {ONNX_INPUT_NAME} [batch, "
      f"{', '.join(map(str, IMAGE_SHAPE))}] raw pixels (0..{PIXEL_MAX:g}), "
      f"output probabilities [batch, {len(CLASSES)}]")


def to_onnx_feed(images):
    """The ONNX input for a batch of raw-pixel images (N, C, H, W)."""
    return {ONNX_INPUT_NAME: np.ascontiguousarray(images, dtype=np.float32)}


''' + ONNX_TIMING + '''

def onnx_labels(path, images):
    return onnx_session(path).run(None, to_onnx_feed(images))[0].argmax(axis=1)


# Quantise when asked, or when the float model misses a latency target.
''' + LATENCY_CHECKS + '''
int8_bytes, int8_quantised, int8_method, int8_trials = None, None, None, []
if QUANTISE_REASONS:
    INT8_PATH = BUNDLE_DIR / "model.int8.onnx"
    rng = np.random.default_rng(SEED)
    picked = rng.permutation(len(X_train))
    calibration, check = X_train[picked[:CALIBRATION_IMAGES]], X_train[picked[CALIBRATION_IMAGES:][:CHECK_IMAGES]]
    if len(check) < 50:
        check = X_train[picked[:CHECK_IMAGES]]
    float_labels = onnx_labels(ONNX_PATH, check)

    class Calibration(CalibrationDataReader):
        """Training images, 32 at a time, for the activation ranges of static quantisation."""

        def __init__(self):
            self.batches = iter([to_onnx_feed(calibration[i:i + 32]) for i in range(0, len(calibration), 32)])

        def get_next(self):
            return next(self.batches, None)

    scratch = Path(tempfile.mkdtemp())
    prepared = scratch / "prepared.onnx"
    quant_pre_process(str(ONNX_PATH), str(prepared), skip_symbolic_shape=True)
    # Static QDQ (weights per channel, activations calibrated on training images) keeps a CNN's accuracy and is
    # what makes convolutions run in int8; dynamic quantisation is the fallback (it leaves convolutions in float).
    methods = {
        "static QDQ, per-channel weights, min-max calibration": dict(calibrate_method=CalibrationMethod.MinMax),
        "static QDQ, per-channel weights, percentile calibration": dict(
            calibrate_method=CalibrationMethod.Percentile, extra_options={"CalibPercentile": 99.99}),
    }
    for name, options in methods.items():
        target = scratch / f"int8_{len(int8_trials)}.onnx"
        quantize_static(str(prepared), str(target), Calibration(), quant_format=QuantFormat.QDQ, per_channel=True,
                        weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8,
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
'''


def export_onnx_cell(calibration_images: int = 256, check_images: int = 500,
                     agreement_wanted: float = 0.995) -> str:
    """Export ``model`` (raw pixels in, probabilities out) to ONNX; int8 by static QDQ when asked or needed."""
    return code_cell("Export the network to ONNX (raw pixels in, probabilities out, any batch size); quantise to "
                     "int8 when asked or when the float model misses a latency target", _EXPORT_BODY,
                     CALIBRATION_IMAGES=calibration_images, CHECK_IMAGES=check_images,
                     AGREEMENT_WANTED=agreement_wanted, TIMED_FEED=False, ONE_ITEM="one-image")


_PARITY_BODY = '''
PROBA_CODES = np.arange(len(CLASSES))


def onnx_predict(session, images):
    """(class codes, probabilities) from an ONNX session."""
    proba = np.asarray(session.run(None, to_onnx_feed(images))[0], dtype=np.float64)
    return proba.argmax(axis=1), proba


def model_predict(images):
    """(class codes, probabilities) from the trained torch network."""
    proba = predict_proba(model, images)
    return proba.argmax(axis=1), proba


def parity_with_model(path):
    """How closely the ONNX file at `path` reproduces the torch network on the test images."""
    got, got_proba = onnx_predict(onnx_session(path), X_test)
    return {"rows": int(len(X_test)), "label_agreement": float(np.mean(got == ref)),
            "max_prob_diff": float(np.max(np.abs(got_proba - ref_proba)))}, got, got_proba


ref, ref_proba = model_predict(X_test)
PARITY, onnx_pred, onnx_proba = parity_with_model(ONNX_PATH)
onnx_metrics = {k: float(v) for k, v in compute_metrics(y_test, onnx_proba).items()}
parity_int8, int8_metrics = None, None
parity_table = {"model.onnx": {**PARITY, "accuracy": onnx_metrics["accuracy"]}}
if INT8_PATH is not None and INT8_PATH.exists():
    parity_int8, int8_pred, int8_proba = parity_with_model(INT8_PATH)
    int8_metrics = {k: float(v) for k, v in compute_metrics(y_test, int8_proba).items()}
    parity_table["model.int8.onnx"] = {**parity_int8, "accuracy": int8_metrics["accuracy"]}
parity_table["torch model"] = {"accuracy": float(np.mean(ref == y_test))}
print(pd.DataFrame(parity_table).T.to_string(float_format=lambda v: f"{v:.6g}"))
_report(parity=PARITY, parity_int8=parity_int8, onnx_metrics=onnx_metrics, int8_metrics=int8_metrics)
'''


def parity_cell() -> str:
    """Check ``model.onnx`` (and the int8 file) against the torch network on the test images, and score them."""
    return code_cell("Check the ONNX model (and the int8 one) gives the trained network's predictions on the test "
                     "images, and score both", _PARITY_BODY)


_SERVING_BODY = '''
''' + SERVING_HEAD + '''

def image_json(image):
    """One image as POST /predict takes it: [C][H][W] numbers (integers where the pixels are whole)."""
    pixels = np.asarray(image, dtype=np.float32)
    return pixels.astype(int).tolist() if np.all(pixels == np.round(pixels)) else pixels.round(6).tolist()


def single_request_bodies(count):
    """`count` one-image request bodies (bytes), cycling over the test images: what the load test sends."""
    return [json.dumps({"image": image_json(X_test[i % len(X_test)])}).encode() for i in range(count)]


# Serve the int8 model when it was asked for, or when it was made to meet a target and kept its answers.
SERVING_MODEL_PATH = ONNX_PATH
if INT8_PATH is not None:
    if REQUIREMENTS.get("quantize_int8") or parity_int8["label_agreement"] >= 0.99:
        SERVING_MODEL_PATH = INT8_PATH
    else:
        print(f"The int8 model agrees with the trained one on {parity_int8['label_agreement']:.1%} of the test "
              "images only, so the bundle serves the float model.")

(BUNDLE_DIR / "serve.py").write_text(SERVE_PY)
channels, height, width = IMAGE_SHAPE
write_json("feature_schema.json", {
    "kind": "image", "task": TASK, "target": TARGET, "model_file": SERVING_MODEL_PATH.name,
    "inputs": [{"name": "images", "onnx_name": ONNX_INPUT_NAME, "dtype": "float", "shape": [channels, height, width],
                "min": 0.0, "max": float(PIXEL_MAX), "seen_min": float(X_train.min()), "seen_max": float(X_train.max()),
                "layout": "channels, height, width"}]})
write_json("label_map.json", {"classes": [str(c) for c in CLASSES], "pos_label": None, "threshold": None,
                              "proba_codes": [int(c) for c in PROBA_CODES]})

# A sample request, and what the served ONNX model answers to it (the bundle's test sends one, expects the other).
sample = X_test[:3]
write_json("sample_request.json", {"images": [image_json(image) for image in sample]})
codes, proba = onnx_predict(onnx_session(SERVING_MODEL_PATH), sample)
sample_response = {"predictions": [str(CLASSES[int(c)]) for c in codes],
                   "probabilities": np.asarray(proba, dtype=float).tolist()}
''' + SERVING_TAIL + ''''''


def serving_app_cell() -> str:
    """Write ``serve.py``, the image schema, the label map and a sample request and its answer."""
    return code_cell("Write the serving app and the files it reads (image schema, label map), so the next cell "
                     "can measure the real app", _SERVING_BODY, SERVE_PY=RawText(serve_app_source()))


_IMAGE_DOCS = '''
channels, height, width = IMAGE_SHAPE
title = f"{family.replace('_', ' ')} image classifier ({len(CLASSES)} classes, {channels}x{height}x{width} pixels)"
grey = "a grey image may also be sent as [H][W] rows" if channels == 1 else "channels last, [H][W][C], is accepted too"
request_doc = ("`POST /predict` with `Content-Type: application/json` and either one image, `{\\"image\\": [...]}`, "
               "or a batch, `{\\"images\\": [[...], ...]}`. An image is nested lists of pixel values, "
               f"[C][H][W] = [{channels}][{height}][{width}] ({grey}), on the scale 0..{PIXEL_MAX:g} the model was "
               f"trained on (training pixels ranged {X_train.min():g}..{X_train.max():g}). Normalisation happens "
               "inside the model.\\n\\nExample (`sample_request.json`, shortened to its first image):\\n\\n```json\\n"
               + json.dumps({"image": sample_request["images"][0]}) + "\\n```")
curl_single = json.dumps({"image": sample_request["images"][0]}).replace("'", "'\\\\''")
pipeline_text = " -> ".join(["normalise"] + [type(layer).__name__ for layer in list(model)[1:]] + ["softmax"])
inputs_text = f"images of {channels}x{height}x{width} raw pixels (normalisation is inside the ONNX graph)"
data_lines = [f"- source: `{ns.get('DATA_REF') or ', '.join(DATA_REFS) or 'not recorded'}`",
              f"- images: {len(X_train):,} to train, {len(X_test):,} held out to test; {channels}x{height}x{width}, "
              f"pixel scale 0..{PIXEL_MAX:g}",
              "- classes (training images): " + ", ".join(
                  f"`{c}` {n:,}" for c, n in zip(CLASSES, np.bincount(np.asarray(y_train, dtype=int),
                                                                        minlength=len(CLASSES))))]
limitations = [f"Trained on {len(X_train):,} images from one source: it reflects that data, its collection and its "
               "labels, mistakes included; check it on images from where it will be used before relying on it.",
               f"Images must match the training images' size, layout and pixel scale ({channels}x{height}x{width}, "
               f"0..{PIXEL_MAX:g}); resize and scale other images the same way first."]
'''


def bundle_cell(request: str | None = None, data_refs: Sequence[str] = ()) -> str:
    """The shared bundle cell, with the image-specific part of API.md and the model card."""
    return shared_bundle_cell(request=request, data_refs=data_refs, docs=_IMAGE_DOCS)


def capacity_cell(load_requests: int = 1000, concurrency: int = 8, verify_seconds: float = 2.0,
                  headroom_steps: Sequence[float] = (0.7, 0.5, 0.35)) -> str:
    """The shared capacity cell with a lighter load test (an image request carries far more numbers than a row)."""
    return shared_capacity_cell(load_requests=load_requests, concurrency=concurrency, verify_seconds=verify_seconds,
                                headroom_steps=headroom_steps)
