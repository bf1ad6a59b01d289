"""Write what the bundle's serve.py needs to start, before capacity is measured."""

from __future__ import annotations

from ...bundle import serve_app_source
from ..base import RawText, code_cell
from .common import SERVING_HEAD, SERVING_TAIL

_SERVING_BODY = '''
import json

import numpy as np
import pandas as pd


def json_value(value):
    """A JSON-ready Python value: missing values (NaN, None, pd.NA) as None, numpy scalars unwrapped."""
    if not isinstance(value, str) and pd.isna(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


''' + SERVING_HEAD + '''

def request_rows(frame):
    """The rows of a DataFrame as POST /predict takes them: numbers or null, strings or null."""
    columns = list(NUMERIC_FEATURES) + list(CATEGORICAL_FEATURES)
    return [{col: json_value(v) for col, v in row.items()} for row in frame[columns].to_dict("records")]


# Serve the int8 model when it was asked for, or when it was made to meet a target and kept its answers.
SERVING_MODEL_PATH = ONNX_PATH
if INT8_PATH is not None:
    if REQUIREMENTS.get("quantize_int8") or parity_int8["label_agreement"] >= 0.99:
        SERVING_MODEL_PATH = INT8_PATH
    else:
        print(f"The int8 model agrees with the trained one on {parity_int8['label_agreement']:.1%} of the test "
              "rows only, so the bundle serves the float model.")

(BUNDLE_DIR / "serve.py").write_text(SERVE_PY)
inputs = [{"name": col, "onnx_name": ONNX_INPUT_NAMES[col], "dtype": "float",
           "min": json_value(X_train[col].min()), "max": json_value(X_train[col].max()),
           "mean": json_value(X_train[col].mean())} for col in NUMERIC_FEATURES]
inputs += [{"name": col, "onnx_name": ONNX_INPUT_NAMES[col], "dtype": "string", "missing": MISSING_CATEGORY,
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

# A sample request and what the trained model answers to it (the bundle's test sends one, expects the other).
sample = X_test.head(3)
write_json("sample_request.json", {"rows": request_rows(sample)})
codes, proba = model_predict(sample)
if TASK == "classification":
    sample_response = {"predictions": [str(CLASSES[int(c)]) for c in codes],
                       "probabilities": np.asarray(proba, dtype=float).tolist()}
else:
    sample_response = {"predictions": [float(v) for v in codes]}
''' + SERVING_TAIL + ''''''


def serving_app_cell() -> str:
    """Write what ``serve.py`` needs to start: the app, the feature schema, the label map, and samples."""
    return code_cell("Write the serving app and the files it reads (feature schema, label map), so the next "
                     "cell can measure the real app", _SERVING_BODY, SERVE_PY=RawText(serve_app_source()))
