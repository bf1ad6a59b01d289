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
    evaluation and the Server agent. With ``reserve_s=None`` (the tables kind's default) the reserve is estimated
    from its parts instead: ``after_search_s`` for the steps that do not measure for a time (the final fit of a
    small model, the evaluation's plots, the ONNX conversion, the parity check, the bundle: 14 s of the 27 s after a
    60 s search on a 150-row table, measured on 2 CPUs at load 14, so about half that on a quiet machine),
    ``reserve_share * total`` for a larger model's final fit, and the measuring steps' own shares (below).

    The feasibility check (its probes, permutation test and learning curves, all of it) gets
    ``probe_share * total`` (at most ``probe_cap_s``, never under ``probe_min_s``: a probe needs a few seconds to
    say anything); a search never gets less than ``min_search_s`` (the defaults of each family, even when the
    budget is spent).

    The steps in the reserve that measure for a time take their shares of the whole budget, capped, and never more
    than a part of the time left (:meth:`TimeBudget.step_s`): the permutation importance of the evaluation
    (``importance_*``), the float model's latency check in the export (``latency_*``) and the capacity measurement
    (``capacity_*``); none gets under ``step_min_s``. With 60 s they take 3 + 3 + 12 s of the estimated 29 s
    reserve (it was a flat 30 s + 10 %, 36 s, which left a 60 s search 5 s on a loaded machine); with 300 s,
    10 + 5 + 20 s of 58 s.

    The steps after the search that touch every column grow with the table's width (the final fit's preprocessing,
    the ONNX conversion and the serving model's one input per column, the parity check, the serving files, the
    bundle's test): ``per_input_s`` seconds per model input are kept back for them once the split knows how many
    there are (:attr:`TimeBudget.inputs`). Measured on 2 CPUs at load 9: those steps took about 9 s for 5,000
    inputs against about 6 s for iris' 4, and the estimate keeps 1 ms per input (5 s for 5,000, nothing to speak
    of for a narrow table), for any width.
    """

    reserve_s: float | None = None
    reserve_share: float = 0.05
    after_search_s: float = 8.0
    probe_share: float = 0.08
    probe_cap_s: float = 20.0
    probe_min_s: float = 3.0
    min_search_s: float = 5.0
    importance_share: float = 0.05
    importance_cap_s: float = 10.0
    latency_share: float = 0.05
    latency_cap_s: float = 5.0
    capacity_share: float = 0.2
    capacity_cap_s: float = 20.0
    step_min_s: float = 2.0
    per_input_s: float = 0.001


@dataclass
class TimeBudget:
    """Seconds a run may take, counted from ``started`` (``time.perf_counter()``), shared out by ``split``.

    The phases take their shares in order — the feasibility check :meth:`probe_s`, the search :meth:`search_s`
    (what is left before the reserve), then the fit, the evaluation and the Server agent in the reserve — so a run
    ends within its budget up to the floors (``probe_min_s``, ``min_search_s``) and one model fit past a deadline.
    ``inputs`` is the number of the model's inputs once the split knows it (0 before): the estimated reserve grows
    with it (``per_input_s`` each).
    """

    total_s: float = DEFAULT_TIME_BUDGET_S
    split: BudgetSplit = field(default_factory=BudgetSplit)
    started: float = field(default_factory=time.perf_counter)
    inputs: int = 0

    @property
    def elapsed_s(self) -> float:
        """Seconds since the run started."""
        return time.perf_counter() - self.started

    @property
    def reserve_s(self) -> float:
        """Seconds kept back after the search for the fit, the evaluation and the Server agent: the split's flat
        figure, or (``reserve_s=None``) the estimate from the steps' parts, the measuring steps at their full
        shares (what the Server agent gives them) and ``per_input_s`` for each of the model's ``inputs``."""
        share = self.split.reserve_share * self.total_s
        if self.split.reserve_s is not None:
            return self.split.reserve_s + share
        full = TimeBudget(self.total_s, self.split)  # a fresh clock: the shares, not what is left now
        width = self.split.per_input_s * max(0, self.inputs)
        return (self.split.after_search_s + width + share + full.importance_s() + full.latency_s()
                + full.capacity_s())

    def left_s(self, *, reserve: bool = True) -> float:
        """Seconds left; with ``reserve``, less what the split keeps back for the steps after the search."""
        return self.total_s - self.elapsed_s - (self.reserve_s if reserve else 0.0)

    def search_s(self, share: float = 1.0) -> float:
        """Seconds the search gets: ``share`` of what is left after the reserve, never under the split's minimum."""
        return max(self.split.min_search_s, share * self.left_s())

    def probe_s(self) -> float:
        """Seconds the whole feasibility check may take (probes, permutation test, learning curves): its share of
        the budget, at most the split's cap, never under its floor."""
        share = min(self.split.probe_cap_s, self.split.probe_share * self.total_s)
        return round(max(self.split.probe_min_s, share), 1)

    def share_s(self, fraction: float, cap_s: float) -> float:
        """``fraction`` of the whole budget, at most ``cap_s`` seconds."""
        return min(cap_s, fraction * self.total_s)

    def step_s(self, share: float, cap_s: float, *, of_left: float = 0.5) -> float:
        """Seconds a step after the search that measures for a time may take: ``share`` of the whole budget, at most
        ``cap_s``, at most ``of_left`` of the time left of the whole budget, never under the split's
        ``step_min_s``."""
        left = max(0.0, self.left_s(reserve=False))
        return round(max(self.split.step_min_s, min(cap_s, share * self.total_s, of_left * left)), 1)

    def importance_s(self) -> float:
        """Seconds the evaluation's permutation importance may take."""
        return self.step_s(self.split.importance_share, self.split.importance_cap_s, of_left=0.25)

    def latency_s(self) -> float:
        """Seconds the export's check of the float model against the request's latency targets may take."""
        return self.step_s(self.split.latency_share, self.split.latency_cap_s, of_left=0.25)

    def capacity_s(self) -> float:
        """Seconds the capacity measurement (the model alone, then the real app under load) may take."""
        return self.step_s(self.split.capacity_share, self.split.capacity_cap_s, of_left=0.5)
