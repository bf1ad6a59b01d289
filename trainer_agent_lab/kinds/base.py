"""What a task kind supplies: its plan, its Data and Model phases, its Server agent and its budget split.

A kind is a plug-in (FLAML's ``Task`` is the model): a folder under ``kinds/`` whose package defines ``KIND``, an
instance of a :class:`TaskKind` subclass, and one line in :data:`trainer_agent_lab.kinds.KIND_PACKAGES`. The
orchestrator asks the registry for the kind of the spec's task type and calls its phases in order; it has no
per-kind branches.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from ..agents.base import EventSink, RunMemory
from ..agents.server import ServerAgent
from ..agents.task import TaskAgent
from ..notebook.driver import NotebookDriver
from ..spec import TaskSpec, TaskType
from .budget import BudgetSplit, TimeBudget

#: A step of the plan: (agent, step key).
Step = tuple[str, str]
#: The Server agent's steps and the Task agent's conclusion, the same for every kind.
SERVER_STEPS: tuple[Step, ...] = (("Server", "export"), ("Server", "parity"), ("Server", "capacity"),
                                  ("Task", "conclude"), ("Server", "bundle"))


@dataclass
class Run:
    """What a phase needs: the Task agent (the hub, with the run memory), the driver, the event sink, the seed,
    the time budget, and whether questions are answered with their defaults."""

    task: TaskAgent
    driver: NotebookDriver
    emit: EventSink
    seed: int
    budget: TimeBudget
    assume_yes: bool = False
    #: Called when the data turns out to be of another kind (a table of one text column and a label): re-plan as
    #: that kind and carry on with its Data phase after the set-up cell.
    switch_kind: Callable[[TaskType], None] | None = None

    @property
    def memory(self) -> RunMemory:
        """The run memory the agents share."""
        return self.task.memory

    @property
    def spec(self) -> TaskSpec:
        """The parsed request."""
        return self.task.memory.spec

    def requirements(self) -> dict[str, Any]:
        """The measurable part of the spec, as the notebook's ``REQUIREMENTS`` dict."""
        return requirements_of(self.spec)


def requirements_of(spec: TaskSpec) -> dict[str, Any]:
    """The measurable part of ``spec``, as the notebook's ``REQUIREMENTS`` dict."""
    return {"constraints": [c.model_dump() for c in spec.constraints], "qps": spec.qps,
            "container_memory_mb": spec.container_memory_mb, "quantize_int8": spec.quantize_int8,
            "time_budget_s": spec.time_budget_s, "features": spec.features.model_dump()}


class TaskKind(abc.ABC):
    """One kind of task: how its data is prepared, how its models are chosen and trained, who serves them."""

    #: Short name (the folder under ``kinds/``).
    name: ClassVar[str]
    #: The spec task types this kind handles (``None``: a request that names none, decided by the data).
    task_types: ClassVar[tuple[TaskType | None, ...]]
    #: The plan: every step in the order the hub calls it (the notebook's checklist).
    order: ClassVar[tuple[Step, ...]]
    #: Checklist wording of steps that the agents' common SOPs (:mod:`~trainer_agent_lab.knowledge.sops`) lack
    #: or that this kind words differently.
    step_titles: ClassVar[dict[Step, str]] = {}
    #: The Server agent with this kind's cells.
    server_agent: ClassVar[type[ServerAgent]]
    #: How the time budget is shared out.
    budget_split: ClassVar[BudgetSplit] = BudgetSplit()

    def steps(self, spec: TaskSpec) -> tuple[Step, ...]:
        """The plan for ``spec``: :attr:`order`, less the steps this request does not need (a kind may override)."""
        return self.order

    @abc.abstractmethod
    def data_phase(self, run: Run, *, setup: bool = True) -> None:
        """Load, look at, clean and split the data (``setup``: write the set-up cell first)."""

    @abc.abstractmethod
    def model_phase(self, run: Run) -> None:
        """Choose models within the budget, check feasibility, search, fit and evaluate."""

    def server_phase(self, run: Run) -> None:
        """Export, check parity, measure capacity, conclude with the constraint table, write the bundle."""
        server = self.server_agent(run.driver, run.memory, run.emit)
        server.export()
        server.parity()
        server.capacity()
        run.task.conclude()
        server.bundle()

    # -- what the notebook says at the start of each phase ------------------------------------------------------
    def data_intent(self, spec: TaskSpec) -> str:
        """Why the Data phase does what it does, from the request."""
        data = ", ".join(f"`{d}`" for d in spec.data) or "the data"
        cleaning = " The request asks for cleaning, so it is thorough about it." if "clean" in spec.hints else ""
        return (f"The Data agent loads {data}, looks at it (types, missing values, what is to be predicted), cleans "
                f"what would mislead a model and splits it into training and test parts.{cleaning}")

    def model_intent(self, spec: TaskSpec) -> str:
        """Why the Model phase does what it does, from the request."""
        targets = [f"{c.name} {c.target}" for c in spec.metric_constraints]
        size = spec.constraint("parameters")
        text = "The Model agent chooses model families that can do the task"
        text += f" within {size.target} parameters" if size else ""
        text += (", tunes them for " + (spec.objective or "the usual metric") + " by cross-validation on the training "
                 "part only, trains the best one and evaluates it once on the held-out test part.")
        if targets:
            text += " The request sets " + ", ".join(targets) + "; the Task agent first checks they are in reach."
        return text

    def server_intent(self, spec: TaskSpec) -> str:
        """Why the Server phase does what it does, from the request."""
        asked = [f"{c.name} {c.target}" for c in spec.constraints if c.name in ("p50_ms", "p99_ms",
                                                                                  "replica_memory_mb", "onnx_bytes")]
        if spec.qps:
            asked.append(f"{spec.qps:g} requests per second")
        if spec.container_memory_mb:
            asked.append(f"{spec.container_memory_mb:g} MB containers")
        if spec.quantize_int8:
            asked.append("int8 quantisation")
        text = ("The Server agent converts the trained model to ONNX, checks it answers as the trained model does, "
                "measures latency, throughput and memory on this machine, and writes a deployment bundle.")
        if asked:
            text += " The request asks for " + ", ".join(asked) + ": each is measured, not estimated."
        return text
