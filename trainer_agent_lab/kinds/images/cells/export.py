"""Export the image network to ONNX: raw pixels in, class probabilities out, any batch size."""

# %% [context]
import json

import numpy as np
import torch

from ....cells.context import ONNX_PATH, export_onnx
from .context import CLASSES, IMAGE_SHAPE, PIXEL_MAX, X_test, model

# isort: split
# %% Export the network to ONNX (raw pixels in, probabilities out, any batch size) at the newest opset this
# onnxruntime loads. The served graph normalises inside (`model` does) and ends in a softmax.
ONNX_INPUT_NAME = "pixels"
served_model = torch.nn.Sequential(model, torch.nn.Softmax(dim=1)).eval()
example = torch.from_numpy(X_test[:2])
onnx_model, opset, onnx_bytes = export_onnx(served_model, (example,), [ONNX_INPUT_NAME], ["probabilities"],
                                            {"task": "image_classification", "classes": json.dumps(CLASSES)})
print(f"{ONNX_PATH}: {onnx_bytes / 1024:.1f} KiB, opset {opset}, input {ONNX_INPUT_NAME} [batch, "
      f"{', '.join(map(str, IMAGE_SHAPE))}] raw pixels (0..{PIXEL_MAX:g}), "
      f"output probabilities [batch, {len(CLASSES)}]")


def to_onnx_feed(images):
    """The ONNX input for a batch of raw-pixel images (N, C, H, W)."""
    return {ONNX_INPUT_NAME: np.ascontiguousarray(images, dtype=np.float32)}
