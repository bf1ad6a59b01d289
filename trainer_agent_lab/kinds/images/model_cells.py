"""Cells for image models: feasibility probe (Task agent), then search, fit and evaluate (Model agent).

Each function renders cell files of ``kinds/images/cells`` (see :mod:`trainer_agent_lab.cells.render`).
"""

from __future__ import annotations

from typing import Any

from ...cells.render import Cell, render
from .data_cells import CELLS


def feasibility_cell(gated: list[dict[str, Any]], probe_seconds: float) -> list[Cell]:
    """A quick linear probe on pooled pixels: is there signal, and is each metric target in reach? The shared
    signal test (``cells/signal_test``) comes first."""
    return render("cells/signal_test", f"{CELLS}/feasibility", GATED=gated, PROBE_SECONDS=probe_seconds)


def search_cell(*, candidates: list[dict[str, Any]], objective: str, metric_constraints: list[dict[str, Any]],
                time_budget_s: float, margin: float, max_epochs: int = 40, min_epochs: int = 3,
                max_batch: int = 64, weight_decay: float = 5e-4) -> list[Cell]:
    """Train each candidate network (widest within budget) with early stopping on the validation split. The
    networks, metrics and training loop (``networks``) are defined first."""
    return render(f"{CELLS}/networks", f"{CELLS}/search", CANDIDATES=candidates, OBJECTIVE=objective,
                  METRIC_CONSTRAINTS=metric_constraints, TIME_BUDGET_S=time_budget_s, MARGIN=margin,
                  MAX_EPOCHS=max_epochs, MIN_EPOCHS=min_epochs, SHARES={"cnn": 0.8, "mlp": 0.5},
                  MAX_BATCH=max_batch, WEIGHT_DECAY=weight_decay)


def fit_cell(params: dict[str, Any], cv_metrics: dict[str, float], param_limit: int | None,
             refit: bool = False) -> list[Cell]:
    """The final network: the one the search validated best, or (``refit``) the same configuration trained on every
    training image for the best epoch count. Pinned, so a re-run of the notebook trains the same network."""
    return render(f"{CELLS}/fit", PARAMS=params, CV_METRICS=cv_metrics, PARAM_LIMIT=param_limit, REFIT=refit)


def evaluate_cell() -> list[Cell]:
    """Test metrics, confusion matrix, per-class report and the misclassified images."""
    return render(f"{CELLS}/evaluate")
