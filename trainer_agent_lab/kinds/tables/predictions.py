"""Predictions for a file (tables): which file the request hands over to predict, what the prediction column is
called, and the cell that writes ``predictions.csv`` with the bundle's own ``predict.py``.

The file to predict is the test file of a train/test folder (the load cell finds it), else the table file the
request hands over to predict ("... and predict for test.csv": the rule reader marks it with a ``predict_file:``
hint and puts it last among the data references). Its predictions go to ``predictions.csv`` in the run folder,
the prediction column named as the request asks ("... a column named Survived") or as the target is named in the
user's file.

A competition-style answer is written too when the request names an output file ("write submission.csv", "with
columns id, Rings") or the data folder holds a sample submission (``sample_submission.csv``): the same columns and
header as the sample (or as asked), the id column copied from the file to predict, and class probabilities where the
metric the request names scores probabilities (log loss, ROC AUC, Brier...), else labels or values.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ...agents.base import RunMemory
from ...cells.render import Cell, render
from ...knowledge.metrics import METRICS
from ...llm.vocabulary import OUTPUT_FILE_RE
from ...spec import TaskSpec

__all__ = ["file_to_predict", "prediction_column", "predictions_cell", "submission_form"]

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
            found = next((c for c in candidates if c.exists()), None)
            if found is None and first is not None and first.is_file() and path.name == first.name:
                continue  # the training file, written as the request's author sees it ("data/loans.csv")
            path = found or candidates[0]
        if first is None or path.resolve() != first.resolve():
            return str(path.resolve())
    return None


def prediction_column(request: str, target: str) -> str:
    """The prediction column's name: the one the request asks for, else ``target`` (the user's own name)."""
    for match in _COLUMN_RE.finditer(request):
        if match.group("name").lower() not in _NOT_NAMES:
            return match.group("name")
    return target


_OUTPUT_FILE_RE = OUTPUT_FILE_RE  # "write submission.csv" (the reader counts the clause as read)
#: "with columns id, Rings", "header id,SalePrice", "列为 id, quality".
_COLUMNS_RE = re.compile(r"\b(?:columns?|header)\s*(?:named\s+|called\s+|:|=)?\s*(?P<cols>[`'\"]?[\w .-]+?[`'\"]?"
                         r"(?:\s*,\s*(?:and\s+)?[`'\"]?[\w .-]+?[`'\"]?)+)(?=\s*(?:[.;)]|$|\n))|"
                         r"列(?:为|是|:)\s*(?P<zh>[\w-]+(?:\s*[,，、]\s*[\w-]+)+)", re.IGNORECASE)
#: Sample submissions in a data folder.
_SAMPLE_RE = re.compile(r"(?:sample|example)[_ -]?submission|submission[_ -]?(?:sample|example|format|template)",
                        re.IGNORECASE)


def submission_form(memory: RunMemory) -> dict[str, Any] | None:
    """What the competition-style answer looks like: ``file`` (its name), ``sample`` (the sample submission's path, or
    None), ``columns`` (the header asked for, or None: the sample's), ``probabilities`` (whether the named metric
    scores probabilities); None when the request names no output file and no sample submission lies beside the data."""
    predict = memory.results.get("load", {}).get("predict_file") or {}
    folders = [Path(predict["path"]).parent] if predict.get("path") else []
    if memory.spec.data and ":" not in memory.spec.data[0]:
        first = Path(memory.spec.data[0]).expanduser()
        folders.append(first if first.is_dir() else first.parent)
    samples = sorted({f for folder in folders if folder.is_dir() for f in folder.iterdir()
                      if f.is_file() and _SAMPLE_RE.search(f.stem) and f.suffix.lower() in (".csv", ".tsv")})
    request = memory.spec.request
    named = next((m.group("file") or m.group("zh") for m in _OUTPUT_FILE_RE.finditer(request)
                  if (m.group("file") or m.group("zh")).lower() != Path(predict.get("path", "")).name.lower()), None)
    asked = _COLUMNS_RE.search(request)
    columns = None
    if asked and not _COLUMN_RE.search(request):
        parts = re.split(r"\s*[,，、]\s*(?:and\s+)?", asked.group("cols") or asked.group("zh"))
        columns = [part.strip().strip("`'\"") for part in parts if part.strip()]
    if not samples and named is None and columns is None:
        return None
    metric = METRICS.get(memory.spec.objective or "")
    return {"file": Path(named).name if named else "submission.csv", "sample": str(samples[0]) if samples else None,
            "columns": columns, "probabilities": bool(metric and metric.needs == "probabilities")}


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
    form = submission_form(memory)
    if form:  # the id column of the answer's form is copied over from the file to predict
        wanted = form["columns"] or _header(form["sample"])
        keep += [c for c in wanted[:1] if c in set(predict.get("columns", [])) and c not in keep]
    cells = render("kinds/tables/cells/predictions", PREDICT_FILE=predict["path"],
                   OUTPUT_COLUMN=prediction_column(memory.spec.request, target), KEEP_COLUMNS=keep or None)
    if form:
        cells += render("kinds/tables/cells/submission", SUBMISSION_FILE=form["file"], SAMPLE_FILE=form["sample"],
                        SUBMISSION_COLUMNS=form["columns"], PROBABILITIES=form["probabilities"],
                        OUTPUT_COLUMN=prediction_column(memory.spec.request, target))
    return cells


def _header(path: str | None) -> list[str]:
    """The column names of a sample submission's first line."""
    if not path:
        return []
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        line = f.readline().strip()
    return [c.strip().strip('"') for c in re.split(r"\t" if path.lower().endswith(".tsv") else ",", line)]
