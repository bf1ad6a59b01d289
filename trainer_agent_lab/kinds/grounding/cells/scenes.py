"""Draw synthetic grounding scenes: coloured shapes of two sizes at random places, each with referring queries."""

# %% [context]
import json
import random
from pathlib import Path

import numpy as np
from PIL import Image

from .context import SEED, _report

# isort: split
# %% Draw synthetic scenes for visual grounding: several coloured shapes of two sizes at random places on a noisy
# background, and for some of them a query that picks out exactly one (by shape, colour, size or position against
# another shape), so that distractors of the same shape or colour are in the picture. First, how one scene is drawn.
from PIL import ImageDraw

COLOURS = {"red": (220, 40, 40), "green": (40, 180, 60), "blue": (50, 80, 230), "yellow": (230, 210, 40)}
SHAPES = ("circle", "square", "triangle")
SIZES = {"small": (5, 7), "large": (10, 13)}  # half the side, in pixels
RELATIONS = {"left of": (0, -1), "right of": (0, 1), "above": (1, -1), "below": (1, 1)}


def draw_scene(rng, side, count):
    """An RGB scene of ``count`` shapes that do not overlap, and each shape's (shape, colour, size, box)."""
    background = tuple(int(v) for v in rng.integers(20, 90, 3))
    image = Image.new("RGB", (side, side), background)
    draw, objects = ImageDraw.Draw(image), []
    for _ in range(60 * count):
        if len(objects) == count:
            break
        size = str(rng.choice(list(SIZES)))
        half = int(rng.integers(*SIZES[size], endpoint=True))
        cx, cy = (int(rng.integers(half + 1, side - half - 1)) for _ in range(2))
        box = (cx - half, cy - half, cx + half, cy + half)
        if any(box[0] < b[2] + 2 and b[0] < box[2] + 2 and box[1] < b[3] + 2 and b[1] < box[3] + 2
               for *_, b in objects):
            continue
        shape, colour = str(rng.choice(SHAPES)), str(rng.choice(list(COLOURS)))
        fill = tuple(int(np.clip(v + rng.integers(-25, 26), 0, 255)) for v in COLOURS[colour])
        if shape == "circle":
            draw.ellipse(box, fill=fill)
        elif shape == "square":
            draw.rectangle(box, fill=fill)
        else:
            draw.polygon([(cx, box[1]), (box[2], box[3]), (box[0], box[3])], fill=fill)
        objects.append((shape, colour, size, box))
    pixels = np.asarray(image, dtype=np.float32) + rng.normal(0, NOISE, (side, side, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)), objects


def descriptions(objects, i):
    """(query, type) pairs that describe object ``i`` of a scene and no other one."""
    shape, colour, size, box = objects[i]

    def matching(test):
        return [j for j, o in enumerate(objects) if test(o)]

    def unique(test):
        return matching(test) == [i]

    found = []
    if unique(lambda o: o[0] == shape):
        found.append((f"the {shape}", "shape"))
    if unique(lambda o: o[1] == colour):
        found.append((f"the {colour} shape", "colour"))
    if unique(lambda o: o[:2] == (shape, colour)):
        found.append((f"the {colour} {shape}", "colour and shape"))
    elif unique(lambda o: o[:3] == (shape, colour, size)):
        found.append((f"the {size} {colour} {shape}", "size"))
    for j, (shape2, colour2, _, box2) in enumerate(objects):
        if j == i or matching(lambda o, s=shape2, c=colour2: o[:2] == (s, c)) != [j]:
            continue
        for word, (axis, sign) in RELATIONS.items():
            def holds(o, b=box2, axis=axis, sign=sign):
                return sign * ((o[3][axis] + o[3][axis + 2]) - (b[axis] + b[axis + 2])) / 2 > 4

            if holds(objects[i]) and unique(lambda o, holds=holds: o[0] == shape and holds(o)):
                found.append((f"the {shape} {word} the {colour2} {shape2}", "position"))
    return found


# %% [parameters]
SCENES_DIR = "grounding_scenes"
N_SCENES = 2400
SIDE = 64
NOISE = 10.0
QUERIES_PER_SCENE = 2

# %% Draw every scene (seeded, so a re-run writes the same files) and its queries: for each shape described, a kind
# of description is picked (the harder ones, size and position, twice as often as shape or colour alone).
rng, pick = np.random.default_rng(SEED), random.Random(SEED)
out = Path(SCENES_DIR)
(out / "images").mkdir(parents=True, exist_ok=True)
WEIGHTS = {"shape": 1, "colour": 1, "colour and shape": 2, "size": 2, "position": 2}
rows = []
for n in range(N_SCENES):
    image, objects = draw_scene(rng, SIDE, int(rng.integers(3, 6)))
    name = f"images/scene_{n:05d}.png"
    image.save(out / name)
    order = list(range(len(objects)))
    pick.shuffle(order)
    chosen = 0
    for i in order:
        options = descriptions(objects, i)
        if not options or chosen == QUERIES_PER_SCENE:
            continue
        kinds = sorted({k for _, k in options})
        kind = pick.choices(kinds, weights=[WEIGHTS[k] for k in kinds])[0]
        query = pick.choice([q for q, k in options if k == kind])
        x0, y0, x1, y1 = objects[i][3]
        rows.append({"image": name, "query": query, "x0": x0, "y0": y0, "x1": x1 + 1, "y1": y1 + 1, "type": kind})
        chosen += 1
with (out / "annotations.jsonl").open("w") as handle:
    handle.writelines(json.dumps(row) + "\n" for row in rows)
kinds = {k: sum(r["type"] == k for r in rows) for k in WEIGHTS}
print(f"Wrote {N_SCENES} scenes of {SIDE}x{SIDE} pixels to {out}/images and {len(rows)} queries to "
      f"{out}/annotations.jsonl: " + ", ".join(f"{k} {v}" for k, v in kinds.items()))
_report(path=str(out), scenes=N_SCENES, queries=len(rows), query_types=kinds)
