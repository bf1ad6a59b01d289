"""What makes a data reference a set of texts: a folder of text tables (labeled / unlabeled / test files).

A single table is decided after it is loaded (one free-text column and a label: see
:func:`looks_like_text`); a folder is decided here: texts, unless its tables are ordinary ones (a train.csv
of several columns, say, which the tabular loader reads with its test.csv as the file to predict).
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
