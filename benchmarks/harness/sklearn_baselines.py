"""Plain scikit-learn baselines with default settings: what a user gets without agents or AutoML.

- ``sklearn``: HistGradientBoosting (classifier or regressor) on the raw columns, text columns ordinal-encoded
  as categories; for a text task, TF-IDF (words, 1-2 grams) + LogisticRegression.
- ``sklearn-linear``: LogisticRegression / Ridge on median-imputed, standardised numbers and one-hot text
  columns (tables only).
"""

from __future__ import annotations

import time
from typing import Any

from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler

from .common import Split, count_parameters, n_inputs, pickled_bytes, single_row_latency, split_metrics

SYSTEMS = ("sklearn", "sklearn-linear")


def _columns(X) -> tuple[list[str], list[str]]:
    numeric = [c for c in X.columns if X[c].dtype.kind in "biuf"]
    return numeric, [c for c in X.columns if c not in numeric]


def _as_text(X):
    """The text column of a one-column frame, as strings (a module-level function, so the pipeline pickles)."""
    return X.iloc[:, 0].fillna("").astype(str)


def build(system: str, split: Split) -> tuple[Any, str]:
    """The unfitted pipeline for ``system`` on this split, and a description of it."""
    X, _ = split.xy("train")
    classify = split.task == "classification"
    if split.meta.get("text_column"):
        if system != "sklearn":
            raise ValueError("tables only")
        text = make_pipeline(FunctionTransformer(_as_text), TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True))
        head = LogisticRegression(max_iter=1000) if classify else Ridge()
        return Pipeline([("tfidf", text), ("model", head)]), f"TF-IDF (1-2 grams) + {type(head).__name__}"
    numeric, categorical = _columns(X)
    if system == "sklearn":
        encode = ColumnTransformer(
            [("num", "passthrough", numeric),
             ("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1,
                                    max_categories=250), categorical)])
        mask = [False] * len(numeric) + [True] * len(categorical)
        cls = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
        head = cls(categorical_features=mask if categorical else None, random_state=42)
        return Pipeline([("encode", encode), ("model", head)]), f"{cls.__name__} (defaults)"
    encode = ColumnTransformer(
        [("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
         ("cat", make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"),
                               OneHotEncoder(handle_unknown="ignore")), categorical)])
    head = LogisticRegression(max_iter=1000) if classify else Ridge()
    return Pipeline([("encode", encode), ("model", head)]), f"{type(head).__name__} (scaled, one-hot)"


def run_sklearn(system: str, split: Split) -> dict[str, Any]:
    """Fit ``system`` on the split's training rows; test metrics, size, parameters and latency."""
    try:
        pipe, what = build(system, split)
    except ValueError as exc:
        return {"system": system, "status": "not run", "why": f"not applicable ({exc})"}
    X, y = split.xy("train")
    X_test, _ = split.xy("test")
    if split.meta.get("text_column"):
        X, X_test = X[[split.meta["text_column"]]], X_test[[split.meta["text_column"]]]
    began = time.perf_counter()
    pipe.fit(X, y)
    fit_s = time.perf_counter() - began
    predictions = pipe.predict(X_test)
    proba = pipe.predict_proba(X_test) if split.task == "classification" else None
    parameters, how = count_parameters(pipe)
    if split.meta.get("text_column") and parameters is not None:
        how += " (the TF-IDF vocabulary's idf weights not counted)"
    return {"system": system, "status": "ok", "model": what,
            "metrics": split_metrics(split, predictions, proba, getattr(pipe, "classes_", None)),
            "fit_s": round(fit_s, 2), "parameters": parameters, "parameters_how": how, "n_inputs": n_inputs(split),
            "size_bytes": pickled_bytes(pipe), "size_how": "pickle", **single_row_latency(pipe.predict, X_test)}
