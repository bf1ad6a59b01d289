"""Evaluate the trained model on the held-out test split: metrics, errors by class or residuals."""

# %% [context]
import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from IPython.display import display
from sklearn import metrics as skm

from .context import (
    CLASSES,
    CLASSIFY,
    CV_METRICS,
    N_CLASSES,
    ORDINAL,
    POS_LABEL,
    SEED,
    TARGET,
    THRESHOLD,
    X_test,
    _report,
    compute_metrics,
    cut,
    model,
    y_test,
)

# %% [parameters]
PLOT_ROWS = 5000

# %% Evaluate on the held-out test split: the metrics (next to the cross-validated ones), then the errors by
# class (confusion matrix, per-class report, ROC and precision-recall curves) or the residuals. Every metric is
# computed on every test row; above PLOT_ROWS rows the plots draw at most PLOT_ROWS points (a seeded sample of the
# rows for the scatter and the residuals, evenly spaced points of the curves), so the notebook stays small.
scores_test = model.predict_proba(X_test) if CLASSIFY else model.predict(X_test)
METRICS = {k: float(v) for k, v in compute_metrics(y_test, scores_test, THRESHOLD).items()}
display(pd.DataFrame({"test": METRICS, "cross-validated (train)": CV_METRICS}).round(4))
drawn = np.arange(len(y_test))
if len(y_test) > PLOT_ROWS:
    drawn = np.sort(np.random.default_rng(SEED).choice(len(y_test), PLOT_ROWS, replace=False))
    print(f"The plots draw at most {PLOT_ROWS:,} points of the {len(y_test):,} test rows (a seeded sample of rows, "
          "evenly spaced points of each curve); every metric above is computed on all of them.")


def thinned(*curve):
    """A curve's arrays at most PLOT_ROWS evenly spaced points of it (its ends kept)."""
    keep = np.unique(np.linspace(0, len(curve[0]) - 1, min(len(curve[0]), PLOT_ROWS)).round().astype(int))
    return [np.asarray(values)[keep] for values in curve]


if CLASSIFY:
    if N_CLASSES == 2:
        pred = np.where(scores_test[:, POS_LABEL] >= (THRESHOLD or 0.5), POS_LABEL, 1 - POS_LABEL)
    else:
        pred = scores_test.argmax(axis=1)
    cm = skm.confusion_matrix(y_test, pred, labels=range(N_CLASSES))
    px.imshow(cm, x=CLASSES, y=CLASSES, text_auto=True, color_continuous_scale="Blues",
              labels={"x": "predicted", "y": "actual"}, title="Confusion matrix (test)").show()
    report = skm.classification_report(y_test, pred, labels=range(N_CLASSES), target_names=CLASSES,
                                       output_dict=True, zero_division=0)
    display(pd.DataFrame(report).T.round(3))
    if N_CLASSES == 2:
        fpr, tpr = thinned(*skm.roc_curve(y_test == POS_LABEL, scores_test[:, POS_LABEL])[:2])
        prec, rec = thinned(*skm.precision_recall_curve(y_test == POS_LABEL, scores_test[:, POS_LABEL])[:2])
        fig = go.Figure([go.Scatter(x=fpr, y=tpr, name=f"ROC (AUC {METRICS['roc_auc']:.3f})"),
                         go.Scatter(x=rec, y=prec, name="precision-recall")])
        fig.update_layout(title=f"ROC and precision-recall curves, positive class {CLASSES[POS_LABEL]!r}",
                          xaxis_title="false positive rate / recall", yaxis_title="true positive rate / precision")
        fig.show()
elif ORDINAL:  # an ordinal target: the regression's values cut into its ordered values at the tuned cut-points
    labels = cut(scores_test, THRESHOLD)
    print("cut-points:", None if THRESHOLD is None else [round(c, 3) for c in THRESHOLD])
    px.imshow(pd.crosstab(y_test, labels), text_auto=True, color_continuous_scale="Blues",
              labels={"x": "predicted", "y": "actual"}, title=f"Ordered {TARGET}: actual against predicted").show()
if not CLASSIFY:
    pred = scores_test
    fig = px.scatter(x=y_test[drawn], y=pred[drawn], labels={"x": f"actual {TARGET}", "y": "predicted"},
                     title=f"Predicted against actual (test R2 {METRICS['r2']:.3f})")
    fig.add_shape(type="line", x0=y_test.min(), y0=y_test.min(), x1=y_test.max(), y1=y_test.max(),
                  line={"dash": "dash"})
    fig.show()
    px.histogram(x=(y_test - pred)[drawn], nbins=40, labels={"x": "residual"}, title="Residuals (test)").show()
_report(metrics=METRICS)
