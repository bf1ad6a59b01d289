"""Pillow, which reads the image files (and draws the synthetic scenes): imported once, before either."""

# %% Pillow reads the image files (and draws the synthetic scenes).
from PIL import Image

# %% [context]
__all__ = ["Image"]
