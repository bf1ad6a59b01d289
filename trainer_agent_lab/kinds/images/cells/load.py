"""Load images and their labels into ``IMAGES`` (raw pixels, channels first) and ``LABELS``; fail clearly."""

# %% [context]
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from .context import _report, open_image

# isort: split
# %% Load the images and their labels, failing with a clear message if the data is unusable.
# First, how image files and CSVs of image paths are read.
import collections

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
PATH_COLUMNS = ("path", "file", "filename", "filepath", "image", "image_path")
LABEL_COLUMNS = ("label", "class", "target", "category", "y")


def image_files(folder):
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)


def read_images(paths):
    """Pixels of image files as one float32 array (N, C, H, W), all at the most common size (at most
    MAX_SIDE pixels a side), grey when every file is grey; unreadable files are skipped and listed."""
    opened, unreadable = [], []
    for path in paths:
        try:
            opened.append(open_image(path))
        except (OSError, ValueError):  # OSError covers Pillow's UnidentifiedImageError
            unreadable.append(str(path))
    if not opened:
        raise ValueError(f"None of the {len(paths)} image files could be read ({unreadable[:3]} ...).")
    grey = all(im.mode in ("1", "L", "LA", "I", "I;16", "F") for im in opened)
    width, height = collections.Counter(im.size for im in opened).most_common(1)[0][0]
    scale = min(1.0, MAX_SIDE / max(width, height))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    arrays = []
    for im in opened:
        im = im.convert("L" if grey else "RGB")
        if im.size != size:
            im = im.resize(size, Image.BILINEAR)
        pixels = np.asarray(im, dtype=np.float32)
        arrays.append(pixels[None] if grey else pixels.transpose(2, 0, 1))
    resized = sum(im.size != size for im in opened)
    if resized:
        print(f"{resized} of {len(opened)} images resized to {size[0]}x{size[1]} pixels")
    return np.stack(arrays), unreadable


def csv_of_paths(path):
    """(image paths, labels) from a CSV with a path column and a label column; paths relative to the CSV."""
    table = pd.read_csv(path)
    lowered = {c.lower(): c for c in table.columns}
    path_col = next((lowered[c] for c in PATH_COLUMNS if c in lowered), None)
    label_col = next((lowered[c] for c in LABEL_COLUMNS if c in lowered), None)
    if path_col is None or label_col is None:
        raise ValueError(f"{path.name} needs a column of image paths ({', '.join(PATH_COLUMNS)}) and one of labels "
                         f"({', '.join(LABEL_COLUMNS)}); it has {list(table.columns)}.")
    table = table.dropna(subset=[path_col, label_col])
    files = [p if p.is_absolute() else path.parent / p for p in map(Path, table[path_col].astype(str))]
    missing = [str(p) for p in files if not p.exists()]
    if missing:
        raise FileNotFoundError(f"{len(missing)} image paths in {path.name} do not exist, e.g. {missing[:3]}; "
                                "paths are read relative to the CSV's folder.")
    return files, table[label_col].astype(str).str.strip().tolist()


# %% [parameters]
DATA_REF = "sklearn:digits"
MAX_SIDE = 64

# %% Where the images come from: scikit-learn's bundled digits, an .npz of arrays, a CSV of image
# paths, or a folder with one sub-folder per class.
def load_image_data(ref):
    """(IMAGES, LABELS, PIXEL_MAX, UNREADABLE) from a bundled set, an .npz, a CSV of paths or a class folder."""
    if ref == "sklearn:digits":
        from sklearn.datasets import load_digits
        digits = load_digits()
        return digits.images[:, None].astype(np.float32), digits.target.astype(str), 16.0, []
    if ref.startswith("sklearn:"):
        raise ValueError(f"{ref} is not an image set: of scikit-learn's bundled sets only sklearn:digits is.")
    path = Path(ref).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"Data not found: {path}. Check the path given with --data.")
    if path.suffix.lower() == ".npz":
        with np.load(path, allow_pickle=False) as arrays:
            if "X" not in arrays or "y" not in arrays:
                raise ValueError(f"{path.name} must hold an array X of images and an array y of labels; it holds "
                                 f"{sorted(arrays.files)}.")
            X, y = arrays["X"], arrays["y"]
        if X.ndim == 3:
            X = X[:, None]
        elif X.ndim == 4 and X.shape[-1] in (1, 3, 4) and X.shape[1] not in (1, 3, 4):
            X = X.transpose(0, 3, 1, 2)  # channels last -> channels first
        if X.ndim != 4 or len(X) != len(y) or X.shape[1] not in (1, 3, 4):
            raise ValueError(f"{path.name}: X must be images (N, H, W), (N, H, W, C) or (N, C, H, W) with one "
                             f"label in y per image; got X {X.shape} and y {y.shape}.")
        top = 255.0 if X.dtype == np.uint8 else float(np.max(X))
        return X.astype(np.float32), np.asarray(y).astype(str), top, []
    if path.suffix.lower() == ".csv":
        files, labels = csv_of_paths(path)
    elif path.is_dir():
        classes = sorted(d for d in path.iterdir() if d.is_dir() and not d.name.startswith(".") and image_files(d))
        tables = sorted(path.glob("*.csv"))
        if not classes and len(tables) == 1:
            files, labels = csv_of_paths(tables[0])
        elif not classes:
            raise ValueError(f"{path} has no class sub-folders with images: put each class's image files "
                             f"({', '.join(IMAGE_EXTENSIONS)}) in a sub-folder named for the class (e.g. cats/, "
                             "dogs/), or add one CSV with a path and a label column.")
        else:
            files = [f for d in classes for f in image_files(d)]
            labels = [d.name for d in classes for _ in image_files(d)]
    else:
        raise ValueError(f"{path.name} is not image data: pass a folder with one sub-folder per class, a CSV of "
                         "path,label, or an .npz with X and y.")
    images, unreadable = read_images(files)
    readable = set(map(str, files)) - set(unreadable)
    labels = [label for f, label in zip(files, labels, strict=True) if str(f) in readable]
    return images, np.asarray(labels, dtype=str), 255.0, unreadable


# %% Load them, and check there are at least two classes to tell apart.
IMAGES, LABELS, PIXEL_MAX, UNREADABLE = load_image_data(DATA_REF)
if len(np.unique(LABELS)) < 2:
    raise ValueError(f"{DATA_REF} holds one class only ({LABELS[0] if len(LABELS) else 'none'}): a classifier "
                     "needs images of at least two classes.")
IMAGE_SHAPE = tuple(int(v) for v in IMAGES.shape[1:])
TASK, TARGET = "classification", "label"
print(f"Loaded {DATA_REF}: {len(IMAGES):,} images of {IMAGE_SHAPE[0]} x {IMAGE_SHAPE[1]} x {IMAGE_SHAPE[2]} "
      f"(channels x height x width), pixel values {IMAGES.min():g}..{IMAGES.max():g} (scale 0..{PIXEL_MAX:g}), "
      f"{len(np.unique(LABELS))} classes" + (f"; {len(UNREADABLE)} unreadable files skipped" if UNREADABLE else ""))
_report(rows=len(IMAGES), shape=IMAGE_SHAPE, pixel_max=PIXEL_MAX, classes=sorted(np.unique(LABELS).tolist()),
        unreadable=UNREADABLE[:20], n_unreadable=len(UNREADABLE),
        columns=[{"name": "label", "dtype": "object", "n_unique": int(len(np.unique(LABELS))), "missing": 0}])
