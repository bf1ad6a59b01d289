"""Names that earlier cells of an image-generation notebook define, for the context blocks of its cell files.

Nothing here exists at run time: the notebook defines each name. Modules the cells import once: ``PIL.Image``
(the image kind's ``pillow`` cell), ``os``, ``torch``, ``torch.nn as nn``, ``torch.nn.functional as F`` and
``train_test_split`` (``split``); ``time`` and ``tqdm`` (``networks``); ``scipy.linalg`` and ``MLPClassifier``
(``judge``); ``base64``, ``struct``, ``zlib`` (``serving``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ....cells.context import (  # noqa: F401  (re-exported for cell files)
    METRICS,
    N_PARAMETERS,
    REQUIREMENTS,
    SEED,
    _report,
)
from ...images.cells.context import open_image, show_grid  # noqa: F401  (the image kind's cells define them)

# --- load
DATA_REF: str
#: Float32 ``(N, C, H, W)`` raw pixel values; the class of each (``"image"`` for a folder without sub-folders).
IMAGES: np.ndarray
LABELS: np.ndarray
PIXEL_MAX: float
IMAGE_SHAPE: tuple[int, int, int]
TASK: str
TARGET: str

# --- split
CLASSES: list[str]
N_CLASSES: int
X_train: np.ndarray
X_test: np.ndarray
y_train: np.ndarray
y_test: np.ndarray
#: ``scaled(images)``: raw pixels to flat float32 rows in 0..1 (what the networks and the judge read).
scaled: Callable[[np.ndarray], np.ndarray]

# --- networks
LATENT_DIM: int
#: ``make_cvae(width)``: the seeded conditional VAE; ``count_parameters(module)``.
make_cvae: Callable[[int], Any]
count_parameters: Callable[[Any], int]
#: ``sample(net, labels, seed, temperature=1.0)``: raw-scale images the decoder draws for class codes ``labels``.
sample: Callable[..., np.ndarray]
#: ``train_cvae(width, seconds, ...)`` -> (net, history, snapshots).
train_cvae: Callable[..., tuple[Any, Any, list]]

# --- judge
judge_net: Any
judge_predict: Any
JUDGE_ACCURACY: float | None
features: Callable[[np.ndarray], np.ndarray]
frechet: Callable[[np.ndarray, np.ndarray], float]
FRECHET_FLOOR: float
train_features: np.ndarray

# --- fit
PARAMS: dict[str, Any]
model: Any
history: Any
DECODER_PARAMETERS: int

# --- evaluate
generated: np.ndarray
generated_codes: np.ndarray


def __getattr__(name: str) -> Any:
    raise AttributeError(f"{name} is defined by an earlier cell of the generated notebook.")


# --- export and parity (the Server agent)
decoder: Any
to_onnx_feed: Callable[[Any], dict[str, np.ndarray]]
onnx_bytes: int
opset: int
PARITY: dict[str, Any]
#: ``png_bytes(pixels)`` (uint8 C x H x W) and ``generate_uint8(session, class_index, n, seed)``, as serve.py does.
png_bytes: Callable[[np.ndarray], bytes]
generate_uint8: Callable[..., np.ndarray]
