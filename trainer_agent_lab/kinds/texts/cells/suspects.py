"""Find suspect labels with cross-validated confident learning; show them with the proposed correction."""

# %% [context]
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from .context import CLASSES, LABEL_COL, SEED, TEXT_COL, _report, labeled, unlabeled

# isort: split
# %% Find labels that look wrong (cross-validated confident learning) and show the proposed corrections.
# Out-of-fold probabilities: a label is suspect when the model, not having seen it, is more sure of another class
# than it usually is of that class, and less sure of the given one than usual. Nothing is changed here: a label
# is corrected only if a stronger judge (the LLM annotator, or the teacher later) agrees.
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline

codes = labeled[LABEL_COL].map({c: i for i, c in enumerate(CLASSES)}).to_numpy()
SUSPECTS = {}
folds = int(min(5, np.bincount(codes).min()))
if folds >= 2:
    judge = make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
                          LogisticRegression(C=10, max_iter=3000))
    oof = cross_val_predict(judge, labeled[TEXT_COL], codes, method="predict_proba",
                            cv=StratifiedKFold(folds, shuffle=True, random_state=SEED))
    thresholds = np.array([oof[codes == k, k].mean() for k in range(len(CLASSES))])
    given = oof[np.arange(len(codes)), codes]
    proposed = oof.argmax(axis=1)
    suspect = (proposed != codes) & (oof[np.arange(len(codes)), proposed] >= thresholds[proposed]) & \
        (given < thresholds[codes])
    table = pd.DataFrame({"text": labeled[TEXT_COL], "given": labeled[LABEL_COL],
                          "proposed": [CLASSES[k] for k in proposed],
                          "confidence": oof[np.arange(len(codes)), proposed].round(3)})[suspect]
    SUSPECTS = {int(i): str(row.proposed) for i, row in table.iterrows()}
    display(Markdown(f"**{len(table)} suspect labels** (out-of-fold confident learning). They are not changed "
                     "here: a label is corrected only if a stronger judge (the teacher, later) agrees."))
    display(table.sort_values("confidence", ascending=False).head(25))
else:
    print("too few texts per class to cross-validate labels")

# %% [parameters]
POOL_SAMPLE = 0

# %% What an LLM annotator (when one is configured) is shown: the first suspects and a sample of the pool. The
# texts it labels from the pool join the training texts (none unless an annotate cell follows).
LLM_LABELED = labeled[[TEXT_COL, LABEL_COL]].iloc[:0]
pool_sample = [] if unlabeled is None else unlabeled.sample(min(POOL_SAMPLE, len(unlabeled)), random_state=SEED)
_report(suspects=len(SUSPECTS), checked=int(len(codes)), folds=folds,
        suspect_rows=[{"index": i, "text": labeled.loc[i, TEXT_COL], "given": labeled.loc[i, LABEL_COL],
                       "proposed": p} for i, p in list(SUSPECTS.items())[:40]],
        pool_sample=[] if unlabeled is None else [{"index": int(i), "text": t}
                                                  for i, t in pool_sample[TEXT_COL].items()])
