"""Write what the bundle's serve.py reads for a tabular model (schema, label map, samples); choose its model."""

# %% [context]
import json
from pathlib import Path

import numpy as np
import pandas as pd

from ....cells.context import BUNDLE_DIR, SERVING_MODEL_PATH, write_json
from .context import (
    CATEGORICAL_FEATURES,
    CLASSES,
    MISSING_TEXT,
    NUMERIC_FEATURES,
    ONNX_INPUT_NAMES,
    ORDERED_VALUES,
    ORDINAL,
    ORIGINAL_NAMES,
    POS_LABEL,
    RECIPE,
    TARGET,
    TASK,
    THRESHOLD,
    X_test,
    X_test_raw,
    X_train,
    cut,
    model,
    model_predict,
    table_features,
)


# %% Write the files serve.py reads: the feature schema (each model column, its ONNX input, what training saw; the
# recipe that turns the user's raw columns into them, run by table_features.py, shipped beside serve.py; the
# target's name in the user's file) and the label map (class names, the decision threshold).
def json_value(value):
    """A JSON-ready Python value: missing values (NaN, None, pd.NA) as None, numpy scalars unwrapped, dates as
    ISO text."""
    if not isinstance(value, str) and pd.isna(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, np.datetime64):
        return str(value)
    return value.item() if isinstance(value, np.generic) else value


stats = X_train[NUMERIC_FEATURES].agg(["min", "max", "mean"])  # one pass over the numbers, however wide
inputs = [{"name": col, "onnx_name": ONNX_INPUT_NAMES[col], "dtype": "float", "min": json_value(stats.at["min", col]),
           "max": json_value(stats.at["max", col]), "mean": json_value(stats.at["mean", col])}
          for col in NUMERIC_FEATURES]
inputs += [{"name": col, "onnx_name": ONNX_INPUT_NAMES[col], "dtype": "string", "missing": MISSING_TEXT,
            "categories": sorted(str(v) for v in X_train[col].dropna().unique())[:100]}
           for col in CATEGORICAL_FEATURES]
serving_recipe = table_features.prune_recipe(RECIPE, NUMERIC_FEATURES + CATEGORICAL_FEATURES)
(BUNDLE_DIR / "table_features.py").write_bytes(Path(table_features.__file__).read_bytes())
write_json("feature_schema.json", {"kind": "tabular", "inputs": inputs, "recipe": serving_recipe, "task": TASK,
                                   "target": str(TARGET), "target_name": ORIGINAL_NAMES.get(TARGET, str(TARGET)),
                                   "model_file": SERVING_MODEL_PATH.name})
if TASK == "classification":
    write_json("label_map.json", {"classes": [str(c) for c in CLASSES],
                                  "pos_label": None if POS_LABEL is None else int(POS_LABEL),
                                  "threshold": None if THRESHOLD is None else float(THRESHOLD),
                                  "proba_codes": [int(c) for c in model.classes_]})
else:  # an ordinal target: the regression's values are cut into the ordered values at the tuned cut-points
    ordered = [int(v) if float(v).is_integer() else float(v) for v in ORDERED_VALUES] if ORDINAL else None
    write_json("label_map.json", {"classes": None, "cut_points": list(THRESHOLD or []) if ORDINAL else None,
                                  "ordered_values": ordered})


# %% A sample request in the user's own columns (raw dates, "$12.50", ...) and what the trained model answers to
# it (the bundle's test sends one, expects the other), and the one-row requests the load test sends (up to 200
# distinct rows, fewer on a wide table: about 200,000 values in all, which its few requests never exhaust).
def request_rows(raw_frame):
    """Raw rows as POST /predict takes them: the recipe's raw columns, JSON values (null where missing)."""
    columns = table_features.raw_names(serving_recipe)
    return [{col: json_value(v) for col, v in row.items()} for row in raw_frame[columns].to_dict("records")]


write_json("sample_request.json", {"rows": request_rows(X_test_raw.head(3))})
codes, proba = model_predict(X_test.head(3))
if TASK == "classification":
    sample_response = {"predictions": [str(CLASSES[int(c)]) for c in codes],
                       "probabilities": np.asarray(proba, dtype=float).tolist()}
else:
    sample_response = {"predictions": [json_value(v) for v in (cut(codes, THRESHOLD) if ORDINAL else codes)]}
LOAD_ROWS = max(10, min(200, 200_000 // max(1, X_test_raw.shape[1])))
REQUEST_BODIES = [json.dumps({"row": row}).encode() for row in request_rows(X_test_raw.head(LOAD_ROWS))]
EXTRA_SERVING_FILES = ["table_features.py"]  # serve.py's raw columns -> model inputs
