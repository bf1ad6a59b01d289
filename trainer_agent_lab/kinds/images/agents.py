"""Image classification: the Data, Model and Server agents' steps for images, and the kind's two phases.

The phases follow the same SOP as tables (load, profile, clean, split; select, feasibility, search, fit,
evaluate; export, parity, capacity, conclude, bundle) with the image cells of ``kinds/images/cells``;
the Task agent's constraint table and the shared capacity and bundle cells are reused unchanged.
"""

from __future__ import annotations

from typing import Any

from ...agents.data import DataAgent
from ...agents.model import MARGIN, ModelAgent, inclusive_limit
from ...agents.server import ServerAgent
from ...errors import CellExecutionFailed, DataError, NeedsInput, Refused
from ...knowledge.image_data import SYNTHETIC_SHAPES
from ...knowledge.vision_zoo import TITLES, candidates
from ...spec import CLASSIFICATION_METRICS
from ..base import Run
from . import data_cells, model_cells, server_cells

#: Peak learning rate of AdamW's one-cycle schedule, per family.
LEARNING_RATES = {"cnn": 3e-3, "mlp": 2e-3}
#: With this many validation images the best epoch count is trusted: the final network is trained on every
#: training image for that many epochs (when time allows). With fewer, the validated network itself is kept.
REFIT_MIN_VAL = 200
#: The search's share of the training time when a final training on every image may follow.
SEARCH_SHARE = 0.6


class ImageDataAgent(DataAgent):
    """The Data agent, for images: load, look, clean, split and augment."""

    def load(self, ref: str) -> dict[str, Any]:
        """Load ``ref`` (generating the synthetic shapes first for ``synthetic:shapes``)."""
        shapes = ref == SYNTHETIC_SHAPES
        if shapes:
            self.markdown("The request asks for the synthetic shapes demo: the Data agent draws the images first.")
            ref = self.run("shapes", data_cells.shapes_cell())["path"]
        try:
            result = self.run("load", data_cells.load_cell(ref, after_shapes=shapes))
        except CellExecutionFailed as exc:
            raise DataError(f"Could not load the images {ref!r}: {exc.error['evalue']}") from exc
        channels, height, width = result["shape"]
        self.say(f"Loaded {ref}: {result['rows']:,} images of {height}x{width} pixels, {channels} channel(s), "
                 f"{len(result['classes'])} classes" + (f"; skipped {result['n_unreadable']} unreadable files"
                                                          if result["n_unreadable"] else "") + ".")
        return result

    def profile_images(self) -> dict[str, Any]:
        """Class balance and sample images."""
        return self.run("profile", data_cells.profile_cell())

    def clean_images(self) -> dict[str, Any]:
        """Blank, duplicate and conflicting images; the notes go into the report."""
        self.heading("clean the data")
        result = self.run("clean", data_cells.clean_cell())
        self.memory.notes.extend(result.get("notes", []))
        for note in result.get("notes", []):
            self.say(note)
        return result

    def split_images(self, ref: str, classes: list[str], shape: list[int], positive_class: str | None
                     ) -> dict[str, Any]:
        """Stratified split and augmentation chosen for the data: no flips for digits or letters."""
        self.heading("split, normalise and augment")
        rows = self.memory.results["clean"]["rows"]
        characters = all(len(c) == 1 or c.isdigit() for c in classes)
        flips = not (ref == "sklearn:digits" or characters)
        shift = max(1, round(0.1 * min(shape[1], shape[2])))
        result = self.run("split", data_cells.split_cell(
            test_size=0.2 if rows >= 500 else 0.25, val_size=0.15, flips=flips, shift_pixels=shift,
            rotate_degrees=10.0, noise=0.03, positive_class=positive_class))
        why = "" if flips else " (no flips: they would change what a digit or letter means)"
        self.say(f"Split {result['n_fit']:,} images for training, {result['n_val']:,} for validation and "
                 f"{result['n_test']:,} for testing; augmenting with shifts of up to {shift} px, small rotations "
                 f"and noise{why}.")
        return result


class ImageModelAgent(ModelAgent):
    """The Model agent, for images: networks from the image zoo, trained within the parameter and time budgets."""

    def select(self, split: dict[str, Any]) -> list[dict[str, Any]]:
        """Size each family to the budget; write the table; refuse when nothing fits."""
        budget = self.memory.spec.constraint("parameters")
        limit = inclusive_limit(budget)
        shape, n_classes = tuple(split["shape"]), len(split["classes"])
        judged = candidates(shape, n_classes, limit)
        self.heading("candidate networks within the budget")
        rows = "\n".join(f"| {TITLES[c.family]} | {c.width or '—'} | {c.parameters:,} | {c.min_parameters:,} | "
                         f"{'yes' if c.kept else 'no'} | {c.reason} |" for c in judged)
        self.markdown("Candidates from the image model zoo, each at the widest width the budget allows "
                      "(parameters counted exactly, `sum(p.numel())`):\n\n| family | width | parameters | smallest "
                      "useful | kept | why |\n|---|---|---|---|---|---|\n" + rows)
        kept = [{"family": c.family, "width": c.width, "lr": LEARNING_RATES[c.family]} for c in judged if c.kept]
        if not kept:
            smallest = min(judged, key=lambda c: c.min_parameters)
            raise Refused(f"No network fits the budget of {budget.target} parameters: the smallest useful one for "
                          f"{shape[0]}x{shape[1]}x{shape[2]} images and {n_classes} classes "
                          f"({TITLES[smallest.family].lower()}) needs {smallest.min_parameters:,} parameters.",
                          hint=f"Allow at least {smallest.min_parameters:,} parameters.")
        self.say("Candidates within budget: " + ", ".join(f"{c['family']} (width {c['width']})" for c in kept) + ".")
        self.memory.done_steps.append("select")
        return kept

    def search(self, families: list[dict[str, Any]], time_budget_s: float) -> dict[str, Any]:
        """Train the candidates with early stopping on the validation split, within ``time_budget_s``."""
        self.heading("train, keep the best network and evaluate")
        spec = self.memory.spec
        wanted = spec.objective
        objective = wanted if wanted in CLASSIFICATION_METRICS else "accuracy"
        self.say(f"Training {len(families)} network famil{'y' if len(families) == 1 else 'ies'} for {objective} "
                 f"for up to {time_budget_s:.0f} s, with early stopping on the validation split.")
        result = self.run("search", model_cells.search_cell(
            candidates=families, objective=objective,
            metric_constraints=[c.model_dump() for c in spec.metric_constraints if c.name in CLASSIFICATION_METRICS],
            time_budget_s=round(time_budget_s, 1), margin=MARGIN))
        best = result["ranked"][0]
        self.say(f"Best: {result['best_family']} (width {best['params']['width']}, {best['parameters']:,} "
                 f"parameters): validation {objective} {result['cv_metrics'][objective]:.4f} at epoch "
                 f"{best['params']['best_epoch']}.")
        return result

    def fit(self, search: dict[str, Any], time_left_s: float) -> dict[str, Any]:
        """The final network: trained on every training image for the best epoch count when the validation split
        is large enough to trust it and time allows, else the validated network itself (pinned either way)."""
        best = search["ranked"][0]
        split = self.memory.results["split"]
        needs = best["params"]["best_epoch"] * best["epoch_seconds"] * split["n_train"] / max(split["n_fit"], 1)
        refit = split["n_val"] >= REFIT_MIN_VAL and 1.2 * needs <= time_left_s
        limit = inclusive_limit(self.memory.spec.constraint("parameters"))
        result = self.run("fit", model_cells.fit_cell(best["params"], best["cv_metrics"], limit, refit=refit))
        self.say(f"Final {result['family']} with {result['parameters']:,} parameters: {result['how']}.")
        return result

    def evaluate(self) -> dict[str, Any]:
        """Test metrics, confusion matrix and misclassified images."""
        result = self.run("evaluate", model_cells.evaluate_cell())
        shown = ", ".join(f"{k} {v:.4g}" for k, v in result["metrics"].items() if v is not None)
        self.say(f"Test metrics: {shown}; {result['misclassified']} test images misclassified.")
        return result


class ImageServerAgent(ServerAgent):
    """The Server agent, for images: the same steps with the image export, parity and serving cells."""

    cells = server_cells

    def parity(self) -> dict[str, Any]:
        """Parity, plus a note when the int8 model's test accuracy falls below the requested one."""
        result = super().parity()
        target = self.memory.spec.constraint("accuracy")
        int8 = (result.get("int8_metrics") or {}).get("accuracy")
        if target is not None and int8 is not None and not target.is_met(int8):
            note = (f"The int8 model's test accuracy {int8:.4f} misses the target {target.target} that the trained "
                    "network meets.")
            self.memory.notes.append(note)
            self.say(note)
        return result


def data_phase(run: Run, setup: bool = True) -> None:
    """Load, look at, clean and split the images; the target is the class of each image."""
    task, memory = run.task, run.memory
    if not memory.spec.data:
        raise NeedsInput("The request names no images.", hint="Pass --data with an image folder (one sub-folder "
                         f"per class), a CSV of path,label, an .npz with X and y, sklearn:digits, or "
                         f"{SYNTHETIC_SHAPES} for a demo.", question="Which images should the model learn from?")
    ref = memory.spec.data[0]
    data = ImageDataAgent(run.driver, memory, run.emit)
    if setup:
        data.setup(run.seed, run.requirements())
    load = data.load(ref)
    memory.target, memory.task = "label", "classification"
    memory.done_steps.append("target")
    task.say(f"Target: the class of each image ({len(load['classes'])} classes).")
    profile = data.profile_images()
    clean = data.clean_images()
    positive = task.decide_positive_class(profile, clean["classes"])
    data.split_images(ref, clean["classes"], load["shape"], positive)


def model_phase(run: Run) -> None:
    """Size the networks to the budget, check feasibility, train and validate, keep the best network, evaluate."""
    task, memory, budget = run.task, run.memory, run.budget
    model = ImageModelAgent(run.driver, memory, run.emit)
    families = model.select(memory.results["split"])
    task.check_feasibility("classification", probe_s=budget.probe_s(), cell=model_cells.feasibility_cell)
    share = SEARCH_SHARE if memory.results["split"]["n_val"] >= REFIT_MIN_VAL else 1.0
    search = model.search(families, budget.search_s(share))
    model.fit(search, budget.left_s())
    model.evaluate()
