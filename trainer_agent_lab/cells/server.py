"""The Server agent's steps every kind shares: the serving app, capacity and the bundle (each kind's
``server_cells`` module adds its export and parity steps and names its own serving and document cells).

Each function returns the rendered cells of one step (see :mod:`.render`); the cell files are shared ones in
``cells/`` and each kind's own in ``kinds/<kind>/cells/``. The names the steps define, in order:

===========================  ===================================================================
step                         defines
===========================  ===================================================================
:func:`export_onnx_cell`     ``BUNDLE_DIR``, ``ONNX_PATH``, ``INT8_PATH`` (``None`` unless quantised),
                             ``write_json`` (``cells/bundle_folder``); the kind's ``to_onnx_feed(items)``,
                             ``ONNX_INPUT_NAMES``, ``MISSING_TEXT`` (tables); ``onnx_session(path)``,
                             ``single_row_ms(path, items, calls)`` (``cells/onnx_timing``);
                             ``QUANTISE_REASONS``, ``float_checks`` (``cells/latency_checks``)
:func:`parity_cell`          ``onnx_predict(session, items)``, ``model_predict(items)`` (tables, images),
                             ``PARITY``, ``parity_int8``, ``int8_metrics``
:func:`serving_app_cell`     ``bundle/serve.py`` (the package's ``bundle/model_server.py``, verbatim);
                             ``SERVING_MODEL_PATH``, ``REQUEST_BODIES`` (the one-item requests the load
                             test sends), ``EXTRA_SERVING_FILES``; ``feature_schema.json``,
                             ``label_map.json``, ``sample_request.json``, ``sample_response.json``
:func:`capacity_cell`        ``CAPACITY`` (and ``capacity.json``): measured in this kernel and on the real
                             app, started from ``bundle/`` on a free 127.0.0.1 port
:func:`bundle_cell`          ``BUNDLE_ZIP``; writes ``openapi.json``, ``requirements.txt``,
                             ``test_bundle.py``, ``API.md``, ``model_card.md``, ``Dockerfile``
                             (its ``docs`` argument names the kind's part of the documents)
===========================  ===================================================================

Quantisation (dynamic int8, onnxruntime) happens when the request asks for it, or when the float model misses
a ``p50_ms``/``p99_ms`` target in ``REQUIREMENTS["constraints"]`` or (tables) its serving process does not fit
``REQUIREMENTS["container_memory_mb"]``; the parity cell then scores both models on the test split.

A missing value in a text column is sent to ONNX as ``MISSING_TEXT``: ``MISSING_CATEGORY``, the category the
Data agent fills missing text with before training; or ``""`` when the pipeline imputes text itself, in which
case the export cell converts a copy of ``model`` whose string imputers look for ``""`` (skl2onnx cannot convert
a string imputer that looks for NaN). ``feature_schema.json`` records it for ``serve.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

from .render import Cell, render, writefile_cells

__all__ = ["bundle_cell", "capacity_cell", "serving_app_cell"]


def serving_app_cell(serving: str, items: str) -> list[Cell]:
    """Write ``serve.py`` and what it reads: the feature schema, the label map, and samples.

    ``serving`` is the kind's cell file that writes them and defines ``REQUEST_BODIES``; ``items`` names what a
    request carries (``"rows"``, ``"texts"``, ``"images"``) in what the cells print.
    """
    app = writefile_cells({"bundle/serve.py": "bundle/model_server.py"},
                          "The bundle's model server, `serve.py`: a standalone FastAPI app (`POST /predict`, "
                          "`GET /health`, `GET /metrics`) that serves the ONNX model from the files the next "
                          "cells write, without pickles; it is the same for every model, so it is written verbatim")
    return [*app, *render("cells/serving_model", serving, "cells/serving_ready", ITEMS=items)]


def capacity_cell(load_requests: int = 2000, concurrency: int = 8, verify_seconds: float = 2.5,
                  headroom_steps: Sequence[float] = (0.7, 0.5, 0.35)) -> list[Cell]:
    """Measure latency, throughput and memory of the real serving app; size and verify the deployment."""
    return render("cells/capacity", LOAD_REQUESTS=load_requests, CONCURRENCY=concurrency,
                  VERIFY_SECONDS=verify_seconds, HEADROOM_STEPS=tuple(headroom_steps))


#: The bundle's ``deploy/`` folder: the Ray Serve app verbatim, the Kubernetes and KServe manifests and their README
#: as templates that ``cells/bundle_deploy`` fills in with the measured capacity.
DEPLOY_FILES = {"bundle/deploy/ray_serve_app.py": "bundle/deploy/ray_serve_app.py",
                "bundle/deploy/kubernetes.yaml": "bundle/deploy/kubernetes.yaml.tmpl",
                "bundle/deploy/kserve.yaml": "bundle/deploy/kserve.yaml.tmpl",
                "bundle/deploy/README.md": "bundle/deploy/README.md.tmpl"}


def bundle_cell(docs: str, request: str | None = None, data_refs: Sequence[str] = ()) -> list[Cell]:
    """Write the rest of the bundle (OpenAPI, requirements, its test, API docs, model card, Dockerfile, and
    ``deploy/``: Ray Serve, Kubernetes, KServe), zip it.

    ``docs`` is the kind's cell file for its part of the documents: it defines ``title``, ``request_doc``,
    ``curl_single``, ``pipeline_text``, ``inputs_text``, ``data_lines`` and the first ``limitations``.
    """
    files = writefile_cells({"bundle/test_bundle.py": "bundle/bundle_test.py", "bundle/predict.py": "bundle/predict.py",
                             "bundle/table_files.py": "bundle/table_files.py",
                             "bundle/API.md": "bundle/api.md.tmpl",
                             "bundle/model_card.md": "bundle/model_card.md.tmpl",
                             "bundle/Dockerfile": "bundle/Dockerfile.tmpl",
                             **DEPLOY_FILES},
                            "The bundle's own test and its batch scoring script (`predict.py --input FILE --output "
                            "FILE`, without this package), verbatim; and the templates of its documents, which the "
                            "cells below fill in with what this notebook measured")
    return [*files, *render("cells/bundle_app", "cells/bundle_answer", "cells/bundle_requirements",
                            "cells/bundle_facts", docs, "cells/bundle_documents", "cells/bundle_deploy",
                            "cells/bundle_zip", REQUEST=request, DATA_REFS=list(data_refs))]
