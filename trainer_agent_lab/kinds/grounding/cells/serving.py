"""Write what the bundle's serve.py reads for the grounding model (schema, tokenizer, samples)."""

# %% [context]
import json

import numpy as np

from .context import (
    IMAGE_SIDE,
    MAX_TOKENS,
    ONNX_INPUT_NAMES,
    SERVING_MODEL_PATH,
    TARGET,
    TASK,
    VOCAB,
    WORD_PATTERN,
    Q_test,
    X_test,
    onnx_boxes,
    onnx_session,
    write_json,
)

# isort: split
# %% Write the files serve.py reads: the schema (the network's image side and input names), the tokenizer (its
# vocabulary, word pattern and length, as JSON), a sample request of three test images (base64 PNG) with their
# queries and what the served ONNX model answers to it, and the one-query requests the load test sends.
import base64
import io

from PIL import Image


def png_base64(pixels):
    """An image (raw pixels, channels first) as base64 PNG, as a client sends it."""
    buffer = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8).transpose(1, 2, 0)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


write_json("feature_schema.json", {"kind": "grounding", "task": TASK, "target": TARGET, "side": IMAGE_SIDE,
                                   "model_file": SERVING_MODEL_PATH.name, "onnx_inputs": ONNX_INPUT_NAMES,
                                   "inputs": [{"name": "image", "dtype": "base64 image"},
                                              {"name": "query", "dtype": "string"}],
                                   "outputs": {"box": "x0, y0, x1, y1 in the pixels of the image sent",
                                               "score": "the model's confidence, 0..1"}})
write_json("tokenizer.json", {"vocab": VOCAB, "max_tokens": MAX_TOKENS, "pattern": WORD_PATTERN, "lowercase": True,
                              "padding": "left", "pad_id": 0, "unknown_id": 1})
write_json("label_map.json", {"classes": None, "outputs": ["x0", "y0", "x1", "y1"]})
sample_items = [{"image": png_base64(X_test["pixels"][i]), "query": str(Q_test["query"][i])}
                for i in range(min(3, len(X_test)))]
write_json("sample_request.json", {"items": sample_items})
boxes, scores = onnx_boxes(onnx_session(SERVING_MODEL_PATH), X_test[:len(sample_items)])
sample_response = {"predictions": [[round(float(v), 2) for v in np.clip(box, 0, IMAGE_SIDE)] for box in boxes],
                   "scores": [round(float(s), 4) for s in scores]}
REQUEST_BODIES = [json.dumps({"image": png_base64(X_test["pixels"][i % len(X_test)]),
                              "query": str(Q_test["query"][i % len(X_test)])}).encode() for i in range(200)]
EXTRA_SERVING_FILES = ["tokenizer.json"]
