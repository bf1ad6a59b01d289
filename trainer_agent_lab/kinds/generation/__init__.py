"""Image generation: a class-conditional VAE trained from scratch (PyTorch, CPU), judged by a classifier of the
real images, its decoder served as ONNX (``serve.py`` answers PNG images of the class asked for)."""

from __future__ import annotations

from ...spec import TaskSpec, TaskType
from ..base import Run, TaskKind
from ..budget import BudgetSplit
from . import agents


class GenerationKind(TaskKind):
    """Class-conditional image generation: a CVAE sized to the parameter budget, trained within the time budget."""

    name = "generation"
    task_types = (TaskType.image_generation,)
    order = (("Task", "understand"), ("Data", "load"), ("Task", "target"), ("Data", "profile"), ("Data", "split"),
             ("Model", "select"), ("Model", "judge"), ("Model", "fit"), ("Model", "evaluate"), ("Server", "export"),
             ("Server", "parity"), ("Server", "capacity"), ("Task", "conclude"), ("Server", "bundle"))
    step_titles = {
        ("Task", "target"): "What is asked for: an image of a given class",
        ("Data", "profile"): "Look at the images: sample grids, sizes, class balance",
        ("Data", "split"): "Hold out real images (for the judge and the Fréchet floor)",
        ("Model", "select"): "Size a conditional VAE to the parameter budget",
        ("Model", "judge"): "Train the judge: a classifier of the real images; the real-vs-real Fréchet floor",
        ("Model", "fit"): "Train the generator within the time budget (samples per class as it trains)",
        ("Model", "evaluate"): "Evaluate: generated-class accuracy, Fréchet distance, memorisation check",
        ("Server", "export"): "Export the decoder to ONNX (noise and class in, pixels out)",
        ("Server", "parity"): "Check the ONNX decoder draws what the trained one does",
        ("Server", "capacity"): "Measure latency per image, throughput and memory; size the deployment",
    }
    server_agent = agents.GenerationServerAgent
    #: After training: the evaluation, export, parity, capacity and the bundle.
    budget_split = BudgetSplit(reserve_s=20.0, reserve_share=0.15, min_search_s=5.0)

    def data_phase(self, run: Run, *, setup: bool = True) -> None:
        """Load and look at the images; hold out real ones."""
        agents.data_phase(run, setup=setup)

    def model_phase(self, run: Run) -> None:
        """Size the generator, train the judge and the generator, evaluate what it draws."""
        agents.model_phase(run)

    def data_intent(self, spec: TaskSpec) -> str:
        """Why the Data phase does what it does, from the request."""
        data = ", ".join(f"`{d}`" for d in spec.data) or "the images"
        return (f"The Data agent loads the images of {data} that the model is to learn to draw, shows samples of "
                "each class, and holds out real images: the judge is scored on them and they set the floor of the "
                "Fréchet distance.")

    def model_intent(self, spec: TaskSpec) -> str:
        """Why the Model phase does what it does, from the request."""
        size = spec.constraint("parameters")
        text = ("The Model agent sizes a class-conditional VAE" + (f" within {size.target} parameters" if size else "")
                + " (one decoder pass draws an image, so a CPU trains and serves it in minutes), trains a judge — a "
                "classifier of the real images — then the generator within the time budget, and evaluates what it "
                "draws: the share the judge recognises as the class asked for, the Fréchet distance to real images "
                "beside the real-vs-real floor, and whether it copies its training images.")
        targets = [f"{c.name} {c.target}" for c in spec.metric_constraints]
        return text + (" The request sets " + ", ".join(targets) + "." if targets else "")

    def server_intent(self, spec: TaskSpec) -> str:
        """Why the Server phase does what it does, from the request."""
        return ("The Server agent exports the decoder to ONNX, checks it draws what the trained one does, writes "
                "`serve.py` (a class, a count and a seed in; PNG images out), measures the latency per image, "
                "throughput and memory on this machine, and writes a deployment bundle.")


KIND = GenerationKind()
