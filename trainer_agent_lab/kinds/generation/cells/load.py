"""Load the images to learn to draw into ``IMAGES`` (raw pixels, channels first) and their classes ``LABELS``."""

# %% [context]
from pathlib import Path

import numpy as np
from PIL import Image

from .context import _report, open_image

# isort: split
# %% Load the images to learn to draw, and the class of each: scikit-learn's bundled digits, an .npz of
# arrays, or an image folder (one sub-folder per class, or the images themselves: one class). Images are
# brought to the most common size, at most MAX_SIDE pixels a side: a CPU draws small images in milliseconds.
import collections

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def image_files(folder):
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)


def read_images(paths):
    """Float32 pixels (N, C, H, W) of image files at the most common size (grey when every file is grey)."""
    opened, unreadable = [], []
    for path in paths:
        try:
            opened.append(open_image(path))
        except (OSError, ValueError):  # OSError covers Pillow's UnidentifiedImageError
            unreadable.append(str(path))
    if not opened:
        raise ValueError(f"None of the {len(paths)} image files could be read.")
    grey = all(im.mode in ("1", "L", "LA", "I", "I;16", "F") for im in opened)
    width, height = collections.Counter(im.size for im in opened).most_common(1)[0][0]
    scale = min(1.0, MAX_SIDE / max(width, height))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    arrays = [np.asarray(im.convert("L" if grey else "RGB").resize(size, Image.BILINEAR), dtype=np.float32)
              for im in opened]
    return np.stack([a[None] if grey else a.transpose(2, 0, 1) for a in arrays]), unreadable


# %% [parameters]
DATA_REF = "sklearn:digits"
MAX_SIDE = 32


# %% Where the images come from: scikit-learn's bundled digits, an .npz of arrays, or a folder.
def load_images(ref):
    """(IMAGES, LABELS, PIXEL_MAX, UNREADABLE) from sklearn:digits, an .npz (X, y optional) or an image folder."""
    if ref == "sklearn:digits":
        from sklearn.datasets import load_digits
        digits = load_digits()
        return digits.images[:, None].astype(np.float32), digits.target.astype(str), 16.0, []
    path = Path(ref).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"Data not found: {path}. Check the path given with --data.")
    if path.suffix.lower() == ".npz":
        with np.load(path, allow_pickle=False) as arrays:
            if "X" not in arrays:
                raise ValueError(f"{path.name} must hold an array X of images (and y, their classes).")
            X = arrays["X"]
            y = arrays["y"].astype(str) if "y" in arrays else np.full(len(X), "image")
        X = X[:, None] if X.ndim == 3 else X.transpose(0, 3, 1, 2) if X.shape[-1] in (1, 3) else X
        return X.astype(np.float32), y, 255.0 if X.dtype == np.uint8 else float(X.max()), []
    if not path.is_dir():
        raise ValueError(f"{path.name} is not image data: pass a folder of images (one sub-folder per class, "
                         "or the images themselves), an .npz with X (and y), or sklearn:digits.")
    classes = sorted(d for d in path.iterdir() if d.is_dir() and not d.name.startswith(".") and image_files(d))
    files = [f for d in classes for f in image_files(d)] or image_files(path)
    labels = [d.name for d in classes for _ in image_files(d)] or ["image"] * len(files)
    if not files:
        raise ValueError(f"{path} holds no image files ({', '.join(IMAGE_EXTENSIONS)}), in it or in sub-folders.")
    images, unreadable = read_images(files)
    labels = [label for f, label in zip(files, labels, strict=True) if str(f) not in set(unreadable)]
    return images, np.asarray(labels, dtype=str), 255.0, unreadable


# %% Load them: at least a few images of each class are needed to learn what it looks like.
IMAGES, LABELS, PIXEL_MAX, UNREADABLE = load_images(DATA_REF)
counts = collections.Counter(LABELS.tolist())
if len(IMAGES) < 20 or min(counts.values()) < 4:
    raise ValueError(f"{DATA_REF} has too few images to learn from ({len(IMAGES)} in all, the fewest in one class "
                     f"{min(counts.values())}): bring at least 4 per class and 20 in all.")
IMAGE_SHAPE = tuple(int(v) for v in IMAGES.shape[1:])
TASK, TARGET = "generation", "label"
print(f"Loaded {DATA_REF}: {len(IMAGES):,} images of {IMAGE_SHAPE[0]} x {IMAGE_SHAPE[1]} x {IMAGE_SHAPE[2]} "
      f"(channels x height x width), scale 0..{PIXEL_MAX:g}, {len(counts)} class(es)"
      + (f"; {len(UNREADABLE)} unreadable files skipped" if UNREADABLE else ""))
_report(rows=len(IMAGES), shape=IMAGE_SHAPE, pixel_max=PIXEL_MAX, classes=sorted(counts), n_unreadable=len(UNREADABLE),
        columns=[{"name": "label", "dtype": "object", "n_unique": len(counts), "missing": 0}])
