"""Cells for grounding models: the network and its sizes, the feasibility check, training and evaluation.

Each function renders cell files of ``kinds/grounding/cells`` (see :mod:`trainer_agent_lab.cells.render`).
"""

from __future__ import annotations

from ...cells.render import Cell, render
from .data_cells import CELLS


def select_cell(param_limit: int | None, width_cap: int) -> list[Cell]:
    """The network (``networks``) and its exact parameter counts at each width; the widest that fits is kept."""
    return render(f"{CELLS}/networks", f"{CELLS}/select", PARAM_LIMIT=param_limit, WIDTH_CAP=width_cap)


def feasibility_cell(min_train: int = 50) -> list[Cell]:
    """Queries enough to learn from, and the query-blind floor."""
    return render(f"{CELLS}/feasibility", MIN_TRAIN=min_train)


def fit_cell(time_budget_s: float, param_limit: int | None, steps: int | None = None) -> list[Cell]:
    """Train within ``time_budget_s`` (or ``steps``), keep the best validated network, plot learning curves."""
    return render(f"{CELLS}/fit", TIME_BUDGET_S=time_budget_s, PARAM_LIMIT=param_limit, STEPS=steps)


def evaluate_cell() -> list[Cell]:
    """Acc@0.5 and mean IoU on the test queries, by kind of query; hits and misses."""
    return render(f"{CELLS}/evaluate")
