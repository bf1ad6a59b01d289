"""Check the bundle's app in-process (it must draw the sample request's images as the notebook did), write its
OpenAPI description and its pinned requirements."""

# %% [context]
import base64
import json
import os
import sys

import numpy as np

from ....cells.context import BUNDLE_DIR, sample_response

# isort: split
# %% Load the app as serve.py defines it, without writing bytecode into the bundle: its OpenAPI description, and
# a last check that it draws the sample request's images as this notebook did (pixels within 1 of 255).
import types
from importlib import metadata

from fastapi.testclient import TestClient

serve_module = types.ModuleType("bundle_serve")
serve_module.__file__ = str((BUNDLE_DIR / "serve.py").resolve())
sys.modules["bundle_serve"] = serve_module
try:
    exec(compile((BUNDLE_DIR / "serve.py").read_text(), serve_module.__file__, "exec"), serve_module.__dict__)
    openapi = serve_module.app.openapi()
    sample_request = json.loads((BUNDLE_DIR / "sample_request.json").read_text())
    key = {"X-API-Key": os.environ["TRAINER_AGENT_API_KEY"]} if os.environ.get("TRAINER_AGENT_API_KEY") else {}
    with TestClient(serve_module.app) as client:
        answer = client.post("/predict", json=sample_request, headers=key)
finally:
    del sys.modules["bundle_serve"]
answer.raise_for_status()
drawn = [serve_module.png_pixels(base64.b64decode(x)).astype(int) for x in answer.json()["images"]]
expected = [serve_module.png_pixels(base64.b64decode(x)).astype(int) for x in sample_response["images"]]
bundle_check = len(drawn) == len(expected) and all(a.shape == b.shape and np.abs(a - b).max() <= 1
                                                   for a, b in zip(drawn, expected, strict=True))
(BUNDLE_DIR / "openapi.json").write_text(json.dumps(openapi, indent=2) + "\n")
print("the app draws the sample request's images as the notebook did:", bundle_check)


# %% What serve.py needs, pinned to the versions the capacity cell measured (no Pillow: serve.py writes PNG itself).
def pinned(dist):
    """``name==version`` for an installed distribution, else just the name."""
    try:
        return f"{dist}=={metadata.version(dist)}"
    except metadata.PackageNotFoundError:
        return dist


SERVING_PACKAGES = ["onnxruntime", "numpy", "fastapi", "starlette", "pydantic", "uvicorn", "h11", "anyio",
                    "prometheus_client", "httpx"]  # httpx: the bundle's test uses FastAPI's TestClient
requirements = [pinned(d) for d in SERVING_PACKAGES]
(BUNDLE_DIR / "requirements.txt").write_text("\n".join(requirements) + "\n")
print("requirements.txt:", ", ".join(requirements))
