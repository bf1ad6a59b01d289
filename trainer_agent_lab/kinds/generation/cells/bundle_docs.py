"""The generator's bundle documents: API.md, model_card.md and the Dockerfile, filled in with what was measured."""
# ruff: noqa: E402  (as in the notebook: a cell's parameters come first, its imports after them)

# %% [context]
import json
import math
import os
import re
import sys

from ....cells.context import (
    BUNDLE_DIR,
    CONSTRAINT_ROWS,
    ONNX_PATH,
    PARITY,
    SERVING_MODEL_PATH,
    answer,
    capacity,
    capacity_doc,
    family,
    figure,
    image,
    md_table,
    model_files,
    model_version,
    serve_module,
)
from .context import (
    CLASSES,
    DATA_REF,
    DECODER_PARAMETERS,
    IMAGE_SHAPE,
    LATENT_DIM,
    METRICS,
    N_PARAMETERS,
    PIXEL_MAX,
    X_test,
    X_train,
)

# %% [parameters]
REQUEST = None
DATA_REFS = []

# isort: split
# %% Fill in the documents the templates above hold: how to ask for images, what the answer is, the model, its
# data, how it was judged, the constraint table, the capacity and the limits.
import html
import platform
import string


def fill_in(name, **values):
    """Fill in the template the bundle's file ``name`` holds (written above) with ``values``; return the text."""
    path = BUNDLE_DIR / name
    text = string.Template(path.read_text()).substitute(**values)
    path.write_text(text)
    return text


channels, height, width = IMAGE_SHAPE
title = f"class-conditional image generator ({len(CLASSES)} classes, {channels}x{height}x{width} pixels)"
request_doc = ("`POST /predict` with `Content-Type: application/json`: `{\"class\": NAME, \"n\": N, \"seed\": S}`. "
               f"`class` is one of {', '.join(f'`{c}`' for c in CLASSES)} (or its index); `n` images, 1 to "
               f"{serve_module.MAX_IMAGES} (default 1); `seed` a whole number (default: random): the same class and "
               "seed always give the same images.")
shown = {k: (v[:1] + ["..."] if k == "images" else v) for k, v in answer.json().items()}
response_doc = ("`images`: one base64 PNG per image (8-bit, grey or RGB, "
                f"{width}x{height} pixels); `class`, `n`, `seed` as drawn; `model_version`: the first 12 hex digits "
                "of the model file's SHA-256. The answer to `sample_request.json` (images shortened):\n\n```json\n"
                + json.dumps(shown, indent=2) + "\n```")
fill_in("API.md", title=title, image=image, max_images=serve_module.MAX_IMAGES,
        max_body_bytes=serve_module.MAX_BODY_BYTES, request_doc=request_doc, response_doc=response_doc,
        curl_single=json.dumps({"class": str(CLASSES[0]), "n": 1, "seed": 0}), first_class=str(CLASSES[0]),
        capacity_doc=capacity_doc)


def quoted(text):
    """``text`` as a Markdown block quote it cannot break out of."""
    lines = [re.sub(r"([\\`*_\[\]|~$])", r"\\\1", html.escape(line.strip(), quote=False))
             for line in text.replace("\r", "\n").split("\n")]
    return "\n".join(("> " + line).rstrip() for line in lines)


model_rows = [("family", family), ("pipeline", f"noise ({LATENT_DIM}) + one-hot class -> decoder MLP -> sigmoid x "
                                               f"{PIXEL_MAX:g}"),
              ("parameters", f"{figure(N_PARAMETERS)} ({figure(DECODER_PARAMETERS)} in the decoder served)"),
              ("ONNX model", f"`{ONNX_PATH.name}`, {ONNX_PATH.stat().st_size:,} bytes (the decoder)"),
              ("served", f"`{SERVING_MODEL_PATH.name}` (version `{model_version}`)")]
data_lines = [f"- source: `{DATA_REF or ', '.join(DATA_REFS) or 'not recorded'}`",
              f"- images: {len(X_train):,} to learn from, {len(X_test):,} held out (the judge's test and the Fréchet "
              f"floor); {channels}x{height}x{width}, scale 0..{PIXEL_MAX:g}"]
metrics_doc = md_table(("metric", "value"), [(k, figure(v)) for k, v in METRICS.items()]) + (
    "\n\n`generated_class_accuracy`: the share of generated images that a classifier trained on the real images "
    "recognises as the class asked for; `frechet_distance`: the Fréchet distance between real and generated "
    "images in that classifier's features, beside `frechet_floor`, the same distance between two sets of real "
    "images; `nearest_neighbour_ratio`: generated over held-out distance to the nearest training image.\n\n"
    f"ONNX against the trained decoder: largest pixel difference {figure(PARITY['max_abs_diff'])}, "
    f"{PARITY['label_agreement']:.2%} of images read as the same class.")
constraints_doc = md_table(("requirement", "target", "measured", "met"), [
    (r["name"], r["target"], figure(r["actual"]), "yes" if r["met"] else "**no**") for r in CONSTRAINT_ROWS]
) if CONSTRAINT_ROWS else "The request set no measurable targets."
limitations = [f"It draws only what its {len(X_train):,} training images show; images of other styles or classes "
               "are out of its reach.",
               "The judge is a small classifier trained on the same images: its verdicts are a check, not proof "
               "that people recognise the images.",
               f"Capacity figures were measured on the training machine ({platform.machine()}, {os.cpu_count()} CPUs)."]
fill_in("model_card.md", title=title, intended_use=f"Built for this request:\n\n{quoted(REQUEST or '(none)')}",
        model_rows="\n".join(f"| {k} | {v} |" for k, v in model_rows), data_doc="\n".join(data_lines),
        metrics_doc=metrics_doc, constraints_doc=constraints_doc, capacity_doc=capacity_doc,
        limitations_doc="\n".join(f"- {text}" for text in limitations))
fill_in("Dockerfile", image=image, python_version=f"{sys.version_info.major}.{sys.version_info.minor}",
        container_memory_mb=math.ceil(capacity["container_memory_mb"] or capacity["replica_memory_mb"] * 1.25),
        replica_memory_mb=capacity["replica_memory_mb"], qps_per_replica=capacity["qps_per_replica"],
        replicas_for_target=(f"{capacity['replicas_for_target']} replica(s) for {capacity['target_qps']:g} QPS"
                             if capacity["replicas_for_target"] else "replicas as the load needs"),
        model_files=" ".join(model_files))
print(f"{BUNDLE_DIR}/API.md, model_card.md and Dockerfile written for {title}")
