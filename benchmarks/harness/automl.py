"""FLAML and AutoGluon on one split, run inside ``benchmarks/.venv-automl`` (their pins stay out of ``.venv``).

    benchmarks/.venv-automl/bin/python -m harness.automl --system flaml --split DIR --budget 120 \\
        --metric accuracy --work DIR --out result.json        (from the benchmarks/ folder)

Each tool gets the task's time budget, its default search space, and the task's primary metric where it has
one (else its own default). Text tasks: AutoGluon reads the text column itself (its n-gram features); FLAML
gets TF-IDF features of it (its tabular search has no text featurizer); FLAML runs its default learners
less CatBoost (see FLAML_ESTIMATORS). Writes one JSON object: test metrics,
fit time, parameters (tree nodes counted in every model the final predictor uses), size on disk or pickled,
single-row latency.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .common import Split, count_parameters, n_inputs, pickled_bytes, read_split, single_row_latency, split_metrics

FLAML_METRICS = {"accuracy": "accuracy", "r2": "r2", "mae": "mae", "rmse": "rmse", "f1": "f1", "log_loss": "log_loss",
                 "rmsle": "rmse", "qwk": "rmse"}
#: Regression metrics: RMSLE is RMSE on log1p of the target, which neither tool offers as such — each fits
#: log1p(y) with its RMSE and the predictions are turned back with expm1; QWK on whole grades is served by RMSE.
REGRESSION_METRICS = ("r2", "mae", "rmse", "rmsle", "qwk")
#: FLAML's default learners less CatBoost: on this machine a CatBoost trial started at the end of the budget ran
#: on for minutes (FLAML checks its budget between trials), so FLAML with it did not keep the task's budget.
FLAML_ESTIMATORS = {"classification": ["lgbm", "rf", "xgboost", "extra_tree", "xgb_limitdepth", "sgd", "lrl1"],
                    "regression": ["lgbm", "rf", "xgboost", "extra_tree", "xgb_limitdepth", "sgd"]}
AUTOGLUON_METRICS = {"accuracy": "accuracy", "balanced_accuracy": "balanced_accuracy", "f1": "f1",
                     "precision": "precision", "recall": "recall", "r2": "r2", "mae": "mean_absolute_error",
                     "rmse": "root_mean_squared_error", "log_loss": "log_loss", "rmsle": "root_mean_squared_error",
                     "qwk": "root_mean_squared_error"}


def run_flaml(split: Split, budget: float, metric: str, work: Path) -> dict[str, Any]:
    """FLAML's AutoML with its default estimators for ``budget`` seconds."""
    from flaml import AutoML

    X, y = split.xy("train")
    X_test, _ = split.xy("test")
    binary = split.meta.get("classes") and len(split.meta["classes"]) == 2
    flaml_metric = FLAML_METRICS.get(metric, "auto")
    if (split.task == "regression") != (metric in REGRESSION_METRICS):
        flaml_metric = "auto"
    # FLAML's f1 is about the second class in sorted order; the task's positive class must be that one.
    if flaml_metric == "f1" and not (binary and split.meta.get("pos_label") == sorted(split.meta["classes"])[1]):
        flaml_metric = "auto"
    text = split.meta.get("text_column")
    vectorizer = None
    if text:
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        X = vectorizer.fit_transform(X[text].fillna("").astype(str))
    # class codes, not names: FLAML passes sparse inputs' labels to XGBoost as they are, and it takes integers only
    names = np.asarray(split.meta["classes"], dtype=object) if split.task == "classification" else None
    if names is not None:
        y = y.map({name: code for code, name in enumerate(names)}).to_numpy()
    log_target = metric == "rmsle" and split.task == "regression"
    if log_target:
        y = np.log1p(y.clip(lower=0))
    automl = AutoML()
    began = time.perf_counter()
    automl.fit(X, y, task=split.task, time_budget=budget, metric=flaml_metric, seed=42, verbose=0,
               estimator_list=FLAML_ESTIMATORS[split.task], log_file_name=str(work / "flaml.log"))
    fit_s = time.perf_counter() - began

    def features(rows):
        return vectorizer.transform(rows[text].fillna("").astype(str)) if vectorizer else rows

    def predict(rows):
        codes = automl.predict(features(rows))
        if log_target:
            return np.expm1(codes)
        return names[np.asarray(codes, dtype=int)] if names is not None else codes

    proba = automl.predict_proba(features(X_test)) if names is not None else None
    parameters, how = count_parameters(automl.model.estimator)
    return {"model": f"{automl.best_estimator} ({flaml_metric} metric{', on log1p(y)' if log_target else ''})",
            "fit_s": round(fit_s, 2), "n_inputs": n_inputs(split),
            "metrics": split_metrics(split, predict(X_test), proba, names),
            "parameters": parameters, "parameters_how": how, "size_bytes": pickled_bytes(automl.model),
            "size_how": "pickle of the best model", **single_row_latency(predict, X_test)}


def _autogluon_parameters(predictor) -> tuple[int | None, str]:
    """Tree nodes / weights of every model the best model needs (its ensemble members included)."""
    trainer = predictor._trainer
    total, unknown, names = 0, [], trainer.get_minimum_model_set(predictor.model_best)
    for name in names:
        model = trainer.load_model(name)
        members = [model.load_child(c) for c in model.models] if hasattr(model, "load_child") else [model]
        for member in members:
            inner = getattr(member, "model", None)
            if type(member).__name__ == "GreedyWeightedEnsembleModel" or inner is None:
                weights = getattr(member, "weights_", None)
                total += int(np.size(weights)) if weights is not None else 0
                continue
            count, _ = count_parameters(inner)
            if count is None:
                unknown.append(f"{name} ({type(inner).__name__})")
            else:
                total += count
    how = f"tree nodes/weights summed over {len(names)} models ({', '.join(names)})"
    return (total if not unknown else None), how + (f"; not countable: {', '.join(unknown)}" if unknown else "")


def run_autogluon(split: Split, budget: float, metric: str, work: Path) -> dict[str, Any]:
    """AutoGluon's TabularPredictor (medium_quality presets, its default) for ``budget`` seconds."""
    from autogluon.tabular import TabularPredictor

    classes = split.meta.get("classes")
    problem = "regression" if split.task == "regression" else ("binary" if len(classes) == 2 else "multiclass")
    eval_metric = AUTOGLUON_METRICS.get(metric)
    if problem == "multiclass" and eval_metric in ("f1", "precision", "recall"):
        eval_metric = f"{eval_metric}_macro"
    if (problem == "regression") != (metric in REGRESSION_METRICS):
        eval_metric = None
    train = split.train
    log_target = metric == "rmsle" and problem == "regression"
    if log_target:
        train = train.assign(**{split.target: np.log1p(train[split.target].clip(lower=0))})
    extra = {"positive_class": split.meta["pos_label"]} if problem == "binary" and split.meta.get("pos_label") else {}
    predictor = TabularPredictor(label=split.target, problem_type=problem, eval_metric=eval_metric,
                                 path=str(work / "autogluon"), verbosity=0, **extra)
    began = time.perf_counter()
    predictor.fit(train, time_limit=budget, presets="medium_quality")
    fit_s = time.perf_counter() - began
    X_test, _ = split.xy("test")
    predictor.persist()
    parameters, how = _autogluon_parameters(predictor)
    size = int(sum(p.stat().st_size for name in predictor._trainer.get_minimum_model_set(predictor.model_best)
                   for p in (Path(predictor.path) / "models" / name).rglob("*") if p.is_file()))
    def predict(rows):
        out = predictor.predict(rows)
        return np.expm1(out) if log_target else out

    proba = predictor.predict_proba(X_test) if problem != "regression" else None
    return {"model": f"{predictor.model_best} ({predictor.eval_metric.name} metric"
                     f"{', on log1p(y)' if log_target else ''})", "fit_s": round(fit_s, 2), "n_inputs": n_inputs(split),
            "metrics": split_metrics(split, predict(X_test), proba,
                                     None if proba is None else list(proba.columns)),
            "parameters": parameters, "parameters_how": how, "size_bytes": size,
            "size_how": "files of the models the best model needs", **single_row_latency(predict, X_test)}


RUNNERS = {"flaml": run_flaml, "autogluon": run_autogluon}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--system", choices=sorted(RUNNERS), required=True)
    parser.add_argument("--split", type=Path, required=True)
    parser.add_argument("--budget", type=float, required=True)
    parser.add_argument("--metric", default="accuracy")
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.split, args.out, args.work = args.split.resolve(), args.out.resolve(), args.work.resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    os.chdir(args.work)  # the tools' stray files (CatBoost's catboost_info...) land in the work folder
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    began = time.perf_counter()
    try:
        result = {"status": "ok", **RUNNERS[args.system](read_split(args.split), args.budget, args.metric, args.work)}
    except Exception as exc:  # noqa: BLE001 - the harness reports any failure of the tool in the table
        result = {"status": "failed", "why": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    result.update(system=args.system, budget_s=args.budget, wall_s=round(time.perf_counter() - began, 1))
    args.out.write_text(json.dumps(result, indent=2, default=float) + "\n")
    return 0 if result["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
