"""The metric catalogue (knowledge/metrics.py) drives the reader, the task, the search's scoring and the constraint
table: each metric named in a request (English and Chinese) gives the right task kind and scorer, and the tables'
cells measure it on small real tables so that the constraint table checks it."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import cross_val_predict, train_test_split

from trainer_agent_lab import spec as spec_module
from trainer_agent_lab.agents.task import resolve_task
from trainer_agent_lab.cells.render import render, run_cells
from trainer_agent_lab.knowledge.metrics import CATALOGUE, METRICS, TABLE_TASK_OF, lower_is_better, names_for
from trainer_agent_lab.llm import vocabulary as V
from trainer_agent_lab.llm.rule_reader import parse_request

#: One English and one Chinese spelling of each metric of the tables kind, as people write them.
SPELLINGS = {
    "accuracy": ("accuracy", "准确率"), "balanced_accuracy": ("balanced accuracy", "平衡准确率"),
    "precision_macro": ("macro precision", "宏平均精确率"), "precision_weighted": ("weighted precision", "加权精确率"),
    "precision": ("precision", "精确率"), "recall_macro": ("macro recall", "宏平均召回率"),
    "recall_weighted": ("weighted recall", "加权召回率"), "recall": ("recall", "召回率"),
    "f1_macro": ("macro F1", "宏平均F1"), "f1_weighted": ("weighted F1", "加权F1"), "f2": ("F2 score", "F2分数"),
    "f1": ("F1 score", "F1分数"), "pr_auc": ("PR AUC", "PR曲线下面积"), "roc_auc": ("ROC AUC", "ROC曲线下面积"),
    "log_loss": ("log loss", "对数损失"), "brier": ("Brier score", "Brier分数"),
    "cohen_kappa": ("Cohen's kappa", "Kappa系数"),
    "qwk": ("quadratic weighted kappa", "二次加权kappa"), "rmsle": ("RMSLE", "均方根对数误差"),
    "mape": ("MAPE", "平均绝对百分比误差"), "pinball": ("pinball loss", "分位数损失"),
    "mae": ("mean absolute error", "平均绝对误差"), "mse": ("MSE", "均方误差"), "rmse": ("RMSE", "均方根误差"),
    "r2": ("R2", "决定系数"),
}
#: The kinds' own metrics (grounding, generation): their spellings; their cells measure them.
KIND_SPELLINGS = {"acc_iou50": ("Acc@0.5", "定位准确率"), "mean_iou": ("mean IoU", "平均交并比"),
                  "frechet_distance": ("Fréchet distance", "弗雷歇距离"),
                  "generated_class_accuracy": ("generated class accuracy", None)}
TABLE_METRICS = [m.name for m in CATALOGUE if m.task in TABLE_TASK_OF]


def test_every_metric_has_spellings_and_the_core_names_are_the_catalogue():
    assert set(SPELLINGS) == set(TABLE_METRICS) and set(KIND_SPELLINGS) == set(METRICS) - set(TABLE_METRICS)
    assert spec_module.CLASSIFICATION_METRICS == names_for("classification")
    assert spec_module.REGRESSION_METRICS == names_for("ordinal", "regression")
    assert set(spec_module.LOWER_IS_BETTER) <= lower_is_better()
    assert {n for n in lower_is_better() if n in TABLE_METRICS} <= set(spec_module.LOWER_IS_BETTER)
    assert list(V.METRIC_ALIASES) == [m.name for m in CATALOGUE]
    cell = render("kinds/tables/cells/metrics")[0].source  # the cell's own list of lower-is-better metrics
    assert all(f'"{n}"' in cell for n in lower_is_better() if n in TABLE_METRICS)


@pytest.mark.parametrize("name", TABLE_METRICS)
def test_the_catalogue_entry_is_complete(name):
    metric = METRICS[name]
    assert metric.direction in ("higher", "lower") and metric.needs in ("labels", "probabilities", "values", "ordered")
    assert metric.cv_scorer is None or metric.cv_scorer in skm.get_scorer_names()
    assert (metric.tuning == "cut_points") == (metric.task == "ordinal")


@pytest.mark.parametrize("name", sorted(KIND_SPELLINGS))
def test_the_kinds_own_metrics_are_read_by_name(name):
    for written in filter(None, KIND_SPELLINGS[name]):
        assert V.METRIC_RE.search(written).lastgroup == name, written


# -------------------------------------------------------------------------------------------- small real tables
@functools.cache
def table(task: str) -> dict[str, Any]:
    """Held-out scores of a quick model on a small real table: a binary one, a regression, an ordinal grade."""
    if task == "classification":
        X, y = load_breast_cancer(return_X_y=True)
        model = LogisticRegression(max_iter=3000)
    else:
        X, y = load_diabetes(return_X_y=True)
        model = Ridge()
        if task == "ordinal":  # a grade 3..8 cut from the disease progression
            y = np.digitize(y, np.quantile(y, [0.1, 0.3, 0.6, 0.8, 0.93])) + 3
    X_train, X_test, y_train, y_test = train_test_split(X[:300], y[:300], test_size=0.3, random_state=0)
    method = "predict_proba" if task == "classification" else "predict"
    oof = cross_val_predict(model, X_train, y_train, cv=3, method=method)
    scores = getattr(model.fit(X_train, y_train), method)(X_test)
    return {"y_train": y_train, "oof": oof, "y_test": y_test, "scores": scores}


def metric_namespace(task: str, objective: str, constraints: list[dict[str, Any]]) -> dict[str, Any]:
    """The kernel after the tables' metrics cell ran for ``objective`` and ``constraints`` on ``task``'s table."""
    data = table(task)
    ns: dict[str, Any] = {"__name__": "__main__", "skm": skm, "np": np}
    run_cells(render("cells/setup", SEED=0, REQUIREMENTS={"constraints": constraints}), ns)
    ns.update(CLASSIFY=task == "classification", N_CLASSES=2, POS_LABEL=1, MARGIN=0.01, OBJECTIVE=objective,
              METRIC_CONSTRAINTS=constraints, TUNE_THRESHOLD=METRICS[objective].tuning == "threshold",
              y_train=data["y_train"], _report=lambda **kw: ns.setdefault("REPORTS", []).append(kw))
    run_cells(render("kinds/tables/cells/metrics"), ns)
    return ns


def request(name: str, language: str) -> str:
    """A request setting a loose target on the metric (at least a little for higher-is-better, at most a lot)."""
    en, zh = SPELLINGS[name]
    lower = METRICS[name].lower_is_better
    if language == "en":
        return f"Train a model on data.csv with {en} {'at most 100000' if lower else 'at least 0.05'}."
    return f"用data.csv训练一个模型，{zh}{'不超过100000' if lower else '不低于0.05'}。"


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("name", TABLE_METRICS)
def test_a_named_metric_sets_the_task_the_scorer_and_a_checked_constraint(name, language, tmp_path, monkeypatch):
    metric = METRICS[name]
    spec = parse_request(request(name, language))
    assert [c.name for c in spec.constraints] == [name] and not spec.not_understood, spec
    # the task: a whole-number target with 6 values stays a regression under a regression or ordinal metric
    column = {"name": "grade", "dtype": "int64", "n_unique": 6}
    assert resolve_task(spec, column, 500) == TABLE_TASK_OF[metric.task]
    # the search optimises it (tuned as the metric rewards), and the test metrics measure it
    task = metric.task
    ns = metric_namespace(task, name, [c.model_dump() for c in spec.constraints])
    data = table(task)
    tuned, cv_values = ns["score_out_of_fold"](data["y_train"], data["oof"])
    assert name in cv_values and np.isfinite(cv_values[name])
    assert isinstance(tuned, list) if task == "ordinal" else (tuned is None) != (metric.tuning == "threshold")
    measured = {k: float(v) for k, v in ns["compute_metrics"](data["y_test"], data["scores"], tuned).items()}
    # the constraint table checks it against what was measured
    monkeypatch.chdir(tmp_path)
    rows = [c.model_dump() for c in spec.constraints]
    ns.update(METRICS=measured, N_PARAMETERS=10, REQUIREMENTS={"constraints": rows})
    run_cells(render("cells/constraints", CONSTRAINTS=rows), ns)
    row = ns["CONSTRAINT_ROWS"][0]
    assert row["name"] == name and row["actual"] == measured[name] and row["met"] is True


@pytest.mark.parametrize("name", TABLE_METRICS)
def test_evaluated_by_names_the_metric_to_optimise(name):
    en, zh = SPELLINGS[name]
    for text in (f"Predict the grade column of data.csv, evaluated by {en}.", f"预测data.csv的grade列，以{zh}评估。"):
        spec = parse_request(text)
        assert spec.optimize == name and not spec.not_understood, (text, spec)
        if METRICS[name].task in ("regression", "ordinal"):
            assert spec.task_type == spec_module.TaskType.regression, text


def test_scoring_words_never_become_the_target():
    for text in ("Predicting the data in test.csv, evaluated by RMSLE.", "Predict the rows of test.csv.",
                 "predict the test set, scored on log loss"):
        spec = parse_request(text)
        assert spec.target is None and not any(h.startswith("asked_target:") for h in spec.hints), (text, spec)


def test_kappa_cut_points_cover_every_grade():
    """Cut-points tuned for kappa give every grade room, where rounding a regression squeezes the extremes."""
    ns = metric_namespace("ordinal", "qwk", [])
    data = table("ordinal")
    cuts, values = ns["score_out_of_fold"](data["y_train"], data["oof"])
    assert len(cuts) == 5 and cuts == sorted(cuts)
    midpoints = ns["regression_metrics"](data["y_train"], data["oof"])["qwk"]
    assert values["qwk"] >= midpoints
