"""Cells the Data agent writes for image generation: synthetic shapes, load, profile, split.

The shapes, Pillow, grid and profile cells are the image kind's (``kinds/images/cells``); load and split are this
kind's own (a folder without class sub-folders is one class; no augmentation: the generator learns the images
as they are).
"""

from __future__ import annotations

from ...cells.render import Cell, render

#: The folder of this kind's cell files, relative to the package; the image kind's, whose cells are reused.
CELLS = "kinds/generation/cells"
IMAGE_CELLS = "kinds/images/cells"


def shapes_cell(path: str = "shapes", per_class: int = 150, size: int = 16) -> list[Cell]:
    """Draw the synthetic shapes folder (one sub-folder per class); Pillow is imported here."""
    return render(f"{IMAGE_CELLS}/pillow", f"{IMAGE_CELLS}/shapes", SHAPES_DIR=path, PER_CLASS=per_class, SIZE=size,
                  NOISE=8.0)


def load_cell(data_ref: str, max_side: int = 32, after_shapes: bool = False) -> list[Cell]:
    """Load the images and their classes (Pillow's cell first unless the shapes step imported it)."""
    files = [f"{CELLS}/load"] if after_shapes else [f"{IMAGE_CELLS}/pillow", f"{CELLS}/load"]
    return render(*files, DATA_REF=data_ref, MAX_SIDE=max_side)


def profile_cell(per_class: int = 4) -> list[Cell]:
    """Class balance and sample images of each class (the image kind's grid helper and profile)."""
    return render(f"{IMAGE_CELLS}/grid", f"{IMAGE_CELLS}/profile", PER_CLASS=per_class)


def split_cell(test_size: float = 0.2) -> list[Cell]:
    """The held-out real images and the pixel scaling the networks read."""
    return render(f"{CELLS}/split", TEST_SIZE=test_size)
