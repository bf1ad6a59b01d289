"""The rows the model search cross-validates: every training row, or on a large table a seeded sample (stratified for
classes) sized to the search's time budget from a timed probe. The fit still trains on every training row."""

# %% [context]
import time

import numpy as np
from IPython.display import Markdown, display

from .context import CLASSIFY, DEFAULTS, SEED, TIME_BUDGET_S, N, X_train, _report, make_model, y_train

# %% [parameters]
LARGE_TABLE_CELLS = 1_000_000
PROBE_ROWS = 2000
PROBE_SECONDS = 6.0
SEARCH_ROUNDS = 3
MIN_SEARCH_ROWS = 5000

# %% The rows the search cross-validates: all training rows, unless the table has more than LARGE_TABLE_CELLS cells
# (rows × input columns). Then a probe fits (and predicts with) every family's defaults on PROBE_ROWS random rows,
# for at most PROBE_SECONDS, to estimate what a trial costs per training row.
CELLS = N * X_train.shape[1]
LARGE = CELLS > LARGE_TABLE_CELLS
probe_times = []
if LARGE:
    probe = np.sort(np.random.default_rng(SEED).permutation(N)[:min(PROBE_ROWS, N)])
    X_probe, y_probe = X_train.iloc[probe], y_train[probe]
    probe_began = time.perf_counter()
    for params in DEFAULTS:
        if probe_times and time.perf_counter() - probe_began > PROBE_SECONDS:
            break  # the families not timed are taken to cost what the timed ones did on average
        began = time.perf_counter()
        try:
            probed = make_model(params).fit(X_probe, y_probe)
            (probed.predict_proba if CLASSIFY else probed.predict)(X_probe)
        except ValueError:  # a family that fails here fails in the search too, which reports it
            continue
        probe_times.append(time.perf_counter() - began)
    print(f"{CELLS:,} cells: probe of {len(probe_times)} of {len(DEFAULTS)} default settings on {len(probe):,} rows "
          f"in {time.perf_counter() - probe_began:.1f} s")


# %% [hidden] A seeded sample of row positions, in order; stratified by label: each class keeps its share of the
# rows, and at least a few of them, so that stratified folds still see every class.
def sample_rows(n, size, seed, labels=None):
    """``size`` of the positions ``0..n-1``, drawn with ``seed``; with ``labels``, stratified by them."""
    rng = np.random.default_rng(seed)
    if labels is None:
        return np.sort(rng.choice(n, size, replace=False))
    codes = np.unique(np.asarray(labels), return_inverse=True)[1]
    counts = np.bincount(codes)
    quota = counts * size / n
    take = np.minimum(counts, np.maximum(3, np.floor(quota).astype(int)))
    for k in np.argsort(np.floor(quota) - quota, kind="stable")[:max(0, size - int(take.sum()))]:
        take[k] = min(counts[k], take[k] + 1)  # the rows rounding left go to the largest remainders
    shuffled = rng.permutation(n)
    grouped = shuffled[np.argsort(codes[shuffled], kind="stable")]  # each class's rows together, shuffled
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    return np.sort(np.concatenate([grouped[s:s + t] for s, t in zip(starts, take, strict=True)]))


# %% How many rows the search's time allows: SEARCH_ROUNDS rounds of every family's defaults, each trial 3 folds
# (about two fits and a prediction of all its rows), at the probe's seconds per row; never under MIN_SEARCH_ROWS.
# The sample (stratified for classes) is what the cross-validation sees; the fit trains on every training row.
N_SEARCH = N
if LARGE and probe_times:
    per_row = float(np.mean(probe_times)) / len(probe)
    affordable = int(TIME_BUDGET_S / (SEARCH_ROUNDS * len(DEFAULTS) * 2 * per_row))
    N_SEARCH = min(N, max(MIN_SEARCH_ROWS, affordable))
if N_SEARCH < N:
    search_rows = sample_rows(N, N_SEARCH, SEED, y_train if CLASSIFY else None)
    N_SEARCH = len(search_rows)
    X_search, y_search = X_train.iloc[search_rows], y_train[search_rows]
    rounds = TIME_BUDGET_S / (len(DEFAULTS) * 2 * per_row * N_SEARCH)  # below SEARCH_ROUNDS at the floor
    SAMPLE_NOTE = (f"The search cross-validates a seeded {'stratified ' if CLASSIFY else ''}sample of {N_SEARCH:,} of "
                   f"the {N:,} training rows ({CELLS:,} cells, above {LARGE_TABLE_CELLS:,}): at the probe's "
                   f"{1000 * per_row:.2f} ms per row, its {TIME_BUDGET_S:.0f} s allow about {rounds:.1f} rounds of "
                   f"the {len(DEFAULTS)} default settings on {N_SEARCH:,} rows"
                   + (" (the fewest it takes)" if affordable < MIN_SEARCH_ROWS else "")
                   + f". The fit trains the chosen model on all {N:,} training rows; the test split is scored in full.")
    display(Markdown(f"**Large table.** {SAMPLE_NOTE}"))
else:
    X_search, y_search = X_train, y_train
    SAMPLE_NOTE = (f"The search cross-validates all {N:,} training rows: its {TIME_BUDGET_S:.0f} s allow it."
                   if LARGE else "")
    if SAMPLE_NOTE:
        print(SAMPLE_NOTE)
if LARGE:
    _report(search_rows=N_SEARCH, train_rows=N, sample_note=SAMPLE_NOTE)
