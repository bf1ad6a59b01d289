"""The cell every kind's Data agent starts a notebook with: set-up (``cells/setup.py``, ``cells/static_png.py``)."""

from __future__ import annotations

from typing import Any

from .render import Cell, render


def setup_cell(seed: int, requirements: dict[str, Any]) -> list[Cell]:
    """Imports, the seed, the request's measurable parts, the ``_report`` helper, and static PNG copies of
    every plotly figure (``cells/static_png.py``)."""
    return render("cells/setup", "cells/static_png", SEED=seed, REQUIREMENTS=requirements)
