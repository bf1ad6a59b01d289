"""The Data agent's base: what every kind's Data agent shares (the set-up cell every notebook starts with)."""

from __future__ import annotations

from typing import Any

from ..cells import data as cells
from .base import Agent


class DataAgent(Agent):
    """Owns everything about the data; each kind brings its own steps."""

    name = "Data"

    def setup(self, seed: int, requirements: dict[str, Any]) -> None:
        """The set-up cell every generated notebook starts its code with."""
        self.heading("load and look at the data")
        self.run("setup", cells.setup_cell(seed, requirements))
