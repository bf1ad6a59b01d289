"""Texts: classification of short texts, after the paper (students within the budget, a teacher, pseudo-labels)."""

from __future__ import annotations

from ...knowledge.sops import TEXT_STEPS
from ...spec import TaskSpec, TaskType
from ..base import Run, TaskKind
from . import agents


class TextsKind(TaskKind):
    """Text classification: TF-IDF and small neural students, the MiniLM teacher, distillation."""

    name = "texts"
    task_types = (TaskType.text_classification,)
    order = (("Task", "understand"), ("Data", "load"), ("Task", "target"), ("Data", "normalise"), ("Data", "clean"),
             ("Data", "suspects"), ("Data", "annotate"), ("Data", "split"), ("Model", "select"),
             ("Task", "feasibility"), ("Model", "search"), ("Model", "teacher"), ("Model", "pseudo"),
             ("Model", "fit"), ("Model", "evaluate"), ("Server", "export"), ("Server", "parity"),
             ("Server", "capacity"), ("Task", "conclude"), ("Server", "bundle"))
    step_titles = TEXT_STEPS
    server_agent = agents.TextServerAgent

    def data_phase(self, run: Run, *, setup: bool = True) -> None:
        """Load, normalise, de-duplicate, check labels, split."""
        agents.data_phase(run, setup=setup)

    def model_phase(self, run: Run) -> None:
        """Student; if short and possible, teacher + pseudo-labels + distilled student; evaluate."""
        agents.model_phase(run)

    def data_intent(self, spec: TaskSpec) -> str:
        """Why the Data phase does what it does, from the request."""
        data = ", ".join(f"`{d}`" for d in spec.data) or "the texts"
        noisy = " The request warns the labels may be noisy: suspect labels are looked for." \
            if "noisy_labels" in spec.hints else ""
        return (f"The Data agent loads the texts of {data}, normalises them (entities, tags, spaces), removes "
                f"duplicates and conflicting labels, looks for labels a model disagrees with, and splits them.{noisy}")

    def model_intent(self, spec: TaskSpec) -> str:
        """Why the Model phase does what it does, from the request."""
        return (super().model_intent(spec) + " If the best small model falls short and there are unlabeled texts, "
                "a pretrained teacher labels them and the small model learns again from both (the paper's strategy).")


KIND = TextsKind()
