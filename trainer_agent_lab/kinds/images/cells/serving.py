"""Write what the bundle's serve.py reads for an image model (schema, label map, samples); choose its model."""

# %% [context]
import json

import numpy as np

from ....cells.context import SERVING_MODEL_PATH, onnx_session, write_json
from .context import (
    CLASSES,
    IMAGE_SHAPE,
    ONNX_INPUT_NAME,
    PIXEL_MAX,
    PROBA_CODES,
    TARGET,
    TASK,
    X_test,
    X_train,
    onnx_predict,
)


# %% Write the files serve.py reads: the image schema (shape, layout, pixel scale) and the label map; a sample
# request and what the served ONNX model answers to it (the bundle's test sends one, expects the other); and the
# one-image requests the load test sends.
def image_json(image):
    """One image as POST /predict takes it: [C][H][W] numbers (integers where the pixels are whole)."""
    pixels = np.asarray(image, dtype=np.float32)
    return pixels.astype(int).tolist() if np.all(pixels == np.round(pixels)) else pixels.round(6).tolist()


channels, height, width = IMAGE_SHAPE
write_json("feature_schema.json", {
    "kind": "image", "task": TASK, "target": TARGET, "model_file": SERVING_MODEL_PATH.name,
    "inputs": [{"name": "images", "onnx_name": ONNX_INPUT_NAME, "dtype": "float", "shape": [channels, height, width],
                "min": 0.0, "max": float(PIXEL_MAX), "seen_min": float(X_train.min()), "seen_max": float(X_train.max()),
                "layout": "channels, height, width"}]})
write_json("label_map.json", {"classes": [str(c) for c in CLASSES], "pos_label": None, "threshold": None,
                              "proba_codes": [int(c) for c in PROBA_CODES]})
sample = X_test[:3]
write_json("sample_request.json", {"images": [image_json(image) for image in sample]})
codes, proba = onnx_predict(onnx_session(SERVING_MODEL_PATH), sample)
sample_response = {"predictions": [str(CLASSES[int(c)]) for c in codes],
                   "probabilities": np.asarray(proba, dtype=float).tolist()}
REQUEST_BODIES = [json.dumps({"image": image_json(X_test[i % len(X_test)])}).encode() for i in range(200)]
EXTRA_SERVING_FILES = []  # serve.py needs nothing beyond the schema, the label map and the model
