"""Cells the Model agent writes for image generation: the judge, the generator's training, the evaluation."""

from __future__ import annotations

from typing import Any

from ...cells.render import Cell, render
from .data_cells import CELLS


def judge_cell(seconds: float = 20.0) -> list[Cell]:
    """The classifier trained on the real images that scores the generated ones, and the Fréchet floor."""
    return render(f"{CELLS}/judge", JUDGE_SECONDS=round(seconds, 1))


def fit_cell(params: dict[str, Any], param_limit: int | None) -> list[Cell]:
    """The CVAE's definition (``networks``), then its training for ``params["seconds"]`` (pinned)."""
    return render(f"{CELLS}/networks", f"{CELLS}/fit", LATENT_DIM=params["latent_dim"], PARAMS=params,
                  PARAM_LIMIT=param_limit)


def evaluate_cell(per_class_min: int = 50) -> list[Cell]:
    """Generated-class accuracy, Fréchet distance beside its floor, sample grids, the memorisation check."""
    return render(f"{CELLS}/evaluate", PER_CLASS_MIN=per_class_min)
