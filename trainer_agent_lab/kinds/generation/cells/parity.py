"""Check the ONNX decoder draws the images the trained one does, and that the judge reads them the same."""

# %% [context]
import numpy as np
import torch

from ....cells.context import ONNX_PATH, _report, onnx_session
from .context import LATENT_DIM, N_CLASSES, PIXEL_MAX, SEED, decoder, judge_predict

# %% Draw the same images with the trained decoder and with model.onnx (the same noise and classes, 50 per
# class up to 1,000): the largest pixel difference, and the share of images the judge puts in the same class.
n = min(1000, 50 * N_CLASSES)
noise = np.random.default_rng(SEED + 2).standard_normal((n, LATENT_DIM)).astype(np.float32)
labels = (np.arange(n) % N_CLASSES).astype(np.int64)
with torch.no_grad():
    torch_pixels = decoder(torch.from_numpy(noise), torch.from_numpy(labels)).numpy()
onnx_pixels = onnx_session(ONNX_PATH).run(None, {"noise": noise, "label": labels})[0]
if judge_predict is not None:
    same = judge_predict(torch_pixels) == judge_predict(onnx_pixels)
else:
    same = np.ones(n, dtype=bool)
PARITY = {"rows": n, "label_agreement": float(same.mean()),
          "max_abs_diff": float(np.max(np.abs(torch_pixels - onnx_pixels))), "pixel_max": PIXEL_MAX}
parity_int8, int8_metrics, int8_quantised = None, None, None
print(f"model.onnx against the trained decoder on {n} images: largest pixel difference {PARITY['max_abs_diff']:.2g} "
      f"(scale 0..{PIXEL_MAX:g}); the judge reads {PARITY['label_agreement']:.2%} of them as the same class")
_report(parity=PARITY, parity_int8=None, int8_metrics=None)
