"""The metric catalogue: the one place that knows the metrics a request can name.

Each :class:`Metric` says which way is better, what predictions it needs (class labels, class probabilities, numbers,
ordered values), the task it implies (a named RMSLE makes a regression, a quadratic weighted kappa an ordinal task,
a log loss a classifier with probabilities), the scikit-learn scorer a cross-validated search would use for it, the
tuning the metric rewards (a decision threshold for F-scores, cut-points for kappa), how the constraint table checks
it, and the English and Chinese names and spellings the request reader recognises.

The tables' cells compute these metrics under the same names (``kinds/tables/cells/metrics.py``), so whatever the
request names is what the search optimises and what the constraint table checks. An ordinal task is learnt as a
regression on the ordered values, cut into the classes at cut-points tuned out-of-fold to the metric.

>>> METRICS["rmsle"].task, METRICS["rmsle"].direction
('regression', 'lower')
>>> metric_named("quadratic weighted kappa").name
'qwk'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Metric", "METRICS", "CATALOGUE", "names_for", "lower_is_better", "metric_named", "implied_task",
           "TABLE_TASK_OF"]

Needs = Literal["labels", "probabilities", "values", "ordered", "boxes", "images"]
Task = Literal["classification", "regression", "ordinal", "grounding", "generation"]
Tuning = Literal["threshold", "cut_points"]


@dataclass(frozen=True)
class Metric:
    """One metric a request can name."""

    name: str
    title: str
    direction: Literal["higher", "lower"]
    needs: Needs
    task: Task
    cv_scorer: str | None
    aliases: tuple[str, ...] = field(default_factory=tuple)
    tuning: Tuning | None = None
    bounded: bool = True  # a value in [0, 1] ("at least 95" then means 0.95)
    check: str = "the test split's value, measured by the evaluate cell, against the target"

    @property
    def lower_is_better(self) -> bool:
        """Whether a smaller value is a better model."""
        return self.direction == "lower"


def _m(name: str, title: str, direction: str, needs: str, task: str, scorer: str | None, aliases: list[str],
       tuning: str | None = None, bounded: bool = True, check: str | None = None) -> Metric:
    kwargs = {"check": check} if check else {}
    return Metric(name, title, direction, needs, task, scorer, tuple(aliases), tuning, bounded, **kwargs)  # type: ignore[arg-type]


_KIND_CHECK = "the kind's evaluate cell measures it on its test split"
#: Every metric, in the order the reader tries them (longer, more specific names are matched first anyway).
CATALOGUE: tuple[Metric, ...] = (
    # the kinds' own, measured by their cells; grounding before accuracy (whose "acc" would take "Acc@0.5")
    _m("acc_iou50", "Acc@0.5 (IoU)", "higher", "boxes", "grounding", None,
       [r"\bacc(?:uracy)?\s*@\s*(?:iou\s*)?(?:0?\.5|50%?)(?![\d.])", r"\bacc_iou50\b",
        r"\biou\s*(?:>=|≥)\s*0?\.5\s+accuracy\b", "定位准确率", "定位精度", "定位正确率"], check=_KIND_CHECK),
    _m("mean_iou", "mean IoU", "higher", "boxes", "grounding", None,
       [r"\bmean[\s_-]+iou\b", r"\bmiou\b", r"\baverage\s+iou\b", "平均交并比", "平均IoU"], check=_KIND_CHECK),
    _m("accuracy", "accuracy", "higher", "labels", "classification", "accuracy",
       [r"(?<!balanced\s)(?<!generated\s)(?<!class\s)\baccuracy\b", r"\bacc\b(?!@)", r"(?<=%\s)accurate\b",
        r"(?<=percent\s)accurate\b", "准确率", "准确度", "正确率", "精度"]),
    _m("balanced_accuracy", "balanced accuracy", "higher", "labels", "classification", "balanced_accuracy",
       [r"\bbalanced[\s_-]+accuracy\b", r"\bbalanced[\s_-]acc\b", "平衡准确率", "均衡准确率", "平衡精度"]),
    _m("precision_macro", "macro precision", "higher", "labels", "classification", "precision_macro",
       [r"\bmacro[\s_-]*(?:averaged\s+|average\s+)?precision\b", r"\bprecision[\s_(-]+macro\b\)?", "宏平均精确率",
        "宏精确率"]),
    _m("precision_weighted", "weighted precision", "higher", "labels", "classification", "precision_weighted",
       [r"\bweighted[\s_-]*(?:averaged\s+|average\s+)?precision\b", r"\bprecision[\s_(-]+weighted\b\)?",
        "加权精确率"]),
    _m("precision", "precision", "higher", "labels", "classification", "precision",
       [r"\bprecision\b", "精确率", "精确度", "精准率", "查准率"], tuning="threshold"),
    _m("recall_macro", "macro recall", "higher", "labels", "classification", "recall_macro",
       [r"\bmacro[\s_-]*(?:averaged\s+|average\s+)?recall\b", r"\brecall[\s_(-]+macro\b\)?", "宏平均召回率",
        "宏召回率"]),
    _m("recall_weighted", "weighted recall", "higher", "labels", "classification", "recall_weighted",
       [r"\bweighted[\s_-]*(?:averaged\s+|average\s+)?recall\b", r"\brecall[\s_(-]+weighted\b\)?", "加权召回率"]),
    _m("recall", "recall", "higher", "labels", "classification", "recall",
       [r"\brecall\b", r"\bsensitivity\b", r"\btrue\s+positive\s+rate\b", r"\btpr\b", "召回率", "查全率", "灵敏度",
        "敏感度", "召回"], tuning="threshold"),
    _m("f1_macro", "macro F1", "higher", "labels", "classification", "f1_macro",
       [r"\bmacro[\s_-]*(?:averaged\s+|average\s+)?f1(?:[\s-]?score)?\b", r"\bf1[\s_(-]+macro\b\)?",
        "宏平均F1", "宏F1", "宏观F1"]),
    _m("f1_weighted", "weighted F1", "higher", "labels", "classification", "f1_weighted",
       [r"\bweighted[\s_-]*(?:averaged\s+|average\s+)?f1(?:[\s-]?score)?\b", r"\bf1[\s_(-]+weighted\b\)?",
        "加权F1"]),
    _m("f2", "F2 score", "higher", "labels", "classification", None,
       [r"\bf2(?:[\s-]?score)?\b", r"\bf-2\b", r"\bf[\s_-]?beta\b", "F2分数"], tuning="threshold"),
    _m("f1", "F1 score", "higher", "labels", "classification", "f1",
       [r"\bf1(?:[\s-]?score)?\b", r"\bf-1\b", r"\bf-?score\b", r"\bf-?measure\b", "F1分数", "F1值"],
       tuning="threshold"),
    _m("pr_auc", "PR AUC (average precision)", "higher", "probabilities", "classification", "average_precision",
       [r"\bpr[\s_-]?auc\b", r"\bauprc\b", r"\bauc[\s_-]?pr\b", r"\baverage\s+precision\b", r"\bap\s+score\b",
        r"\barea\s+under\s+(?:the\s+)?precision[\s-]recall\s+curve\b", "平均精度", "PR曲线下面积"]),
    _m("roc_auc", "ROC AUC", "higher", "probabilities", "classification", "roc_auc",
       [r"\broc[\s_-]?auc\b", r"\bauroc\b", r"\bauc(?:[\s-]roc)?\b",
        r"\barea\s+under\s+(?:the\s+)?(?:roc\s+)?curve\b", "ROC曲线下面积", "AUC值"]),
    _m("log_loss", "log loss", "lower", "probabilities", "classification", "neg_log_loss",
       [r"\blog[\s_-]?loss\b", r"\blogarithmic\s+loss\b", r"\blog[\s-]likelihood\s+loss\b",
        r"\b(?:binary\s+|categorical\s+|multi-?class\s+)?cross[\s-]?entropy(?:\s+loss)?\b", r"\blogloss\b",
        "对数损失", "交叉熵"], bounded=False),
    _m("brier", "Brier score", "lower", "probabilities", "classification", "neg_brier_score",
       [r"\bbrier(?:\s+score|\s+loss)?\b", "布里尔分数", "Brier分数"]),
    _m("qwk", "quadratic weighted kappa", "higher", "ordered", "ordinal", None,
       [r"\bquadratic(?:ally)?[\s-]+weighted\s+(?:cohen'?s\s+)?kappa\b", r"\bqwk\b",
        r"\bweighted\s+(?:cohen'?s\s+)?kappa\b", r"\bkappa\s+\(quadratic\)", "二次加权kappa", "二次加权Kappa",
        "加权kappa", "加权Kappa", "二次加权卡帕"], tuning="cut_points"),
    _m("cohen_kappa", "Cohen's kappa", "higher", "labels", "classification", None,
       [r"\bcohen'?s\s+kappa\b", r"\bkappa(?:\s+score)?\b", "科恩kappa", "kappa系数", "Kappa系数", "卡帕系数"]),
    _m("rmsle", "RMSLE", "lower", "values", "regression", "neg_root_mean_squared_log_error",
       [r"\brmsle\b", r"\broot[\s-]mean[\s-]squared?[\s-]log(?:arithmic)?[\s-]error\b", "均方根对数误差"],
       bounded=False),
    _m("mape", "MAPE", "lower", "values", "regression", "neg_mean_absolute_percentage_error",
       [r"\bmape\b", r"\bmean\s+absolute\s+percent(?:age)?\s+error\b", "平均绝对百分比误差"], bounded=False),
    _m("pinball", "pinball (quantile) loss", "lower", "values", "regression", None,
       [r"\bpinball(?:\s+loss)?\b", r"\bquantile\s+loss\b", "分位数损失", "弹球损失"], bounded=False),
    _m("mae", "MAE", "lower", "values", "regression", "neg_mean_absolute_error",
       [r"\bmae\b", r"\bmean\s+absolute\s+error\b", "平均绝对误差"], bounded=False),
    _m("mse", "MSE", "lower", "values", "regression", "neg_mean_squared_error",
       [r"\bmse\b", r"\bmean\s+squared\s+error\b", "均方误差"], bounded=False),
    _m("rmse", "RMSE", "lower", "values", "regression", "neg_root_mean_squared_error",
       [r"\brmse\b", r"\broot[\s-]mean[\s-]squared?[\s-]error\b", "均方根误差"], bounded=False),
    _m("r2", "R²", "higher", "values", "regression", "r2",
       [r"\br2\b", r"\br\^2\b", r"\br[\s-]squared\b", r"\bcoefficient\s+of\s+determination\b", "决定系数"],
       bounded=False),
    _m("frechet_distance", "Fréchet distance", "lower", "images", "generation", None,
       [r"\bfr[eé]chet(?:\s+inception)?\s+distance\b", r"\bfid\b", r"\bfrechet_distance\b", "弗雷歇距离"],
       bounded=False, check=_KIND_CHECK),
    _m("generated_class_accuracy", "generated-class accuracy", "higher", "images", "generation", None,
       [r"\bgenerated[\s_-]class[\s_-]accuracy\b", r"\bclass\s+accuracy\s+of\s+(?:the\s+)?generated\b",
        # "a classifier must recognise at least 80% of the generated images (as the digit asked for)"
        r"(?<=%\s)of\s+(?:the\s+)?generated\s+(?:images?|pictures?|samples?|digits?|drawings?)\b",
        r"(?<=percent\s)of\s+(?:the\s+)?generated\s+(?:images?|pictures?|samples?|digits?|drawings?)\b",
        "生成类别准确率", "生成图像识别率", "生成图片识别率", "生成准确率"],
       check=_KIND_CHECK),
)
METRICS: dict[str, Metric] = {m.name: m for m in CATALOGUE}

#: How the tables kind learns each implied task: an ordinal target is a regression cut at tuned cut-points.
TABLE_TASK_OF = {"classification": "classification", "regression": "regression", "ordinal": "regression"}


def names_for(*tasks: str) -> tuple[str, ...]:
    """The metric names of the given tasks, in catalogue order."""
    return tuple(m.name for m in CATALOGUE if m.task in tasks)


def lower_is_better() -> frozenset[str]:
    """The names of the metrics where a smaller value is better."""
    return frozenset(m.name for m in CATALOGUE if m.lower_is_better)


_ANY = re.compile("|".join(f"(?P<{m.name}>{'|'.join(sorted(m.aliases, key=len, reverse=True))})" for m in CATALOGUE),
                  re.IGNORECASE | re.ASCII)


def metric_named(text: str) -> Metric | None:
    """The catalogue's metric for a name as a person writes it ("RMSLE", "log loss", "二次加权kappa"); None if none."""
    m = _ANY.search(text)
    return METRICS[m.lastgroup] if m else None


def implied_task(names: set[str] | list[str]) -> str | None:
    """The task the named metrics imply: ordinal over regression over classification (a kappa on ordered values
    needs the order, a regression metric needs numbers); None when they name none of these."""
    tasks = {METRICS[n].task for n in names if n in METRICS}
    for task in ("ordinal", "regression", "classification"):
        if task in tasks:
            return task
    return None
