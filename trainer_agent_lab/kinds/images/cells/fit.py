"""The final network: the one the search validated best, or the same configuration trained on every training
image for the best epoch count (pinned, so a re-run of the notebook trains the same network)."""

# %% [context]
import json

import numpy as np
import plotly.graph_objects as go

from .context import (
    FIT_ROWS,
    TRAINED,
    VAL_ROWS,
    X_train,
    _report,
    count_parameters,
    histories,
    train_network,
)

# %% [parameters]
PARAMS = {"family": "cnn", "width": 16, "lr": 3e-3, "epochs": 20, "stop_after": 20, "best_epoch": 20,
          "batch_size": 64}
CV_METRICS = {}
PARAM_LIMIT = None
REFIT = False

# %% Final network: the configuration that validated best (pinned here, so a re-run of this notebook
# trains exactly the same network); count its parameters and show how it learned.
key = json.dumps(PARAMS, sort_keys=True)
if REFIT:  # enough validation images to trust the best epoch count: train on every training image for that long
    ALL_ROWS = np.arange(len(X_train))
    model, fit_history, _ = train_network(PARAMS["family"], PARAMS["width"], PARAMS["lr"], PARAMS["best_epoch"],
                                          ALL_ROWS, PARAMS["batch_size"], desc=f"final {PARAMS['family']}")
    how = f"trained on all {len(ALL_ROWS):,} training images for the {PARAMS['best_epoch']} epochs that validated best"
elif key in TRAINED:  # the network the search just trained: its best validation epoch, nothing to redo
    model, fit_history = TRAINED[key], histories[PARAMS["family"]]
    how = f"kept from the search: the weights of epoch {PARAMS['best_epoch']}, the best on the validation images"
else:  # a re-run in a kernel without that network: train it again, exactly as the search did
    model, fit_history, _ = train_network(PARAMS["family"], PARAMS["width"], PARAMS["lr"], PARAMS["epochs"],
                                          FIT_ROWS, PARAMS["batch_size"], VAL_ROWS, stop_after=PARAMS["stop_after"],
                                          desc=f"{PARAMS['family']} (pinned)")
    how = "trained again from the pinned configuration"
N_PARAMETERS = count_parameters(model)
fig = go.Figure([go.Scatter(x=fit_history["epoch"], y=fit_history["train_loss"], name="training loss", yaxis="y2")])
if "val_accuracy" in fit_history:
    fig.add_trace(go.Scatter(x=fit_history["epoch"], y=fit_history["val_accuracy"], name="validation accuracy"))
    fig.add_vline(x=PARAMS["best_epoch"], line_dash="dash", annotation_text="kept")
fig.update_layout(title=f"Learning curves of the {PARAMS['family']} kept (epoch {PARAMS['best_epoch']})",
                  xaxis_title="epoch", yaxis={"title": "validation accuracy"},
                  yaxis2={"title": "training loss", "overlaying": "y", "side": "right"})
fig.show()
print(f"{PARAMS['family']} (width {PARAMS['width']}): {N_PARAMETERS:,} parameters, {how}")
if PARAM_LIMIT is not None and N_PARAMETERS > PARAM_LIMIT:
    print(f"Over the budget of {PARAM_LIMIT:,} parameters.")
print(model)
_report(family=PARAMS["family"], parameters=N_PARAMETERS, threshold=None, how=how, params=PARAMS,
        over_budget=PARAM_LIMIT is not None and N_PARAMETERS > PARAM_LIMIT)
