"""Check the bundle's app in-process (it must answer the sample as the trained model did), write its OpenAPI
description and its pinned requirements."""

# %% [context]
import json
import os
import sys

import numpy as np

from .context import BUNDLE_DIR, TASK

# isort: split
# %% Load the app as serve.py defines it, without writing bytecode into the bundle: its OpenAPI description, and
# a last check that it answers the sample request as the trained model does.
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
    sample_response = json.loads((BUNDLE_DIR / "sample_response.json").read_text())
    key = {"X-API-Key": os.environ["TRAINER_AGENT_API_KEY"]} if os.environ.get("TRAINER_AGENT_API_KEY") else {}
    with TestClient(serve_module.app) as client:
        answer = client.post("/predict", json=sample_request, headers=key)
finally:
    del sys.modules["bundle_serve"]
answer.raise_for_status()
if TASK == "classification":
    bundle_check = answer.json()["predictions"] == sample_response["predictions"]
else:
    bundle_check = bool(np.allclose(answer.json()["predictions"], sample_response["predictions"], rtol=1e-4))
(BUNDLE_DIR / "openapi.json").write_text(json.dumps(openapi, indent=2) + "\n")
print("the app answers sample_request.json as the trained model does:", bundle_check)


# %% What serve.py needs, pinned to the versions the capacity cell measured; uvicorn's faster HTTP parser and
# event loop where they are installed (uvicorn picks them up by itself).
def pinned(dist):
    """``name==version`` for an installed distribution, else just the name."""
    try:
        return f"{dist}=={metadata.version(dist)}"
    except metadata.PackageNotFoundError:
        return dist


SERVING_PACKAGES = ["onnxruntime", "numpy", "fastapi", "starlette", "pydantic", "pydantic_core", "uvicorn", "h11",
                    "anyio", "prometheus_client", "pandas"]  # pandas: predict.py reads and writes tables
OPTIONAL_PACKAGES = {"httptools": "", "uvloop": '; sys_platform != "win32"'}
requirements = [pinned(d) for d in SERVING_PACKAGES]
requirements += [pinned(d) + marker for d, marker in OPTIONAL_PACKAGES.items() if "==" in pinned(d)]
(BUNDLE_DIR / "requirements.txt").write_text("\n".join(requirements) + "\n")
print("requirements.txt:", ", ".join(requirements))
