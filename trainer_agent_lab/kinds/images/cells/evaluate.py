"""Evaluate on the held-out test images: metrics, confusion matrix, per-class report and the misclassified images."""

# %% [context]
import numpy as np
import pandas as pd
import plotly.express as px
from IPython.display import display
from sklearn import metrics as skm

from .context import (
    CLASSES,
    CV_METRICS,
    N_CLASSES,
    X_test,
    _report,
    compute_metrics,
    model,
    predict_proba,
    show_grid,
    y_test,
)

# %% Evaluate on the held-out test images: metrics, confusion matrix, and the images the model
# gets wrong.
proba_test = predict_proba(model, X_test)
METRICS = {k: float(v) for k, v in compute_metrics(y_test, proba_test).items()}
display(pd.DataFrame({"test": METRICS, "validation (search)": CV_METRICS}).round(4))
pred = proba_test.argmax(axis=1)
cm = skm.confusion_matrix(y_test, pred, labels=range(N_CLASSES))
px.imshow(cm, x=CLASSES, y=CLASSES, text_auto=True, color_continuous_scale="Blues",
          labels={"x": "predicted", "y": "actual"}, title="Confusion matrix (test)").show()
display(pd.DataFrame(skm.classification_report(y_test, pred, labels=range(N_CLASSES), target_names=CLASSES,
                                               output_dict=True, zero_division=0)).T.round(3))
wrong = np.flatnonzero(pred != y_test)
wrong = wrong[np.argsort(-proba_test[wrong, pred[wrong]])][:16]  # the most confident mistakes first
if len(wrong):
    show_grid(X_test[wrong], [f"{CLASSES[y_test[i]]} -> {CLASSES[pred[i]]}" for i in wrong],
              f"Misclassified test images (true -> predicted), {len(np.flatnonzero(pred != y_test))} in all")
else:
    print("No test image is misclassified.")
_report(metrics=METRICS, misclassified=int((pred != y_test).sum()),
        per_class_recall={CLASSES[i]: float(cm[i, i] / max(cm[i].sum(), 1)) for i in range(N_CLASSES)})
