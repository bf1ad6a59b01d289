"""Write what the bundle's serve.py reads for a generator (schema, classes, a sample and its answer)."""

# %% [context]
import json

import numpy as np

from ....cells.context import SERVING_MODEL_PATH, onnx_session, write_json
from .context import CLASSES, IMAGE_SHAPE, LATENT_DIM, PIXEL_MAX, TARGET, TASK

# isort: split
# %% Write the files serve.py reads: the generator's schema (latent size, image shape, pixel scale) and its
# classes; a sample request and the images the served ONNX model draws for it, encoded as serve.py encodes
# them (PNG, base64); and the one-image requests the load test sends.
import base64
import struct
import zlib


def png_bytes(pixels):
    """A PNG file of one uint8 image (C, H, W), grey or RGB, as serve.py writes it."""
    channels, height, width = pixels.shape
    rows = np.ascontiguousarray(pixels.transpose(1, 2, 0)).reshape(height, width * channels)
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0 if channels == 1 else 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def generate_uint8(session, class_index, n, seed):
    """``n`` uint8 images of class ``class_index`` from seeded noise, as serve.py draws them."""
    noise = np.random.default_rng(seed).standard_normal((n, LATENT_DIM)).astype(np.float32)
    pixels = session.run(None, {"noise": noise, "label": np.full(n, class_index, dtype=np.int64)})[0]
    return np.clip(np.rint(np.asarray(pixels, dtype=np.float64) / PIXEL_MAX * 255), 0, 255).astype(np.uint8)


channels, height, width = IMAGE_SHAPE
write_json("feature_schema.json", {
    "kind": "generation", "task": TASK, "target": TARGET, "model_file": SERVING_MODEL_PATH.name,
    "latent_dim": LATENT_DIM, "pixel_max": float(PIXEL_MAX), "image_shape": [channels, height, width],
    "inputs": [{"name": "class", "dtype": "string", "values": [str(c) for c in CLASSES]},
               {"name": "n", "dtype": "int", "min": 1, "max": 64}, {"name": "seed", "dtype": "int", "min": 0}],
    "output": "base64 PNG images, 8-bit, grey or RGB"})
write_json("label_map.json", {"classes": [str(c) for c in CLASSES]})
sample = {"class": str(CLASSES[-1]), "n": 3, "seed": 0}
write_json("sample_request.json", sample)
sample_images = generate_uint8(onnx_session(SERVING_MODEL_PATH), len(CLASSES) - 1, sample["n"], sample["seed"])
sample_response = {"class": sample["class"], "n": sample["n"], "seed": sample["seed"], "format": "png",
                   "images": [base64.b64encode(png_bytes(image)).decode() for image in sample_images],
                   "predictions": [sample["class"]] * sample["n"]}
REQUEST_BODIES = [json.dumps({"class": str(CLASSES[i % len(CLASSES)]), "n": 1, "seed": i}).encode()
                  for i in range(200)]
EXTRA_SERVING_FILES = []  # serve.py needs nothing beyond the schema, the classes and the model
