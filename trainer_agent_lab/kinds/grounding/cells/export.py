"""Export the grounding network to ONNX: raw pixels and token ids in, the box and its score out."""

# %% [context]
import json

import numpy as np
import torch

from ....cells.context import export_onnx
from .context import IMAGE_SIDE, MAX_TOKENS, ONNX_PATH, REQUIREMENTS, ServedGrounding, X_test, _report, model

# isort: split
# %% Export the network to ONNX with two inputs, `pixels` [batch, 3, side, side] (raw 0..255) and `token_ids`
# [batch, tokens] (the bundle's tokenizer.json makes them), and two outputs, `box` [batch, 4] (x0, y0, x1, y1 in the
# network's pixels) and `score` [batch] (the best cell's probability), at the newest opset this onnxruntime loads.
ONNX_INPUT_NAMES = ["pixels", "token_ids"]
served_model = ServedGrounding(model).eval()
example = (torch.from_numpy(np.ascontiguousarray(X_test["pixels"][:2])),
           torch.from_numpy(np.ascontiguousarray(X_test["tokens"][:2])))
onnx_model, opset, onnx_bytes = export_onnx(served_model, example, ONNX_INPUT_NAMES, ["box", "score"],
                                            {"task": "visual_grounding", "side": str(IMAGE_SIDE),
                                             "max_tokens": str(MAX_TOKENS)})
int8_quantised = None  # no int8 model for grounding: the box regression needs float precision
if REQUIREMENTS.get("quantize_int8"):
    print("int8 was asked for; the grounding network is served in float32 (its boxes need the precision)")
print(f"{ONNX_PATH}: {onnx_bytes / 1024:.1f} KiB, opset {opset}, inputs pixels [batch, 3, {IMAGE_SIDE}, "
      f"{IMAGE_SIDE}] (0..255) and token_ids [batch, {MAX_TOKENS}]; outputs box [batch, 4], score [batch]")
_report(onnx_bytes=onnx_bytes, opset=opset, n_inputs=2, inputs=["image", "query"])


def to_onnx_feed(items):
    """The ONNX inputs for structured items (fields `pixels` and `tokens`)."""
    return {"pixels": np.ascontiguousarray(items["pixels"], dtype=np.float32),
            "token_ids": np.ascontiguousarray(items["tokens"], dtype=np.int64)}


# %% [context]
__all__ = ["json"]
