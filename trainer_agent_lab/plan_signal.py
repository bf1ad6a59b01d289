"""Whether a table has signal, for ``trainer-agent plan``: a screen of each column on its own, then, only when no
column shows any, the run's own feasibility probe on a sample.

The run refuses a table whose inputs do not predict its target (the feasibility cell: two small probes and a
permutation test). The plan answers the same question in two steps:

1. **The screen** (pandas and numpy, milliseconds): each input column against the target on its own, as rank
   statistics — Spearman's rho for a number and a numeric target, the AUC (Mann-Whitney) for two classes and
   Kruskal-Wallis for more (a number across the classes, or a numeric target across a category's values), a
   chi-square test for a category and classes. A column whose effect reaches :data:`EVIDENT_EFFECT` for its
   statistic with a Bonferroni p-value under :data:`EVIDENT_P` is signal no probe misses — each line is at least
   three times the run's no-signal line (a score 0.02 above chance): rho² 0.06 is about a linear R² of 0.06 from
   that column alone, an AUC of 0.6 is 0.1 above chance — so the plan says so and trains nothing.
2. **The probe**, when no column is evident: the run's cells themselves — ``cells/signal_test.py``, then
   ``kinds/tables/cells/feasibility.py``, on the preprocessing of ``kinds/tables/cells/split.py`` — run in this
   process on at most 1,500 sampled rows, with :data:`PROBE_SECONDS` for the permutation test, and judged by
   :meth:`~trainer_agent_lab.agents.task.TaskAgent.judge_feasibility` as in the run. This is the only training a
   plan does: two probes the size of the run's, on the rows the plan read; it adds about two seconds (most of it
   importing scikit-learn).

The sample is the rows the plan peeked at (the head of a large file): a file sorted by its target can make the
screen or the probe see less than the run will, so the plan refuses only on the probe's verdict, never on the
screen's, and says which rows it read.
"""

from __future__ import annotations

import contextlib
import io
import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["EVIDENT_EFFECT", "EVIDENT_P", "PROBE_ROWS", "PROBE_SECONDS", "probe", "screen"]

#: A column this strongly associated with the target on its own is signal, by statistic.
EVIDENT_EFFECT = {"Spearman's rho²": 0.06, "AUC − 0.5": 0.1, "Kruskal-Wallis epsilon²": 0.06, "Cramér's V²": 0.06}
#: ... when its association is this unlikely under no association, after Bonferroni over the columns.
EVIDENT_P = 1e-4
#: Categories a text column may have for the screen and the probe to read it (more: an identifier-like text).
MAX_CATEGORIES = 50
#: Rows the run's probe reads (its cell's own cap).
PROBE_ROWS = 1500
#: Seconds the plan gives the probe's permutation test.
PROBE_SECONDS = 1.5


def _chi2_sf(statistic: float, df: int) -> float:
    """The upper tail of a chi-square distribution (Wilson-Hilferty's normal approximation: good to a few per cent
    in the tail, which is all a screen with a threshold of 1e-4 needs)."""
    if df <= 0:
        return 1.0
    z = ((statistic / df) ** (1 / 3) - (1 - 2 / (9 * df))) / math.sqrt(2 / (9 * df))
    return 0.5 * math.erfc(z / math.sqrt(2))


def _chi2(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(Cramér's V², p) of the chi-square test of independence of two categorical arrays."""
    table = pd.crosstab(a, b).to_numpy(dtype=float)
    if min(table.shape) < 2:
        return 0.0, 1.0
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    statistic = float(((table - expected) ** 2 / expected).sum())
    v2 = statistic / (table.sum() * (min(table.shape) - 1))
    return v2, _chi2_sf(statistic, (table.shape[0] - 1) * (table.shape[1] - 1))


def _numbers(X: pd.DataFrame, y: pd.Series, classify: bool) -> list[tuple[str, float, float, str]]:
    """(column, effect, p, the statistic's name) of every number in ``X`` against ``y`` at once (a wide table's
    thousands of columns in one pass): each column's ranks among its known rows, the target's among all rows."""
    ranks = X.rank().to_numpy(dtype=float)
    known = ~np.isnan(ranks)
    ranks = np.where(known, ranks, 0.0)
    n = known.sum(axis=0).astype(float)
    if not classify:
        ry = y.rank().to_numpy(dtype=float)[:, None] * known
        sx, sy, sxy = ranks.sum(0), ry.sum(0), (ranks * ry).sum(0)
        sxx, syy = (ranks ** 2).sum(0), (ry ** 2).sum(0)
        with np.errstate(divide="ignore", invalid="ignore"):
            rho = (n * sxy - sx * sy) / np.sqrt((n * sxx - sx ** 2) * (n * syy - sy ** 2))
        rho = np.nan_to_num(rho)
        p = [math.erfc(abs(r) * math.sqrt(max(k - 1, 0)) / math.sqrt(2)) for r, k in zip(rho, n, strict=True)]
        return [(c, float(r * r), float(q), "Spearman's rho²") for c, r, q in zip(X.columns, rho, p, strict=True)]
    classes = y.astype(str).to_numpy()
    groups = [(classes == c)[:, None] & known for c in np.unique(classes)]
    sums = [(ranks * g).sum(0) for g in groups]
    counts = [g.sum(0).astype(float) for g in groups]
    out = []
    if len(groups) == 2:  # the AUC of each column for the first class (Mann-Whitney)
        n1, n2 = counts
        with np.errstate(divide="ignore", invalid="ignore"):
            auc = (sums[0] - n1 * (n1 + 1) / 2) / (n1 * n2)
            sd = np.sqrt((n1 + n2 + 1) / (12 * n1 * n2))
        for c, a, s_ in zip(X.columns, auc, sd, strict=True):
            gap = abs(a - 0.5) if math.isfinite(a) and math.isfinite(s_) else 0.0
            out.append((c, float(gap), math.erfc(gap / s_ / math.sqrt(2)) if gap else 1.0, "AUC − 0.5"))
        return out
    with np.errstate(divide="ignore", invalid="ignore"):
        h = 12 / (n * (n + 1)) * sum(np.where(k > 0, r ** 2 / k, 0.0) for r, k in zip(sums, counts, strict=True)) \
            - 3 * (n + 1)
        present = sum((k > 0).astype(int) for k in counts)
    for c, value, k, g in zip(X.columns, np.nan_to_num(h), n, present, strict=True):
        value = max(float(value), 0.0)
        out.append((c, float(value / max(k - 1, 1)), _chi2_sf(value, int(g) - 1) if k >= 10 else 1.0,
                    "Kruskal-Wallis epsilon²"))
    return out


def _category(x: pd.Series, y: pd.Series, classify: bool) -> tuple[float, float, str]:
    """(effect, p, the statistic's name) of one text column ``x`` against the target ``y`` (rows where both are
    known)."""
    known = x.notna().to_numpy() & y.notna().to_numpy()
    xs, ys = x[known], y[known]
    if len(xs) < 10 or xs.nunique() < 2:
        return 0.0, 1.0, "constant"
    if not classify:  # the numeric target's ranks across the categories, as a number's across classes
        return _numbers(ys.astype(float).to_frame(), xs, classify=True)[0][1:]
    effect, p = _chi2(xs.astype(str).to_numpy(), ys.astype(str).to_numpy())
    return effect, p, "Cramér's V²"


def _readable(frame: pd.DataFrame, target: str) -> tuple[list[str], list[str]]:
    """The input columns the screen and the probe read: numbers, and text columns of at most MAX_CATEGORIES
    categories (others — identifiers, free text, dates as text — are the run's column-type step's to decode)."""
    numeric, categorical = [], []
    for name in frame.columns:
        if name == target:
            continue
        column = frame[name]
        if pd.api.types.is_numeric_dtype(column.dtype):
            numeric.append(name)
        elif column.nunique() <= MAX_CATEGORIES:
            categorical.append(name)
    return numeric, categorical


def screen(frame: pd.DataFrame, target: str, task: str) -> dict[str, Any]:
    """The strongest input column on its own: ``{"column", "effect", "p", "statistic", "evident", "columns",
    "rows"}`` (``p`` after Bonferroni over the ``columns`` screened; ``evident`` by the module's rule)."""
    classify = task == "classification"
    numeric, categorical = _readable(frame, target)
    y = frame[target] if classify else pd.to_numeric(frame[target], errors="coerce")
    rows = frame[y.notna().to_numpy()]
    y = y[y.notna().to_numpy()]
    names = numeric + categorical
    found = _numbers(rows[numeric], y, classify) if numeric and len(rows) >= 10 and y.nunique() >= 2 else []
    found += [(name, *_category(rows[name], y, classify)) for name in categorical]
    best: dict[str, Any] = {"column": None, "effect": 0.0, "p": 1.0, "statistic": None, "evident": False}
    for name, effect, p, statistic in found:
        p = min(1.0, p * len(names))
        line = EVIDENT_EFFECT.get(statistic, math.inf)
        evident = effect >= line and p < EVIDENT_P
        leader = EVIDENT_EFFECT.get(best["statistic"], math.inf)
        if (evident, effect / line) > (best["evident"], best["effect"] / leader):
            best = {"column": name, "effect": effect, "p": p, "statistic": statistic, "evident": evident}
    best.update(columns=len(names), rows=len(frame))
    return best


def probe(frame: pd.DataFrame, target: str, task: str, gated: list[dict[str, Any]], seed: int) -> dict[str, Any]:
    """The run's feasibility probe (see the module docstring) on at most :data:`PROBE_ROWS` rows of ``frame``
    sampled with ``seed``: what its cell reports (``no_signal``, ``score``, ``chance``, ``scoring``, ``p_value``,
    ``gates``, ``seconds``), and ``rows``."""
    import time

    from sklearn.model_selection import cross_val_score

    from .cells.render import render, run_cells

    numeric, categorical = _readable(frame, target)
    rows = frame[frame[target].notna()]
    rows = rows.sample(min(len(rows), PROBE_ROWS), random_state=seed) if len(rows) > PROBE_ROWS else rows
    X = rows[numeric + categorical].copy()
    X[numeric] = X[numeric].astype("float64")
    for name in categorical:
        X[name] = X[name].astype(object).where(X[name].notna(), "missing").astype(str)
    if task == "classification":
        y = pd.Categorical(rows[target].astype(str)).codes.astype(int)
    else:
        y = rows[target].to_numpy(dtype="float64")
    reported: dict[str, Any] = {}
    namespace: dict[str, Any] = {  # what the notebook's set-up cell and earlier cells define
        "np": np, "pd": pd, "time": time, "cross_val_score": cross_val_score, "px": _Nowhere(),
        "display": lambda *args, **kwargs: None, "SEED": seed, "TASK": task, "X_train": X.reset_index(drop=True),
        "y_train": y, "NUMERIC_FEATURES": numeric, "CATEGORICAL_FEATURES": categorical,
        "NUMBERS_WITH_GAPS": {c for c in numeric if X[c].isna().any()},
        "_report": lambda **values: reported.update(values)}
    split = render("kinds/tables/cells/split", TARGET=target, TASK=task)
    preprocessing = [c for c in split if "def make_preprocessor" in c.source]
    cells = preprocessing[:1] + render("cells/signal_test", "kinds/tables/cells/feasibility", GATED=gated,
                                       PROBE_SECONDS=PROBE_SECONDS)
    with contextlib.redirect_stdout(io.StringIO()):  # what the cells print is the notebook's, not the plan's
        run_cells(cells, namespace)
    reported["rows"] = len(X)
    return reported


class _Nowhere:
    """Plotly as the plan's probe sees it: a figure made and shown nowhere (the plan draws nothing)."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: self
