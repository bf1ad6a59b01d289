"""Look at the data: class balance and a grid of sample images of every class."""

# %% [context]
import numpy as np
import pandas as pd
import plotly.express as px

from .context import IMAGE_SHAPE, IMAGES, LABELS, SEED, _report, show_grid

# %% [parameters]
PER_CLASS = 3

# %% Look at the data: class balance and sample images of every class.
counts = pd.Series(LABELS).value_counts().sort_index()
px.bar(x=counts.index.astype(str), y=counts.values, labels={"x": "class", "y": "images"},
       title="Class balance").show()
rng = np.random.default_rng(SEED)
picked = [i for name in counts.index for i in rng.permutation(np.flatnonzero(LABELS == name))[:PER_CLASS]]
show_grid(IMAGES[picked], [str(LABELS[i]) for i in picked], f"Sample images ({PER_CLASS} per class)")
channel_means = IMAGES.mean(axis=(0, 2, 3))
print(f"per-channel mean pixel value: {np.round(channel_means, 2).tolist()}; "
      f"{int((IMAGES.reshape(len(IMAGES), -1).std(axis=1) == 0).sum())} blank (constant) images")
_report(class_counts={str(k): int(v) for k, v in counts.items()}, shape=IMAGE_SHAPE,
        channel_means=channel_means.tolist())
