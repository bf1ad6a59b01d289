"""Cells the Data agent writes for images: synthetic shapes, load, profile, clean, split (+ augmentation).

Each function renders cell files of ``kinds/images/cells`` (see :mod:`trainer_agent_lab.cells.render`).
"""

from __future__ import annotations

from ...cells.render import Cell, render

#: The folder of the image cell files, relative to the package.
CELLS = "kinds/images/cells"


def shapes_cell(path: str = "shapes", per_class: int = 100, size: int = 16, noise: float = 12.0,
                shapes: tuple[str, ...] = ("circle", "square", "triangle")) -> list[Cell]:
    """Generate a synthetic image folder of shapes (one sub-folder per class) for demos and tests.

    Pillow is imported here (the ``pillow`` cell), so the load cell that follows is rendered with
    ``after_shapes=True``."""
    return render(f"{CELLS}/pillow", f"{CELLS}/shapes", SHAPES_DIR=path, SHAPES=list(shapes),
                  PER_CLASS=per_class, SIZE=size, NOISE=noise)


def load_cell(data_ref: str, max_side: int = 64, after_shapes: bool = False) -> list[Cell]:
    """Load images into ``IMAGES`` (raw pixels, channels first) and ``LABELS``; fail with a clear message.

    Pillow is imported by the first of the shapes and load steps: ``after_shapes`` leaves its cell out when the
    shapes step (which imports it) ran just before."""
    files = [f"{CELLS}/load"] if after_shapes else [f"{CELLS}/pillow", f"{CELLS}/load"]
    return render(*files, DATA_REF=data_ref, MAX_SIDE=max_side)


def profile_cell(per_class: int = 3) -> list[Cell]:
    """Class balance and a grid of sample images per class. The first cells that show images: the image-grid
    helper (``show_grid``, used by the split and evaluate cells too) is defined here, once per notebook."""
    return render(f"{CELLS}/grid", f"{CELLS}/profile", PER_CLASS=per_class)


def clean_cell() -> list[Cell]:
    """Drop blank images, exact duplicates, and copies that carry conflicting labels."""
    return render(f"{CELLS}/clean")


def split_cell(test_size: float, val_size: float, flips: bool, shift_pixels: int, rotate_degrees: float,
               noise: float, positive_class: str | None = None) -> list[Cell]:
    """Stratified train/validation/test split, normalisation statistics and the augmentation function."""
    return render(f"{CELLS}/split", TEST_SIZE=test_size, VAL_SIZE=val_size, FLIPS=flips,
                  SHIFT_PIXELS=shift_pixels, ROTATE_DEGREES=rotate_degrees, NOISE=noise,
                  POSITIVE_CLASS=positive_class)
