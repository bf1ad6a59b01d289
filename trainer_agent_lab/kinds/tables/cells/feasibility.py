"""Check feasibility before the search spends the budget: is there signal, and are the metric targets in reach?"""

# %% [context]
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
# learning curve against each metric target (GATED: the metric constraints a probe can tell about).
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold, learning_curve

# %% [parameters]
GATED = [{"name": "accuracy", "op": ">=", "value": 0.9}]
PROBE_SECONDS = 5.0

# %% Is there any signal at all? Two quick probes (linear and boosted trees) on up to 1,500 training rows,
# scored by cross-validation, and a permutation test when the best one is borderline.
classify = TASK == "classification"
rows = min(len(X_train), 1500)
X_probe, y_probe = X_train.iloc[:rows], y_train[:rows]
cv = (StratifiedKFold if classify else KFold)(n_splits=3, shuffle=True, random_state=SEED)
signal_scoring, chance = signal_metric(y_probe) if classify else ("r2", 0.0)
probes = {
    "linear": Pipeline([("prep", make_preprocessor()),
                        ("est", LogisticRegression(max_iter=2000) if classify else Ridge())]),
    "boosted trees": Pipeline([("prep", make_preprocessor(scale=False)), ("est", (
        HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor)(
            max_iter=30, max_leaf_nodes=15, min_samples_leaf=5, early_stopping=False, random_state=SEED))]),
}
folds = {name: cross_val_score(p, X_probe, y_probe, cv=cv, scoring=signal_scoring) for name, p in probes.items()}
scores = {name: float(v.mean()) for name, v in folds.items()}
best = max(scores, key=scores.get)
score, p_value = scores[best], None
if folds[best].min() < chance + 0.1:  # borderline: test it against shuffled targets
    p_value, permuted = permutation_p_value(probes[best], X_probe, y_probe, cv, signal_scoring, score, PROBE_SECONDS)
    fig = px.histogram(x=permuted, nbins=15, labels={"x": signal_scoring},
                       title=f"Probe {signal_scoring}: {len(permuted)} shuffled targets vs the real ones ({score:.3f})")
    fig.add_vline(x=score, line_color="red", annotation_text="real targets")
    fig.show()
display(pd.DataFrame([{"probe": k, signal_scoring: round(v, 4)} for k, v in scores.items()]))
no_signal = shows_no_signal(score, chance, p_value)
print(f"signal: {signal_scoring} {score:.3f} vs chance {chance:.3f}; "
      + (f"permutation p-value {p_value:.3f}" if p_value is not None else "clearly above chance in every fold")
      + (" -> NO SIGNAL" if no_signal else ""))
_report(probe=best, score=float(score), chance=chance, p_value=p_value, no_signal=no_signal,
        scoring=signal_scoring)

# %% Are the metric targets in reach? The best probe's learning curve (half and all of the probe rows),
# extrapolated generously: only a target clearly beyond it is refused.
gates = []
for c in GATED:
    sizes, _, val = learning_curve(probes[best], X_probe, y_probe, cv=cv, scoring=c["name"], train_sizes=[0.5, 1.0])
    half, full = val.mean(axis=1)
    ceiling = min(1.0, full + max(0.0, 3 * (full - half)) + 0.10)  # generous: only clear misses are refused
    gates.append({"name": c["name"], "target": c["value"], "probe": float(full), "at_half_data": float(half),
                  "optimistic_ceiling": float(ceiling), "reachable": bool(c["value"] <= ceiling)})
if gates:
    display(pd.DataFrame(gates))
_report(gates=gates)
