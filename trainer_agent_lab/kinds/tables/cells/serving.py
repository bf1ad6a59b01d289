"""Write what the bundle's serve.py reads for a tabular model (schema, label map, samples); choose its model."""

# %% [context]
import json

import numpy as np
import pandas as pd

from ....cells.context import SERVING_MODEL_PATH, write_json
from .context import (
    CATEGORICAL_FEATURES,
    CLASSES,
    MISSING_TEXT,
    NUMERIC_FEATURES,
    ONNX_INPUT_NAMES,
    POS_LABEL,
    TARGET,
    TASK,
    THRESHOLD,
    X_test,
    X_train,
    model,
    model_predict,
)


# %% Write the files serve.py reads: the feature schema (each raw column, its ONNX input, what training saw) and
# the label map (class names, the decision threshold).
def json_value(value):
    """A JSON-ready Python value: missing values (NaN, None, pd.NA) as None, numpy scalars unwrapped."""
    if not isinstance(value, str) and pd.isna(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


inputs = [{"name": col, "onnx_name": ONNX_INPUT_NAMES[col], "dtype": "float",
           "min": json_value(X_train[col].min()), "max": json_value(X_train[col].max()),
           "mean": json_value(X_train[col].mean())} for col in NUMERIC_FEATURES]
inputs += [{"name": col, "onnx_name": ONNX_INPUT_NAMES[col], "dtype": "string", "missing": MISSING_TEXT,
            "categories": sorted(str(v) for v in X_train[col].dropna().unique())[:100]}
           for col in CATEGORICAL_FEATURES]
write_json("feature_schema.json", {"kind": "tabular", "inputs": inputs, "task": TASK, "target": str(TARGET),
                                   "model_file": SERVING_MODEL_PATH.name})
if TASK == "classification":
    write_json("label_map.json", {"classes": [str(c) for c in CLASSES],
                                  "pos_label": None if POS_LABEL is None else int(POS_LABEL),
                                  "threshold": None if THRESHOLD is None else float(THRESHOLD),
                                  "proba_codes": [int(c) for c in model.classes_]})
else:
    write_json("label_map.json", {"classes": None})


# %% A sample request and what the trained model answers to it (the bundle's test sends one, expects the other),
# and the one-row requests the load test sends.
def request_rows(frame):
    """The rows of a DataFrame as POST /predict takes them: numbers or null, strings or null."""
    columns = list(NUMERIC_FEATURES) + list(CATEGORICAL_FEATURES)
    return [{col: json_value(v) for col, v in row.items()} for row in frame[columns].to_dict("records")]


sample = X_test.head(3)
write_json("sample_request.json", {"rows": request_rows(sample)})
codes, proba = model_predict(sample)
if TASK == "classification":
    sample_response = {"predictions": [str(CLASSES[int(c)]) for c in codes],
                       "probabilities": np.asarray(proba, dtype=float).tolist()}
else:
    sample_response = {"predictions": [float(v) for v in codes]}
REQUEST_BODIES = [json.dumps({"row": row}).encode() for row in request_rows(X_test.head(200))]
EXTRA_SERVING_FILES = []  # serve.py needs nothing beyond the schema, the label map and the model
