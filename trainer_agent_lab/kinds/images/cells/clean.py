"""Clean: drop blank images, exact duplicates and images that appear under two labels, each with a stated reason."""

# %% [context]
import collections

import numpy as np
from IPython.display import Markdown, display

from .context import IMAGES, LABELS, UNREADABLE, _report

# %% Clean: drop blank images, exact duplicates and images that appear under two labels, each
# with a stated reason.
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
display(Markdown("**Cleaning**\n\n" + ("\n".join(f"- {note}" for note in notes) or "- Nothing to clean.")))
print(f"{len(IMAGES):,} images after cleaning")
_report(notes=notes, rows=len(IMAGES), classes=sorted(np.unique(LABELS).tolist()))
