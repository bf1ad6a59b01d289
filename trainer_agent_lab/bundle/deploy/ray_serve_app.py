"""Ray Serve application for this bundle: the same ONNX model, request schema and answers as ``serve.py``.

Each replica imports the bundle's ``serve.py`` (its FastAPI app, its ONNX Runtime session with one intra-op thread)
and Ray Serve routes HTTP to it, so ``POST /predict``, ``GET /health`` and ``GET /metrics`` answer as the plain
server does. ``num_replicas`` is the one the capacity cell measured for the target QPS and each replica reserves
one CPU and the replica's measured peak memory (``../capacity.json``).

    pip install -r requirements.txt "ray[serve]"           # in the bundle folder (the one above this file)
    serve run --working-dir . deploy.ray_serve_app:app     # a local Ray; a cluster: --address HOST:PORT too
    curl -X POST localhost:8000/predict -H 'Content-Type: application/json' -d @sample_request.json

The bundle folder travels to the cluster as the app's working directory, so every replica reads the same files.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import sys
from pathlib import Path

from ray import serve

BUNDLE = Path(__file__).resolve().parent.parent
CAPACITY = json.loads((BUNDLE / "capacity.json").read_text())
#: Replicas for the target QPS (one without a target); override with TRAINER_AGENT_REPLICAS.
REPLICAS = int(os.environ.get("TRAINER_AGENT_REPLICAS") or CAPACITY.get("replicas_for_target") or 1)
#: What one replica reserves: its measured peak memory with a quarter of headroom, in bytes.
MEMORY_BYTES = int(math.ceil(float(CAPACITY.get("replica_memory_mb") or 256) * 1.25) * 1024 * 1024)


def load_model_server():
    """The bundle's ``serve.py`` as a module, with ONNX Runtime on one thread (Ray Serve scales by replicas),
    predicting in a thread of the replica's own process: no worker processes, so a replica is the one process
    (and the one CPU) Ray reserves for it (Ray Serve answers its own health checks)."""
    os.environ.setdefault("TRAINER_AGENT_ORT_THREADS", "1")
    os.environ.setdefault("TRAINER_AGENT_PREDICT_THREADS", "1")
    os.environ.setdefault("TRAINER_AGENT_PREDICT_PROCESSES", "0")
    sys.path.insert(0, str(BUNDLE))  # serve.py imports table_features.py and the other files beside it
    spec = importlib.util.spec_from_file_location("bundle_model_server", BUNDLE / "serve.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_app():
    """The ASGI app of one replica, built there (a FastAPI app is not sent between processes)."""
    return load_model_server().app


@serve.deployment(num_replicas=REPLICAS, ray_actor_options={"num_cpus": 1, "memory": MEMORY_BYTES},
                  health_check_period_s=10)
@serve.ingress(build_app)
class ModelServer:
    """One replica: the bundle's FastAPI app (``/predict``, ``/health``, ``/metrics``)."""


app = ModelServer.bind()
