"""Train on the labeled texts; test on the test file, or on a stratified share of the labeled texts."""

# %% [context]
import pandas as pd

from .context import (
    CLASSES,
    LABEL_COL,
    LLM_LABELED,
    SEED,
    TEXT_COL,
    _report,
    labeled,
    test_frame,
    unlabeled,
)

# isort: split
# %% Split: train on the labeled texts (and those the LLM annotator labeled), test on the test file, or on a
# stratified share of the labeled texts. Labels become codes (CLASSES[code]); the test file may hold no label
# the labeled texts lack.
from sklearn.model_selection import train_test_split

TASK, TARGET = "classification", LABEL_COL
CODE = {c: i for i, c in enumerate(CLASSES)}
if test_frame is not None:
    unknown = sorted(set(test_frame[LABEL_COL]) - set(CLASSES))
    if unknown:
        raise ValueError(f"The test file has labels the labeled file lacks: {unknown}.")

# %% [parameters]
TEST_SIZE = 0.25
POSITIVE = None

# %% The training and test texts, their label codes, and the unlabeled pool.
if test_frame is not None:
    train_part, test_part = labeled, test_frame
    source = "the test file"
else:
    train_part, test_part = train_test_split(labeled, test_size=TEST_SIZE, random_state=SEED,
                                             stratify=labeled[LABEL_COL])
    source = f"{TEST_SIZE:.0%} of the labeled texts"
if len(LLM_LABELED):
    train_part = pd.concat([train_part, LLM_LABELED[LLM_LABELED[LABEL_COL].isin(CLASSES)]])
texts_train = train_part[TEXT_COL].tolist()
y_train = train_part[LABEL_COL].map(CODE).to_numpy()
TRAIN_INDEX = train_part.index.to_numpy()
texts_test = test_part[TEXT_COL].tolist()
raw_texts_test = test_part.get("raw_text", test_part[TEXT_COL]).tolist()
y_test = test_part[LABEL_COL].map(CODE).to_numpy()
texts_unlabeled = [] if unlabeled is None else unlabeled[TEXT_COL].tolist()
POS_LABEL = CLASSES.index(POSITIVE) if POSITIVE in CLASSES else None
print(f"train: {len(texts_train):,} labeled texts; test: {len(texts_test):,} from {source}; "
      f"unlabeled pool: {len(texts_unlabeled):,}")
_report(n_train=len(texts_train), n_test=len(texts_test), n_unlabeled=len(texts_unlabeled), classes=CLASSES,
        test_source=source, n_features=1)
