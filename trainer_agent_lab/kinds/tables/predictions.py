"""Predictions for a file (tables): which file the request hands over to predict, what the prediction column is
called, and the cell that writes ``predictions.csv`` with the bundle's own ``predict.py``.

The file to predict is the test file of a train/test folder (the load cell finds it), else the table file the
request hands over to predict ("... and predict for test.csv": the rule reader marks it with a ``predict_file:``
hint and puts it last among the data references). Its predictions go to ``predictions.csv`` in the run folder,
the prediction column named as the request asks ("... a column named Survived") or as the target is named in the
user's file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ...agents.base import RunMemory
from ...cells.render import Cell, render
from ...spec import TaskSpec

__all__ = ["file_to_predict", "prediction_column", "predictions_cell"]

#: File suffixes the load cell reads as tables.
TABLE_SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".psv", ".dat", ".parquet", ".pq", ".json", ".jsonl", ".ndjson",
                  ".xlsx", ".xlsm", ".xls", ".feather", ".arrow")
#: "write the predictions in a column named churn", "name the prediction column `label`".
_COLUMN_RE = re.compile(r"\bprediction\w*\b(?:[^.;\n]|\.(?=\w)){0,40}?\bcolumn\s+(?:named\s+|called\s+|is\s+)?"
                        r"[`'\"]?(?P<name>[^\s`'\",;]+?)[`'\"]?(?=[\s,;]|\.?$|\.\s)", re.IGNORECASE)
_NOT_NAMES = frozenset({"for", "with", "of", "in", "to", "and", "the", "a", "an", "that", "which", "is", "as"})


def file_to_predict(spec: TaskSpec) -> str | None:
    """The request's file to predict ("... and predict for test.csv": the rule reader's ``predict_file:`` hint), as
    an absolute path (relative paths are read from the working directory, else beside the training data); None
    when the request hands over none. Other data references the request writes (the training file it names in
    words while ``--data`` gives its path) are never files to predict."""
    asked = [h.split(":", 1)[1] for h in spec.hints if h.startswith("predict_file:")]
    first = Path(spec.data[0]).expanduser() if spec.data and ":" not in spec.data[0] else None
    for ref in [r for r in spec.data[1:] if r in asked]:
        path = Path(ref).expanduser()
        if ref.startswith(("sklearn:", "synthetic:")) or path.suffix.lower() not in TABLE_SUFFIXES:
            continue
        if not path.is_absolute():
            near = [first if first.is_dir() else first.parent] if first is not None else []
            candidates = [Path.cwd() / path, *(folder / path for folder in near)]
            path = next((c for c in candidates if c.exists()), candidates[0])
        if first is None or path.resolve() != first.resolve():
            return str(path.resolve())
    return None


def prediction_column(request: str, target: str) -> str:
    """The prediction column's name: the one the request asks for, else ``target`` (the user's own name)."""
    for match in _COLUMN_RE.finditer(request):
        if match.group("name").lower() not in _NOT_NAMES:
            return match.group("name")
    return target


def predictions_cell(memory: RunMemory) -> list[Cell]:
    """The cell that writes ``predictions.csv`` for the file to predict; no cell when there is none."""
    predict: dict[str, Any] | None = memory.results.get("load", {}).get("predict_file")
    if not predict or memory.target is None:
        return []
    original = memory.results.get("load", {}).get("renamed", {})
    target = original.get(memory.target, memory.target)
    dropped = memory.results.get("clean", {}).get("dropped_columns", {})
    identifiers = [original.get(c, c) for c, why in dropped.items() if str(why).startswith("an identifier")]
    keep = [c for c in identifiers if c in set(predict.get("columns", []))]
    return render("kinds/tables/cells/predictions", PREDICT_FILE=predict["path"],
                  OUTPUT_COLUMN=prediction_column(memory.spec.request, target), KEEP_COLUMNS=keep or None)
