"""Cells the Data agent writes for images: synthetic shapes, load, profile, clean, split (+ augmentation)."""

from __future__ import annotations

from ..base import code_cell
from .grid import SHOW_GRID

_SHAPES = '''
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw


def draw_shape(kind, size, rng):
    """One RGB image: a filled circle, square or triangle of random size, place, angle and colour on a noisy
    background of another colour."""
    background = rng.integers(0, 110, 3)
    colour = rng.integers(140, 256, 3)
    image = Image.new("RGB", (size, size), tuple(int(v) for v in background))
    radius = rng.uniform(0.25, 0.4) * size
    cx, cy = (rng.uniform(radius + 0.5, size - radius - 0.5) for _ in range(2))
    draw = ImageDraw.Draw(image)
    if kind == "circle":
        draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill=tuple(int(v) for v in colour))
    else:
        corners = 4 if kind == "square" else 3
        turn = rng.uniform(0, 2 * math.pi)
        points = [(cx + radius * math.cos(turn + 2 * math.pi * i / corners),
                   cy + radius * math.sin(turn + 2 * math.pi * i / corners)) for i in range(corners)]
        draw.polygon(points, fill=tuple(int(v) for v in colour))
    pixels = np.asarray(image, dtype=np.float32) + rng.normal(0, NOISE, (size, size, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


rng = np.random.default_rng(SEED)
out = Path(SHAPES_DIR)
for kind in SHAPES:
    folder = out / kind
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()  # a re-run writes the same images afresh
    for i in range(PER_CLASS):
        draw_shape(kind, SIZE, rng).save(folder / f"{kind}_{i:04d}.png")
print(f"Wrote {len(SHAPES) * PER_CLASS} synthetic {SIZE}x{SIZE} images to {out}/ ({', '.join(SHAPES)}: "
      f"{PER_CLASS} each), one sub-folder per class")
_report(path=str(out), classes=list(SHAPES), per_class=PER_CLASS, size=SIZE)
'''


def shapes_cell(path: str = "shapes", per_class: int = 100, size: int = 16, noise: float = 12.0,
                shapes: tuple[str, ...] = ("circle", "square", "triangle")) -> str:
    """Generate a synthetic image folder of shapes (one sub-folder per class) for demos and tests."""
    return code_cell("Generate a synthetic image data set: shapes of random size, place, angle and colour on "
                     "noisy backgrounds, one sub-folder per class.", _SHAPES, SHAPES_DIR=path,
                     SHAPES=list(shapes), PER_CLASS=per_class, SIZE=size, NOISE=noise)


_LOAD = '''
import collections
from pathlib import Path

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
PATH_COLUMNS = ("path", "file", "filename", "filepath", "image", "image_path")
LABEL_COLUMNS = ("label", "class", "target", "category", "y")


def image_files(folder):
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)


def read_images(paths):
    """Pixels of image files as one float32 array (N, C, H, W), all at the most common size (at most
    MAX_SIDE pixels a side), grey when every file is grey; unreadable files are skipped and listed."""
    from PIL import Image, UnidentifiedImageError

    opened, unreadable = [], []
    for path in paths:
        try:
            with Image.open(path) as im:
                im.load()
                opened.append(im.copy())
        except (OSError, UnidentifiedImageError, ValueError):
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
    labels = [label for f, label in zip(files, labels) if str(f) in readable]
    return images, np.asarray(labels, dtype=str), 255.0, unreadable


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
'''


def load_cell(data_ref: str, max_side: int = 64) -> str:
    """Load images into ``IMAGES`` (raw pixels, channels first) and ``LABELS``; fail with a clear message."""
    return code_cell("Load the images and their labels, failing with a clear message if the data is unusable.",
                     _LOAD, DATA_REF=data_ref, MAX_SIDE=max_side)


_PROFILE = f'''
counts = pd.Series(LABELS).value_counts().sort_index()
px.bar(x=counts.index.astype(str), y=counts.values, labels={{"x": "class", "y": "images"}},
       title="Class balance").show()
{SHOW_GRID}

rng = np.random.default_rng(SEED)
picked = [i for name in counts.index for i in rng.permutation(np.flatnonzero(LABELS == name))[:PER_CLASS]]
show_grid(IMAGES[picked], [str(LABELS[i]) for i in picked], f"Sample images ({{PER_CLASS}} per class)")
channel_means = IMAGES.mean(axis=(0, 2, 3))
print(f"per-channel mean pixel value: {{np.round(channel_means, 2).tolist()}}; "
      f"{{int((IMAGES.reshape(len(IMAGES), -1).std(axis=1) == 0).sum())}} blank (constant) images")
_report(class_counts={{str(k): int(v) for k, v in counts.items()}}, shape=IMAGE_SHAPE,
        channel_means=channel_means.tolist())
'''


def profile_cell(per_class: int = 3) -> str:
    """Class balance and a grid of sample images per class."""
    return code_cell("Look at the data: class balance and sample images of every class.", _PROFILE,
                     PER_CLASS=per_class)


_CLEAN = '''
import collections

notes = []
if UNREADABLE:
    notes.append(f"Skipped {len(UNREADABLE)} files that are not readable images (e.g. {UNREADABLE[0]}).")
flat = IMAGES.reshape(len(IMAGES), -1)
blank = flat.std(axis=1) == 0
keys = [hash(row.tobytes()) for row in flat]
groups = collections.defaultdict(list)
for i, key in enumerate(keys):
    groups[key].append(i)
drop = set(np.flatnonzero(blank).tolist())
conflicting = duplicates = 0
for rows in groups.values():
    if len(rows) < 2:
        continue
    if len({LABELS[i] for i in rows}) > 1:
        drop.update(rows)  # the same pixels under different labels: no way to tell which is right
        conflicting += len(rows)
    else:
        drop.update(rows[1:])
        duplicates += len(rows) - 1
if blank.any():
    notes.append(f"Dropped {int(blank.sum())} blank images (every pixel the same).")
if duplicates:
    notes.append(f"Dropped {duplicates} duplicate images (exact copies would leak between train and test).")
if conflicting:
    notes.append(f"Dropped {conflicting} copies of images that carry different labels.")
keep = np.array(sorted(set(range(len(IMAGES))) - drop), dtype=int)
IMAGES, LABELS = IMAGES[keep], LABELS[keep]
display(Markdown("**Cleaning**\\n\\n" + ("\\n".join(f"- {note}" for note in notes) or "- Nothing to clean.")))
print(f"{len(IMAGES):,} images after cleaning")
_report(notes=notes, rows=len(IMAGES), classes=sorted(np.unique(LABELS).tolist()))
'''


def clean_cell() -> str:
    """Drop blank images, exact duplicates, and copies that carry conflicting labels."""
    return code_cell("Clean: drop blank images, exact duplicates and images that appear under two labels, each "
                     "with a stated reason.", _CLEAN)


_SPLIT = f'''
import math
import os

import torch
import torch.nn.functional as F
from sklearn.model_selection import train_test_split

torch.manual_seed(SEED)
torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
CLASSES = sorted(np.unique(LABELS).tolist(), key=lambda c: (len(c), c) if c.isdigit() else (10**9, c))
y = np.array([CLASSES.index(label) for label in LABELS])
POS_LABEL = (CLASSES.index(POSITIVE_CLASS) if POSITIVE_CLASS in CLASSES else 1) if len(CLASSES) == 2 else None
THRESHOLD = None
X_train, X_test, y_train, y_test = train_test_split(IMAGES, y, test_size=TEST_SIZE, random_state=SEED,
                                                    stratify=y)
FIT_ROWS, VAL_ROWS = train_test_split(np.arange(len(X_train)), test_size=VAL_SIZE, random_state=SEED,
                                      stratify=y_train)
# Keep the exact images of each split beside the notebook (split/, pixels as columns, as the tabular split cell
# writes its rows): the run can be reproduced from them, and other tools can be compared with it on the same images.
channels, height, width = IMAGE_SHAPE
if channels * height * width <= 4096:
    SPLIT_DIR = Path("split")
    SPLIT_DIR.mkdir(exist_ok=True)
    pixel_names = [f"pixel_{{i}}_{{j}}" if channels == 1 else f"pixel_{{c}}_{{i}}_{{j}}"
                   for c in range(channels) for i in range(height) for j in range(width)]
    for split_name, split_images, split_codes in (("train", X_train, y_train), ("test", X_test, y_test)):
        split_rows = pd.DataFrame(split_images.reshape(len(split_images), -1), columns=pixel_names)
        split_rows[TARGET] = np.asarray(CLASSES, dtype=object)[split_codes]
        split_rows.to_parquet(SPLIT_DIR / f"{{split_name}}.parquet", index=False)
    (SPLIT_DIR / "split.json").write_text(json.dumps({{
        "target": TARGET, "task": TASK, "classes": CLASSES,
        "pos_label": None if POS_LABEL is None else CLASSES[POS_LABEL], "text_column": None, "source": "agents",
        "seed": SEED, "test_size": TEST_SIZE, "image_shape": list(IMAGE_SHAPE),
        "how": "the cleaned images, train_test_split(test_size, random_state=seed, stratified), pixels flattened "
               "row by row (channel first) into columns"}}, indent=2))
PIXEL_MEAN = X_train.mean(axis=(0, 2, 3))
PIXEL_STD = np.maximum(X_train.std(axis=(0, 2, 3)), 1e-6)
IMAGE_HEIGHT, IMAGE_WIDTH = height, width


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


{SHOW_GRID}

preview = augment(torch.from_numpy(X_train[:8]).repeat(2, 1, 1, 1), torch.Generator().manual_seed(SEED)).numpy()
show_grid(np.concatenate([X_train[:8], preview]), [f"{{CLASSES[c]}}" for c in y_train[:8]] * 3,
          "Training images (first row) and two augmented copies of each")
counts = pd.DataFrame({{"train": np.bincount(y_train[FIT_ROWS], minlength=len(CLASSES)),
                       "validation": np.bincount(y_train[VAL_ROWS], minlength=len(CLASSES)),
                       "test": np.bincount(y_test, minlength=len(CLASSES))}}, index=CLASSES)
display(counts.T)
print(f"train {{len(FIT_ROWS):,}} (+ {{len(VAL_ROWS):,}} for validation), test {{len(X_test):,}} images; "
      f"augmentation: shifts up to {{SHIFT_PIXELS}} px, rotations up to {{ROTATE_DEGREES}} degrees, noise "
      f"{{NOISE:.0%}} of the pixel scale, flips {{'on' if FLIPS else 'off (they would change the label)'}}")
_report(n_train=len(X_train), n_test=len(X_test), n_fit=len(FIT_ROWS), n_val=len(VAL_ROWS),
        n_features=int(np.prod(IMAGE_SHAPE)), shape=IMAGE_SHAPE, classes=CLASSES, pos_label=POS_LABEL,
        augmentation={{"shift_pixels": SHIFT_PIXELS, "rotate_degrees": ROTATE_DEGREES, "noise": NOISE,
                      "flips": FLIPS}})
'''


def split_cell(test_size: float, val_size: float, flips: bool, shift_pixels: int, rotate_degrees: float,
               noise: float, positive_class: str | None = None) -> str:
    """Stratified train/validation/test split, normalisation statistics and the augmentation function."""
    return code_cell("Split into train, validation and test (stratified), compute normalisation statistics, and "
                     "define label-safe augmentation.", _SPLIT, TEST_SIZE=test_size, VAL_SIZE=val_size,
                     FLIPS=flips, SHIFT_PIXELS=shift_pixels, ROTATE_DEGREES=rotate_degrees, NOISE=noise,
                     POSITIVE_CLASS=positive_class)
