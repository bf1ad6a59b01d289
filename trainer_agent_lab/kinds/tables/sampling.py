"""Large tables: where the Data agent profiles a sample and the model search cross-validates one.

A table counts as large above :data:`LARGE_TABLE_CELLS` cells (rows × columns). Below it nothing is sampled. Above
it the profile computes its statistics and plots on a seeded sample of :data:`PROFILE_ROWS` rows (the missing-value
and class counts stay counts over all rows), and the search cross-validates a seeded sample of the training split
(stratified for classes) sized to its time budget from a timed probe (``kinds/tables/cells/search_sample.py``);
the final fit trains on every training row (unless that would outlast the share of the time left to it: then on as
many as it allows, and it says so) and the test split is scored in full. ``docs/architecture.md`` says
why these figures (a 400,000 × 12 table, 4.8 million cells, gave a 90 s run's search one trial on all rows).
"""

from __future__ import annotations

from ..budget import TimeBudget

#: Above this many cells (rows × columns) a table is profiled and searched on a sample (1,000,000: 100,000 rows of
#: 10 columns, where one cross-validated trial of the slower families takes seconds).
LARGE_TABLE_CELLS = 1_000_000
#: The rows the profile's statistics and plots use on a large table.
PROFILE_ROWS = 50_000
#: The most points the evaluation's plots draw (``kinds/tables/cells/evaluate.py``'s default): above it a seeded
#: sample of the test rows, and evenly spaced points of each curve (the metrics count every row). An 80,000-row
#: test split drew 2.4 MB of curves into the notebook.
PLOT_ROWS = 5_000
#: The rows of the timed probe that estimates a trial's cost per training row.
PROBE_ROWS = 2_000
#: The share of the search's seconds the probe may take, and its cap.
PROBE_SHARE, PROBE_CAP_S = 0.08, 6.0
#: How many rounds of every family's defaults the sample should leave time for (the search explores after them).
SEARCH_ROUNDS = 3
#: The fewest rows the search cross-validates on a large table, however short its budget.
MIN_SEARCH_ROWS = 5_000
#: The share of the search's seconds a large table's search leaves to the final fit on every row (a model that
#: cross-validated in seconds on the sample can take ten times longer on all rows), the share of the reserve after
#: the search the fit may take besides (the Server agent's measuring steps then measure for less, as on any late
#: run), and the fit's least seconds.
FIT_SHARE, FIT_RESERVE_SHARE, FIT_MIN_S = 0.25, 0.5, 5.0


def is_large(rows: int, columns: int, threshold: int = LARGE_TABLE_CELLS) -> bool:
    """Whether a table of ``rows`` × ``columns`` is above ``threshold`` cells (and so is sampled)."""
    return rows * max(columns, 1) > threshold


def fit_budget_s(budget: TimeBudget) -> float:
    """The seconds a large table's final fit may take: what is left on the clock before the reserve (the share the
    search left it, :data:`FIT_SHARE`), plus :data:`FIT_RESERVE_SHARE` of the reserve; never under
    :data:`FIT_MIN_S`."""
    return round(max(FIT_MIN_S, budget.left_s() + FIT_RESERVE_SHARE * budget.reserve_s), 1)


def probe_seconds(search_s: float) -> float:
    """The seconds the probe that sizes the search's sample may take out of a search of ``search_s`` seconds."""
    return round(min(PROBE_CAP_S, PROBE_SHARE * search_s), 1)


def sample_parameters(search_s: float = 0.0, *, threshold: int = LARGE_TABLE_CELLS) -> dict[str, float | int]:
    """The parameters of ``kinds/tables/cells/search_sample.py`` for a search of ``search_s`` seconds (the probe's
    seconds are its share of them; 0: the cap)."""
    return {"LARGE_TABLE_CELLS": threshold, "PROBE_ROWS": PROBE_ROWS,
            "PROBE_SECONDS": probe_seconds(search_s) if search_s else PROBE_CAP_S, "SEARCH_ROUNDS": SEARCH_ROUNDS,
            "MIN_SEARCH_ROWS": MIN_SEARCH_ROWS}
