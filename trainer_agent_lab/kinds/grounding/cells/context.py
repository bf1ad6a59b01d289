"""Names the grounding cells define, for the context blocks of cell files (see ``docs/cell-files.md``).

Nothing here exists at run time: the generated notebook defines every name itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ....cells.context import (  # noqa: F401  (re-exported for the grounding cell files)
    BUNDLE_DIR,
    INT8_PATH,
    ONNX_PATH,
    PARAMS,
    REQUIREMENTS,
    SEED,
    SERVING_MODEL_PATH,
    _report,
    onnx_session,
    write_json,
)

#: ``scenes``: the folder of generated scenes (images/ and annotations.jsonl).
SCENES_DIR: str
#: ``load``: every image at one size, raw pixels [N, 3, SIDE, SIDE] (0..255); the queries, one row each:
#: ``image`` (index into IMAGES), ``file``, ``query``, ``x0, y0, x1, y1`` (pixels of the resized image), ``type``.
IMAGES: Any
QUERIES: Any
IMAGE_SIDE: int
DATA_REF: str
#: ``load``: rows whose image file is missing or unreadable (dropped by ``checks``).
MISSING_IMAGES: list[str]
#: ``profile``: draws boxes into copies of images (``with_boxes``) and shows a captioned grid (``show_boxes``).
with_boxes: Callable[..., Any]
show_boxes: Callable[..., None]
#: ``split``: the tokenizer (``tokenize(text) -> ids``), its vocabulary and length; train/validation/test inputs as
#: structured arrays (fields ``pixels`` and ``tokens``) and their boxes [N, 4].
VOCAB: dict[str, int]
MAX_TOKENS: int
WORD_PATTERN: str
tokenize: Callable[[str], Any]
X_train: Any
X_val: Any
X_test: Any
Y_train: Any
Y_val: Any
Y_test: Any
Q_test: Any
#: ``networks``: the grounding network, its parameter count, box IoU and the predict helper.
GroundingNet: Any
count_parameters: Callable[[Any], int]
box_iou: Callable[[Any, Any], Any]
giou_loss: Callable[[Any, Any], Any]
ServedGrounding: Any
predict_boxes: Callable[..., Any]
#: ``select``: the width chosen and the parameter limit.
WIDTH: int
#: ``fit``: the trained network and its figures.
model: Any
N_PARAMETERS: int
#: ``evaluate``: test metrics.
METRICS: dict[str, float]
#: the task and its target, as the shared cells read them.
TASK: str
TARGET: str
CLASSES: Any
POS_LABEL: Any
THRESHOLD: Any
#: ``export``: the ONNX feed of structured items, the input names.
to_onnx_feed: Callable[[Any], dict[str, Any]]
ONNX_INPUT_NAMES: list[str]
#: ``parity``: ONNX boxes and scores of a batch of items.
onnx_boxes: Callable[..., Any]
#: ``serving``: the JSON form of one image.
png_base64: Callable[[Any], str]
family: str
sample_request: dict[str, Any]


def __getattr__(name: str) -> Any:
    raise AttributeError(f"{name} is defined by an earlier cell of the generated notebook.")
