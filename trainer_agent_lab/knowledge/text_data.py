"""What makes a data reference a set of texts: a folder of text tables (labeled / unlabeled / test files).

A single table is decided after it is loaded (one free-text column and a label: see
:func:`looks_like_text`); a folder is decided here: texts, unless its tables are ordinary ones (a train.csv
of several columns, say, which the tabular loader reads with its test.csv as the file to predict).
"""

from __future__ import annotations

import math
from itertools import islice
from pathlib import Path
from typing import Any

from ..errors import NeedsInput

TEXT_TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".json", ".parquet")
_DATASET_MARKERS = ("dataset_info.json", "dataset_dict.json", "state.json")


#: An accuracy target is confirmed by a test whose 95% interval is this close to it (the learning curve's test too).
CONFIRM_HALF_WIDTH = 0.05
#: Words in a file's name that say it holds no labels (as the text loader reads a folder).
_UNLABELED_WORDS = ("unlabel", "pool")


def examples_to_confirm(accuracy: float) -> int:
    """Held-out labeled examples a test needs for its 95% interval on ``accuracy`` to be within
    :data:`CONFIRM_HALF_WIDTH` (the normal approximation, as the learning-curve cell prints it)."""
    return math.ceil(1.96 ** 2 * accuracy * (1 - accuracy) / CONFIRM_HALF_WIDTH ** 2)


def unconfirmable(n_labeled: int, accuracy: float) -> NeedsInput | None:
    """The question to ask when ``n_labeled`` labeled examples, all of them held out, could not confirm
    ``accuracy``: no split of them can, whatever a model scores (so ``trainer-agent plan`` knows it from the
    file's size, and the run asks it before any learning curve). None when they can."""
    needed = examples_to_confirm(accuracy)
    if n_labeled >= needed:
        return None
    return NeedsInput(
        f"{n_labeled} labeled examples are too few to confirm {accuracy:.0%} accuracy: even with all of them held "
        f"out as a test set, the accuracy's 95% interval would be wider than ±{CONFIRM_HALF_WIDTH:.0%}, which takes "
        f"about {needed} held-out labeled examples, and the model needs others to learn from.",
        hint=f"Label about {2 * needed - n_labeled} more examples ({needed} to hold out as the test set, the rest "
             "to train on), or ask for a lower accuracy.",
        question=f"Can you provide about {2 * needed} labeled examples in all?",
        options=["provide more labeled examples", "lower the target"])


def holds_no_labels(name: str) -> bool:
    """Whether a file name says the file is a pool of unlabeled texts."""
    return any(word in name.lower() for word in _UNLABELED_WORDS)


#: Data the Data agent generates (the cell file ``kinds/texts/cells/job_ads.py``): demos and tests.
SYNTHETIC_JOB_ADS = "synthetic:job-ads"


def is_text_folder(ref: str) -> bool:
    """Whether ``ref`` is a folder of tables (not a ``datasets`` folder): the labeled/unlabeled/test layout; or
    the generated job adverts."""
    if ref == SYNTHETIC_JOB_ADS:
        return True
    if ref.startswith(("sklearn:", "synthetic:")):
        return False
    path = Path(ref).expanduser()
    try:
        if not path.is_dir() or any((path / marker).exists() for marker in _DATASET_MARKERS):
            return False
        tables = sorted(e for e in islice(path.iterdir(), 200)
                        if e.is_file() and e.suffix.lower() in TEXT_TABLE_SUFFIXES)
    except OSError:
        return False
    return bool(tables) and not _ordinary_tables(tables)


def _ordinary_tables(tables: list[Path]) -> bool:
    """Whether a folder's table files (train.csv + test.csv, say) hold ordinary tables rather than texts: the
    training file's first rows have four or more columns, or no column of text averaging 20 characters or more.
    A folder in the labeled/unlabeled layout always holds texts; a file that cannot be peeked at counts as texts."""
    if any(word in t.stem.lower() for t in tables for word in ("labeled", "labelled", "unlabel", "pool")):
        return False
    first = next((t for t in tables if "train" in t.stem.lower()), tables[0])
    if first.suffix.lower() not in (".csv", ".tsv"):
        return False
    try:
        import pandas as pd

        head = pd.read_csv(first, sep="\t" if first.suffix.lower() == ".tsv" else None, engine="python", nrows=100,
                           encoding_errors="replace")
    except Exception:  # any reader error: leave the folder to the text loader, as before
        return False
    lengths = [head[c].dropna().astype(str).str.len().mean() for c in head.columns if head[c].dtype == object
               or pd.api.types.is_string_dtype(head[c])]
    return head.shape[1] >= 4 or not any(length >= 20 for length in lengths)


def looks_like_text(load: dict[str, Any]) -> bool:
    """A table of one free-text column and a label: a text classification task (from the load cell's profile)."""
    columns, rows = load.get("columns", []), load.get("rows", 0)
    texts = [c for c in columns if c["dtype"] in ("object", "str", "string") and c["n_unique"] >= max(10, 0.5 * rows)]
    return len(columns) == 2 and len(texts) == 1
