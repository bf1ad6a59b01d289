"""Test metrics of the final student, the table of every step, confusion matrix, misclassified texts."""

# %% [context]
import numpy as np
import pandas as pd
import plotly.express as px
from IPython.display import Markdown, display

from .context import CLASSES, POS_LABEL, STEPS, _report, model, texts_test, y_test

# isort: split
# %% Evaluate the final student on the test texts, and show the table of every step of the strategy
# (test accuracy and parameters of the student alone, the teacher, the distilled student).
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_score, recall_score, roc_auc_score

proba = model.predict_proba(texts_test, normalized=True)
predicted = proba.argmax(axis=1)
METRICS = {"accuracy": float(accuracy_score(y_test, predicted))}
if len(CLASSES) == 2:
    positive = POS_LABEL if POS_LABEL is not None else 1
    METRICS.update(precision=float(precision_score(y_test, predicted, pos_label=positive, zero_division=0)),
                   recall=float(recall_score(y_test, predicted, pos_label=positive, zero_division=0)),
                   f1=float(f1_score(y_test, predicted, pos_label=positive, zero_division=0)),
                   roc_auc=float(roc_auc_score(y_test == positive, proba[:, positive])))
else:
    METRICS["f1"] = float(f1_score(y_test, predicted, average="macro"))
N_PARAMETERS, FAMILY, PARAMS = model.parameters, model.family, model.params
THRESHOLD = None
display(Markdown("**Every step of the strategy** (test accuracy and parameters):"))
display(pd.DataFrame(STEPS))

# %% Where the student goes wrong: the confusion matrix and the misclassified test texts.
matrix = confusion_matrix(y_test, predicted, labels=list(range(len(CLASSES))))
fig = px.imshow(matrix, x=[str(c) for c in CLASSES], y=[str(c) for c in CLASSES], text_auto=True,
                labels=dict(x="predicted", y="true", color="texts"), title="Confusion matrix (test texts)")
fig.update_layout(height=320, margin=dict(t=40, b=20))
fig.show()
wrong = np.where(predicted != y_test)[0]
display(Markdown(f"**{len(wrong)} misclassified test texts** (first 10):"))
display(pd.DataFrame({"text": [texts_test[i] for i in wrong[:10]], "true": [CLASSES[y_test[i]] for i in wrong[:10]],
                      "predicted": [CLASSES[predicted[i]] for i in wrong[:10]],
                      "confidence": proba[wrong[:10], predicted[wrong[:10]]].round(3)}))
_report(metrics=METRICS, parameters=N_PARAMETERS, family=FAMILY, params=PARAMS, steps=STEPS)
