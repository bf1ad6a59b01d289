"""Apply what the LLM annotator said (written here as data, so the notebook re-runs without the model)."""

# %% [context]
import pandas as pd
from IPython.display import Markdown, display

from .context import LABEL_COL, SUSPECTS, TEXT_COL, _report, labeled, unlabeled

# isort: split
# %% [parameters]
ANNOTATOR = "the language model"
CORRECTIONS = {}
ANNOTATIONS = {}

# %% Apply the LLM annotator's answers: correct suspect labels, and label part of the unlabeled pool
# (those texts join the training texts only, never the test).
for index, label in CORRECTIONS.items():
    labeled.loc[index, LABEL_COL] = label
    SUSPECTS.pop(index, None)
LLM_LABELED = pd.DataFrame({TEXT_COL: [unlabeled.loc[i, TEXT_COL] for i in ANNOTATIONS] if ANNOTATIONS else [],
                            LABEL_COL: list(ANNOTATIONS.values())})
LLM_LABELED.index = range(10**6, 10**6 + len(LLM_LABELED))  # apart from the labeled rows' index
if ANNOTATIONS:
    unlabeled = unlabeled.drop(index=list(ANNOTATIONS)).reset_index(drop=True)
display(Markdown(f"**{ANNOTATOR}** corrected {len(CORRECTIONS)} suspect labels and labeled {len(LLM_LABELED)} "
                 "texts of the unlabeled pool (they join the training texts only, never the test)."))
if CORRECTIONS:
    display(pd.DataFrame({"text": [labeled.loc[i, TEXT_COL] for i in CORRECTIONS], "now": list(CORRECTIONS.values())}))
_report(corrected=len(CORRECTIONS), annotated=len(LLM_LABELED))
