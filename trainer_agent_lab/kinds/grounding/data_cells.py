"""Cells the Data agent writes for visual grounding: synthetic scenes, load, profile, checks, split.

Each function renders cell files of ``kinds/grounding/cells`` (see :mod:`trainer_agent_lab.cells.render`).
"""

from __future__ import annotations

from ...cells.render import Cell, render

#: The folder of the grounding cell files, relative to the package.
CELLS = "kinds/grounding/cells"


def scenes_cell(path: str = "grounding_scenes", n_scenes: int = 2400, side: int = 64) -> list[Cell]:
    """Draw synthetic scenes of coloured shapes with referring queries (Pillow is imported here first)."""
    return render(f"{CELLS}/pillow", f"{CELLS}/scenes", SCENES_DIR=path, N_SCENES=n_scenes, SIDE=side)


def load_cell(data_ref: str, max_side: int = 64, after_scenes: bool = False) -> list[Cell]:
    """Load the annotations and images into ``QUERIES`` and ``IMAGES`` (Pillow imported unless the scenes were)."""
    files = [f"{CELLS}/load"] if after_scenes else [f"{CELLS}/pillow", f"{CELLS}/load"]
    return render(*files, DATA_REF=data_ref, MAX_SIDE=max_side)


def profile_cell(samples: int = 16) -> list[Cell]:
    """Sample images with their boxes and queries; query lengths and words; box sizes and positions."""
    return render(f"{CELLS}/profile", SAMPLES=samples)


def checks_cell() -> list[Cell]:
    """Boxes inside the image, empty queries, duplicates, images missing."""
    return render(f"{CELLS}/checks")


def split_cell(test_size: float = 0.2, val_size: float = 0.1, max_length: int = 16) -> list[Cell]:
    """Split by image, build the tokenizer, make the structured inputs."""
    return render(f"{CELLS}/split", TEST_SIZE=test_size, VAL_SIZE=val_size, MAX_LENGTH=max_length)
