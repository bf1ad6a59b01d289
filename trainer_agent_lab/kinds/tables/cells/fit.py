"""Train the configuration the search chose on the whole training split."""

# %% [context]
import time

from .context import (
    CLASSES,
    PARAM_LIMIT,
    POS_LABEL,
    X_train,
    _report,
    count_parameters,
    make_model,
    y_train,
)

# %% [parameters]
PARAMS = {"family": "logistic_regression", "lr_C": 1.0, "lr_weight": None}
THRESHOLD = None
CV_METRICS = {}

# %% Train the configuration the search chose (pinned, so a re-run trains the same model)
# on the whole training split, and count its parameters.
model = make_model(PARAMS)
started = time.perf_counter()
model.fit(X_train, y_train)
FIT_SECONDS = time.perf_counter() - started
N_PARAMETERS = count_parameters(model)
print(f"{PARAMS['family']}: {N_PARAMETERS:,} parameters, trained in {FIT_SECONDS:.2f} s"
      + (f", decision threshold {THRESHOLD:.3f} on {CLASSES[POS_LABEL]!r}" if isinstance(THRESHOLD, float)
     else f", cut-points {THRESHOLD}" if THRESHOLD else ""))
if PARAM_LIMIT is not None and N_PARAMETERS > PARAM_LIMIT:
    print(f"Over the budget of {PARAM_LIMIT:,} parameters once trained on every training row.")
print(model)
_report(family=PARAMS["family"], parameters=N_PARAMETERS, threshold=THRESHOLD, fit_seconds=FIT_SECONDS,
        params=PARAMS, over_budget=PARAM_LIMIT is not None and N_PARAMETERS > PARAM_LIMIT)
