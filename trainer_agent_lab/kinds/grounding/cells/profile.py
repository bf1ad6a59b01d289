"""Look at the grounding data: sample images with their boxes and queries, query lengths and words, box sizes."""
# ruff: noqa: E402  (as in the notebook: a cell's parameters come first, its imports after them)

# %% [context]
import math
import re

import numpy as np
import plotly.express as px
import plotly.graph_objects as go

from .context import IMAGES, QUERIES, _report

# isort: split

# %% [parameters]
SAMPLES = 16


# %% [hidden] Helpers that draw boxes into copies of images (outlines burnt into the pixels, so the static copy of the
# figure shows them too) and show images in a captioned grid.
from plotly.subplots import make_subplots


def with_boxes(image, boxes, colours):
    """A copy of ``image`` (raw pixels, channels first) with the outline of each box in its colour."""
    out = np.array(image, dtype=np.float32)
    side_y, side_x = out.shape[1:]
    for box, colour in zip(boxes, colours, strict=True):
        x0, y0, x1, y1 = (int(round(float(v))) for v in box)
        x0, x1 = sorted((min(max(x0, 0), side_x - 1), min(max(x1 - 1, 0), side_x - 1)))
        y0, y1 = sorted((min(max(y0, 0), side_y - 1), min(max(y1 - 1, 0), side_y - 1)))
        paint = np.asarray(colour, dtype=np.float32)[:, None]
        out[:, y0, x0:x1 + 1] = out[:, y1, x0:x1 + 1] = paint
        out[:, y0:y1 + 1, x0] = out[:, y0:y1 + 1, x1] = paint
    return out


def show_boxes(images, titles, title, columns=4):
    """A grid of images (raw pixels, channels first, at most 24) with a caption above each."""
    images = np.asarray(images)[:24]
    rgb = np.clip(images.transpose(0, 2, 3, 1), 0, 255).astype(np.uint8)
    fig = px.imshow(rgb, facet_col=0, facet_col_wrap=columns, facet_row_spacing=0.08)
    for annotation in fig.layout.annotations:
        annotation.text = str(titles[int(annotation.text.split("=")[-1])])[:34]
        annotation.font.size = 10
    fig.update_xaxes(showticklabels=False).update_yaxes(showticklabels=False)
    fig.update_layout(title=title, height=190 * math.ceil(len(images) / columns) + 80, margin={"t": 90})
    fig.show()


# %% Sample queries with the box of the object each describes (green), drawn on its image.
TRUTH_COLOUR = (0, 255, 0)
shown = QUERIES[QUERIES["image"] >= 0].sample(min(SAMPLES, len(QUERIES)), random_state=0)
show_boxes([with_boxes(IMAGES[r.image], [(r.x0, r.y0, r.x1, r.y1)], [TRUTH_COLOUR]) for r in shown.itertuples()],
           list(shown["query"]), "Sample queries and the box of the object each describes")

# %% The queries (their length in words and their most common words) and the boxes (their size against the image
# and where their centres lie).
words = [re.findall(r"[a-z0-9]+|[^\x00-\x7f]", q.lower()) for q in QUERIES["query"]]
lengths = np.array([len(w) for w in words])
counts = {}
for query_words in words:
    for word in query_words:
        counts[word] = counts.get(word, 0) + 1
top = sorted(counts.items(), key=lambda kv: -kv[1])[:20]
side = IMAGES.shape[-1]
area = ((QUERIES["x1"] - QUERIES["x0"]) * (QUERIES["y1"] - QUERIES["y0"]) / side**2).clip(lower=0)
fig = make_subplots(rows=2, cols=2, subplot_titles=("query length (words)", "most common words",
                                                     "box area / image area", "box centres (pixels)"))
fig.add_trace(go.Histogram(x=lengths, name="length"), row=1, col=1)
fig.add_trace(go.Bar(x=[w for w, _ in top], y=[c for _, c in top], name="words"), row=1, col=2)
fig.add_trace(go.Histogram(x=area, nbinsx=30, name="area"), row=2, col=1)
fig.add_trace(go.Scatter(x=(QUERIES["x0"] + QUERIES["x1"]) / 2, y=(QUERIES["y0"] + QUERIES["y1"]) / 2,
                         mode="markers", marker={"size": 3, "opacity": 0.4}, name="centres"), row=2, col=2)
fig.update_yaxes(autorange="reversed", row=2, col=2)
fig.update_layout(height=620, showlegend=False, title="Queries and boxes")
fig.show()
print(f"{len(counts)} distinct words; queries of {lengths.min()}-{lengths.max()} words (median "
      f"{np.median(lengths):g}); boxes cover {area.median():.1%} of the image at the median")
_report(vocabulary=len(counts), query_words={"min": int(lengths.min()), "median": float(np.median(lengths)),
                                             "max": int(lengths.max())}, median_box_area=float(area.median()),
        top_words=[w for w, _ in top[:10]])
