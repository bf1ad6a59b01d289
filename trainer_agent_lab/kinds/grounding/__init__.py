"""Visual grounding: the box of the object a text query describes, by a small CNN + GRU network (PyTorch, CPU)."""

from __future__ import annotations

from ...spec import TaskSpec, TaskType
from ..base import Run, TaskKind
from ..budget import BudgetSplit
from . import agents


class GroundingKind(TaskKind):
    """Visual grounding (the paper's section 3.1): images and queries in, the box of the object described out."""

    name = "grounding"
    task_types = (TaskType.visual_grounding,)
    order = (("Task", "understand"), ("Data", "load"), ("Task", "target"), ("Data", "profile"), ("Data", "clean"),
             ("Data", "split"), ("Model", "select"), ("Task", "feasibility"), ("Model", "fit"),
             ("Model", "evaluate"), ("Server", "export"), ("Server", "parity"), ("Server", "capacity"),
             ("Task", "conclude"), ("Server", "bundle"))
    step_titles = {
        ("Task", "target"): "The target is the box of the object each query describes",
        ("Data", "profile"): "Look at the data: sample boxes, query lengths and words, box sizes and positions",
        ("Data", "clean"): "Check: boxes inside the image, empty queries, duplicates, images missing",
        ("Data", "split"): "Split by image into train/validation/test; tokenize the queries",
        ("Model", "select"): "Size the CNN + query-encoder network to the parameter budget (exact counts)",
        ("Task", "feasibility"): "Enough queries to learn from? The query-blind floor",
        ("Model", "fit"): "Train within the time budget (L1 + GIoU), keep the best validated network",
        ("Model", "evaluate"): "Evaluate on the test queries: Acc@0.5, mean IoU, by kind of query, hits and misses",
        ("Server", "export"): "Export the network to ONNX (pixels and token ids in, box and score out)",
    }
    server_agent = agents.GroundingServerAgent
    #: Evaluation, export, parity, capacity and the bundle after training (with a kernel on a busy CPU).
    budget_split = BudgetSplit(reserve_s=60.0, reserve_share=0.15, min_search_s=15.0)

    def data_phase(self, run: Run, *, setup: bool = True) -> None:
        """Load, look at, check and split the grounding data."""
        agents.data_phase(run, setup=setup)

    def model_phase(self, run: Run) -> None:
        """Size the network, check feasibility, train, evaluate."""
        agents.model_phase(run)

    def data_intent(self, spec: TaskSpec) -> str:
        """Why the Data phase does what it does, from the request."""
        data = ", ".join(f"`{d}`" for d in spec.data) or "the images"
        return (f"The Data agent loads the images and queries of {data}, shows samples with their boxes, the queries' "
                "words and the boxes' sizes and places, drops what would mislead a model (boxes outside the image, "
                "empty or duplicated queries, missing images) and splits them by image into training, validation "
                "and test parts.")

    def model_intent(self, spec: TaskSpec) -> str:
        """Why the Model phase does what it does, from the request."""
        size = spec.constraint("parameters")
        text = ("The Model agent sizes a grounding network (CNN image features, a GRU query encoder, fused and scored "
                "over grid cells) to " + (f"{size.target} parameters" if size else "the time budget")
                + ", trains it from scratch with L1 + GIoU on the box within the time budget, and evaluates it once "
                "on the held-out test queries.")
        targets = [f"{c.name} {c.target}" for c in spec.metric_constraints]
        return text + (" The request sets " + ", ".join(targets) + "." if targets else "")


KIND = GroundingKind()
