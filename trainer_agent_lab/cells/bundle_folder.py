"""The Server agent's first cell for every kind: the modules its cells share, the bundle folder and its paths."""

# %% [context]
import json
from pathlib import Path

# isort: split
# %% Start the deployment bundle: the folder every file of it goes to, where the ONNX models will be (a re-run
# decides int8 afresh), and the standard-library modules the Server agent's cells share (the export runs
# processes and keeps scratch files; the capacity cell starts the real app).
import subprocess
import sys
import tempfile

BUNDLE_DIR = Path("bundle")
BUNDLE_DIR.mkdir(parents=True, exist_ok=True)
(BUNDLE_DIR / "deploy").mkdir(exist_ok=True)  # Ray Serve, Kubernetes and KServe files
ONNX_PATH = BUNDLE_DIR / "model.onnx"
INT8_PATH = None
(BUNDLE_DIR / "model.int8.onnx").unlink(missing_ok=True)


def write_json(name, payload):
    """Write ``payload`` as the bundle's JSON file ``name``."""
    (BUNDLE_DIR / name).write_text(json.dumps(payload, indent=2) + "\n")


# %% [context]
# Modules later cells use: re-exported so that ruff sees them used.
__all__ = ["subprocess", "sys", "tempfile"]
