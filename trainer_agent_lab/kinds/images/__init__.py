"""Images: classification of small images with CNNs and MLPs trained from scratch (PyTorch, CPU)."""

from __future__ import annotations

from ...spec import TaskSpec, TaskType
from ..base import Run, TaskKind
from ..budget import BudgetSplit
from . import agents


class ImagesKind(TaskKind):
    """Image classification: a CNN and an MLP sized to the parameter budget, trained with augmentation."""

    name = "images"
    task_types = (TaskType.image_classification,)
    order = (("Task", "understand"), ("Data", "load"), ("Task", "target"), ("Data", "profile"), ("Data", "clean"),
             ("Data", "split"), ("Model", "select"), ("Task", "feasibility"), ("Model", "search"),
             ("Model", "fit"), ("Model", "evaluate"), ("Server", "export"), ("Server", "parity"),
             ("Server", "capacity"), ("Task", "conclude"), ("Server", "bundle"))
    step_titles = {
        ("Task", "target"): "The target is each image's class",
        ("Data", "profile"): "Look at the images: sample grids, sizes, class balance",
        ("Data", "clean"): "Clean: blank, duplicate and conflicting images",
        ("Data", "split"): "Split train/validation/test; normalise; augment where it keeps the label",
        ("Model", "select"): "Size a CNN and an MLP to the parameter budget",
        ("Model", "search"): "Train the candidates with early stopping on the validation split",
        ("Model", "fit"): "Train the final network (pinned epochs)",
        ("Model", "evaluate"): "Evaluate on the test split: confusion matrix, misclassified images",
        ("Server", "export"): "Export the network to ONNX (raw pixels in; int8 where asked)",
    }
    server_agent = agents.ImageServerAgent
    #: Evaluation, export, int8 calibration, parity, capacity and the bundle after training; at least 10 s of it.
    budget_split = BudgetSplit(reserve_s=15.0, reserve_share=0.1, min_search_s=10.0)

    def data_phase(self, run: Run, *, setup: bool = True) -> None:
        """Load, look at, clean and split the images."""
        agents.data_phase(run, setup=setup)

    def model_phase(self, run: Run) -> None:
        """Size the networks, check feasibility, train, keep the best network, evaluate."""
        agents.model_phase(run)

    def data_intent(self, spec: TaskSpec) -> str:
        """Why the Data phase does what it does, from the request."""
        data = ", ".join(f"`{d}`" for d in spec.data) or "the images"
        return (f"The Data agent loads the images of {data}, shows samples of each class, removes blank, duplicate "
                "and conflicting images, and splits them into training, validation and test parts, with "
                "augmentation that keeps each image's class.")


KIND = ImagesKind()
