"""Predict every row of a table file with this bundle's ONNX model: no server, and no package beyond
requirements.txt (the package that made the bundle is not needed).

    python predict.py --input new_rows.csv --output predictions.csv [--column NAME] [--keep COLUMN ...]
                      [--batch-size 4096] [--no-probabilities] [--force] [--quiet]

The input is read as the notebook read its training data, by table_files.py (beside this file): CSV/TSV
(delimiter sniffed: `,` `;` tab `|`; UTF-8 with or without a BOM, else Windows-1252 / Latin-1), Parquet, JSON
records or JSON lines, Excel (.xlsx, with openpyxl installed). Tabular models take the columns they were
trained on, named as in the training file (feature_schema.json's "recipe"; API.md lists them): extra columns are
ignored, a missing one is an error, an empty cell is a missing value. table_features.py (beside this file) turns
them into the model's inputs exactly as serve.py does. Text models take the "text" column (else the file's one
column of text), through text_features.py.

The output (CSV, TSV, Parquet or JSON lines, by its suffix) has one row per input row: the input's columns named
like an identifier (`id`, `customer_id`, `PassengerId` ...) and those --keep names, the prediction under
--column (default: the target's name) and, for classifiers, one `probability_<class>` column per class. An
existing output file is kept unless --force is given.
Exit status: 0 done, 1 the input cannot be predicted (the message says why and what to do), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pandas as pd

HERE = Path(__file__).resolve().parent
ID_NAME = re.compile(r"^(?:id|key|uuid|guid|index)$|[_\s.-](?:id|key)$|[a-z]Id$|ID$", re.IGNORECASE)


class PredictError(Exception):
    """An input this bundle cannot predict; the message says why and what to do."""


# -- reading the input: table_files.py beside this file, the very file the notebook's load step read with --------
def read_table(path: Path) -> pd.DataFrame:
    """The table in ``path``, or a PredictError that names the file, says what is wrong and what to do."""
    reader = bundle_module("table_files")
    try:
        return reader.read_table(path, "input file")[0]
    except reader.TableFileError as err:
        raise PredictError(str(err)) from None


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` by the suffix of ``path`` (CSV by default), through a temporary file: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        frame.to_parquet(partial, index=False)
    elif suffix in (".jsonl", ".ndjson", ".json"):
        frame.to_json(partial, orient="records", lines=True, force_ascii=False)
    else:
        frame.to_csv(partial, sep="\t" if suffix in (".tsv", ".tab") else ",", index=False)
    partial.replace(path)


# -- the model and what it takes ----------------------------------------------------------------------------------
def bundle_module(name: str) -> Any:
    """A module shipped beside this file (table_features.py, text_features.py)."""
    path = HERE / f"{name}.py"
    if not path.exists():
        raise PredictError(f"{path.name} is missing from {HERE}: this bundle needs it beside predict.py; copy it "
                           "from the bundle's zip file.")
    spec = importlib.util.spec_from_file_location(f"bundle_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def key(name: Any) -> str:
    """A column name compared loosely: case, spaces and punctuation ignored ("Unit price" ~ "unit_price")."""
    return re.sub(r"\W+", "_", str(name)).strip("_").lower()


def match_columns(frame: pd.DataFrame, wanted: list[str], source: str) -> dict[str, Any]:
    """wanted name -> the input's column holding it (the same name, else the same name loosely compared)."""
    loose: dict[str, list[Any]] = {}
    for column in frame.columns:
        loose.setdefault(key(column), []).append(column)
    found, missing = {}, []
    for name in wanted:
        if name in frame.columns:
            found[name] = name
        elif len(loose.get(key(name), [])) == 1:
            found[name] = loose[key(name)][0]
        else:
            missing.append(name)
    if missing:
        has = ", ".join(map(str, list(frame.columns)[:20])) + (" ..." if frame.shape[1] > 20 else "")
        raise PredictError(f"{source} lacks {len(missing)} column(s) the model needs: {', '.join(missing)} (it has "
                           f"{has}). Add them, with empty cells where a value is unknown, or rename them as the "
                           "training file named them (API.md lists every column).")
    return found


class Model:
    """This bundle's ONNX model with what its inputs and outputs mean (feature_schema.json, label_map.json)."""

    def __init__(self, threads: int = 0) -> None:
        self.schema = json.loads((HERE / "feature_schema.json").read_text())
        self.labels = json.loads((HERE / "label_map.json").read_text())
        self.kind = self.schema.get("kind", "tabular")
        if self.kind not in ("tabular", "text"):
            raise PredictError(f"This bundle's model takes {self.kind}s, not rows of a table: send them to "
                               "serve.py's POST /predict instead (see API.md).")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        path = HERE / os.environ.get("TRAINER_AGENT_MODEL_FILE", self.schema.get("model_file", "model.onnx"))
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.outputs = [o.name for o in self.session.get_outputs()]
        self.ranks = {i.name: len(i.shape) if isinstance(i.shape, list) else 2 for i in self.session.get_inputs()}
        self.classes = self.labels.get("classes")
        self.codes = self.labels.get("proba_codes") or (list(range(len(self.classes))) if self.classes else None)
        self.recipe = self.schema.get("recipe")
        self.table = bundle_module("table_features") if self.kind == "tabular" else None
        self.texts = (bundle_module("text_features").load_inputs(HERE, self.schema["text_inputs"])
                      if self.kind == "text" and self.schema.get("text_inputs") else None)

    def raw_columns(self) -> list[str]:
        """The columns an input file must have (tabular), named as in the training file."""
        if self.recipe:
            return self.table.raw_names(self.recipe)
        return [item["name"] for item in self.schema["inputs"]]

    def columns_of(self, frame: pd.DataFrame, source: str) -> dict[str, Any]:
        """What the model reads from ``frame``: raw column name -> the input's column."""
        if self.kind == "tabular":
            return match_columns(frame, self.raw_columns(), source)
        if "text" in frame.columns:
            return {"text": "text"}
        strings = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
        if not strings:
            raise PredictError(f"{source} has no column of text: this model predicts from a text column "
                               "(name it `text`).")
        return {"text": max(strings, key=lambda c: frame[c].astype(str).str.len().mean())}

    def feed(self, frame: pd.DataFrame, columns: dict[str, Any]) -> dict[str, np.ndarray]:
        """The ONNX inputs of some input rows."""
        if self.kind == "text":
            texts = ["" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
                     for v in frame[columns["text"]].tolist()]
            if self.texts is not None:
                return self.texts.feed(texts)
            name = self.schema["inputs"][0].get("onnx_name", "text")
            array = np.array(texts, dtype=object)
            return {name: array if self.ranks.get(name, 2) == 1 else array.reshape(-1, 1)}
        raw = {name: frame[column].tolist() for name, column in columns.items()}
        model_columns = self.table.to_model_columns(raw, self.recipe) if self.recipe else raw
        return self.table.onnx_feed(model_columns, self.schema, self.ranks)

    def predict(self, feed: dict[str, np.ndarray]) -> tuple[list[Any], np.ndarray | None]:
        """(class names or values, probabilities or None) of one batch: the threshold applied as serve.py does."""
        outputs = dict(zip(self.outputs, self.session.run(None, feed), strict=True))
        if self.classes is None:
            values = np.asarray(outputs[self.outputs[0]], dtype=np.float64).ravel()
            if self.labels.get("cut_points") is not None:  # an ordinal target: values cut into its ordered values
                ordered, cuts = self.labels["ordered_values"], self.labels["cut_points"]
                return [ordered[i] if math.isfinite(v) else None
                        for v, i in zip(values, np.searchsorted(cuts, values), strict=True)], None
            return [v if math.isfinite(v) else None for v in values.tolist()], None
        proba = np.asarray(outputs.get("probabilities", outputs[self.outputs[-1]]), dtype=np.float64)
        proba = proba.reshape(len(proba), -1)
        threshold, pos_label = self.labels.get("threshold"), self.labels.get("pos_label")
        if threshold is not None and pos_label is not None and proba.shape[1] == 2:
            pos = self.codes.index(pos_label)
            codes = [self.codes[pos] if p >= threshold else self.codes[1 - pos] for p in proba[:, pos]]
        else:
            codes = [self.codes[j] for j in proba.argmax(axis=1)]
        return [self.classes[code] for code in codes], proba


# -- predicting a file ----------------------------------------------------------------------------------------------
class Progress:
    """A progress bar (tqdm, when installed and the output is a terminal), else a plain counter, or nothing."""

    def __init__(self, total: int, quiet: bool) -> None:
        self.total, self.done, self.quiet, self.bar, self.shown = total, 0, quiet, None, -1
        if not quiet and sys.stderr.isatty():
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=total, unit="rows", desc="predicting", file=sys.stderr)

    def update(self, rows: int) -> None:
        self.done += rows
        if self.bar is not None:
            self.bar.update(rows)
        elif not self.quiet and (tenth := 10 * self.done // max(self.total, 1)) != self.shown:
            self.shown = tenth
            print(f"predicted {self.done:,} of {self.total:,} rows", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def predict_frame(model: Model, frame: pd.DataFrame, source: str, column: str | None = None,
                  keep: list[str] | None = None, probabilities: bool = True, batch_size: int = 4096,
                  quiet: bool = True) -> pd.DataFrame:
    """The predictions table of ``frame``: the kept columns, the prediction, the class probabilities."""
    if frame.empty:
        raise PredictError(f"{source} has no rows to predict.")
    columns = model.columns_of(frame, source)
    unknown = [c for c in keep or [] if c not in frame.columns]
    if unknown:
        raise PredictError(f"{source} has no column {', '.join(map(str, unknown))} to keep: check --keep.")
    keep = [c for c in frame.columns if ID_NAME.search(str(c)) or c in (keep or [])]
    column = column or str(model.schema.get("target_name") or model.schema.get("target") or "prediction")
    values: list[Any] = []
    probas: list[np.ndarray] = []
    progress = Progress(len(frame), quiet)
    try:
        for start in range(0, len(frame), batch_size):
            part = frame.iloc[start:start + batch_size]
            predicted, proba = model.predict(model.feed(part, columns))
            values += predicted
            if proba is not None:
                probas.append(proba)
            progress.update(len(part))
    finally:
        progress.close()
    out = frame[keep].reset_index(drop=True).copy()
    out[column] = values
    if probabilities and probas:
        proba = np.vstack(probas)
        for j, code in enumerate(model.codes):
            out[f"probability_{model.classes[code]}"] = proba[:, j]
    return out


def main(argv: list[str] | None = None) -> int:
    """``python predict.py --input FILE --output FILE``: predict every row; the exit status says how it went."""
    parser = argparse.ArgumentParser(description="Predict every row of a table file with this bundle's model.")
    parser.add_argument("--input", required=True, type=Path, help="the rows to predict (CSV, TSV, Parquet, "
                        "JSON, JSON lines, Excel)")
    parser.add_argument("--output", required=True, type=Path, help="where to write the predictions (CSV, TSV, "
                        "Parquet or JSON lines, by its suffix)")
    parser.add_argument("--column", help="the name of the prediction column (default: the target's name)")
    parser.add_argument("--keep", action="append", metavar="COLUMN", help="an input column to copy into the "
                        "output, besides those named like an identifier (repeatable)")
    parser.add_argument("--batch-size", type=int, default=4096, help="rows per call of the model")
    parser.add_argument("--threads", type=int, default=0, help="onnxruntime threads (0: all cores)")
    parser.add_argument("--no-probabilities", dest="probabilities", action="store_false",
                        help="leave out the class probabilities")
    parser.add_argument("--force", action="store_true", help="replace the output file if it exists")
    parser.add_argument("--quiet", action="store_true", help="no progress, only errors")
    args = parser.parse_args(argv)
    if args.batch_size < 1:
        parser.error("--batch-size must be at least 1")
    if args.output.resolve() == args.input.resolve():
        print("predict.py: --output is the input file; name another file for the predictions.", file=sys.stderr)
        return 2
    if args.output.exists() and not args.force:
        print(f"predict.py: {args.output} exists; pass --force to replace it, or name another --output.",
              file=sys.stderr)
        return 2
    try:
        model = Model(args.threads)
        frame = read_table(args.input)
        out = predict_frame(model, frame, args.input.name, args.column, args.keep, args.probabilities,
                            args.batch_size, args.quiet)
        write_table(out, args.output)
    except PredictError as err:
        print(f"predict.py: {err}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"predict.py: {len(out):,} predictions written to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
