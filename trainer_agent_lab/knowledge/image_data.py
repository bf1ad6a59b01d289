"""Telling image data from tables by looking at a data reference (used by the request parser).

Image data is: an ``.npz`` of arrays (``X`` images, ``y`` labels), a folder with one sub-folder of image files
per class, a folder or CSV whose path column names image files, or ``synthetic:shapes`` (the Data agent draws
a shapes folder). Only names and the first lines of a CSV are read, so the check is cheap on any folder.
"""

from __future__ import annotations

import csv
from itertools import islice
from pathlib import Path

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
#: The data reference that makes the Data agent draw a synthetic shapes folder first (demos and tests).
SYNTHETIC_SHAPES = "synthetic:shapes"
SYNTHETIC_REFS = (SYNTHETIC_SHAPES,)
#: How many entries of a folder are looked at (a folder of thousands of classes is not listed in full).
_LOOK = 200


def _has_images(folder: Path) -> bool:
    return any(p.suffix.lower() in IMAGE_EXTENSIONS for p in islice(folder.iterdir(), _LOOK))


def _csv_of_image_paths(path: Path) -> bool:
    """Whether the CSV's first data row has a value naming an image file."""
    try:
        with path.open(newline="", encoding="utf-8", errors="replace") as handle:
            rows = list(islice(csv.reader(handle), 2))
    except OSError:
        return False
    return len(rows) == 2 and any(str(v).strip().lower().endswith(IMAGE_EXTENSIONS) for v in rows[1])


def is_image_data(ref: str) -> bool:
    """Whether ``ref`` points at images (see the module docstring); False for anything unreadable."""
    if ref in SYNTHETIC_REFS:
        return True
    if ref.startswith("sklearn:"):
        return False
    path = Path(ref).expanduser()
    try:
        if path.suffix.lower() == ".npz":
            return True
        if path.is_file():
            return path.suffix.lower() == ".csv" and _csv_of_image_paths(path)
        if path.is_dir():
            entries = list(islice(path.iterdir(), _LOOK))
            if any(e.is_dir() and not e.name.startswith(".") and _has_images(e) for e in entries):
                return True
            tables = [e for e in entries if e.suffix.lower() == ".csv"]
            return len(tables) == 1 and _csv_of_image_paths(tables[0])
    except OSError:
        return False
    return False
