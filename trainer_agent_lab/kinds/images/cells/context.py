"""Names that earlier cells of an image notebook define, for the context blocks of its cell files.

See :mod:`trainer_agent_lab.cells.render`. Nothing here exists at run time: the notebook defines each name.
Modules the image cells import (a later cell imports them in its context block, never again in the notebook):
``PIL.Image`` (``pillow``), ``PIL.ImageDraw`` (``shapes``), ``collections`` (``load``), ``os``, ``torch``,
``torch.nn.functional as F`` and ``sklearn.model_selection.train_test_split`` (``split``); the shared signal
test imports ``time`` and ``cross_val_score``; ``torch.nn as nn`` and ``sklearn.metrics as skm``, ``copy`` and
``tqdm.auto.tqdm`` (``networks``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ....cells.context import (  # noqa: F401  (re-exported for cell files)
    METRICS,
    N_PARAMETERS,
    REQUIREMENTS,
    SEED,
    _report,
    permutation_p_value,
    shows_no_signal,
    signal_metric,
)

if TYPE_CHECKING:
    from torch import nn

# --- pillow
#: The decoded image at a path (a copy, read whole so the file is closed again).
open_image: Callable[[Any], Any]

# --- load
#: The data reference: an image folder, a CSV of ``path,label``, an ``.npz`` with X and y, ``sklearn:digits``.
DATA_REF: str
#: Float32 ``(N, C, H, W)`` raw pixel values (the scale a client sends: 0..16 for digits, 0..255 for 8-bit files).
IMAGES: np.ndarray
#: Class name (``str``) of each image.
LABELS: np.ndarray
#: The largest pixel value of the source's scale (16, 255, or the arrays' max).
PIXEL_MAX: float
#: Image files that could not be read (skipped).
UNREADABLE: list[str]
#: ``(C, H, W)``.
IMAGE_SHAPE: tuple[int, int, int]
#: ``"classification"`` and ``"label"``.
TASK: str
TARGET: str

# --- grid
#: ``show_grid(images, titles, title, columns=8)``: a plotly grid of raw-pixel images (at most 48), captioned.
show_grid: Callable[..., None]

# --- split
#: Sorted class names; ``y_*`` hold their codes.
CLASSES: list[str]
#: Code of the positive class for two classes, else None; THRESHOLD is always None for images.
POS_LABEL: int | None
THRESHOLD: None
#: Float32 ``(n, C, H, W)`` raw-scale images and their int class codes.
X_train: np.ndarray
X_test: np.ndarray
y_train: np.ndarray
y_test: np.ndarray
#: Indices into ``X_train``: the rows the search trains on / validates on.
FIT_ROWS: np.ndarray
VAL_ROWS: np.ndarray
#: Per-channel statistics of ``X_train`` (the networks normalise inside themselves).
PIXEL_MEAN: np.ndarray
PIXEL_STD: np.ndarray
#: ``augment(batch, generator)``: label-safe augmentation of a raw-scale torch batch.
augment: Callable[..., Any]

# --- networks
#: Number of classes.
N_CLASSES: int
#: ``make_network(family, width)``: the zoo's seeded networks (raw pixels in, logits out).
make_network: Callable[[str, int], nn.Module]
#: ``sum(p.numel())`` of a network.
count_parameters: Callable[[nn.Module], int]
#: ``predict_proba(net, images)``: float64 class probabilities of raw-pixel images.
predict_proba: Callable[..., np.ndarray]
#: ``compute_metrics(y_true, proba)``: accuracy, precision, recall, F1 and ROC AUC (the tabular names).
compute_metrics: Callable[[np.ndarray, np.ndarray], dict[str, float]]
#: ``train_network(family, width, lr, epochs, rows, batch_size, ...)`` -> (net, history, best epoch).
train_network: Callable[..., tuple[nn.Module, pd.DataFrame, int]]
#: ``epoch_seconds(family, width, batch_size)``: seconds a training epoch takes, timed on a few batches.
epoch_seconds: Callable[[str, int, int], float]

# --- search
#: Batch size of the search (and of the final training).
BATCH: int
#: The search's validated networks, keyed by their pinned configuration (JSON).
TRAINED: dict[str, nn.Module]
#: Each family's learning curves (epoch, train_loss, seconds, val_loss, val_accuracy).
histories: dict[str, pd.DataFrame]

# --- fit
#: The pinned configuration (family, width, lr, epochs, stop_after, best_epoch, batch_size).
PARAMS: dict[str, Any]
#: Validation metrics of the search's best network.
CV_METRICS: dict[str, float]
#: The kept network (eval mode): raw pixels in, logits out (its parameter count: ``N_PARAMETERS``).
model: nn.Module

# --- evaluate (``METRICS``: the test-set metrics)
#: Test-set class probabilities of ``model`` and the predicted class codes.
proba_test: np.ndarray
pred: np.ndarray


def __getattr__(name: str) -> Any:
    raise AttributeError(f"{name} is defined by an earlier cell of the generated notebook.")


# --- export and parity (the Server agent; its shared names are in ``cells/context.py``)
#: The ONNX input's name; ``to_onnx_feed(images)``, its input for raw-pixel images; the file's size and opset.
ONNX_INPUT_NAME: str
to_onnx_feed: Callable[[np.ndarray], dict[str, np.ndarray]]
onnx_bytes: int
opset: int
#: Class codes in the order of the probability columns; ``onnx_predict(session, images)``, (codes, probabilities).
PROBA_CODES: np.ndarray
onnx_predict: Callable[..., tuple[np.ndarray, np.ndarray]]
