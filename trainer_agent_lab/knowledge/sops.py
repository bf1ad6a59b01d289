"""Each agent's profile (who it is) and standard operating procedure (what it does, in order).

The plan checklist at the top of every notebook is drawn from these, so the reader sees the SOP the agents
follow and which steps ran.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """An agent's role and its SOP (step key, checklist wording)."""

    name: str
    role: str
    sop: tuple[tuple[str, str], ...]


TASK = Profile(
    "Task",
    "Understands the request, turns it into measurable requirements, checks they can and may be met, "
    "plans, routes work to the other agents, and reports back with a constraint table.",
    (("understand", "Parse the request into measurable requirements; check it may be done"),
     ("target", "Decide the target column and the kind of task"),
     ("feasibility", "Check the data has signal and the targets are in reach"),
     ("conclude", "Check every requirement against measurements (constraint table)")),
)
DATA = Profile(
    "Data",
    "Loads, profiles, visualises and cleans the data, then splits it and defines preprocessing.",
    (("load", "Load the data"),
     ("profile", "Profile the data: types, missing values, target distribution"),
     ("column_types", "Read each column's type: dates, money, yes/no flags, categories, identifiers"),
     ("clean", "Clean: duplicates, identifiers, constant columns, types, outliers"),
     ("split", "Split train/test and define ONNX-exportable preprocessing")),
)
MODEL = Profile(
    "Model",
    "Chooses model families that fit the parameter budget, tunes them for the requested metric, "
    "trains the best and evaluates it on held-out data.",
    (("features", "Choose the inputs the request allows (at most N, only, never, interpretable, monotonic)"),
     ("select", "Choose candidate model families within the budget"),
     ("search", "Tune candidates with cross-validation, optimising the requested metric"),
     ("fit", "Train the chosen model"),
     ("evaluate", "Evaluate on the test split, with plots")),
)
SERVER = Profile(
    "Server",
    "Converts the model to ONNX, checks parity, measures latency, memory and capacity, and writes the "
    "deployment bundle.",
    (("export", "Export the whole pipeline to ONNX (and int8 where asked)"),
     ("parity", "Check the ONNX model agrees with the trained model"),
     ("capacity", "Measure latency, throughput and memory; size the deployment"),
     ("bundle", "Write the deployment bundle")),
)

PROFILES = {p.name: p for p in (TASK, DATA, MODEL, SERVER)}

#: Steps of the text SOP (the paper's strategy) that tables do not have: (agent, step) -> checklist wording.
TEXT_STEPS = {
    ("Data", "normalise"): "Normalise the texts (entities, tags, emoji, case, spaces); show before/after",
    ("Data", "suspects"): "Find suspect labels (cross-validated confident learning); propose corrections",
    ("Data", "annotate"): "With an LLM configured: correct suspect labels and label part of the pool (annotator)",
    ("Model", "teacher"): "If the student misses the target: fine-tune the MiniLM teacher",
    ("Model", "pseudo"): "Pseudo-label the unlabeled pool with the teacher (confident answers only)",
}
