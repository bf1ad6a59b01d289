"""Train the configuration the search chose on the whole training split (on a large table, as much of it as the
time left allows)."""

# %% [context]
import math
import time

from .context import (
    CLASSES,
    CLASSIFY,
    PARAM_LIMIT,
    POS_LABEL,
    SEED,
    X_train,
    _report,
    count_parameters,
    make_model,
    sample_rows,
    y_train,
)

# %% [parameters]
PARAMS = {"family": "logistic_regression", "lr_C": 1.0, "lr_weight": None}
THRESHOLD = None
CV_METRICS = {}
SEARCH_ROWS = None
FIT_BUDGET_S = None

# %% The configuration the search chose, pinned (so a re-run trains the same model); it trains on the whole
# training split, every row of it (on a large table the search saw SEARCH_ROWS of them).
model = make_model(PARAMS)


# %% [hidden] On a large table (the search cross-validated SEARCH_ROWS of the training rows) the fit on every row
# must end within FIT_BUDGET_S: the configuration is timed on SEARCH_ROWS rows and on four times as many, and when all
# rows would take longer (extrapolated from the two, as seconds ∝ rows^b with b between 0.7 and 2), it trains on as
# many rows as the time allows (a seeded sample, stratified for classes) and says so; a timing fit on those very rows
# is the model.
N_TRAIN, FIT_ROWS, FIT_NOTE, prefit = len(X_train), len(X_train), "", None
if SEARCH_ROWS and FIT_BUDGET_S is not None and N_TRAIN > 4 * SEARCH_ROWS:
    timed = []
    for n in (SEARCH_ROWS, 4 * SEARCH_ROWS):
        if timed and 4 * timed[-1][1] > FIT_BUDGET_S - sum(s for _, s in timed):
            break  # the larger timing alone would spend the time: extrapolate from the first
        rows = sample_rows(N_TRAIN, n, SEED, y_train if CLASSIFY else None)
        began = time.perf_counter()
        prefit = (n, make_model(PARAMS).fit(X_train.iloc[rows], y_train[rows]))
        timed.append((n, time.perf_counter() - began))
    (n0, s0), (n1, s1) = timed[0], timed[-1]
    b = 1.0 if n1 == n0 else min(2.0, max(0.7, math.log(max(s1, 1e-3) / max(s0, 1e-3)) / math.log(n1 / n0)))
    left = FIT_BUDGET_S - sum(s for _, s in timed)
    expected = s1 * (N_TRAIN / n1) ** b
    if expected > left:  # a fresh fit on fewer than twice the rows already fitted would not be worth its time
        affordable = int(n1 * (max(left, s1) / max(s1, 1e-3)) ** (1 / b))
        FIT_ROWS = affordable if affordable >= 2 * n1 else n1
    if FIT_ROWS < N_TRAIN:
        FIT_NOTE = (f"Training {PARAMS['family']} on all {N_TRAIN:,} rows would take about {expected:.0f} s "
                    f"(timed on {' and '.join(f'{n:,} rows, {s:.1f} s' for n, s in timed)}), more than the "
                    f"{max(left, 0):.0f} s left for it: it trains on a seeded sample of {FIT_ROWS:,} of them instead.")
        print(FIT_NOTE)
X_fit, y_fit = X_train, y_train
if FIT_ROWS < N_TRAIN:
    fit_rows = sample_rows(N_TRAIN, FIT_ROWS, SEED, y_train if CLASSIFY else None)
    X_fit, y_fit = X_train.iloc[fit_rows], y_train[fit_rows]

# %% Train it (on every training row, unless a large table's rows would outlast the time left) and count its
# parameters.
started = time.perf_counter()
if prefit is not None and prefit[0] == FIT_ROWS < N_TRAIN:
    model = prefit[1]  # timed on these very rows (the same seeded sample): no second fit
    FIT_SECONDS = timed[-1][1]
else:
    model.fit(X_fit, y_fit)
    FIT_SECONDS = time.perf_counter() - started
N_PARAMETERS = count_parameters(model)
print(f"{PARAMS['family']}: {N_PARAMETERS:,} parameters, trained on "
      + (f"all {N_TRAIN:,} training rows" if len(X_fit) == N_TRAIN else f"{len(X_fit):,} of {N_TRAIN:,} training rows")
      + (f" (the search cross-validated a sample of {SEARCH_ROWS:,})" if SEARCH_ROWS else "")
      + f" in {FIT_SECONDS:.2f} s"
      + (f", decision threshold {THRESHOLD:.3f} on {CLASSES[POS_LABEL]!r}" if isinstance(THRESHOLD, float)
     else f", cut-points {THRESHOLD}" if THRESHOLD else ""))
if PARAM_LIMIT is not None and N_PARAMETERS > PARAM_LIMIT:
    print(f"Over the budget of {PARAM_LIMIT:,} parameters once trained on every training row.")
print(model)
_report(family=PARAMS["family"], parameters=N_PARAMETERS, threshold=THRESHOLD, fit_seconds=FIT_SECONDS,
        train_rows=len(X_fit), params=PARAMS, over_budget=PARAM_LIMIT is not None and N_PARAMETERS > PARAM_LIMIT,
        say=[FIT_NOTE] if FIT_NOTE else [])
