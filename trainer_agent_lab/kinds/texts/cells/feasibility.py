"""Estimate how many labeled texts the target needs (a learning curve, extrapolated); is there any signal?

Rendered after the shared signal test (``cells/signal_test``), whose functions and imports it uses.
"""

# %% [context]
import math

import numpy as np
import plotly.graph_objects as go
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline

from .context import (
    LANGUAGE,
    SEED,
    _report,
    permutation_p_value,
    shows_no_signal,
    signal_metric,
    texts_test,
    texts_train,
    texts_unlabeled,
    y_train,
)

# isort: split
# %% Estimate how many labeled texts the target needs: first, how accuracy grows with the number of labeled
# texts (cross-validated scores of a quick TF-IDF student on growing subsets of them).
from scipy.optimize import curve_fit

ANALYZER = ("char_wb", (2, 5)) if LANGUAGE == "en" else ("char", (1, 3))
probe = make_pipeline(TfidfVectorizer(analyzer=ANALYZER[0], ngram_range=ANALYZER[1], sublinear_tf=True),
                      LogisticRegression(C=10, max_iter=3000))
codes = np.asarray(y_train)
folds = int(min(5, np.bincount(codes).min()))
rng = np.random.default_rng(SEED)
sizes, scores = [], []
for share in (0.4, 0.6, 0.8, 1.0):
    take = np.sort(np.concatenate([rng.permutation(np.where(codes == k)[0])[:max(folds, int(share * n))]
                                   for k, n in zip(*np.unique(codes, return_counts=True), strict=True)]))
    if folds < 2 or len(take) < 2 * folds:
        continue
    cv = StratifiedKFold(folds, shuffle=True, random_state=SEED)
    score = cross_val_score(probe, [texts_train[i] for i in take], codes[take], cv=cv, scoring="accuracy").mean()
    sizes.append(len(take) * (folds - 1) / folds)  # texts each fold trained on
    scores.append(float(score))
current = scores[-1] if scores else None

# %% [parameters]
TARGET_ACCURACY = None

# %% Then a power law a - b * n^-c fitted to the learning curve and solved for the target: about how many labeled
# texts would reach it.
needed = None
if TARGET_ACCURACY is not None and len(sizes) >= 3:
    def power_law(n, a, b, c):
        return a - b * np.power(n, -c)
    try:
        (a, b, c), _ = curve_fit(power_law, np.array(sizes), np.array(scores), p0=(0.95, 1.0, 0.5),
                                 bounds=([0.5, 0.0, 0.05], [1.0, 50.0, 2.0]), maxfev=20000)
        if a > TARGET_ACCURACY:
            needed = int(math.ceil((b / (a - TARGET_ACCURACY)) ** (1 / c) * folds / (folds - 1)))
    except (RuntimeError, ValueError):
        a = None
# A target must be checkable too: with fewer test texts the accuracy's 95% interval is wider than the margin.
min_test = int(math.ceil(1.96 ** 2 * TARGET_ACCURACY * (1 - TARGET_ACCURACY) / 0.05 ** 2)) if TARGET_ACCURACY else 0

# %% Is there any signal? A ranking score of the same probe on all labeled texts; when it is near chance, the
# same score with shuffled labels (at least 9 shuffles, so that the p-value can reach 0.1; then up to 20 s).
# Under 100 labeled texts a real signal can hide in the noise: too few labels is the answer then (the learning
# curve's).
signal_scoring, chance = signal_metric(codes)
signal, p_value = None, None
if folds >= 2 and len(codes) >= 100:
    cv = StratifiedKFold(folds, shuffle=True, random_state=SEED)
    real = cross_val_score(probe, list(texts_train), codes, cv=cv, scoring=signal_scoring)
    signal = float(real.mean())
    if real.min() < chance + 0.1:
        p_value, permuted = permutation_p_value(probe, list(texts_train), codes, cv, signal_scoring, signal, 20)
        print(f"signal: {signal_scoring} {signal:.3f} vs {np.mean(permuted):.3f} with shuffled labels "
              f"({len(permuted)} shuffles): permutation p-value {p_value:.2f}")
no_signal = signal is not None and shows_no_signal(signal, chance, p_value)

# %% The learning curve against the target, and what it says.
if sizes:
    fig = go.Figure(go.Scatter(x=sizes, y=scores, mode="lines+markers", name="cross-validated accuracy"))
    if TARGET_ACCURACY is not None:
        fig.add_hline(y=TARGET_ACCURACY, line_dash="dot", annotation_text="target")
    fig.update_layout(title="Learning curve of the TF-IDF student", xaxis_title="labeled texts",
                      yaxis_title="accuracy", height=300, margin=dict(t=40, b=20))
    fig.show()
print(f"{len(texts_train)} labeled texts: cross-validated accuracy {current if current is None else round(current, 3)}"
      + (f"; about {needed:,} labeled texts would reach {TARGET_ACCURACY:.0%}" if needed else ""))
_report(sizes=sizes, scores=scores, current=current, needed=needed, min_test=min_test, n_train=len(texts_train),
        n_test=len(texts_test), n_unlabeled=len(texts_unlabeled), signal=signal, signal_scoring=signal_scoring,
        chance=chance, p_value=p_value, no_signal=bool(no_signal))
