"""Names the shared cells define, for the context blocks of cell files (see :mod:`.render`).

Cell files import what earlier cells defined from here (or from their kind's own ``context`` module) so that
ruff and editors know the names; the renderer leaves those imports out of the notebook. Nothing here exists
at run time: the generated notebook defines every name itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: Defined by the set-up cell (``cells/setup.py``).
SEED: int
#: The request's measurable parts (``constraints`` as ``[{"name", "op", "value"}]``, ``qps``,
#: ``container_memory_mb``, ``quantize_int8``, ``time_budget_s``).
REQUIREMENTS: dict[str, Any]
#: Hands a JSON-able dict back to the agents as a display output of the result MIME type.
_report: Callable[..., None]


def __getattr__(name: str) -> Any:
    raise AttributeError(f"{name} is defined by an earlier cell of the generated notebook; render the cell "
                         "with trainer_agent_lab.cells.render instead of importing it.")


# Defined by the signal test (``cells/signal_test.py``), which every kind's feasibility probe renders first.
#: ``signal_metric(y, ranking=True)``: the scoring a probe's signal is judged on, and its chance level.
signal_metric: Callable[..., tuple[str, float]]
#: ``permutation_p_value(probe, X, y, cv, scoring, score, seconds)``: p-value and the shuffled targets' scores.
permutation_p_value: Callable[..., tuple[float, list[float]]]
#: ``shows_no_signal(score, chance, p_value)``: whether the probe found no signal.
shows_no_signal: Callable[..., bool]
#: Test-set metrics (each kind's evaluate cell), and the model's parameter count (its fit cell).
METRICS: dict[str, float]
N_PARAMETERS: int
#: The Server agent's measured capacity, as the constraint table (``cells/constraints.py``) reads it back.
CAPACITY: dict[str, Any]
#: The constraint table's rows (name, target, actual, met), read by the bundle's model card.
CONSTRAINT_ROWS: list[dict[str, Any]]

# --- The Server agent's cells (export, parity, serving, capacity, bundle; see :mod:`.server`). Paths are
# ``pathlib.Path``. Modules they import once for every kind: ``subprocess``, ``sys``, ``tempfile`` (bundle_folder),
# ``operator`` (latency_checks); ``os`` and ``time`` come from earlier cells (the tabular export imports ``os``).
#: ``cells/bundle_folder``: the bundle folder, the float ONNX model in it, the int8 one (None unless made), and
#: ``write_json(name, payload)``, which writes one of its JSON files.
BUNDLE_DIR: Any
ONNX_PATH: Any
INT8_PATH: Any
write_json: Callable[[str, Any], None]
#: What every kind's cells before the Server agent's define, as the shared Server cells read it: the test items
#: (a DataFrame, raw strings or pixel arrays), the task and target, class names, the binary decision threshold
#: and its class (or None), and the pinned configuration (``PARAMS["family"]``).
X_test: Any
TASK: str
TARGET: str
CLASSES: list[str] | None
POS_LABEL: int | None
THRESHOLD: float | None
PARAMS: dict[str, Any]
#: The kind's export cell: ``to_onnx_feed(items)``, the ONNX model's inputs for a batch of items.
to_onnx_feed: Callable[[Any], dict[str, Any]]
#: ``cells/onnx_timing``: ``onnx_session(path)`` (one thread, as serve.py runs it) and
#: ``single_row_ms(path, items, calls, warmup=50)`` (milliseconds of single-item predictions).
onnx_session: Callable[[Any], Any]
single_row_ms: Callable[..., Any]
#: ``measure_latency(path, items, targets, calls, seconds, ...)``: single-item p50/p99 as the median of rounds, with
#: their spread and the load average, measured again after a pause where a target is missed (``used`` says which
#: figure); ``describe_latency(measured)``: that figure in one line.
measure_latency: Callable[..., dict[str, Any]]
describe_latency: Callable[..., str]
#: ``cells/latency_checks`` (the kind's int8 cell adds the memory reason): why int8 is made (empty: it is not),
#: and the float model's figures measured against the request's targets.
QUANTISE_REASONS: list[str]
float_checks: dict[str, float]
#: The kind's export and parity cells: whether the int8 file holds int8 weights; the ONNX models' agreement with
#: the trained one (``label_agreement``, ``max_prob_diff`` or ``max_abs_diff``) and the int8 one's test metrics.
int8_quantised: bool | None
PARITY: dict[str, Any]
parity_int8: dict[str, Any] | None
int8_metrics: dict[str, float] | None
#: The kind's serving cell: the model file served, the one-item POST /predict bodies the load test sends, the
#: files serve.py needs besides the schema, label map and model, and the trained model's answer to the sample.
SERVING_MODEL_PATH: Any
REQUEST_BODIES: list[bytes]
EXTRA_SERVING_FILES: list[str]
sample_response: dict[str, Any]
#: ``cells/torch_onnx``: ``export_onnx(module, example, input_names, output_names, props)`` writes ONNX_PATH at the
#: newest opset onnxruntime loads and returns (onnx model, opset, bytes).
export_onnx: Callable[..., tuple[Any, int, int]]
#: ``cells/bundle_app``: serve.py loaded as a module and its answer to ``sample_request`` (a response);
#: ``cells/bundle_answer`` (or a kind's own): whether that answer is what the notebook computed.
serve_module: Any
sample_request: dict[str, Any]
answer: Any
bundle_check: bool
#: ``cells/bundle_facts``: ``md_table(header, rows)`` and ``figure(value, unit="")`` for the documents; the
#: model family, the Docker image name, ``capacity.json``, the served file's version, the model files to ship and
#: the capacity section of the documents.
md_table: Callable[..., str]
figure: Callable[..., str]
family: str
image: str
capacity: dict[str, Any]
model_version: str
model_files: list[str]
capacity_doc: str
#: The kind's ``bundle_docs`` cell: the documents' title, request section, one-item curl body, pipeline and
#: inputs, data section lines and first limitations.
title: str
request_doc: str
curl_single: str
pipeline_text: str
inputs_text: str
data_lines: list[str]
limitations: list[str]
#: ``bundle_documents``: ``fill_in(name, **values)`` fills in the template the bundle's file ``name`` holds.
fill_in: Callable[..., str]

# --- ``cells/run_folder`` (only where the notebook lies outside the run's folder: the chat panel's notebook).
#: The run's folder as the notebook names it (relative to the notebook's folder) and as an absolute path; the
#: folder the kernel worked in before (the notebook's); ``os.chdir``, imported under its own name (later cells
#: import ``os`` itself).
RUN_FOLDER: str
RUN_DIR: str
NOTEBOOK_FOLDER: str
chdir: Callable[[str], None]
