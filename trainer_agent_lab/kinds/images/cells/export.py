"""Export the image network to ONNX: raw pixels in, class probabilities out, any batch size."""

# %% [context]
import json
import warnings

import numpy as np
import torch

from ....cells.context import ONNX_PATH
from .context import CLASSES, IMAGE_SHAPE, PIXEL_MAX, X_test, model

# isort: split
# %% Export the network to ONNX (raw pixels in, probabilities out, any batch size) at the newest opset this
# onnxruntime loads. The served graph normalises inside (`model` does) and ends in a softmax.
import onnx
import onnxruntime as ort

ONNX_INPUT_NAME = "pixels"
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
