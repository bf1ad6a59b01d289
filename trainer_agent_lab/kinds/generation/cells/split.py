"""Hold out real test images (the judge's and the Fréchet floor's), scale pixels, and import PyTorch."""

# %% [context]
import numpy as np

from .context import IMAGE_SHAPE, IMAGES, LABELS, PIXEL_MAX, SEED, _report

# isort: split
# %% Hold out a stratified fifth of the real images: the generator never sees them; the judge is scored on
# them, and they set the real-vs-real floor of the Fréchet distance. The networks are trained with PyTorch,
# seeded like every random step.
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.model_selection import train_test_split

torch.manual_seed(SEED)
torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))

# %% [parameters]
TEST_SIZE = 0.2

# %% Split, and define how pixels are scaled for the networks (flat rows in 0..1).
CLASSES = sorted(np.unique(LABELS).tolist(), key=lambda c: (len(c), c) if c.isdigit() else (10**9, c))
N_CLASSES = len(CLASSES)
codes = np.array([CLASSES.index(label) for label in LABELS])
X_train, X_test, y_train, y_test = train_test_split(IMAGES, codes, test_size=TEST_SIZE, random_state=SEED,
                                                    stratify=codes if N_CLASSES > 1 else None)


def scaled(images):
    """Raw pixels (N, C, H, W) as flat float32 rows in 0..1."""
    return np.clip(np.asarray(images, dtype=np.float32).reshape(len(images), -1) / PIXEL_MAX, 0, 1)


print(f"{len(X_train):,} training images (the generator learns from these), {len(X_test):,} held out; "
      f"{N_CLASSES} class(es), {int(np.prod(IMAGE_SHAPE))} numbers an image")
_report(n_train=len(X_train), n_test=len(X_test), classes=CLASSES, shape=IMAGE_SHAPE)

# %% [context]
# Modules later cells use: re-exported so that ruff sees them used.
__all__ = ["nn", "F"]
