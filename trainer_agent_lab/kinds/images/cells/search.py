"""Train each candidate network (the widest the parameter budget allows) with early stopping on the validation
split, within the time budget; stop once every target is met. Rendered after ``networks``."""

# %% [context]
import json
import time

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from IPython.display import display

from .context import (
    FIT_ROWS,
    VAL_ROWS,
    X_train,
    _report,
    compute_metrics,
    count_parameters,
    epoch_seconds,
    predict_proba,
    train_network,
    y_train,
)

# %% [parameters]
CANDIDATES = [{"family": "cnn", "width": 16, "lr": 3e-3}]
OBJECTIVE = "accuracy"
METRIC_CONSTRAINTS = []
TIME_BUDGET_S = 60.0
MARGIN = 0.005
MAX_EPOCHS = 40
MIN_EPOCHS = 3
SHARES = {"cnn": 0.8, "mlp": 0.5}
MAX_BATCH = 64

# %% Train the candidate networks (each the widest the parameter budget allows) with early stopping
# on the validation split, within the time budget; stop once every target is met.
def meets_targets(values):
    """Whether validation metrics beat every metric target by MARGIN."""
    return all(values[c["name"]] >= c["value"] + MARGIN if c["op"].startswith(">") else
               values[c["name"]] <= c["value"] - MARGIN for c in METRIC_CONSTRAINTS if c["name"] in values)


# small data sets get smaller batches, so that every epoch still takes ~20 optimiser steps
BATCH = int(np.clip(len(FIT_ROWS) // 20, 16, MAX_BATCH))
started = time.perf_counter()
runs, histories, TRAINED = [], {}, {}  # TRAINED: the validated networks, by their pinned configuration
for i, candidate in enumerate(CANDIDATES):
    left = TIME_BUDGET_S - (time.perf_counter() - started)
    share = left if i == len(CANDIDATES) - 1 else left * SHARES.get(candidate["family"], 0.5)
    per_epoch = epoch_seconds(candidate["family"], candidate["width"], BATCH)
    epochs = int(min(MAX_EPOCHS, share / per_epoch))
    if epochs < MIN_EPOCHS:
        print(f"{candidate['family']}: skipped, {MIN_EPOCHS} epochs of {per_epoch:.1f} s do not fit in {share:.0f} s")
        continue
    net, history, best_epoch = train_network(
        candidate["family"], candidate["width"], candidate["lr"], epochs, FIT_ROWS, BATCH, VAL_ROWS,
        patience=max(6, epochs // 4), time_limit=share, desc=f"{candidate['family']} (width {candidate['width']})")
    values = {k: float(v) for k, v in compute_metrics(y_train[VAL_ROWS], predict_proba(net, X_train[VAL_ROWS])).items()}
    histories[candidate["family"]] = history
    params = {"family": candidate["family"], "width": candidate["width"], "lr": candidate["lr"], "epochs": epochs,
              "stop_after": int(len(history)), "best_epoch": int(best_epoch), "batch_size": BATCH}
    TRAINED[json.dumps(params, sort_keys=True)] = net
    runs.append({"params": params,
                 "val_metrics": values, "parameters": count_parameters(net), "epochs_run": int(len(history)),
                 "epoch_seconds": float(history["seconds"].iloc[-1] / len(history)), "meets": meets_targets(values)})
    if runs[-1]["meets"] and METRIC_CONSTRAINTS:
        break  # the targets are met on validation with margin: more families would only spend the budget
if not runs:
    raise TimeoutError(f"No network could train for {MIN_EPOCHS} epochs within {TIME_BUDGET_S:.0f} s: give the run "
                       "a larger time budget (--time-budget).")

# %% Compare the candidates: learning curves on the validation split, and a table ranked by the
# objective (networks that meet every target first).
HIGHER_IS_BETTER = {"accuracy", "precision", "recall", "f1", "roc_auc"}
key = OBJECTIVE if OBJECTIVE in HIGHER_IS_BETTER else "accuracy"
ranked = sorted(runs, key=lambda r: (r["meets"], r["val_metrics"][key]), reverse=True)
fig = go.Figure()
for family, history in histories.items():
    fig.add_trace(go.Scatter(x=history["epoch"], y=history["val_accuracy"], name=f"{family}: validation accuracy"))
    fig.add_trace(go.Scatter(x=history["epoch"], y=history["train_loss"], name=f"{family}: training loss",
                             yaxis="y2", line={"dash": "dot"}))
fig.update_layout(title="Learning curves of the search (validation split)", xaxis_title="epoch",
                  yaxis={"title": "validation accuracy"},
                  yaxis2={"title": "training loss", "overlaying": "y", "side": "right"})
fig.show()
display(pd.DataFrame([{**r["params"], "parameters": r["parameters"],
                       "s/epoch": round(r["epoch_seconds"], 2), "meets targets": r["meets"],
                       **{f"val {k}": round(v, 4) for k, v in r["val_metrics"].items()}} for r in ranked]))
best = ranked[0]
_report(trials=len(runs), best_family=best["params"]["family"], cv_metrics=best["val_metrics"], cv_meets=best["meets"],
        over_budget=False, ranked=[{"params": r["params"], "threshold": None, "cv_metrics": r["val_metrics"],
                                    "parameters": r["parameters"], "epoch_seconds": r["epoch_seconds"]}
                                   for r in ranked], seconds=time.perf_counter() - started)
