"""The Server agent for tables: the shared steps with the tables' export, parity, serving and document cells."""

from __future__ import annotations

from typing import Any

from ...agents.server import ServerAgent
from ..budget import DEFAULT_TIME_BUDGET_S, TimeBudget
from . import server_cells


class TableServerAgent(ServerAgent):
    """Exports the scikit-learn pipeline (preprocessing included) to ONNX, one input per raw column.

    Its measuring steps take their shares of the time budget (:class:`~trainer_agent_lab.kinds.budget.TimeBudget`:
    ``latency_s``, ``capacity_s``): a wide table's model takes one ONNX input per column and is slow per call, so
    they measure for a time, not a count. The caller may pass the seconds (from the run's live budget); else they
    are the shares of the request's time budget, which is what the reserve after the search holds.
    """

    cells = server_cells

    def _budget(self) -> TimeBudget:
        """The request's time budget, as the tables kind splits it (the shares of the reserve need no clock)."""
        return TimeBudget(self.memory.spec.time_budget_s or DEFAULT_TIME_BUDGET_S)

    def export(self, seconds: float | None = None) -> dict[str, Any]:
        """Export to ONNX; the float model's latency check takes at most ``seconds`` (default: its share)."""
        return super().export(self._budget().latency_s() if seconds is None else seconds)

    def capacity(self, seconds: float | None = None) -> dict[str, Any]:
        """Write the serving app and measure it for at most ``seconds`` (default: the capacity share)."""
        return super().capacity(self._budget().capacity_s() if seconds is None else seconds)
