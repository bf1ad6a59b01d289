"""Names that earlier cells of a tabular notebook define, for the context blocks of its cell files.

See :mod:`trainer_agent_lab.cells.render`. Nothing here exists at run time: the notebook defines each name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from ....cells.context import REQUIREMENTS, SEED, _report  # noqa: F401  (re-exported for cell files)

#: ``"classification"`` or ``"regression"``.
TASK: str
#: Name of the target column.
TARGET: str
#: The loaded (then cleaned) table.
df: pd.DataFrame
#: Numeric and string input column names (raw, before preprocessing).
NUMERIC_FEATURES: list[str]
CATEGORICAL_FEATURES: list[str]
#: Raw input columns (numeric as float64, categorical as str).
X_train: pd.DataFrame
X_test: pd.DataFrame
#: Classification: int codes ``0..k-1``; regression: float64.
y_train: np.ndarray
y_test: np.ndarray
#: Class names (``CLASSES[code]``); None for regression.
CLASSES: list[str] | None
#: Int code of the positive class for binary tasks, else None.
POS_LABEL: int | None
#: Columns after one-hot encoding.
N_ENCODED: int
#: A fresh preprocessing ``ColumnTransformer``.
make_preprocessor: Callable[..., Any]
#: The fitted pipeline (preprocessing + estimator) on raw columns.
model: Pipeline
#: Probability threshold on ``POS_LABEL`` for binary tasks, else None.
THRESHOLD: float | None
#: The model's parameter count.
N_PARAMETERS: int
#: Test-set metrics.
METRICS: dict[str, float]


def __getattr__(name: str) -> Any:
    raise AttributeError(f"{name} is defined by an earlier cell of the generated notebook.")
