"""Export the generator's decoder to ONNX: noise and a class code in, raw-scale pixels out, any batch size."""

# %% [context]
import json

import numpy as np
import torch

from ....cells.context import ONNX_PATH, export_onnx
from .context import CLASSES, IMAGE_SHAPE, LATENT_DIM, N_CLASSES, PIXEL_MAX, SEED, _report, model


# isort: split
# %% Export the decoder (the part that draws) to ONNX at the newest opset this onnxruntime loads: inputs `noise`
# [batch, LATENT_DIM] and `label` [batch] (class codes), output `pixels` [batch, C, H, W] on the raw scale. The
# one-hot code and the sigmoid are inside the graph, so serve.py only draws noise and encodes PNG.
class ServedDecoder(torch.nn.Module):
    """Noise and class codes -> raw-scale images."""

    def __init__(self, net):
        super().__init__()
        self.net = net
        self.register_buffer("codes", torch.arange(N_CLASSES))

    def forward(self, noise, label):
        one_hot = (label.unsqueeze(1) == self.codes.unsqueeze(0)).float()
        pixels = torch.sigmoid(self.net.decoder(torch.cat([noise, one_hot], 1))) * PIXEL_MAX
        return pixels.reshape(-1, *IMAGE_SHAPE)


decoder = ServedDecoder(model).eval()
example = (torch.zeros(2, LATENT_DIM), torch.zeros(2, dtype=torch.int64))
onnx_model, opset, onnx_bytes = export_onnx(decoder, example, ["noise", "label"], ["pixels"],
                                            {"task": "image_generation", "classes": json.dumps(CLASSES)})
print(f"{ONNX_PATH}: {onnx_bytes / 1024:.1f} KiB, opset {opset}; inputs noise [batch, {LATENT_DIM}] and label "
      f"[batch]; output pixels [batch, {', '.join(map(str, IMAGE_SHAPE))}] on the scale 0..{PIXEL_MAX:g}")


def to_onnx_feed(items):
    """The decoder's inputs for one generated image per item (classes in turn, seeded noise): what is timed."""
    n = len(items)
    noise = np.random.default_rng(SEED + n).standard_normal((n, LATENT_DIM)).astype(np.float32)
    return {"noise": noise, "label": (np.arange(n) % N_CLASSES).astype(np.int64)}


_report(onnx_bytes=onnx_bytes, opset=opset, inputs=["class", "n", "seed"], n_inputs=3)
