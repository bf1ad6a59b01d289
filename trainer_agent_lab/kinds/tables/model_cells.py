"""Cells the Model agent writes for tabular data: search within the budget, fit, evaluate.

The cells are files under ``kinds/tables/cells/`` (see :mod:`.render`): the feature selection the request's
feature requirements ask for, the search plan, the model zoo, the metrics, the search itself, the fit, and the
evaluation with its permutation importance.
"""

from __future__ import annotations

from typing import Any

from ...cells.render import Cell, render
from ...knowledge.zoo import BAG_FOLDS, ENSEMBLE_MEMBERS
from .sampling import sample_parameters

#: The cell files of the model search, in the order the notebook shows them.
SEARCH_FILES = ("kinds/tables/cells/search_plan", "kinds/tables/cells/fold_bags", "kinds/tables/cells/zoo",
                "kinds/tables/cells/metrics",
                "kinds/tables/cells/search_sample", "kinds/tables/cells/cv", "kinds/tables/cells/search",
                "kinds/tables/cells/ensemble", "kinds/tables/cells/bagging")
#: The cell files of the evaluation on the test split.
EVALUATE_FILES = ("kinds/tables/cells/evaluate", "kinds/tables/cells/importance")


def select_features_cells(*, never: list[str], never_if_present: list[str], only: list[str],
                          max_inputs: int | None, monotonic: dict[str, str], seconds: float
                          ) -> tuple[list[Cell], list[Cell]]:
    """Choose the model's inputs as the request asks (``kinds/tables/cells/select_features.py``): leave out the
    ``never`` columns (and those of ``never_if_present`` the data has), keep only the ``only`` ones, and pick at
    most ``max_inputs`` by forward selection within ``seconds``; the ``monotonic`` columns are read whatever the
    ranking says.

    Two parts: the libraries and the matching of the request's names to the columns (it reports ``allowed``,
    ``missing``, and ``monotonic``, the numeric columns matched, column -> direction), then the choice, which
    narrows the training columns (the Model agent runs it once the matching left something to choose from).
    """
    cells = render("kinds/tables/cells/select_features", NEVER=never, NEVER_IF_PRESENT=never_if_present,
                   ONLY=only, MAX_INPUTS=max_inputs, MONOTONIC_IN=monotonic, SELECT_SECONDS=seconds)
    code = [i for i, c in enumerate(cells) if c.kind == "code"]
    return cells[:code[1] + 1], cells[code[1] + 1:]


def search_cell(*, families: list[str], defaults: list[dict[str, Any]], objective: str,
                metric_constraints: list[dict[str, Any]], param_limit: int | None, bytes_limit: int | None,
                tune_threshold: bool, time_budget_s: float, margin: float, patience: int,
                tree_max_depth: int | None = None, monotonic: dict[str, str] | None = None,
                ensemble_members: int = ENSEMBLE_MEMBERS, engine: str = "local",
                engine_address: str | None = None, sample: dict[str, Any] | None = None,
                bag_folds: int = BAG_FOLDS, bag_off: str = "") -> list[Cell]:
    """Cross-validated search over the families within budget, optimising the named metric; trees no deeper than
    ``tree_max_depth`` and every family constrained to be ``monotonic`` in those columns where one is asked for.
    After it, a weighted soft vote of up to ``ensemble_members`` of the best families (forward selection with
    replacement on their out-of-fold predictions) where it beats them within the limits,
    and the fold-by-fold check of a tuned decision threshold; then the chosen configuration bagged over
    ``bag_folds`` folds where the limits and the time allow it (``bag_off``: why the request rules bagging out, as a
    latency target or an int8 model does, since a call would run every fold's model). With ``engine="ray"`` the
    trials run as Ray Tune trials
    on the cluster at ``engine_address`` (None: a Ray started for the search), ``search_ray.py`` for ``search.py``.
    ``sample``: the parameters of ``search_sample.py`` (the large-table threshold, the probe's rows and seconds, the
    rounds and the fewest rows; :func:`.sampling.sample_parameters`), which chooses the rows the search sees."""
    files = SEARCH_FILES if engine != "ray" else tuple(
        "kinds/tables/cells/search_ray" if f == "kinds/tables/cells/search" else f for f in SEARCH_FILES)
    extra = {"RAY_ADDRESS": engine_address} if engine == "ray" else {}
    return render(*files, **extra, **(sample or sample_parameters()), FAMILIES=families, DEFAULTS=defaults,
                  OBJECTIVE=objective, METRIC_CONSTRAINTS=metric_constraints, PARAM_LIMIT=param_limit,
                  BYTES_LIMIT=bytes_limit, TUNE_THRESHOLD=tune_threshold, TIME_BUDGET_S=time_budget_s, MARGIN=margin,
                  PATIENCE=patience, TREE_MAX_DEPTH=tree_max_depth, MONOTONIC=monotonic or {},
                  ENSEMBLE_MEMBERS=ensemble_members, BAG_FOLDS=bag_folds, BAG_OFF=bag_off)


def fit_cell(params: dict[str, Any], threshold: float | None, cv_metrics: dict[str, float],
             search_rows: int | None = None, fit_budget_s: float | None = None) -> list[Cell]:
    """Train the chosen configuration (pinned here, so re-running the notebook trains the same model) on every
    training row; ``search_rows``: the rows of the sample the search cross-validated it on (None: all of them), and
    then ``fit_budget_s``, the seconds the fit may take (fewer rows, said so, where all of them would outlast it)."""
    return render("kinds/tables/cells/fit", PARAMS=params, THRESHOLD=threshold, CV_METRICS=cv_metrics,
                  SEARCH_ROWS=search_rows, FIT_BUDGET_S=fit_budget_s)


def evaluate_cell(importance_seconds: float = 10.0) -> list[Cell]:
    """Test metrics, confusion matrix, curves or residuals, and permutation importance within
    ``importance_seconds`` (on wide data only the inputs that fit are shuffled, and the cell says so)."""
    return render(*EVALUATE_FILES, IMPORTANCE_SECONDS=importance_seconds)


def feasibility_cell(gated: list[dict[str, Any]], probe_seconds: float) -> list[Cell]:
    """A quick probe before the search: is there signal at all, and are the metric targets in reach?
    (the shared ``cells/signal_test.py``, then ``kinds/tables/cells/feasibility.py``). All of it — the probes, the
    permutation test, the learning curves — fits in ``probe_seconds``; on wide data it probes on a column sample and
    reports a ``say`` message about it."""
    return render("cells/signal_test", "kinds/tables/cells/feasibility", GATED=gated, PROBE_SECONDS=probe_seconds)
