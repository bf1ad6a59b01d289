"""Check feasibility before the search spends the budget: is there signal, and are the metric targets in reach?

Its cost is bounded by its sizes, whatever the data: at most 1,500 rows and ``PROBE_FEATURES`` features (on wide
data the probes read the features most associated with the target, chosen inside each training fold), two small
probes, the shuffles ``PROBE_SECONDS`` allow (1 to 29; the permutation test stops once 3 shuffles score as well as
the real targets) and two learning-curve points. A slow machine can only miss a no-signal refusal (fewer shuffles:
the p-value's resolution is printed), never refuse data that has signal.
"""

# %% [context]
import time

import pandas as pd
import plotly.express as px
from IPython.display import display
from sklearn.model_selection import cross_val_score

from .context import (
    SEED,
    TASK,
    Pipeline,
    X_train,
    _report,
    make_preprocessor,
    permutation_p_value,
    shows_no_signal,
    signal_metric,
    y_train,
)

# isort: split
# %% Check feasibility before spending the budget: quick probes, a permutation test for signal, and a
# learning curve against each metric target (GATED: the metric constraints a probe can tell about), each of a
# bounded size, so the check takes about PROBE_SECONDS on this machine.
import threadpoolctl
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.feature_selection import SelectKBest, f_classif, f_regression
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold, learning_curve

# %% [parameters]
GATED = [{"name": "accuracy", "op": ">=", "value": 0.9}]
PROBE_SECONDS = 5.0
PROBE_FEATURES = 200

# %% The probes' input: up to 1,500 training rows, encoded once (imputing, scaling and one-hot encoding read
# no target). On wide data each probe first keeps the PROBE_FEATURES features most associated with the target,
# chosen on the training folds only, so the scores are not flattered by the choice.
began = time.perf_counter()
# The probes are small: each runs on one thread, as the search's fits do (threads only fight over a busy machine's
# cores for them: the boosted-trees probe on a wide table took 6 times longer with them at load 5); until the end.
probe_threads = threadpoolctl.threadpool_limits(1)
classify = TASK == "classification"
rows = min(len(X_train), 1500)
X_probe, y_probe = make_preprocessor().fit_transform(X_train.iloc[:rows]), y_train[:rows]
cv = (StratifiedKFold if classify else KFold)(n_splits=3, shuffle=True, random_state=SEED)
signal_scoring, chance = signal_metric(y_probe) if classify else ("r2", 0.0)
wide = X_probe.shape[1] > PROBE_FEATURES
pick = SelectKBest(f_classif if classify else f_regression, k=PROBE_FEATURES) if wide else "passthrough"
probe_note = (f"The data is wide ({X_probe.shape[1]:,} features after encoding): the feasibility probes read the "
              f"{PROBE_FEATURES} most associated with the target, chosen within each training fold (a signal "
              "only in interactions of weak columns can be missed)." if wide else "")
if probe_note:
    print(probe_note)
probes = {
    "linear": Pipeline([("pick", pick), ("est", LogisticRegression(max_iter=2000) if classify else Ridge())]),
    "boosted trees": Pipeline([("pick", pick), ("est", (
        HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor)(
            max_iter=30, max_leaf_nodes=15, min_samples_leaf=5, early_stopping=False, random_state=SEED))]),
}


def seconds_left():
    """What is left of PROBE_SECONDS."""
    return PROBE_SECONDS - (time.perf_counter() - began)


# %% Is there any signal at all? Both probes scored by cross-validation, and a permutation test of the best one
# when it is borderline: as many shuffles as PROBE_SECONDS allow (a slow machine can only miss a refusal, never
# refuse data that has signal).
folds, took = {}, {}
for name, probe in probes.items():
    start = time.perf_counter()
    folds[name] = cross_val_score(probe, X_probe, y_probe, cv=cv, scoring=signal_scoring)
    took[name] = time.perf_counter() - start
scores = {name: float(v.mean()) for name, v in folds.items()}
best = max(scores, key=scores.get)
score, p_value = scores[best], None
if folds[best].min() < chance + 0.1:  # borderline: test it against shuffled targets
    p_value, permuted = permutation_p_value(probes[best], X_probe, y_probe, cv, signal_scoring, score,
                                            max(0.0, seconds_left()))
    fig = px.histogram(x=permuted, nbins=15, labels={"x": signal_scoring},
                       title=f"Probe {signal_scoring}: {len(permuted)} shuffled targets vs the real ones ({score:.3f})")
    fig.add_vline(x=score, line_color="red", annotation_text="real targets")
    fig.show()
display(pd.DataFrame([{"probe": k, signal_scoring: round(v, 4), "seconds": round(took[k], 2)}
                      for k, v in scores.items()]))
no_signal = shows_no_signal(score, chance, p_value)
print(f"signal: {signal_scoring} {score:.3f} vs chance {chance:.3f}; "
      + (f"permutation p-value {p_value:.3f}" if p_value is not None else "clearly above chance in every fold")
      + (" -> NO SIGNAL" if no_signal else ""))
_report(probe=best, score=float(score), chance=chance, p_value=p_value, no_signal=no_signal,
        scoring=signal_scoring, probe_features=PROBE_FEATURES if wide else None,
        say=[probe_note] if probe_note else [])

# %% Are the metric targets in reach? The best probe's learning curve (half and all of the probe rows),
# extrapolated generously: only a target clearly beyond it is refused.
gates, curves = [], {}
for c in GATED:
    if c["name"] not in curves:
        _, _, val = learning_curve(probes[best], X_probe, y_probe, cv=cv, scoring=c["name"], train_sizes=[0.5, 1.0])
        curves[c["name"]] = val.mean(axis=1)
    half, full = curves[c["name"]]
    ceiling = min(1.0, full + max(0.0, 3 * (full - half)) + 0.10)  # generous: only clear misses are refused
    gates.append({"name": c["name"], "target": c["value"], "probe": float(full), "at_half_data": float(half),
                  "optimistic_ceiling": float(ceiling), "reachable": bool(c["value"] <= ceiling)})
if gates:
    display(pd.DataFrame(gates))
print(f"feasibility checked in {time.perf_counter() - began:.1f} s (its share of the budget: {PROBE_SECONDS:g} s)")
probe_threads.restore_original_limits()
_report(gates=gates, seconds=round(time.perf_counter() - began, 2))
