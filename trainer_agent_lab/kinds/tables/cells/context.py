"""Names that earlier cells of a tabular notebook define, for the context blocks of its cell files.

See :mod:`trainer_agent_lab.cells.render`. Nothing here exists at run time: the notebook defines each name.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
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
#: ``count_unique(frame)``: distinct values per column, the numbers counted in one sort (the clean step).
count_unique: Callable[[pd.DataFrame], dict[str, int]]
#: Column identifier (as the cells and ONNX name it) -> the column's name in the user's file.
ORIGINAL_NAMES: dict[str, str]
#: The bundle's raw -> model columns code (``table_features.py``, written beside the notebook by the column types
#: step and imported from there): ``to_model_frame(raw, recipe)``, ``onnx_feed(frame, schema)``, ...
table_features: ModuleType
#: How each raw column becomes the model's columns (``table_features``'s recipe: ``{"columns": [step, ...],
#: "raw_inputs": [{"name": original name, "dtype": ...}, ...]}``), decided by the column types step.
RECIPE: dict[str, Any]
#: The raw table under the user's own column names, rows indexed as ``df`` (the column types step; the clean step
#: drops the same rows from it).
RAW: pd.DataFrame
#: ``date_values(step)``: a date column's moments as numbers (days, NaN where missing), indexed as ``RAW``.
date_values: Callable[[dict[str, Any]], pd.Series]
#: One row per column: the type read, the decision, its reason (the column types step).
COLUMN_TYPES: pd.DataFrame
#: Where the data came from (the load cell's parameter: a path or ``sklearn:<name>``).
DATA_REF: str
#: What a missing text value becomes (the split cell's category for it).
MISSING_CATEGORY: str
#: Numeric and string input column names (raw, before preprocessing).
NUMERIC_FEATURES: list[str]
CATEGORICAL_FEATURES: list[str]
#: The model's input columns (numeric as float64, categorical as str), from the recipe.
X_train: pd.DataFrame
X_test: pd.DataFrame
#: The labels (``df``'s index) of the test rows; the test rows as the user's file has them (raw columns, original
#: names): what a client sends the bundle.
TEST_ROWS: pd.Index
X_test_raw: pd.DataFrame
#: The date column the split followed (the newest rows are the test set; the training rows are in time order), or
#: None for a random split.
TIME_COLUMN: str | None
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
# The model search (``search_plan.py``, ``zoo.py``, ``metrics.py``, ``search.py``) and the fit (``fit.py``):
#: The families the search may try, and each one's default settings (``{"family": ..., param: value}``).
FAMILIES: list[str]
DEFAULTS: list[dict[str, Any]]
#: The metric the search optimises, and the metric targets (``[{"name", "op", "value"}]``).
OBJECTIVE: str
METRIC_CONSTRAINTS: list[dict[str, Any]]
#: The largest allowed parameter count and ONNX file size in bytes, or None.
PARAM_LIMIT: int | None
BYTES_LIMIT: int | None
#: Whether the search tunes the decision threshold (binary tasks with a precision, recall or F1 target).
TUNE_THRESHOLD: bool
#: The search's time budget in seconds; how far cross-validated metrics must beat their targets; the trials
#: without improvement after which a search with no targets stops.
TIME_BUDGET_S: float
MARGIN: float
PATIENCE: int
#: Whether the task is classification; the number of classes (0 for regression); the training rows.
CLASSIFY: bool
N_CLASSES: int
N: int
#: The rows the search cross-validates (``search_sample.py``): the training split, or on a large table (more than
#: ``LARGE_TABLE_CELLS`` cells) a seeded sample of it, stratified for classes, sized to the search's time; their
#: count, and what the notebook says of them (``""`` when not large). The fit trains on ``X_train``, every row.
X_search: pd.DataFrame
y_search: np.ndarray
N_SEARCH: int
SAMPLE_NOTE: str
#: ``sample_rows(n, size, seed, labels=None)``: ``size`` of the positions ``0..n-1``, seeded, in order, stratified by
#: ``labels`` when given (``search_sample.py``; the fit uses it where a large table's rows outlast its time).
sample_rows: Callable[..., np.ndarray]
#: The tree families (trained unscaled; about 25 bytes per parameter in ONNX).
TREES: tuple[str, ...]
#: ``build(family, trial)``: an estimator of ``family``, hyper-parameters drawn from an optuna trial, sized to fit.
build: Callable[..., Any]
#: ``count_parameters(estimator)``: a fitted model's (or pipeline's) parameters, counted as the zoo documents.
count_parameters: Callable[..., int]
#: ``estimated_onnx_bytes(family, n_params)``: the ONNX file size a model of that size takes.
estimated_onnx_bytes: Callable[..., float]
#: ``compute_metrics(y_true, scores, threshold=None)``: metrics from probabilities or predictions.
compute_metrics: Callable[..., dict[str, float]]
#: ``satisfaction(values, margin)``: the search's score of metrics against the targets, and whether all are met.
satisfaction: Callable[..., tuple[float, bool]]
#: ``tune_threshold(y_true, proba)``: the positive-class threshold that best meets the targets, and its metrics.
tune_threshold: Callable[..., tuple[float, dict[str, float]]]
#: ``score_out_of_fold(y_true, oof)``: (the threshold or ordinal cut-points tuned out-of-fold, or None; the metrics).
score_out_of_fold: Callable[..., tuple[Any, dict[str, float]]]
#: Whether the target is ordinal (a regression cut at tuned cut-points for a kappa), and its ordered values.
ORDINAL: bool
ORDERED_VALUES: np.ndarray | None
#: ``cut(values, cuts)``: regression values cut into the ordered values.
cut: Callable[..., np.ndarray]
#: The chosen configuration's cross-validated metrics (the fit cell's parameter).
CV_METRICS: dict[str, float]
#: The zoo's bagged models (``make_model`` of settings with ``"bag": k``): a soft vote (vote of values) of one
#: configuration trained on each of k folds' other rows; skl2onnx converts them as its votes.
FoldBagClassifier: type
FoldBagRegressor: type
#: ``make_model(params)``: the unfitted pipeline for a configuration the search reports (a soft vote included).
make_model: Callable[..., Any]
#: ``pipeline(family, trial)``: the preprocessing and estimator a search trial draws (``scaled(family, trial)``:
#: whether its numbers are standardised, a choice of the search for the ``LINEAR`` families).
pipeline: Callable[..., Any]
#: ``keeps_rows(fitted)``: whether a fitted pipeline's model keeps training rows (kernel SVMs, kNN), so its size grows
#: with the data; ``LOG_TARGET``: whether regressors learn log1p of the target (an RMSLE objective).
keeps_rows: Callable[..., bool]
LOG_TARGET: bool
scaled: Callable[..., bool]
LINEAR: tuple[str, ...]
#: The search's folds (``cv.py``: repeated on small data), the first repeat's validation rows, and
#: ``remember_out_of_fold(trial, family, oof, score, over)``, which keeps each family's best out-of-fold predictions
#: in ``best_out_of_fold`` (family -> {"score", "oof", "trial"}).
folds: Any
FIRST_FOLDS: list[np.ndarray]
#: Seconds one fit and prediction of the first default took on one fold (``cv.py``: the search's estimate of a fold),
#: and what ``cv.py`` says where it cut the folds for it (``""``: the usual folds).
FOLD_SECONDS: float
CV_NOTE: str
remember_out_of_fold: Callable[..., None]
best_out_of_fold: dict[str, dict[str, Any]]
#: ``time.perf_counter()`` when the model search began (its seconds are ``TIME_BUDGET_S`` from then).
started: float
#: The search's optuna study and its finished trials, best first (``search.py``), and the finished trials as a table
#: (``trials``: trial number, family, score, parameters, metrics, seconds).
study: Any
ranked: list[Any]
trials: pd.DataFrame
#: The configurations the fit tries in order (``ensemble.py``: the best vote, if any, then the best trials; each
#: ``{"params", "threshold", "cv_metrics", "parameters"}``, a single trial's with its ``"trial"`` number).
RANKED: list[dict[str, Any]]


def __getattr__(name: str) -> Any:
    raise AttributeError(f"{name} is defined by an earlier cell of the generated notebook.")


# --- export and parity (the Server agent; its shared names are in ``cells/context.py``)
#: Raw column -> ONNX input name (skl2onnx makes names identifiers); what a missing text value is sent to ONNX
#: as (``MISSING_CATEGORY``, or ``""`` where the pipeline imputes text itself); ``to_onnx_feed(frame)``, the ONNX
#: inputs of a DataFrame's raw columns; the ONNX file's size and opset.
ONNX_INPUT_NAMES: dict[str, str]
MISSING_TEXT: str
to_onnx_feed: Callable[[pd.DataFrame], dict[str, np.ndarray]]
onnx_bytes: int
opset: int
#: The raw columns (the user's own names, the recipe's ``raw_inputs``) the exported model's inputs are computed
#: from: what a client sends, and what the request's "at most N inputs" and "never use X" are checked against.
EXPORTED_INPUTS: list[str]
#: ``model_predict(frame)``: (class codes or values, probabilities or None) from the trained pipeline.
model_predict: Callable[[pd.DataFrame], tuple[np.ndarray, np.ndarray | None]]

# --- the request's feature requirements (``select_features.py``, run before the search when the request has any;
# it narrows ``X_train``, ``X_test``, ``NUMERIC_FEATURES``, ``CATEGORICAL_FEATURES`` and ``N_ENCODED`` to them)
#: The input columns the model reads, chosen as the request asks (never / only / at most N).
INPUTS: list[str]
#: The search plan's model shape: a tree's greatest depth (None: any; set for an interpretable model) and the
#: columns the prediction must be monotonic in (column -> ``"increasing"`` | ``"decreasing"``).
TREE_MAX_DEPTH: int | None
MONOTONIC: dict[str, str]
#: The predictions of the file to predict (``predictions.py``: ids kept, the prediction, class probabilities).
predictions: pd.DataFrame
