"""The app must draw the sample request's images as the notebook did (pixels within 1 of 255)."""

# %% [context]
import base64

import numpy as np

from ....cells.context import answer, sample_response, serve_module

# %% A last check: the app draws the sample request's images as this notebook did (pixels within 1 of 255).
drawn = [serve_module.png_pixels(base64.b64decode(x)).astype(int) for x in answer.json()["images"]]
expected = [serve_module.png_pixels(base64.b64decode(x)).astype(int) for x in sample_response["images"]]
bundle_check = len(drawn) == len(expected) and all(a.shape == b.shape and np.abs(a - b).max() <= 1
                                                   for a, b in zip(drawn, expected, strict=True))
print("the app draws the sample request's images as the notebook did:", bundle_check)
