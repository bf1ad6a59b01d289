"""Export a PyTorch network to ONNX at the newest opset this onnxruntime loads: the one helper every network kind's
export cell calls (images, grounding, generation)."""

# %% [context]
import warnings

import torch

from .context import ONNX_PATH

# isort: split
# %% How a network becomes `model.onnx`: PyTorch's TorchScript exporter at the newest opset (20 down to 13) that
# this onnxruntime can load, every input and output with a dynamic batch axis, and the model's metadata attached.
import onnx
import onnxruntime as ort


def export_onnx(module, example, input_names, output_names, props):
    """Export ``module`` called on ``example`` (a tuple of tensors) to ONNX_PATH with ``props`` as its metadata;
    return the ONNX model, its opset and its size in bytes."""
    axes = {name: {0: "batch"} for name in [*input_names, *output_names]}
    last_error = None
    for opset in range(min(20, onnx.defs.onnx_opset_version()), 12, -1):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notes (no onnxscript needed)
                torch.onnx.export(module, example, str(ONNX_PATH), input_names=input_names, opset_version=opset,
                                  output_names=output_names, dynamic_axes=axes, dynamo=False)
            candidate = onnx.load(ONNX_PATH)
            ort.InferenceSession(candidate.SerializeToString(), providers=["CPUExecutionProvider"])
        except Exception as err:  # try the next opset; the last error is raised below
            last_error = err
            continue
        onnx.helper.set_model_props(candidate, props)
        onnx.save(candidate, ONNX_PATH)
        return candidate, opset, ONNX_PATH.stat().st_size
    raise RuntimeError(f"could not export the network to ONNX at opsets 20..13: {last_error}") from last_error
