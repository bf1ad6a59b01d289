"""Pillow, which opens the image files (and draws the synthetic shapes): imported once, before either."""

# %% Pillow opens the image files (and draws the synthetic shapes).
from PIL import Image


def open_image(path):
    """The decoded image at `path`, read whole so that the file is closed again."""
    with Image.open(path) as im:
        im.load()
        return im.copy()
