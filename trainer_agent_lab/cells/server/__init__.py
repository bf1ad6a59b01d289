"""Cells the Server agent writes for tabular scikit-learn pipelines: export, parity, serving app, capacity, bundle.

Each function returns the source of one code cell. The cells rely on the kernel-namespace contract in
:mod:`trainer_agent_lab.cells` (``model``, ``X_train``, ``X_test``, ``y_test``, ``TASK``, ``CLASSES``,
``POS_LABEL``, ``THRESHOLD``, ``NUMERIC_FEATURES``, ``CATEGORICAL_FEATURES``, ``TARGET``, ``REQUIREMENTS``,
``_report``; ``METRICS``, ``N_PARAMETERS``, ``PARAMS``, ``DATA_REF`` and the Task agent's ``CONSTRAINT_ROWS``
where present) and add to it, in this order:

===========================  ===================================================================
cell                         defines
===========================  ===================================================================
:func:`export_onnx_cell`     ``BUNDLE_DIR``, ``ONNX_PATH``, ``INT8_PATH`` (``None`` unless quantised),
                             ``QUANTISE_REASONS``, ``ONNX_INPUT_NAMES`` (raw column -> ONNX input name),
                             ``MISSING_CATEGORY`` (what a missing text value is sent as),
                             ``onnx_session(path)``, ``to_onnx_feed(frame)``,
                             ``single_row_ms(path, frame, calls)``
:func:`parity_cell`          ``onnx_predict(session, frame)``, ``model_predict(frame)``,
                             ``labels_from_proba(proba)``, ``PARITY``, ``parity_int8``, ``int8_metrics``
:func:`serving_app_cell`     ``SERVING_MODEL_PATH``, ``request_rows(frame)``; writes ``serve.py``,
                             ``feature_schema.json``, ``label_map.json``, ``sample_request.json``,
                             ``sample_response.json`` (all that ``serve.py`` needs to start)
:func:`capacity_cell`        ``CAPACITY`` (and ``capacity.json``): measured in this kernel and on the real
                             app, started from ``bundle/`` on a free 127.0.0.1 port; it sends the bodies
                             ``single_request_bodies(n)`` gives where the serving cell defines it (images),
                             else one-row bodies from ``request_rows``
:func:`bundle_cell`          ``BUNDLE_ZIP``; writes ``openapi.json``, ``API.md``, ``model_card.md``,
                             ``Dockerfile``, ``requirements.txt``, ``test_bundle.py`` (its ``docs`` argument
                             swaps in the kind-specific part of the documents: images pass their own)
===========================  ===================================================================

Quantisation (dynamic int8, onnxruntime) happens when the request asks for it, or when the float model misses
a ``p50_ms``/``p99_ms`` target in ``REQUIREMENTS["constraints"]`` or its serving process does not fit
``REQUIREMENTS["container_memory_mb"]``; the parity cell then scores both models on the test split.

A missing value in a text column is sent to ONNX as ``MISSING_CATEGORY``: ``"missing"``, the category the
Data agent fills missing text with before training; or ``""`` when the pipeline imputes text itself, in
which case the export cell converts a copy of ``model`` whose string imputers look for ``""`` (skl2onnx
cannot convert a string imputer that looks for NaN). ``feature_schema.json`` records it for ``serve.py``.
"""

from .capacity import capacity_cell
from .export import export_onnx_cell
from .packaging import bundle_cell
from .parity import parity_cell
from .serving import serving_app_cell

__all__ = ["bundle_cell", "capacity_cell", "export_onnx_cell", "parity_cell", "serving_app_cell"]
