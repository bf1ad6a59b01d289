"""Check the grounding data: boxes inside their image, empty queries, duplicates, images missing."""

# %% [context]
import numpy as np
import pandas as pd
from IPython.display import display

from .context import IMAGES, MISSING_IMAGES, QUERIES, _report

# %% Check every query before training: its image must have been read, its box must be a real box inside the image
# (a box slightly outside is clipped to it), its text must not be empty, and a query asked twice of one image must
# mean one box (an exact repeat is dropped; the same words with different boxes are ambiguous, so both go).
side = IMAGES.shape[-1]
before = len(QUERIES)
checks = pd.DataFrame(index=QUERIES.index)
checks["image missing"] = QUERIES["image"] < 0
QUERIES["query"] = QUERIES["query"].str.strip()
checks["empty query"] = QUERIES["query"].str.len() == 0
boxes = QUERIES[["x0", "y0", "x1", "y1"]].to_numpy(dtype=float)
checks["box not a number"] = ~np.isfinite(boxes).all(axis=1) & ~checks["image missing"]
outside = (boxes[:, 0] < -0.5) | (boxes[:, 1] < -0.5) | (boxes[:, 2] > side + 0.5) | (boxes[:, 3] > side + 0.5)
clipped = np.clip(np.nan_to_num(boxes), 0, side)
checks["box empty or inside out"] = ((clipped[:, 2] - clipped[:, 0] < 1) | (clipped[:, 3] - clipped[:, 1] < 1)) \
    & ~checks["box not a number"] & ~checks["image missing"]
QUERIES[["x0", "y0", "x1", "y1"]] = clipped
frame = QUERIES.assign(q=QUERIES["query"].str.lower(), box=[tuple(b) for b in clipped.round(1)])
checks["duplicate"] = frame.duplicated(["image", "q", "box"])
checks["same query, another box"] = frame.groupby(["image", "q"])["box"].transform("nunique") > 1
drop = checks.any(axis=1)
summary = checks.sum().astype(int)
summary["boxes partly outside, clipped"] = int((outside & ~drop).sum())
display(summary.rename("rows").to_frame())
QUERIES = QUERIES[~drop].reset_index(drop=True)
if len(QUERIES) == 0:
    raise ValueError("No query is left after the checks: " + ", ".join(f"{k} {v}" for k, v in summary.items() if v))
notes = [f"Dropped {int(n)} quer{'y' if n == 1 else 'ies'}: {name}" + (f" ({', '.join(MISSING_IMAGES[:3])})"
         if name == "image missing" and MISSING_IMAGES else "") for name, n in checks.sum().items() if n]
if summary["boxes partly outside, clipped"]:
    notes.append(f"Clipped {summary['boxes partly outside, clipped']} boxes that reached outside their image.")
print(f"{len(QUERIES):,} of {before:,} queries kept" + ("; " + "; ".join(notes) if notes else ""))
_report(rows=len(QUERIES), dropped=int(drop.sum()), checks={k: int(v) for k, v in summary.items()}, notes=notes)
