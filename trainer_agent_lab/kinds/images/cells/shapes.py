"""Draw a synthetic image data set (shapes on noisy backgrounds, one sub-folder per class) for demos and tests."""

# %% [context]
import math
from pathlib import Path

import numpy as np
from PIL import Image

from .context import SEED, _report

# isort: split
# %% Generate a synthetic image data set: shapes of random size, place, angle and colour on
# noisy backgrounds, one sub-folder per class. First, how one image is drawn.
from PIL import ImageDraw


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


# %% [parameters]
SHAPES_DIR = "shapes"
SHAPES = ["circle", "square", "triangle"]
PER_CLASS = 100
SIZE = 16
NOISE = 12.0

# %% Draw every image (seeded, so a re-run writes the same files) into a sub-folder per class.
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
