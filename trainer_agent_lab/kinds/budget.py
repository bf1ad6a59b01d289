"""The time budget of a run, and how each kind splits it: the one place the arithmetic lives.

A kind declares a :class:`BudgetSplit` (how many seconds it keeps back for what follows its search); the
orchestrator hands every phase a :class:`TimeBudget` that knows when the run started.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

#: The time budget when the request and the caller give none.
DEFAULT_TIME_BUDGET_S = 300.0


@dataclass(frozen=True)
class BudgetSplit:
    """How a kind shares its time budget out.

    ``reserve_s + reserve_share * total`` seconds are kept back after the search for the final fit, the
    evaluation and the Server agent; the feasibility probe gets ``probe_share * total`` (at most ``probe_cap_s``);
    a search never gets less than ``min_search_s`` (the defaults of each family, even when the budget is spent).
    """

    reserve_s: float = 30.0
    reserve_share: float = 0.1
    probe_share: float = 0.08
    probe_cap_s: float = 20.0
    min_search_s: float = 5.0


@dataclass
class TimeBudget:
    """Seconds a run may take, counted from ``started`` (``time.perf_counter()``), shared out by ``split``."""

    total_s: float = DEFAULT_TIME_BUDGET_S
    split: BudgetSplit = field(default_factory=BudgetSplit)
    started: float = field(default_factory=time.perf_counter)

    @property
    def elapsed_s(self) -> float:
        """Seconds since the run started."""
        return time.perf_counter() - self.started

    def left_s(self, *, reserve: bool = True) -> float:
        """Seconds left; with ``reserve``, less what the split keeps back for the steps after the search."""
        kept = self.split.reserve_s + self.split.reserve_share * self.total_s if reserve else 0.0
        return self.total_s - self.elapsed_s - kept

    def search_s(self, share: float = 1.0) -> float:
        """Seconds the search gets: ``share`` of what is left after the reserve, never under the split's minimum."""
        return max(self.split.min_search_s, share * self.left_s())

    def probe_s(self) -> float:
        """Seconds the feasibility probe's permutation test may take."""
        return round(min(self.split.probe_cap_s, self.split.probe_share * self.total_s), 1)

    def share_s(self, fraction: float, cap_s: float) -> float:
        """``fraction`` of the whole budget, at most ``cap_s`` seconds."""
        return min(cap_s, fraction * self.total_s)
