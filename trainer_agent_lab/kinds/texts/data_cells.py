"""Cells the Data agent writes for text: generate (job adverts), load (labeled / unlabeled / test files),
normalise, de-duplicate, profile, suspect labels, LLM labels, split.

Each function renders cell files of ``kinds/texts/cells`` (see :mod:`trainer_agent_lab.cells.render`); the names
they define for the Model and Server agents' text cells are listed in
:mod:`trainer_agent_lab.kinds.texts.cells.context`.
"""

from __future__ import annotations

from ...cells.render import Cell, render, writefile_cells
from ...knowledge.text_data import TEXT_TABLE_SUFFIXES

_CELLS = "kinds/texts/cells/"


def job_ads_cell(folder: str = "job_ads", labeled: int = 150, unlabeled: int = 800, test: int = 300,
                 noise: float = 0.08, seed: int = 7) -> list[Cell]:
    """Generate the job-adverts folder (labeled / unlabeled / test) with the generator, in the notebook."""
    return render(_CELLS + "job_ads", _CELLS + "generate", JOB_ADS_DIR=folder,
                  SIZES={"labeled": labeled, "unlabeled": unlabeled, "test": test}, LABEL_NOISE=noise,
                  GENERATOR_SEED=seed)


def load_text_cell(ref: str, label_hint: str | None) -> list[Cell]:
    """Load the labeled texts, and the unlabeled and test files when the folder has them."""
    return render(_CELLS + "load", DATA_REF=ref, LABEL_HINT=label_hint, TEXT_SUFFIXES=TEXT_TABLE_SUFFIXES)


def normalise_cell() -> list[Cell]:
    """Write the bundle's text preprocessing beside the notebook, then normalise every text with it: training
    and serving run the same code (``bundle/text_features.py``)."""
    return [*writefile_cells({"text_features.py": "bundle/text_features.py"},
                             "The bundle's text preprocessing (normalisation, and the small transformer's "
                             "tokenizer), written beside the notebook so that training uses the very code the "
                             "served model runs"),
            *render(_CELLS + "normalise")]


def dedupe_cell() -> list[Cell]:
    """De-duplicate, resolve conflicting labels, keep test texts out of training; class and length plots."""
    return render(_CELLS + "clean")


def suspects_cell(pool_sample: int = 0) -> list[Cell]:
    """Find suspect labels with cross-validated confident learning; show them with the proposed correction.

    Its results carry the first 40 suspects and a sample of ``pool_sample`` unlabeled texts, for an LLM annotator.
    """
    return render(_CELLS + "suspects", POOL_SAMPLE=pool_sample)


def llm_labels_cell(annotator: str, corrections: dict[int, str], annotations: dict[int, str]) -> list[Cell]:
    """Apply what the LLM annotator said (written here as data, so the notebook re-runs without the model)."""
    return render(_CELLS + "llm_labels", ANNOTATOR=annotator, CORRECTIONS=corrections, ANNOTATIONS=annotations)


def text_split_cell(test_size: float, positive: str | None) -> list[Cell]:
    """Train on the labeled texts; test on the test file, or on a stratified share of the labeled texts."""
    return render(_CELLS + "split", TEST_SIZE=test_size, POSITIVE=positive)
