"""The image parts of the bundle's documents: the request format, the network, the data and the limits."""

# %% [context]
import json

import numpy as np

from ....cells.context import family, sample_request
from .context import CLASSES, DATA_REF, IMAGE_SHAPE, PIXEL_MAX, X_test, X_train, model, y_train

# %% [parameters]
DATA_REFS = []

# %% What the documents say about an image model: the request (nested lists of raw pixels, their shape and
# scale), the network's layers, the images it learned from, and its limits.
channels, height, width = IMAGE_SHAPE
title = f"{family.replace('_', ' ')} image classifier ({len(CLASSES)} classes, {channels}x{height}x{width} pixels)"
grey = "a grey image may also be sent as [H][W] rows" if channels == 1 else "channels last, [H][W][C], is accepted too"
request_doc = ("`POST /predict` with `Content-Type: application/json` and either one image, `{\"image\": [...]}`, "
               "or a batch, `{\"images\": [[...], ...]}`. An image is nested lists of pixel values, "
               f"[C][H][W] = [{channels}][{height}][{width}] ({grey}), on the scale 0..{PIXEL_MAX:g} the model was "
               f"trained on (training pixels ranged {X_train.min():g}..{X_train.max():g}). Normalisation happens "
               "inside the model.\n\nExample (`sample_request.json`, shortened to its first image):\n\n```json\n"
               + json.dumps({"image": sample_request["images"][0]}) + "\n```")
curl_single = json.dumps({"image": sample_request["images"][0]}).replace("'", "'\\''")
pipeline_text = " -> ".join(["normalise"] + [type(layer).__name__ for layer in list(model)[1:]] + ["softmax"])
inputs_text = f"images of {channels}x{height}x{width} raw pixels (normalisation is inside the ONNX graph)"
data_lines = [f"- source: `{DATA_REF or ', '.join(DATA_REFS) or 'not recorded'}`",
              f"- images: {len(X_train):,} to train, {len(X_test):,} held out to test; {channels}x{height}x{width}, "
              f"pixel scale 0..{PIXEL_MAX:g}",
              "- classes (training images): " + ", ".join(
                  f"`{c}` {n:,}" for c, n in zip(CLASSES, np.bincount(np.asarray(y_train, dtype=int),
                                                                        minlength=len(CLASSES)), strict=True))]
limitations = [f"Trained on {len(X_train):,} images from one source: it reflects that data, its collection and its "
               "labels, mistakes included; check it on images from where it will be used before relying on it.",
               f"Images must match the training images' size, layout and pixel scale ({channels}x{height}x{width}, "
               f"0..{PIXEL_MAX:g}); resize and scale other images the same way first."]
