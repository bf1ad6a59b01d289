"""Keep the teacher's confident labels on the pool; correct suspect labels the teacher also rejects."""

# %% [context]
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from .context import (
    CLASSES,
    SUSPECTS,
    TEACHER_PROBA_TRAIN,
    TEACHER_PROBA_UNLABELED,
    TRAIN_INDEX,
    _report,
    texts_train,
    texts_unlabeled,
    y_train,
)

# isort: split
# %% [parameters]
CONFIDENCE = 0.8
CORRECT_AT = 0.9

# %% Pseudo-label the unlabeled pool with the teacher (confident answers only), and correct the labels the Data
# agent found suspect where the teacher, too, is sure of the proposed class.
confidence = TEACHER_PROBA_UNLABELED.max(axis=1) if len(TEACHER_PROBA_UNLABELED) else np.zeros(0)
keep = np.where(confidence >= CONFIDENCE)[0]
pseudo_texts = [texts_unlabeled[i] for i in keep]
pseudo_labels = TEACHER_PROBA_UNLABELED[keep].argmax(axis=1)
corrected = []
labels_fit = np.array(y_train)
position = {int(index): i for i, index in enumerate(TRAIN_INDEX)}
for index, proposed in SUSPECTS.items():
    i = position.get(int(index))
    if i is not None and TEACHER_PROBA_TRAIN[i, CLASSES.index(proposed)] >= CORRECT_AT:
        corrected.append({"text": texts_train[i], "given": CLASSES[labels_fit[i]], "corrected": proposed,
                          "teacher confidence": round(float(TEACHER_PROBA_TRAIN[i, CLASSES.index(proposed)]), 3)})
        labels_fit[i] = CLASSES.index(proposed)
# the next student learns from the labeled texts (corrected) and the pseudo-labeled ones: the distillation set
texts_fit = list(texts_train) + pseudo_texts
labels_fit = np.concatenate([labels_fit, pseudo_labels])
display(Markdown(f"**Pseudo-labels:** {len(keep):,} of {len(texts_unlabeled):,} unlabeled texts where the teacher is "
                 f"at least {CONFIDENCE:.0%} sure; **{len(corrected)} labels corrected** (suspect and the teacher "
                 "agrees)."))
display(pd.Series(pseudo_labels).map(dict(enumerate(CLASSES))).value_counts().rename("pseudo-labeled texts"))
if corrected:
    display(pd.DataFrame(corrected))
_report(pseudo_labeled=len(keep), pool=len(texts_unlabeled), corrected=len(corrected), confidence=CONFIDENCE,
        training_texts=len(texts_fit))
