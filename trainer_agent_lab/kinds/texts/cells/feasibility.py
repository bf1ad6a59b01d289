"""Estimate how many labeled texts the target needs (a learning curve, extrapolated); is there any signal?

All within ``PROBE_SECONDS``: the subsets of the learning curve that would not fit are skipped (and said), and the
permutation test takes at least its 9 shuffles, then only the time left.

Rendered after the shared signal test (``cells/signal_test``), whose functions and imports it uses.
"""

# %% [context]
import math
import time

import numpy as np
import plotly.graph_objects as go
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
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
# texts (cross-validated scores of a quick TF-IDF student on growing subsets of them). All of them first (that
# score, and the signal score of the same folds, matter most), then smaller subsets while PROBE_SECONDS last.
from scipy.optimize import curve_fit
from sklearn.model_selection import cross_validate

# %% [parameters]
TARGET_ACCURACY = None
PROBE_SECONDS = 30.0

# %% The learning curve's points, the whole labeled set first.
began = time.perf_counter()
ANALYZER = ("char_wb", (2, 5)) if LANGUAGE == "en" else ("char", (1, 3))
probe = make_pipeline(TfidfVectorizer(analyzer=ANALYZER[0], ngram_range=ANALYZER[1], sublinear_tf=True),
                      LogisticRegression(C=10, max_iter=3000))
codes = np.asarray(y_train)
folds = int(min(5, np.bincount(codes).min()))
signal_scoring, chance = signal_metric(codes)
rng = np.random.default_rng(SEED)
curve, real, skipped, took = {}, None, [], 0.0
for share in (1.0, 0.4, 0.6, 0.8):
    take = np.sort(np.concatenate([rng.permutation(np.where(codes == k)[0])[:max(folds, int(share * n))]
                                   for k, n in zip(*np.unique(codes, return_counts=True), strict=True)]))
    if folds < 2 or len(take) < 2 * folds:
        continue
    if curve and time.perf_counter() - began + took * len(take) / len(codes) > 0.6 * PROBE_SECONDS:
        skipped.append(len(take))
        continue
    start, cv = time.perf_counter(), StratifiedKFold(folds, shuffle=True, random_state=SEED)
    scored = cross_validate(probe, [texts_train[i] for i in take], codes[take], cv=cv,
                            scoring={"accuracy": "accuracy", "signal": signal_scoring})
    curve[len(take) * (folds - 1) / folds] = float(scored["test_accuracy"].mean())  # texts each fold trained on
    if share == 1.0:
        real, took = scored["test_signal"], time.perf_counter() - start
sizes, scores = sorted(curve), [curve[n] for n in sorted(curve)]
current = curve[max(curve)] if curve else None
if skipped:
    print(f"The learning curve skipped the subsets of {', '.join(map(str, skipped))} texts: they would not finish "
          f"within the feasibility check's {PROBE_SECONDS:g} s.")

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

# %% Is there any signal? The ranking score of the same probe on all labeled texts (the folds above); when it is
# near chance, the same score with shuffled labels (at least 9 shuffles, so that the p-value can reach 0.1; then
# while PROBE_SECONDS last). Under 100 labeled texts a real signal can hide in the noise: too few labels is the
# answer then (the learning curve's).
signal, p_value = None, None
if real is not None and len(codes) >= 100:
    signal = float(real.mean())
    if real.min() < chance + 0.1:
        cv = StratifiedKFold(folds, shuffle=True, random_state=SEED)
        p_value, permuted = permutation_p_value(probe, list(texts_train), codes, cv, signal_scoring, signal,
                                                max(0.0, PROBE_SECONDS - (time.perf_counter() - began)))
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
