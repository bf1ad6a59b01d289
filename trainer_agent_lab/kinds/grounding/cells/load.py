"""Load grounding data: images and, for each query, the box of the object it describes."""

# %% [context]
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import display
from PIL import Image

from .context import _report

# isort: split
# %% Load the grounding data: a table of `image, query, x0, y0, x1, y1` (CSV or JSON lines; pixels of the image file,
# x to the right and y down) or COCO-style JSON (`images`, `annotations` with `bbox` [x, y, w, h] and their
# referring expressions or captions), beside the images. First, how the annotations are found and read.
import collections

IMAGE_COLUMNS = ("image", "file", "filename", "file_name", "path", "image_path")
QUERY_COLUMNS = ("query", "text", "expression", "referring_expression", "phrase", "caption", "sentence")
BOX_COLUMNS = (("x0", "y0", "x1", "y1"), ("xmin", "ymin", "xmax", "ymax"), ("left", "top", "right", "bottom"))
POSITION_WORDS = re.compile(r"\b(left|right|above|below|under|over|behind|front|next|near|between|beside|top|"
                            r"bottom)\b|左|右|上|下|旁|之间")
SIZE_WORDS = re.compile(r"\b(small|smaller|smallest|large|larger|largest|big|bigger|biggest|tiny|little|huge)\b|大|小")


def annotation_file(ref):
    """The annotation file of a data reference: the file itself, or the one table or COCO JSON in the folder."""
    path = Path(ref)
    if path.is_file():
        return path
    if not path.is_dir():
        raise FileNotFoundError(f"{ref} does not exist")
    found = sorted(p for p in path.iterdir() if p.suffix.lower() in (".jsonl", ".ndjson", ".csv", ".json"))
    if not found:
        raise ValueError(f"{ref} holds no annotation file: add a CSV or JSON-lines file of image, query, x0, y0, x1, "
                         "y1 (or COCO-style JSON) beside the images")
    return sorted(found, key=lambda p: (p.suffix.lower() not in (".jsonl", ".ndjson"), p.suffix.lower() != ".csv"))[0]


def coco_rows(document):
    """One row per referring expression of a COCO-style document."""
    files = {item["id"]: item["file_name"] for item in document["images"]}
    rows = []
    for ann in document["annotations"]:
        x, y, w, h = ann["bbox"]
        texts = ann.get("sentences") or [ann.get(k) for k in QUERY_COLUMNS if ann.get(k) is not None][:1]
        for text in texts:
            text = text.get("sent", text.get("raw", "")) if isinstance(text, dict) else text
            rows.append({"image": files.get(ann["image_id"], f"<image id {ann['image_id']}>"), "query": text,
                         "x0": x, "y0": y, "x1": x + w, "y1": y + h})
    return pd.DataFrame(rows)


def read_annotations(path):
    """The annotations as a table of image, query, x0, y0, x1, y1 (and type, where given)."""
    if path.suffix.lower() == ".json":
        document = json.loads(path.read_text())
        table = coco_rows(document) if isinstance(document, dict) and "annotations" in document else \
            pd.DataFrame(document)
    elif path.suffix.lower() == ".csv":
        table = pd.read_csv(path, keep_default_na=False)
    else:
        table = pd.read_json(path, lines=True)
    lowered = {str(c).lower(): c for c in table.columns}
    image = next((lowered[c] for c in IMAGE_COLUMNS if c in lowered), None)
    query = next((lowered[c] for c in QUERY_COLUMNS if c in lowered), None)
    box = next((names for names in BOX_COLUMNS if all(n in lowered for n in names)), None)
    if image is None or query is None or box is None:
        raise ValueError(f"{path.name} needs columns image, query, x0, y0, x1, y1; it has {list(table.columns)}")
    out = pd.DataFrame({"file": table[image].astype(str), "query": table[query].fillna("").astype(str)})
    for new, old in zip(("x0", "y0", "x1", "y1"), box, strict=True):
        out[new] = pd.to_numeric(table[lowered[old]], errors="coerce")
    if "type" in lowered:
        out["type"] = table[lowered["type"]].astype(str)
    return out


# %% [parameters]
DATA_REF = "grounding_scenes"
MAX_SIDE = 64

# %% Read the annotations, then every image they name once, resized to one square side (at most MAX_SIDE pixels) so
# the network sees one shape; the boxes are scaled with their image. Rows whose image is missing or unreadable are
# listed (the checks drop them).
annotations = annotation_file(DATA_REF)
QUERIES = read_annotations(annotations)
if QUERIES.empty:
    raise ValueError(f"{annotations} has no rows")
opened, MISSING_IMAGES = {}, []
for name in QUERIES["file"].unique():
    path = annotations.parent / name
    try:
        with Image.open(path) as im:
            opened[name] = im.convert("RGB")
    except (OSError, ValueError):
        MISSING_IMAGES.append(name)
if not opened:
    raise ValueError(f"None of the {QUERIES['file'].nunique()} images {annotations.name} names could be read "
                     f"(first: {MISSING_IMAGES[:3]}); paths are read relative to {annotations.parent}")
common = collections.Counter(max(im.size) for im in opened.values()).most_common(1)[0][0]
IMAGE_SIDE = int(min(MAX_SIDE, common))
index = {name: i for i, name in enumerate(opened)}
IMAGES = np.stack([np.asarray(im.resize((IMAGE_SIDE, IMAGE_SIDE), Image.BILINEAR), dtype=np.float32)
                   .transpose(2, 0, 1) for im in opened.values()])
sizes = pd.DataFrame([im.size for im in opened.values()], columns=["width", "height"], index=list(opened))
QUERIES["image"] = QUERIES["file"].map(index).fillna(-1).astype(int)
scale_x = IMAGE_SIDE / QUERIES["file"].map(sizes["width"])
scale_y = IMAGE_SIDE / QUERIES["file"].map(sizes["height"])
for col, scale in (("x0", scale_x), ("x1", scale_x), ("y0", scale_y), ("y1", scale_y)):
    QUERIES[col] = QUERIES[col] * scale
if "type" not in QUERIES:
    QUERIES["type"] = ["position" if POSITION_WORDS.search(q.lower()) else "size" if SIZE_WORDS.search(q.lower())
                       else "other" for q in QUERIES["query"]]
resized = int((sizes.max(axis=1) != IMAGE_SIDE).sum() + (sizes["width"] != sizes["height"]).sum())
print(f"{len(QUERIES):,} queries on {len(opened):,} images from {annotations}; images at {IMAGE_SIDE}x{IMAGE_SIDE} "
      f"pixels ({resized} resized), {len(MISSING_IMAGES)} missing or unreadable")
display(QUERIES.head())
_report(rows=len(QUERIES), images=len(opened), side=IMAGE_SIDE, n_missing=len(MISSING_IMAGES),
        annotations=str(annotations), query_types=QUERIES["type"].value_counts().to_dict())
