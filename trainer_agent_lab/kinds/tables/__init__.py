"""Tables: classification and regression on a table of rows and columns (scikit-learn pipelines)."""

from __future__ import annotations

from ...errors import NeedsInput
from ...knowledge.text_data import looks_like_text
from ...spec import TaskSpec, TaskType
from ..base import Run, Step, TaskKind
from . import model_cells
from .data_agent import TableDataAgent
from .model_agent import TableModelAgent
from .predictions import file_to_predict
from .server_agent import TableServerAgent


class TablesKind(TaskKind):
    """Classification or regression on a table; also the kind of a request that names no task type."""

    name = "tables"
    task_types = (None, TaskType.classification, TaskType.regression)
    order = (("Task", "understand"), ("Task", "target"), ("Data", "load"), ("Data", "profile"),
             ("Data", "column_types"), ("Data", "clean"), ("Data", "split"), ("Model", "features"), ("Model", "select"),
             ("Task", "feasibility"), ("Model", "search"),
             ("Model", "fit"), ("Model", "evaluate"), ("Server", "export"), ("Server", "parity"),
             ("Server", "capacity"), ("Task", "conclude"), ("Server", "bundle"))

    server_agent = TableServerAgent

    def steps(self, spec: TaskSpec) -> tuple[Step, ...]:
        """The plan: the feature-selection step only when the request says something about the inputs."""
        return tuple(step for step in self.order if step != ("Model", "features") or spec.features.any)

    def data_phase(self, run: Run, *, setup: bool = True) -> None:
        """Load; hand a table of one text column and a label to the text kind; else decide the target, profile,
        read the column types, clean and split."""
        spec = run.spec
        if not spec.data:
            raise NeedsInput("The request names no data.", hint="Pass --data PATH or a reference such as "
                             "sklearn:wine.", question="Which data should the model learn from?")
        data = TableDataAgent(run.driver, run.memory, run.emit)
        if setup:
            data.setup(run.seed, run.requirements())
        load = data.load(spec.data[0], predict_ref=file_to_predict(spec))
        if spec.task_type in (None, TaskType.classification) and looks_like_text(load) and run.switch_kind:
            return run.switch_kind(TaskType.text_classification)
        target, kind = run.task.decide_target(load, run.assume_yes)
        profile = data.profile(target, kind)
        data.column_types(target)
        clean = data.clean(target, kind)
        positive = run.task.decide_positive_class(profile, clean["classes"]) if kind == "classification" else None
        run.budget.inputs = int(data.split(target, kind, positive).get("n_features") or 0)  # the reserve grows with it

    def model_phase(self, run: Run) -> None:
        """Choose the inputs the request allows, judge the zoo against the budget, check feasibility, search, fit,
        evaluate."""
        memory = run.memory
        model = TableModelAgent(run.driver, memory, run.emit)
        split, kind = memory.results["split"], memory.task or "classification"
        if run.spec.features.any:
            split = model.select_features(split, run.budget, run.assume_yes)
        families = model.select(kind, split)
        run.task.check_feasibility(kind, probe_s=run.budget.probe_s(), cell=model_cells.feasibility_cell)
        search = model.search(kind, families, len(split["classes"] or []), run.budget)
        model.fit(search)
        model.evaluate()

    def server_phase(self, run: Run) -> None:
        """The shared Server phase, its measuring steps (the float model's latency check, the capacity measurement)
        within their shares of the run's live budget: never more than a part of what is left of it."""
        server = self.server_agent(run.driver, run.memory, run.emit)
        server.export(run.budget.latency_s())
        server.parity()
        server.capacity(run.budget.capacity_s())
        run.task.conclude()
        server.bundle()


KIND = TablesKind()
