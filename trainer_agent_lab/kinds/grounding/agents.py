"""Visual grounding: the Data, Model and Server agents' steps, and the kind's two phases.

The phases follow the SOP of the other kinds (load, profile, check, split; select, feasibility, fit, evaluate;
export, parity, capacity, conclude, bundle) with the cells of ``kinds/grounding/cells``; the Task agent's
constraint table and the shared capacity and bundle cells are reused unchanged.
"""

from __future__ import annotations

from typing import Any

from ...agents.data import DataAgent
from ...agents.model import ModelAgent, inclusive_limit
from ...agents.server import ServerAgent
from ...errors import CellExecutionFailed, DataError, NeedsInput, Refused
from ...llm.vocabulary import SYNTHETIC_GROUNDING
from ..base import Run
from . import data_cells, model_cells, server_cells

#: The widest network the time budget trains well on a CPU: up to 20 minutes, width 32 (163k parameters).
WIDTH_CAPS = ((1200.0, 32), (float("inf"), 48))
#: Fewer training queries than this are too few to learn boxes from.
MIN_TRAIN = 50


class GroundingDataAgent(DataAgent):
    """The Data agent, for grounding: load (drawing the synthetic scenes first), look, check, split."""

    def load(self, ref: str, time_budget_s: float) -> dict[str, Any]:
        """Load ``ref``; for ``synthetic:grounding`` draw the scenes first (fewer when the budget is short: a short
        training sees only a part of them)."""
        synthetic = ref == SYNTHETIC_GROUNDING
        if synthetic:
            scenes = 2400 if time_budget_s >= 300 else 800
            self.markdown(f"The request asks for the synthetic grounding scenes: the Data agent draws {scenes:,} "
                          "first, shapes of several colours and two sizes with queries that pick out one shape each "
                          "(fewer scenes for a short time budget).")
            ref = self.run("scenes", data_cells.scenes_cell(n_scenes=scenes))["path"]
        try:
            result = self.run("load", data_cells.load_cell(ref, after_scenes=synthetic))
        except CellExecutionFailed as exc:
            raise DataError(f"Could not load the grounding data {ref!r}: {exc.error['evalue']}",
                            hint="Give a folder with the images and a CSV or JSON-lines file of image, query, x0, "
                            "y0, x1, y1 (pixels), or COCO-style JSON; or synthetic:grounding.") from exc
        self.say(f"Loaded {result['rows']:,} queries on {result['images']:,} images ({result['side']}x"
                 f"{result['side']} pixels)" + (f"; {result['n_missing']} images missing or unreadable"
                                                if result["n_missing"] else "") + ".")
        return result

    def profile_queries(self) -> dict[str, Any]:
        """Sample boxes, query lengths and words, box sizes and positions."""
        result = self.run("profile", data_cells.profile_cell())
        self.say(f"{result['vocabulary']} distinct words; queries of {result['query_words']['min']}-"
                 f"{result['query_words']['max']} words; the median box covers {result['median_box_area']:.1%} "
                 "of its image.")
        return result

    def check_queries(self) -> dict[str, Any]:
        """Drop what would mislead the network; the notes go into the report."""
        self.heading("check the data")
        result = self.run("clean", data_cells.checks_cell())
        self.memory.notes.extend(result.get("notes", []))
        self.say(f"{result['rows']:,} queries kept" + ("; " + "; ".join(result["notes"]) if result["notes"]
                                                          else "; nothing to drop") + ".")
        return result

    def split_queries(self) -> dict[str, Any]:
        """Split by image; the tokenizer."""
        self.heading("split and tokenize")
        result = self.run("split", data_cells.split_cell())
        self.say(f"Split by image: {result['n_train']:,} training, {result['n_val']:,} validation and "
                 f"{result['n_test']:,} test queries; {result['vocabulary'] - 2} words in the vocabulary.")
        return result


class GroundingModelAgent(ModelAgent):
    """The Model agent, for grounding: one network family sized to the budget, trained within the time budget."""

    def select(self, time_budget_s: float) -> dict[str, Any]:
        """Count the network's parameters at each width; keep the widest within the budget; refuse if none fits."""
        budget = self.memory.spec.constraint("parameters")
        cap = next(width for seconds, width in WIDTH_CAPS if time_budget_s <= seconds)
        self.heading("size the network to the parameter budget")
        result = self.run("select", model_cells.select_cell(inclusive_limit(budget), cap))
        if result["width"] is None:
            raise Refused(f"No grounding network fits the budget of {budget.target} parameters: the smallest one "
                          f"needs {result['smallest']:,}.", hint=f"Allow at least {result['smallest']:,} parameters.")
        self.say(f"Network: CNN image grid + GRU query encoder, width {result['width']}, {result['parameters']:,} "
                 f"parameters (counted exactly; the widest within the budget that {time_budget_s:.0f} s train well).")
        return result

    def fit(self, time_budget_s: float) -> dict[str, Any]:
        """Train within ``time_budget_s`` seconds."""
        self.heading("train the network")
        self.say(f"Training for about {time_budget_s:.0f} s (L1 + GIoU on the box, cross-entropy over the cells).")
        limit = inclusive_limit(self.memory.spec.constraint("parameters"))
        result = self.run("fit", model_cells.fit_cell(round(time_budget_s, 1), limit))
        self.say(f"Trained {result['parameters']:,} parameters for {result['params']['steps']} steps in "
                 f"{result['train_s']:.0f} s; validation Acc@0.5 {result['cv_metrics']['acc_iou50']:.3f}.")
        return result

    def evaluate(self) -> dict[str, Any]:
        """Test Acc@0.5, mean IoU, by kind of query; hits and misses."""
        result = self.run("evaluate", model_cells.evaluate_cell())
        by_type = ", ".join(f"{k} {v['acc_iou50']:.2f}" for k, v in result["by_type"].items())
        self.say(f"Test Acc@0.5 {result['metrics']['acc_iou50']:.4f}, mean IoU {result['metrics']['mean_iou']:.4f}"
                 f" (by kind of query: {by_type}).")
        return result


class GroundingServerAgent(ServerAgent):
    """The Server agent, for grounding: the same steps with the grounding export, parity and serving cells."""

    cells = server_cells


def data_phase(run: Run, setup: bool = True) -> None:
    """Load, look at, check and split the grounding data; the target is each query's box."""
    memory = run.memory
    if not memory.spec.data:
        raise NeedsInput("The request names no grounding data.", hint="Pass --data with a folder of images and a "
                         "CSV or JSON-lines file of image, query, x0, y0, x1, y1, or COCO-style JSON, or "
                         f"{SYNTHETIC_GROUNDING} for a demo.", question="Which images and queries should the model "
                         "learn from?")
    data = GroundingDataAgent(run.driver, memory, run.emit)
    if setup:
        data.setup(run.seed, run.requirements())
    data.load(memory.spec.data[0], run.budget.total_s)
    memory.target, memory.task = "box", "grounding"
    memory.done_steps.append("target")
    run.task.say("Target: the box of the object each query describes.")
    data.profile_queries()
    data.check_queries()
    data.split_queries()


def model_phase(run: Run) -> None:
    """Size the network, check there is enough to learn from, train within the budget, evaluate."""
    task, memory, budget = run.task, run.memory, run.budget
    model = GroundingModelAgent(run.driver, memory, run.emit)
    model.select(budget.total_s)
    task.heading("is it feasible?")
    probe = task.run("feasibility", model_cells.feasibility_cell(MIN_TRAIN))
    if not probe["enough"]:
        raise Refused(f"{probe['n_train']} training queries are too few to learn boxes from (at least "
                      f"{probe['min_train']} are needed).", hint="Bring more annotated queries.")
    task.say(f"Feasible: {probe['n_train']:,} training queries; a query-blind guess (the mean box) scores Acc@0.5 "
             f"{probe['chance']['acc_iou50']:.3f}, the floor to clear.")
    model.fit(budget.search_s())
    model.evaluate()
