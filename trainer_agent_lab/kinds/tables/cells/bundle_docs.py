"""The tabular parts of the bundle's documents: the request format, the model's inputs, its data and limits."""

# %% [context]
import json

import numpy as np

from ....cells.context import BUNDLE_DIR, family, figure, md_table, sample_request
from .context import (
    CATEGORICAL_FEATURES,
    CLASSES,
    DATA_REF,
    MISSING_TEXT,
    NUMERIC_FEATURES,
    TARGET,
    TASK,
    X_test,
    X_train,
    model,
    y_train,
)

# %% [parameters]
DATA_REFS = []

# %% What the documents say about a tabular model: the request (every column, its type and the values training
# saw), the pipeline and its inputs, the data it learned from, and the limits that follow from them.
title = f"{family.replace('_', ' ')} {TASK} of {TARGET!r}"
request_rows_doc = []
served_schema = json.loads((BUNDLE_DIR / "feature_schema.json").read_text())
model_inputs = {item["name"]: item for item in served_schema["inputs"]}
for raw, step in zip(served_schema["recipe"]["raw_inputs"], served_schema["recipe"]["columns"], strict=True):
    item = model_inputs.get(step["column"], {})
    if raw["dtype"] == "number":
        seen = f"{figure(item['min'])} .. {figure(item['max'])}" if item.get("min") is not None else ""
        request_rows_doc.append((f"`{raw['name']}`", "number or null", seen))
    elif raw["dtype"] == "string":
        shown = ", ".join(f"`{c}`" for c in item["categories"][:8]) + (" ..." if len(item["categories"]) > 8 else "")
        request_rows_doc.append((f"`{raw['name']}`", "string or null", shown))
    else:  # a date, a boolean or a number written as text: the bundle reads it as training did
        shown = ", ".join(f"`{c}`" for c in raw.get("examples", [])[:3])
        request_rows_doc.append((f"`{raw['name']}`", raw.get("description", "string or null"), shown))
request_doc = ("`POST /predict` with `Content-Type: application/json` and either one row, "
               "`{\"row\": {column: value, ...}}`, or a batch, `{\"rows\": [{...}, ...]}`. Every column below "
               "must be present; `null` means unknown (numbers are then imputed as in training, "
               + (f"strings become `{MISSING_TEXT}`" if MISSING_TEXT else "strings too") + "). "
               "Extra keys are ignored.\n\n"
               + md_table(("column", "type", "seen in training"), request_rows_doc)
               + "\n\nExample (`sample_request.json`):\n\n```json\n"
               + json.dumps(sample_request, indent=2) + "\n```")
curl_single = json.dumps({"row": sample_request["rows"][0]}).replace("'", "'\\''")
pipeline_text = " -> ".join(name for name, _ in model.steps)
inputs_text = (f"{len(served_schema['recipe']['raw_inputs'])} raw columns as the training file has them, turned by "
               f"`table_features.py` into {len(NUMERIC_FEATURES)} numeric and {len(CATEGORICAL_FEATURES)} text "
               "inputs of the ONNX graph (imputation, scaling and one-hot encoding are inside it)")
data_lines = [f"- source: `{DATA_REF or ', '.join(DATA_REFS) or 'not recorded'}`",
              f"- target: `{TARGET}` ({TASK})",
              f"- rows: {len(X_train):,} to train, {len(X_test):,} held out to test",
              f"- inputs: {', '.join(f'`{c}`' for c in (NUMERIC_FEATURES + CATEGORICAL_FEATURES)[:30])}"
              + (" ..." if len(NUMERIC_FEATURES) + len(CATEGORICAL_FEATURES) > 30 else "")]
if TASK == "classification":
    counts = np.bincount(np.asarray(y_train, dtype=int), minlength=len(CLASSES))
    data_lines.append("- classes (training rows): "
                      + ", ".join(f"`{c}` {n:,}" for c, n in zip(CLASSES, counts, strict=True)))
limitations = [f"Trained on {len(X_train):,} rows from one source: it reflects that data, its collection and "
               "its labels, mistakes included; check it on data from where it will be used before relying on it."]
if NUMERIC_FEATURES:
    limitations.append("Numbers outside the training ranges (see API.md) are extrapolation: predictions there "
                       "are not backed by data.")
if CATEGORICAL_FEATURES:
    limitations.append("Text values not seen in training are ignored by the one-hot encoding: such a column "
                       "then adds nothing to the prediction.")
