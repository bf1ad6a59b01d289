"""Image generation: the Data, Model and Server agents' steps, and the kind's two phases.

The Data agent loads and looks at the images (the image kind's shapes, grid and profile cells) and holds out
real test images; the Model agent sizes a conditional VAE to the parameter budget, trains the judge (a classifier
of the real images), trains the generator for its share of the time budget and evaluates what it draws; the
Server agent exports the decoder to ONNX and serves it (``serve.py`` answers PNG images).
"""

from __future__ import annotations

from typing import Any

from ...agents.data import DataAgent
from ...agents.model import ModelAgent, inclusive_limit
from ...agents.server import ServerAgent
from ...errors import CellExecutionFailed, DataError, NeedsInput, Refused
from ...knowledge.image_data import SYNTHETIC_SHAPES
from ..base import Run
from . import data_cells, model_cells, server_cells

#: Hidden widths the CVAE is tried at, widest first; the widest within the budget (and WIDTH_CAP) is trained.
WIDTHS = (512, 384, 256, 192, 128, 96, 64, 48, 32, 24, 16)
#: The widest CVAE worth training on a CPU for images of at most 1,024 numbers (wider ones for larger images).
WIDTH_CAP = 256
#: Latent numbers the decoder draws from.
LATENT_DIM = 16
#: The generator trains for at most this share of the whole budget (the rest: data, judge, evaluation, Server).
TRAIN_SHARE = 0.5
#: It trains for at least this long, however little is left.
MIN_TRAIN_S = 5.0


def cvae_parameters(width: int, n_pixels: int, n_classes: int, latent: int = LATENT_DIM) -> int:
    """The exact parameter count of the notebook's CVAE (two hidden layers of ``width`` in encoder and decoder)."""
    encoder = (n_pixels + n_classes) * width + width + width * width + width + width * 2 * latent + 2 * latent
    decoder = (latent + n_classes) * width + width + width * width + width + width * n_pixels + n_pixels
    return encoder + decoder


class GenerationDataAgent(DataAgent):
    """The Data agent, for images to learn to draw: load, look, hold out real test images."""

    def load(self, ref: str) -> dict[str, Any]:
        """Load ``ref`` (drawing the synthetic shapes first for ``synthetic:shapes``)."""
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
                 f"{len(result['classes'])} class(es) to draw.")
        return result

    def split_images(self) -> dict[str, Any]:
        """Hold out real images for the judge and the Fréchet floor."""
        self.heading("hold out real images")
        result = self.run("split", data_cells.split_cell())
        self.say(f"The generator learns from {result['n_train']:,} images; {result['n_test']:,} real images are held "
                 "out to score the judge and to set the real-vs-real floor of the Fréchet distance.")
        return result


class GenerationModelAgent(ModelAgent):
    """The Model agent, for a generator: size it, train the judge, train it, evaluate what it draws."""

    def select(self, load: dict[str, Any]) -> dict[str, Any]:
        """The widest CVAE within the parameter budget; the table of widths tried; refuse when none fits."""
        budget = self.memory.spec.constraint("parameters")
        limit = inclusive_limit(budget)
        channels, height, width = load["shape"]
        n_pixels, n_classes = channels * height * width, len(load["classes"])
        cap = WIDTH_CAP if n_pixels <= 1024 else 2 * WIDTH_CAP
        sized = [(w, cvae_parameters(w, n_pixels, n_classes)) for w in WIDTHS]
        fits = [(w, p) for w, p in sized if w <= cap and (limit is None or p <= limit)]
        self.heading("size the generator to the budget")
        rows = "\n".join(f"| {w} | {p:,} | {'yes' if (w, p) == (fits[:1] or [None])[0] else 'no'} |" for w, p in sized)
        self.markdown("A conditional VAE (two hidden layers each in the encoder and the decoder), at the widest width "
                      f"the budget allows (at most {cap} for images of {n_pixels:,} numbers, which a CPU trains in "
                      "minutes); parameters counted exactly as the network has them:\n\n| width | parameters | "
                      "kept |\n|---|---|---|\n" + rows)
        if not fits:
            smallest = sized[-1]
            raise Refused(f"No generator fits the budget of {budget.target} parameters: the smallest conditional "
                          f"VAE for {channels}x{height}x{width} images and {n_classes} class(es) needs "
                          f"{smallest[1]:,} parameters.", hint=f"Allow at least {smallest[1]:,} parameters.")
        chosen, parameters = fits[0]
        self.say(f"Generator: a conditional VAE of width {chosen} ({parameters:,} parameters, {LATENT_DIM} latent "
                 "numbers): one decoder pass draws an image, which a CPU does in well under a millisecond.")
        self.memory.done_steps.append("select")
        return {"width": chosen, "parameters": parameters, "limit": limit}

    def judge(self) -> dict[str, Any]:
        """Train the judge on the real training images; the real-vs-real Fréchet floor."""
        self.heading("train the judge: a classifier of the real images")
        result = self.run("judge", model_cells.judge_cell())
        accuracy = result.get("judge_accuracy")
        self.say((f"The judge recognises {accuracy:.1%} of the held-out real images; " if accuracy is not None else
                  "One class: no judge of classes, the features are the real images' principal components; ")
                 + f"the real-vs-real Fréchet floor is {result['frechet_floor']:.3f}.")
        return result

    def fit(self, chosen: dict[str, Any], seconds: float) -> dict[str, Any]:
        """Train the chosen CVAE for ``seconds``, with a progress bar and samples per class as it trains."""
        self.heading("train the generator")
        params = {"family": "cvae", "width": chosen["width"], "latent_dim": LATENT_DIM, "seconds": round(seconds, 1),
                  "lr": 3e-3, "batch_size": 128}
        self.say(f"Training the CVAE for {seconds:.0f} s.")
        result = self.run("fit", model_cells.fit_cell(params, chosen["limit"]))
        self.say(f"Trained: {result['parameters']:,} parameters ({result['decoder_parameters']:,} in the decoder), "
                 f"{result['how']}.")
        return result

    def evaluate(self) -> dict[str, Any]:
        """Generated-class accuracy, Fréchet distance beside its floor, the memorisation check."""
        self.heading("evaluate what it draws")
        result = self.run("evaluate", model_cells.evaluate_cell())
        m = result["metrics"]
        accuracy = m.get("generated_class_accuracy")
        self.say((f"The judge recognises {accuracy:.1%} of {result['n_generated']:,} generated images as the class "
                  "asked for; " if accuracy is not None else "")
                 + f"Fréchet distance {m['frechet_distance']:.3f} against the real-vs-real floor "
                 f"{m['frechet_floor']:.3f}; nearest-training-image ratio {m['nearest_neighbour_ratio']:.2f}.")
        if m["nearest_neighbour_ratio"] < 0.5:
            note = ("Generated images lie much nearer their nearest training images than held-out real ones do: the "
                    "generator may be copying its training images.")
            self.memory.notes.append(note)
            self.say(note)
        return result


class GenerationServerAgent(ServerAgent):
    """The Server agent, for a generator: the decoder's export, parity, serve.py and bundle cells."""

    cells = server_cells


def data_phase(run: Run, setup: bool = True) -> None:
    """Load and look at the images; the class of each is what the generator is asked for; hold out real ones."""
    task, memory = run.task, run.memory
    if not memory.spec.data:
        raise NeedsInput("The request names no images to learn from.", hint="Pass --data with an image folder (one "
                         f"sub-folder per class, or the images themselves), an .npz, sklearn:digits, or "
                         f"{SYNTHETIC_SHAPES} for a demo.", question="Which images should the model learn to draw?")
    data = GenerationDataAgent(run.driver, memory, run.emit)
    if setup:
        data.setup(run.seed, run.requirements())
    load = data.load(memory.spec.data[0])
    memory.target, memory.task = "label", "generation"
    memory.done_steps.append("target")
    task.say(f"Asked for: an image of a given class ({len(load['classes'])} class(es)).")
    data.run("profile", data_cells.profile_cell())
    data.split_images()


def model_phase(run: Run) -> None:
    """Size the generator, train the judge, train the generator within its share of the budget, evaluate it."""
    memory, budget = run.memory, run.budget
    model = GenerationModelAgent(run.driver, memory, run.emit)
    chosen = model.select(memory.results["load"])
    model.judge()
    seconds = max(MIN_TRAIN_S, min(budget.left_s(), TRAIN_SHARE * budget.total_s))
    model.fit(chosen, seconds)
    model.evaluate()
