"""The structured form of a request: :class:`TaskSpec` and its :class:`Constraint` rows.

A request such as "at least 95% accuracy with fewer than 500 parameters" becomes a ``TaskSpec`` whose
``constraints`` hold ``accuracy >= 0.95`` and ``parameters < 500``. Every constraint is later measured in a
notebook cell and reported as a row of the constraint table (target, actual, met).
"""

from __future__ import annotations

import json
import operator
from enum import Enum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .errors import UsageError

Op = Literal[">=", ">", "<=", "<"]

_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}

#: Metrics measured on the test split. The higher-is-better ones need ``>=``/``>`` targets. The names of the metric
#: catalogue (``knowledge/metrics.py``, the one place that knows them; core types import nothing above them, so
#: ``tests/test_metric_catalogue.py`` checks these equal it). Ordinal metrics (kappa) are learnt as a regression.
CLASSIFICATION_METRICS = ("accuracy", "balanced_accuracy", "precision_macro", "precision_weighted", "precision",
                          "recall_macro", "recall_weighted", "recall", "f1_macro", "f1_weighted", "f2", "f1", "pr_auc",
                          "roc_auc", "log_loss", "brier", "cohen_kappa")
REGRESSION_METRICS = ("qwk", "rmsle", "mape", "pinball", "mae", "mse", "rmse", "r2")
#: Visual grounding: Acc@0.5 (share of queries whose predicted box has IoU >= 0.5 with the true one), mean IoU.
GROUNDING_METRICS = ("acc_iou50", "mean_iou")
#: Image generation: the share of generated images a classifier trained on the real ones recognises as the class
#: asked for, and the Fréchet distance between real and generated images in that classifier's features.
GENERATION_METRICS = ("generated_class_accuracy", "frechet_distance")
METRICS = CLASSIFICATION_METRICS + REGRESSION_METRICS + GROUNDING_METRICS + GENERATION_METRICS
LOWER_IS_BETTER = frozenset({"log_loss", "brier", "rmsle", "mape", "pinball", "mae", "mse", "rmse",
                             "frechet_distance"})

#: Non-metric constraints and where their measured value lives in ``report.json``.
RESOURCE_CONSTRAINTS = {
    "parameters": "model.parameters",
    "onnx_bytes": "model.onnx_bytes",
    "p50_ms": "capacity.p50_ms",
    "p99_ms": "capacity.p99_ms",
    "replica_memory_mb": "capacity.replica_memory_mb",
    "n_inputs": "model.n_inputs",
    "excluded_inputs": "model.excluded_inputs",
}


class TaskType(str, Enum):
    """What kind of model is asked for."""

    classification = "classification"
    regression = "regression"
    text_classification = "text_classification"
    image_classification = "image_classification"
    visual_grounding = "visual_grounding"
    image_generation = "image_generation"


#: Task types whose target is a class (the rest predict numbers).
CLASSIFICATION_TASK_TYPES = frozenset({TaskType.classification, TaskType.text_classification,
                                       TaskType.image_classification})


class Constraint(BaseModel):
    """One measurable requirement: ``name op value`` (``accuracy >= 0.95``, ``parameters < 500``)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="a metric in METRICS or a key of RESOURCE_CONSTRAINTS")
    op: Op
    value: float

    @property
    def target(self) -> str:
        """The target as the constraint table prints it, e.g. ``">= 0.95"``."""
        value = int(self.value) if float(self.value).is_integer() and abs(self.value) >= 1 else self.value
        return f"{self.op} {value:g}" if isinstance(value, float) else f"{self.op} {value}"

    def is_met(self, actual: float | None) -> bool:
        """Whether a measured value satisfies the constraint (``None`` never does)."""
        if actual is None:
            return False
        return bool(_OPS[self.op](float(actual), self.value))


class FeatureRequirements(BaseModel):
    """What the request says about the model's inputs ("at most 3 measurements", "never use age").

    ``max_inputs`` is also a constraint row (``n_inputs <= N``) so the constraint table checks it against the
    exported model's real inputs (``report.json`` ``model.n_inputs`` / ``model.inputs``).
    """

    model_config = ConfigDict(extra="forbid")

    max_inputs: int | None = Field(None, description="the most input columns the model may read")
    only: list[str] = Field(default_factory=list, description="the only columns the model may read, as written")
    never: list[str] = Field(default_factory=list, description="columns the model must not read (e.g. protected "
                             "attributes), as written")
    interpretable: bool = Field(False, description="a model a person can check by hand: linear or a shallow tree")
    monotonic: dict[str, Literal["increasing", "decreasing", "from_data"]] = Field(
        default_factory=dict, description="column -> the direction the prediction must move with it; from_data: "
        "the request gives none, the training split's Spearman correlation decides")

    @property
    def any(self) -> bool:
        """Whether the request said anything about the inputs."""
        return bool(self.max_inputs or self.only or self.never or self.interpretable or self.monotonic)


class TaskSpec(BaseModel):
    """Everything the agents need to know about a request, in measurable terms."""

    model_config = ConfigDict(extra="forbid")

    request: str = Field(description="the user's words, verbatim")
    language: Literal["en", "zh", "other"] = Field(
        "en", description="the language of the request: en, zh, or other (one the offline reader does not read)")
    task_type: TaskType | None = Field(None, description="None: decided from the data")
    target: str | None = Field(None, description="the column to predict, when the request names one")
    positive_label: str | None = Field(
        None, description="words naming the class that precision/recall/F1 are about ('malignant', 'churners')")
    data: list[str] = Field(default_factory=list, description="data references: paths or sklearn:NAME")
    constraints: list[Constraint] = Field(default_factory=list)
    report_metrics: list[str] = Field(default_factory=list, description="metrics asked for without a target")
    optimize: str | None = Field(None, description="the metric to optimise; default: the first constrained one")
    qps: float | None = Field(None, description="requests per second the deployment must serve")
    container_memory_mb: float | None = None
    quantize_int8: bool = False
    export_onnx: bool = True
    time_budget_s: float | None = None
    engine: Literal["local", "ray"] = Field(
        "local", description="where the model search runs (set by --engine, never read from the request)")
    engine_address: str | None = Field(None, description="the Ray cluster's address; None: a Ray started for the run")
    hints: list[str] = Field(default_factory=list, description="e.g. 'clean', 'outliers', 'noisy_labels'")
    features: FeatureRequirements = Field(default_factory=FeatureRequirements)
    not_understood: list[str] = Field(
        default_factory=list, description="clauses that read like requirements but map to nothing the agents know: "
        "asked about, or reported as unchecked with --yes (never silently dropped)")

    def constraint(self, name: str) -> Constraint | None:
        """The constraint on ``name``, if the request set one."""
        return next((c for c in self.constraints if c.name == name), None)

    @property
    def metric_constraints(self) -> list[Constraint]:
        """Constraints on test-set metrics (not on size or speed)."""
        return [c for c in self.constraints if c.name in METRICS]

    @property
    def objective(self) -> str | None:
        """The metric to optimise: the named one, else the first constrained metric, else the first metric the request
        asks to be reported (the one it names first is the one it cares most about), else None."""
        if self.optimize:
            return self.optimize
        metric = self.metric_constraints
        if metric:
            return metric[0].name
        return next((name for name in self.report_metrics if name in METRICS), None)

    def write(self, path: Path) -> Path:
        """Write the spec as JSON (``spec.json`` in a run folder)."""
        path.write_text(json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n")
        return path


def parse_engine(value: str | None) -> tuple[Literal["local", "ray"], str | None]:
    """``--engine``'s value as (engine, address): None or ``local`` -> ("local", None); ``ray`` -> ("ray", None), a Ray
    started for the run; ``ray=ADDRESS`` -> ("ray", ADDRESS), the cluster there (``HOST:PORT`` or ``ray://HOST:PORT``).
    Raises :class:`~trainer_agent_lab.errors.UsageError` for anything else."""
    text = (value or "local").strip()
    name, _, address = text.partition("=")
    if name.strip().lower() == "local" and not address:
        return "local", None
    if name.strip().lower() == "ray" and (address.strip() or not _):
        return "ray", address.strip() or None
    raise UsageError(f"Unknown engine {value!r}: the engines are local (the default) and ray[=ADDRESS].",
                     hint="Pass --engine ray (a Ray started for the run) or --engine ray=HOST:PORT (a cluster).")


def spec_json_schema() -> dict:
    """The JSON schema of :class:`TaskSpec` (what an LLM parser's structured output must match)."""
    return TaskSpec.model_json_schema()
