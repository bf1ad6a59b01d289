"""Bag the chosen configuration where the request leaves room for it: the average of the configuration trained on
each fold's other rows, steadier than one fit on every row for the models that vary most with their rows."""

# %% [context]
import time

import numpy as np

from .context import (
    BYTES_LIMIT,
    CLASSIFY,
    N_SEARCH,
    PARAM_LIMIT,
    RANKED,
    TIME_BUDGET_S,
    X_train,
    _report,
    estimated_onnx_bytes,
    folds,
    started,
    trials,
    y_train,
)

# %% [parameters]
BAG_FOLDS = 5
BAG_OFF = ""
BAG_MAX_ROWS = 20000

# %% Bagging (as AutoGluon bags its models): the chosen configuration is trained BAG_FOLDS times, each time on the
# training rows outside one fold, and its fold models' probabilities (values) are averaged. Boosted and single trees
# and neural networks vary with the rows they see, and their average is steadier on new rows than one fit on all of
# them; linear models, naive Bayes, kNN and SVMs vary little, and forests are averages already, so they are not bagged.
# It is done where the request leaves room: no latency target or int8 model (a call would run every fold's model:
# BAG_OFF says so), the parameter and file-size limits hold for all the fold models together, the table is small
# enough to be searched whole, and the fits take no more than the search's seconds left unspent (it stops early
# once it plateaus), or a small share of them (the chosen trial's folds say how long the fits take).
VARIES = ("decision_tree", "gradient_boosting", "hist_gradient_boosting", "lightgbm", "xgboost", "mlp")
head = RANKED[0]
members = head["params"].get("members") or [head["params"]]
n_splits = folds.get_n_splits()
per_fold = {f: float(s) / n_splits for f, s in trials.groupby("family")["seconds"].max().items()}
if "trial" in head:  # a single model: its own trial's folds
    per_fold[head["params"]["family"]] = float(trials.loc[trials["trial"] == head["trial"], "seconds"].max()) / n_splits
bag_seconds = BAG_FOLDS * sum(per_fold.get(m["family"], 0.0) for m in members)
bag_parameters = BAG_FOLDS * int(head.get("parameters") or 0)
BAG_SECONDS = max(2.0, 0.05 * TIME_BUDGET_S, TIME_BUDGET_S - (time.perf_counter() - started))
smallest_class = int(np.bincount(np.asarray(y_train)).min()) if CLASSIFY else len(y_train)
why_not = (BAG_OFF or ("none of its models varies much with its rows" if not any(m["family"] in VARIES
                                                                               for m in members) else "")
           or (f"{len(X_train):,} training rows: one fit on all of them is steady enough"
               if len(X_train) > BAG_MAX_ROWS or N_SEARCH < len(X_train) else "")
           or (f"a class has only {smallest_class} rows" if smallest_class < 2 * BAG_FOLDS else "")
           or (f"{BAG_FOLDS} fold models would have {bag_parameters:,} parameters, over the limit of {PARAM_LIMIT:,}"
               if PARAM_LIMIT is not None and 1.1 * bag_parameters > PARAM_LIMIT else "")
           or ("its fold models' ONNX file would outgrow the size limit" if BYTES_LIMIT is not None
               and 1.1 * estimated_onnx_bytes(head["params"]["family"], bag_parameters) > BYTES_LIMIT else "")
           or (f"{BAG_FOLDS} fits would take about {bag_seconds:.1f} s, over the {BAG_SECONDS:.0f} s they may take"
               if bag_seconds > BAG_SECONDS else ""))
if why_not:
    BAG_NOTE = f"The chosen model is trained once on every training row, not bagged: {why_not}."
else:
    RANKED.insert(0, {**head, "params": {**head["params"], "bag": BAG_FOLDS}, "parameters": bag_parameters})
    BAG_NOTE = (f"The chosen model is bagged: {BAG_FOLDS} fits of it, each on the training rows outside one fold, "
                f"averaged (about {bag_parameters:,} parameters and {bag_seconds:.1f} s in all); the single fit on "
                "every row follows it in the ranking, should the bag outgrow a limit.")
print(BAG_NOTE)
_report(ranked=RANKED, bagged=not why_not, bag_note=BAG_NOTE)
