"""Load the bundle's app in-process as serve.py defines it: its OpenAPI description, and its answer to the sample
request (the next cell of each kind compares that answer with what the notebook computed)."""

# %% [context]
import json
import os
import sys

from .context import BUNDLE_DIR

# isort: split
# %% Load the app as serve.py defines it, without writing bytecode into the bundle: its OpenAPI description, and
# its answer to the sample request.
import types

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
(BUNDLE_DIR / "openapi.json").write_text(json.dumps(openapi, indent=2) + "\n")
