"""The image-grid helper every image cell that shows pictures uses (plotly; raw pixels, channels first)."""

# %% [context]
import math

import numpy as np
import plotly.express as px

from .context import PIXEL_MAX


# %% [hidden] A helper that shows images in a captioned grid (used for samples, augmentations and mistakes).
def show_grid(images, titles, title, columns=8):
    """A grid of images (raw pixels, channels first, at most 48) with a caption above each."""
    images = np.asarray(images)[:48]
    if images.shape[1] == 1:
        fig = px.imshow(images[:, 0], facet_col=0, facet_col_wrap=columns, color_continuous_scale="gray",
                        zmin=0, zmax=PIXEL_MAX)
        fig.update_coloraxes(showscale=False)
    else:
        rgb = np.clip(images.transpose(0, 2, 3, 1)[..., :3] / PIXEL_MAX * 255, 0, 255).astype(np.uint8)
        fig = px.imshow(rgb, facet_col=0, facet_col_wrap=columns)
    for annotation in fig.layout.annotations:
        annotation.text = str(titles[int(annotation.text.split("=")[-1])])
    fig.update_xaxes(showticklabels=False).update_yaxes(showticklabels=False)
    fig.update_layout(title=title, height=140 * math.ceil(len(images) / columns) + 80, margin={"t": 80})
    fig.show()
