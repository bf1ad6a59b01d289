"""Which inputs the trained model relies on: permutation importance on the test split."""

# %% [context]
import time

import numpy as np
import plotly.express as px

from .context import CLASSIFY, OBJECTIVE, SEED, X_test, _report, model, y_test

# isort: split
# %% Which inputs matter: the drop in the optimised metric (or the usual one) when each input is shuffled on
# the test split. Permutation importance costs one scoring pass per input and repeat: it is kept within ~10 s.
from sklearn.inspection import permutation_importance

scoring = {"accuracy": "accuracy", "r2": "r2", "mae": "neg_mean_absolute_error",
           "rmse": "neg_root_mean_squared_error"}.get(OBJECTIVE, "accuracy" if CLASSIFY else "r2")
sample = min(len(X_test), 400)
began = time.perf_counter()
model.predict(X_test[:sample])
per_pass = (time.perf_counter() - began) * X_test.shape[1]
repeats = 3 if 3 * per_pass <= 10 else 1
sample = sample if repeats * per_pass <= 10 else max(50, int(sample * 10 / per_pass))
importance = permutation_importance(model, X_test[:sample], y_test[:sample], n_repeats=repeats, random_state=SEED,
                                    scoring=scoring)
order = np.argsort(importance.importances_mean)[::-1][:15]
px.bar(x=importance.importances_mean[order], y=np.asarray(X_test.columns)[order], orientation="h",
       labels={"x": f"drop in {scoring} when shuffled", "y": "input"},
       title="Permutation importance (test)").update_yaxes(autorange="reversed").show()
_report(importance={str(X_test.columns[i]): float(importance.importances_mean[i]) for i in order})
