"""What makes a data reference a set of texts: a folder of text tables (labeled / unlabeled / test files).

A single table is decided after it is loaded (one free-text column and a label: see
:func:`looks_like_text`); a folder is decided here, since the tabular loader only
reads folders saved with ``datasets``.
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Any

TEXT_TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".json", ".parquet")
_DATASET_MARKERS = ("dataset_info.json", "dataset_dict.json", "state.json")


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
        return any(e.is_file() and e.suffix.lower() in TEXT_TABLE_SUFFIXES for e in islice(path.iterdir(), 200))
    except OSError:
        return False


def looks_like_text(load: dict[str, Any]) -> bool:
    """A table of one free-text column and a label: a text classification task (from the load cell's profile)."""
    columns, rows = load.get("columns", []), load.get("rows", 0)
    texts = [c for c in columns if c["dtype"] in ("object", "str", "string") and c["n_unique"] >= max(10, 0.5 * rows)]
    return len(columns) == 2 and len(texts) == 1
