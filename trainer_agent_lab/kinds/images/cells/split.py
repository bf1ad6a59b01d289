"""Stratified train/validation/test split, normalisation statistics and label-safe augmentation."""

# %% [context]
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import display

from .context import IMAGE_SHAPE, IMAGES, LABELS, PIXEL_MAX, SEED, TARGET, TASK, _report, show_grid

# isort: split
# %% Split into train, validation and test (stratified), compute normalisation statistics, and
# define label-safe augmentation. The networks are trained with PyTorch, seeded like every random step.
import os

import torch
import torch.nn.functional as F
from sklearn.model_selection import train_test_split

torch.manual_seed(SEED)
torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))

# %% [parameters]
TEST_SIZE = 0.2
VAL_SIZE = 0.15
FLIPS = False
SHIFT_PIXELS = 1
ROTATE_DEGREES = 10.0
NOISE = 0.03
POSITIVE_CLASS = None

# %% Split the images: a stratified test split, and a validation split inside the training one for the
# search. Keep the exact images of each split beside the notebook (split/, pixels as columns, as the
# tabular split cell writes its rows): the run can be reproduced from them, and other tools can be
# compared with it on the same images.
CLASSES = sorted(np.unique(LABELS).tolist(), key=lambda c: (len(c), c) if c.isdigit() else (10**9, c))
y = np.array([CLASSES.index(label) for label in LABELS])
POS_LABEL = (CLASSES.index(POSITIVE_CLASS) if POSITIVE_CLASS in CLASSES else 1) if len(CLASSES) == 2 else None
THRESHOLD = None
X_train, X_test, y_train, y_test = train_test_split(IMAGES, y, test_size=TEST_SIZE, random_state=SEED,
                                                    stratify=y)
FIT_ROWS, VAL_ROWS = train_test_split(np.arange(len(X_train)), test_size=VAL_SIZE, random_state=SEED,
                                      stratify=y_train)
channels, height, width = IMAGE_SHAPE
if channels * height * width <= 4096:
    SPLIT_DIR = Path("split")
    SPLIT_DIR.mkdir(exist_ok=True)
    pixel_names = [f"pixel_{i}_{j}" if channels == 1 else f"pixel_{c}_{i}_{j}"
                   for c in range(channels) for i in range(height) for j in range(width)]
    for split_name, split_images, split_codes in (("train", X_train, y_train), ("test", X_test, y_test)):
        split_rows = pd.DataFrame(split_images.reshape(len(split_images), -1), columns=pixel_names)
        split_rows[TARGET] = np.asarray(CLASSES, dtype=object)[split_codes]
        split_rows.to_parquet(SPLIT_DIR / f"{split_name}.parquet", index=False)
    (SPLIT_DIR / "split.json").write_text(json.dumps({
        "target": TARGET, "task": TASK, "classes": CLASSES,
        "pos_label": None if POS_LABEL is None else CLASSES[POS_LABEL], "text_column": None, "source": "agents",
        "seed": SEED, "test_size": TEST_SIZE, "image_shape": list(IMAGE_SHAPE),
        "how": "the cleaned images, train_test_split(test_size, random_state=seed, stratified), pixels flattened "
               "row by row (channel first) into columns"}, indent=2))
PIXEL_MEAN = X_train.mean(axis=(0, 2, 3))
PIXEL_STD = np.maximum(X_train.std(axis=(0, 2, 3)), 1e-6)
IMAGE_HEIGHT, IMAGE_WIDTH = height, width


# %% Augment the training batches without changing what they show: small shifts and rotations,
# a little noise, flips only where a flip keeps the label; shown on the first training images.
def augment(batch, generator):
    """Label-safe augmentation of a raw-pixel batch: small shifts and rotations (edges repeated), a little
    noise, and horizontal flips only where FLIPS (never for digits or letters, whose meaning a flip changes)."""
    n = batch.shape[0]
    angle = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(ROTATE_DEGREES)
    scale = SHIFT_PIXELS * 2 / torch.tensor([IMAGE_WIDTH, IMAGE_HEIGHT])  # pixels -> grid units (-1..1)
    shift = (torch.rand(n, 2, generator=generator) * 2 - 1) * scale
    cos, sin = angle.cos(), angle.sin()
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(batch.shape), align_corners=False)
    out = F.grid_sample(batch, grid, padding_mode="border", align_corners=False)
    if FLIPS:
        flip = torch.rand(n, generator=generator) < 0.5
        out = torch.where(flip[:, None, None, None], out.flip(-1), out)
    out = out + torch.randn(out.shape, generator=generator) * NOISE * PIXEL_MAX
    return out.clamp(0.0, PIXEL_MAX)


preview = augment(torch.from_numpy(X_train[:8]).repeat(2, 1, 1, 1), torch.Generator().manual_seed(SEED)).numpy()
show_grid(np.concatenate([X_train[:8], preview]), [f"{CLASSES[c]}" for c in y_train[:8]] * 3,
          "Training images (first row) and two augmented copies of each")
counts = pd.DataFrame({"train": np.bincount(y_train[FIT_ROWS], minlength=len(CLASSES)),
                       "validation": np.bincount(y_train[VAL_ROWS], minlength=len(CLASSES)),
                       "test": np.bincount(y_test, minlength=len(CLASSES))}, index=CLASSES)
display(counts.T)
print(f"train {len(FIT_ROWS):,} (+ {len(VAL_ROWS):,} for validation), test {len(X_test):,} images; "
      f"augmentation: shifts up to {SHIFT_PIXELS} px, rotations up to {ROTATE_DEGREES} degrees, noise "
      f"{NOISE:.0%} of the pixel scale, flips {'on' if FLIPS else 'off (they would change the label)'}")
_report(n_train=len(X_train), n_test=len(X_test), n_fit=len(FIT_ROWS), n_val=len(VAL_ROWS),
        n_features=int(np.prod(IMAGE_SHAPE)), shape=IMAGE_SHAPE, classes=CLASSES, pos_label=POS_LABEL,
        augmentation={"shift_pixels": SHIFT_PIXELS, "rotate_degrees": ROTATE_DEGREES, "noise": NOISE,
                      "flips": FLIPS})
