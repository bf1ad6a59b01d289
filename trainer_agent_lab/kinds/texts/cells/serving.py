"""Write what the bundle's serve.py reads for a text model (schema, label map, samples); choose its model."""

# %% [context]
import json

from ....cells.context import SERVING_MODEL_PATH, write_json
from .context import CLASSES, POS_LABEL, TARGET, TASK, TEXT_INPUTS_ENTRY, X_test, model

# %% Write the files serve.py reads for a text model, which takes {"texts": [...]} of raw strings: the schema (the
# preprocessing it ships), the label map and a sample request with the student's answer to it.
EXTRA_SERVING_FILES = ["text_features.py", TEXT_INPUTS_ENTRY["file"]]
write_json("feature_schema.json", {"kind": "text", "task": TASK, "target": str(TARGET),
                                   "model_file": SERVING_MODEL_PATH.name, "text_inputs": TEXT_INPUTS_ENTRY,
                                   "inputs": [{"name": "text", "onnx_name": "features", "dtype": "text"}]})
write_json("label_map.json", {"classes": [str(c) for c in CLASSES], "pos_label": POS_LABEL, "threshold": None,
                              "proba_codes": list(range(len(CLASSES)))})
sample_texts = list(X_test[:3])
write_json("sample_request.json", {"texts": sample_texts})
sample_response = {"predictions": [str(CLASSES[k]) for k in model.predict(sample_texts)],
                   "probabilities": model.predict_proba(sample_texts).tolist()}
# One-text request bodies for the load test, cycling over the raw test strings.
REQUEST_BODIES = [json.dumps({"text": str(X_test[i % len(X_test)])}).encode() for i in range(200)]
