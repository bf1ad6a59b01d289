"""The Model agent's base: what every kind's Model agent shares (its name, the search margin, budget limits)."""

from __future__ import annotations

import math

from ..spec import Constraint
from .base import Agent

#: Cross-validated metrics must beat their targets by this much before a search stops early.
MARGIN = 0.01


def inclusive_limit(c: Constraint | None) -> int | None:
    """The largest allowed whole number under an upper-bound constraint (``< 500`` -> 499)."""
    if c is None:
        return None
    return math.ceil(c.value) - 1 if c.op == "<" else math.floor(c.value)


class ModelAgent(Agent):
    """Owns model selection, training, tuning and evaluation; each kind brings its own steps."""

    name = "Model"
