"""What every system of the benchmark shares: the split files, metrics, parameter counts and latency.

Imported in both environments (the project's ``.venv`` and ``benchmarks/.venv-automl``): numpy, pandas and
scikit-learn only at import time.

A split folder holds ``train.parquet`` and ``test.parquet`` (the input columns plus the target column, the
target as class names for classification) and ``split.json``::

    {"target": "churned", "task": "classification", "classes": ["no", "yes"], "pos_label": "yes",
     "text_column": null, "source": "agents" | "harness", "seed": 42, "test_size": 0.2, "how": "..."}
"""

from __future__ import annotations

import json
import math
import pickle
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm
from threadpoolctl import threadpool_limits

#: Metrics where smaller is better; every other metric is better when larger.
LOWER_IS_BETTER = frozenset({"mae", "rmse", "mse", "rmsle", "log_loss", "p50_ms", "p99_ms", "parameters",
                             "onnx_bytes", "size_bytes", "n_inputs"})
#: The metrics the harness computes itself (the agents' come from their report.json).
CLASSIFICATION_METRICS = ("accuracy", "balanced_accuracy", "f1", "precision", "recall")
REGRESSION_METRICS = ("r2", "mae", "rmse")


@dataclass
class Split:
    """One task's train and test rows, as every system of the benchmark sees them."""

    train: pd.DataFrame
    test: pd.DataFrame
    meta: dict[str, Any]

    @property
    def target(self) -> str:
        return self.meta["target"]

    @property
    def task(self) -> str:
        return self.meta["task"]

    def xy(self, part: str) -> tuple[pd.DataFrame, pd.Series]:
        """Inputs and target of ``"train"`` or ``"test"``."""
        frame = self.train if part == "train" else self.test
        return frame.drop(columns=[self.target]), frame[self.target]


def write_split(folder: Path, train: pd.DataFrame, test: pd.DataFrame, meta: dict[str, Any]) -> Path:
    """Write a split folder (see the module docstring) and return it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    train.to_parquet(folder / "train.parquet", index=False)
    test.to_parquet(folder / "test.parquet", index=False)
    (folder / "split.json").write_text(json.dumps(meta, indent=2) + "\n")
    return folder


def read_split(folder: Path) -> Split:
    """Read a split folder; classification targets come back as strings."""
    folder = Path(folder)
    meta = json.loads((folder / "split.json").read_text())
    train, test = pd.read_parquet(folder / "train.parquet"), pd.read_parquet(folder / "test.parquet")
    if meta["task"] == "classification":
        for frame in (train, test):
            frame[meta["target"]] = frame[meta["target"]].astype(str)
    return Split(train, test, meta)


def compute_metrics(task: str, y_true: Any, y_pred: Any, pos_label: str | None = None, *,
                    proba: Any = None, classes: list[str] | None = None,
                    grades: tuple[float, float] | None = None) -> dict[str, float]:
    """Test metrics, the same for every system.

    Classification: accuracy, balanced accuracy, F1/precision/recall (on ``pos_label`` for two classes, macro
    otherwise), and log loss where ``proba`` (one column per name of ``classes``) is given. Regression: R2, MAE,
    RMSE, RMSLE (predictions below zero clipped to zero, as a log-error scorer must) and, where ``grades`` gives the
    training target's range, quadratic weighted kappa of the predictions rounded to the nearest whole grade.
    """
    if task == "regression":
        y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
        found = {"r2": float(skm.r2_score(y_true, y_pred)), "mae": float(skm.mean_absolute_error(y_true, y_pred)),
                 "rmse": float(math.sqrt(skm.mean_squared_error(y_true, y_pred)))}
        if (y_true >= 0).all():
            found["rmsle"] = float(math.sqrt(skm.mean_squared_log_error(y_true, np.clip(y_pred, 0, None))))
        if grades is not None:
            low, high = grades
            rounded = np.clip(np.rint(y_pred), low, high).astype(int)
            found["qwk"] = float(skm.cohen_kappa_score(np.rint(y_true).astype(int), rounded, weights="quadratic"))
        return found
    y_true, y_pred = np.asarray(y_true).astype(str), np.asarray(y_pred).astype(str)
    labels = sorted(set(y_true))
    binary = len(labels) == 2 and pos_label is not None
    kwargs: dict[str, Any] = {"pos_label": str(pos_label), "average": "binary"} if binary else {"average": "macro"}
    found = {"accuracy": float(skm.accuracy_score(y_true, y_pred)),
             "balanced_accuracy": float(skm.balanced_accuracy_score(y_true, y_pred)),
             "f1": float(skm.f1_score(y_true, y_pred, zero_division=0, **kwargs)),
             "precision": float(skm.precision_score(y_true, y_pred, zero_division=0, **kwargs)),
             "recall": float(skm.recall_score(y_true, y_pred, zero_division=0, **kwargs))}
    if proba is not None and classes is not None:
        names = [str(c) for c in classes]
        order = sorted(range(len(names)), key=names.__getitem__)  # log_loss takes its labels in sorted order
        found["log_loss"] = float(skm.log_loss(y_true, np.asarray(proba, dtype=float)[:, order],
                                               labels=[names[i] for i in order]))
    return found


def whole_grades(split: Split) -> tuple[float, float] | None:
    """The training target's range when a regression target holds whole grades only (for QWK), else None."""
    if split.task != "regression":
        return None
    y = pd.to_numeric(split.train[split.target], errors="coerce").dropna()
    if y.empty or not np.allclose(y, np.rint(y)) or y.nunique() > 30:
        return None
    return float(y.min()), float(y.max())


def proba_in_order(proba: Any, model_classes: Any, classes: list[str]) -> np.ndarray:
    """Class probabilities with one column per name of ``classes`` (a class the model never saw gets 0)."""
    proba = np.asarray(proba, dtype=float)
    where = {str(c): i for i, c in enumerate(model_classes)}
    out = np.zeros((len(proba), len(classes)))
    for j, name in enumerate(classes):
        if str(name) in where:
            out[:, j] = proba[:, where[str(name)]]
    return out


def split_metrics(split: Split, y_pred: Any, proba: Any = None, model_classes: Any = None) -> dict[str, float]:
    """``compute_metrics`` on the split's test rows, with its classes, positive class and grades."""
    classes = split.meta.get("classes")
    ordered = proba_in_order(proba, model_classes, classes) if proba is not None and classes else None
    return compute_metrics(split.task, split.xy("test")[1], y_pred, split.meta.get("pos_label"), proba=ordered,
                           classes=classes, grades=whole_grades(split))


def n_inputs(split: Split) -> int:
    """The input columns a baseline is given (all of them: no baseline selects features): its ``n_inputs``."""
    if split.meta.get("text_column"):
        return 1
    return int(split.train.shape[1] - 1)


def _sklearn_tree(tree: Any) -> int:
    """A fitted sklearn ``Tree``: 2 per split (feature, threshold) plus the values stored in each leaf."""
    leaves = tree.children_left == -1
    return int(2 * (~leaves).sum() + tree.value.shape[1] * tree.value.shape[2] * leaves.sum())


def count_parameters(model: Any) -> tuple[int | None, str]:
    """Parameters of a fitted model and how they were counted.

    The convention is the project's zoo: a tree split is 2 (feature, threshold), a leaf holds its values,
    a linear model its weights and intercepts, a nearest-neighbour model the training rows it keeps.
    Pipelines count their last step; preprocessing is not counted (as for the agents' models).
    """
    est = model.steps[-1][1] if hasattr(model, "steps") else model
    name = type(est).__name__
    if hasattr(est, "tree_"):
        return _sklearn_tree(est.tree_), "tree nodes"
    if hasattr(est, "_predictors"):  # HistGradientBoosting
        leaves = [p.nodes["is_leaf"].astype(bool) for stage in est._predictors for p in stage]
        return (int(sum(2 * (~leaf).sum() + leaf.sum() for leaf in leaves) + np.size(est._baseline_prediction)),
                "tree nodes")
    if hasattr(est, "estimators_") and hasattr(np.ravel(est.estimators_)[0], "tree_"):
        trees = np.ravel(est.estimators_)
        return sum(_sklearn_tree(t.tree_) for t in trees), "tree nodes"
    booster = est.booster_ if hasattr(est, "booster_") else est
    if hasattr(booster, "dump_model") and hasattr(booster, "num_trees"):  # LightGBM (the sklearn API or a Booster)
        info = booster.dump_model()["tree_info"]
        return int(sum(3 * t["num_leaves"] - 2 for t in info)), "tree nodes (LightGBM dump)"
    if hasattr(est, "get_booster"):  # XGBoost
        nodes = est.get_booster().trees_to_dataframe()
        leaves = int((nodes["Feature"] == "Leaf").sum())
        return int(2 * (len(nodes) - leaves) + leaves), "tree nodes (XGBoost dump)"
    if hasattr(est, "get_tree_leaf_counts"):  # CatBoost: symmetric trees, one split per level
        counts = np.asarray(est.get_tree_leaf_counts())
        dims = int(getattr(est, "_get_dimension", lambda: 1)()) if hasattr(est, "_get_dimension") else 1
        return int((2 * np.log2(np.maximum(counts, 1))).sum() + dims * counts.sum()), "tree nodes (CatBoost)"
    if hasattr(est, "coefs_"):
        return int(sum(w.size for w in est.coefs_) + sum(b.size for b in est.intercepts_)), "weights"
    if hasattr(est, "support_vectors_"):
        return int(est.support_vectors_.size + est.dual_coef_.size + np.size(est.intercept_)), "support vectors"
    if hasattr(est, "coef_"):
        return int(np.size(est.coef_) + np.size(getattr(est, "intercept_", 0))), "weights"
    if hasattr(est, "_fit_X"):
        return int(np.size(est._fit_X)), "stored training rows"
    return None, f"not counted ({name})"


def pickled_bytes(model: Any) -> int | None:
    """Size of the pickled model: the file a user of that library would ship."""
    try:
        return len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # noqa: BLE001 - some models hold unpicklable handles; the size is then unknown
        return None


def single_row_latency(predict: Any, rows: pd.DataFrame, calls: int = 300, max_s: float = 3.0) -> dict[str, float]:
    """p50/p99 ms of ``predict`` on one row at a time, one thread, as a serving replica calls it (bounded in time)."""
    with threadpool_limits(1):
        return _timed(predict, rows, calls, max_s)


def _timed(predict: Any, rows: pd.DataFrame, calls: int, max_s: float) -> dict[str, float]:
    times = []
    for i in range(10):  # warm-up
        predict(rows.iloc[[i % len(rows)]])
    began = time.perf_counter()
    for i in range(calls):
        row = rows.iloc[[i % len(rows)]]
        start = time.perf_counter()
        predict(row)
        times.append((time.perf_counter() - start) * 1000)
        if time.perf_counter() - began > max_s and len(times) >= 30:
            break
    return {"p50_ms": float(np.percentile(times, 50)), "p99_ms": float(np.percentile(times, 99)),
            "latency_calls": len(times)}
