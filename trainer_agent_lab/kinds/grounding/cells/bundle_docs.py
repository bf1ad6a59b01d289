"""The grounding parts of the bundle's documents: the request format, the network, the data and the limits."""

# %% [context]
import json
from importlib import metadata

from .context import BUNDLE_DIR, DATA_REF, IMAGE_SIDE, MAX_TOKENS, METRICS, VOCAB, X_test, X_train, sample_request

# %% [parameters]
DATA_REFS = []

# %% What the documents say about a grounding model: the request (a base64 image and a query), the answer (a box in
# the image's pixels and a score), the network, the data it learned from and its limits. serve.py also needs Pillow
# to read the images, so it joins requirements.txt.
with (BUNDLE_DIR / "requirements.txt").open("a") as handle:
    handle.write(f"pillow=={metadata.version('pillow')}\n")
title = f"visual grounding model (images at {IMAGE_SIDE}x{IMAGE_SIDE}, queries of up to {MAX_TOKENS} words)"
first = sample_request["items"][0]
request_doc = ("`POST /predict` with `Content-Type: application/json` and either one query, `{\"image\": \"<base64 "
               "PNG or JPEG>\", \"query\": \"the red circle\"}`, or a batch, `{\"items\": [{\"image\": ..., \"query\": "
               "...}, ...]}`. The image may be of any size (it is resized to "
               f"{IMAGE_SIDE}x{IMAGE_SIDE} inside the server). The answer gives `box` [x0, y0, x1, y1] in the "
               "pixels of the image sent (x to the right, y down) and `score` (0..1) for one query, and "
               "`predictions` (the boxes) and `scores` for every query.\n\nExample (a query of "
               "`sample_request.json`, image shortened):\n\n"
               "```json\n" + json.dumps({"image": first["image"][:40] + "...", "query": first["query"]}) + "\n```")
curl_single = json.dumps(first).replace("'", "'\\''")
pipeline_text = "CNN image grid + GRU query encoder -> FiLM fusion -> 2 convolutions -> score and box per cell"
inputs_text = f"a base64 image (resized to {IMAGE_SIDE}x{IMAGE_SIDE}) and a query ({len(VOCAB) - 2} known words)"
data_lines = [f"- source: `{DATA_REF or ', '.join(DATA_REFS) or 'not recorded'}`",
              f"- queries: {len(X_train):,} to train, {len(X_test):,} held out to test (on images of their own)",
              f"- test Acc@0.5 {METRICS['acc_iou50']:.3f}, mean IoU {METRICS['mean_iou']:.3f}"]
limitations = [f"Trained on {len(X_train):,} queries from one source: it knows only the {len(VOCAB) - 2} words of "
               "its training queries (others are read as unknown) and the kinds of scene it saw; check it on images "
               "from where it will be used before relying on it.",
               "It answers one box per query, even when the query fits no object or several; a low score is a hint."]
