"""Write the bundle's docs, packaging and tests, then zip it."""

from __future__ import annotations

from collections.abc import Sequence

from ...bundle import template
from ..base import RawText, code_cell

_BUNDLE_HEAD = '''
import hashlib
import json
import math
import os
import platform
import shutil
import string
import sys
import types
from importlib import metadata

import numpy as np
from fastapi.testclient import TestClient

ns = globals()


def md_table(header, rows):
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\\n".join(lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows])


def figure(value, unit=""):
    """A measured value for a document: 4 significant digits, thousands separated, or n/a."""
    if value is None:
        return "n/a"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        text = str(value)
    elif isinstance(value, int) or abs(value) >= 1000:
        text = f"{value:,.0f}"
    else:
        text = f"{value:.4g}"
    return f"{text} {unit}".strip()


def pinned(dist):
    """``name==version`` for an installed distribution, else just the name."""
    try:
        return f"{dist}=={metadata.version(dist)}"
    except metadata.PackageNotFoundError:
        return dist


# The app as serve.py defines it, loaded without writing bytecode into the bundle: its OpenAPI description,
# and a last check that it answers the sample request as the trained model does.
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
(BUNDLE_DIR / "openapi.json").write_text(json.dumps(openapi, indent=2) + "\\n")

# What serve.py needs, pinned to the versions the capacity cell measured; uvicorn's faster HTTP parser and
# event loop where they are installed (uvicorn picks them up by itself).
SERVING_PACKAGES = ["onnxruntime", "numpy", "fastapi", "starlette", "pydantic", "pydantic_core", "uvicorn", "h11",
                    "anyio", "prometheus_client"]
OPTIONAL_PACKAGES = {"httptools": "", "uvloop": '; sys_platform != "win32"'}
requirements = [pinned(d) for d in SERVING_PACKAGES]
requirements += [pinned(d) + marker for d, marker in OPTIONAL_PACKAGES.items() if "==" in pinned(d)]
(BUNDLE_DIR / "requirements.txt").write_text("\\n".join(requirements) + "\\n")
(BUNDLE_DIR / "test_bundle.py").write_text(TEST_BUNDLE_PY)

# The facts the documents state, all measured or defined by the cells above.
family = ns.get("PARAMS", {}).get("family") or type(model.steps[-1][1]).__name__
image = "model-server"
capacity = json.loads((BUNDLE_DIR / "capacity.json").read_text())
model_version = hashlib.sha256(SERVING_MODEL_PATH.read_bytes()).hexdigest()[:12]
model_files = [ONNX_PATH.name] + ([INT8_PATH.name] if INT8_PATH is not None else [])
model_files += list(ns.get("EXTRA_SERVING_FILES", []))  # e.g. a text model's preprocessing
capacity_doc = "\\n".join([
    f"- model alone, single row: p50 {figure(capacity['p50_ms'], 'ms')}, p99 {figure(capacity['p99_ms'], 'ms')}; "
    f"batches of {capacity['batch_rows']}: {figure(capacity['batch_rows_per_s'])} rows/s",
    f"- over HTTP, {capacity['load_requests']} requests {capacity['concurrency']} at a time: "
    f"{figure(capacity['qps_per_replica'])} requests/s per replica, p50 {figure(capacity['http_p50_ms'], 'ms')}, "
    f"p99 {figure(capacity['http_p99_ms'], 'ms')}",
    f"- verified: a steady {figure(capacity['verified_qps'])} requests/s ({capacity['headroom']:.0%} of that) had "
    f"p99 {figure(capacity['verified_p99_ms'], 'ms')} (target {figure(capacity['verified_p99_target_ms'], 'ms')})",
    f"- peak memory of one replica: {figure(capacity['replica_memory_mb'], 'MB')}"
    + (f" (container: {figure(capacity['container_memory_mb'], 'MB')})" if capacity["container_memory_mb"] else ""),
    f"- replicas for {figure(capacity['target_qps'])} QPS: {capacity['replicas_for_target']}"
    if capacity["replicas_for_target"] else "- no target QPS was given",
    "", capacity["capacity_advice"]])

'''

_TABULAR_DOCS = '''
title = f"{family.replace('_', ' ')} {TASK} of {TARGET!r}"
request_rows_doc = []
for item in json.loads((BUNDLE_DIR / "feature_schema.json").read_text())["inputs"]:
    if item["dtype"] == "float":
        seen = f"{figure(item['min'])} .. {figure(item['max'])}" if item.get("min") is not None else ""
        request_rows_doc.append((f"`{item['name']}`", "number or null", seen))
    else:
        shown = ", ".join(f"`{c}`" for c in item["categories"][:8]) + (" ..." if len(item["categories"]) > 8 else "")
        request_rows_doc.append((f"`{item['name']}`", "string or null", shown))
request_doc = ("`POST /predict` with `Content-Type: application/json` and either one row, "
               "`{\\"row\\": {column: value, ...}}`, or a batch, `{\\"rows\\": [{...}, ...]}`. Every column below "
               "must be present; `null` means unknown (numbers are then imputed as in training, "
               + (f"strings become `{MISSING_CATEGORY}`" if MISSING_CATEGORY else "strings too") + "). "
               "Extra keys are ignored.\\n\\n"
               + md_table(("column", "type", "seen in training"), request_rows_doc)
               + "\\n\\nExample (`sample_request.json`):\\n\\n```json\\n"
               + json.dumps(sample_request, indent=2) + "\\n```")
curl_single = json.dumps({"row": sample_request["rows"][0]}).replace("'", "'\\\\''")
pipeline_text = " -> ".join(name for name, _ in model.steps)
inputs_text = (f"{len(NUMERIC_FEATURES)} numeric, {len(CATEGORICAL_FEATURES)} text columns, raw values "
               "(preprocessing is inside the ONNX graph)")
data_lines = [f"- source: `{ns.get('DATA_REF') or ', '.join(DATA_REFS) or 'not recorded'}`",
              f"- target: `{TARGET}` ({TASK})",
              f"- rows: {len(X_train):,} to train, {len(X_test):,} held out to test",
              f"- inputs: {', '.join(f'`{c}`' for c in (NUMERIC_FEATURES + CATEGORICAL_FEATURES)[:30])}"
              + (" ..." if len(NUMERIC_FEATURES) + len(CATEGORICAL_FEATURES) > 30 else "")]
if TASK == "classification":
    counts = np.bincount(np.asarray(y_train, dtype=int), minlength=len(CLASSES))
    data_lines.append("- classes (training rows): " + ", ".join(f"`{c}` {n:,}" for c, n in zip(CLASSES, counts)))
limitations = [f"Trained on {len(X_train):,} rows from one source: it reflects that data, its collection and "
               "its labels, mistakes included; check it on data from where it will be used before relying on it."]
if NUMERIC_FEATURES:
    limitations.append("Numbers outside the training ranges (see API.md) are extrapolation: predictions there "
                       "are not backed by data.")
if CATEGORICAL_FEATURES:
    limitations.append("Text values not seen in training are ignored by the one-hot encoding: such a column "
                       "then adds nothing to the prediction.")
'''

_BUNDLE_TAIL = '''
# API.md
if TASK == "classification":
    response_doc = ("`predictions`: one class name per row"
                    + (f" (`{CLASSES[POS_LABEL]}` when its probability is at least {THRESHOLD:.3g})"
                       if THRESHOLD is not None and POS_LABEL is not None else "")
                    + "; `probabilities`: one list per row, in the order of `classes`; `model_version`: the "
                    "first 12 hex digits of the model file's SHA-256.")
else:
    response_doc = (f"`predictions`: one number per row (the predicted `{TARGET}`); `model_version`: the first 12 "
                    "hex digits of the model file's SHA-256.")
response_doc += "\\n\\nThe answer to the sample request:\\n\\n```json\\n" + json.dumps(
    {**answer.json(), "model_version": model_version}, indent=2) + "\\n```"
api_md = string.Template(API_MD).substitute(
    title=title, image=image, max_rows=serve_module.MAX_ROWS, max_body_bytes=serve_module.MAX_BODY_BYTES,
    request_doc=request_doc, response_doc=response_doc, model_file=SERVING_MODEL_PATH.name,
    curl_single=curl_single,
    sample_predictions=json.dumps(sample_response["predictions"]), capacity_doc=capacity_doc)
(BUNDLE_DIR / "API.md").write_text(api_md)

# model_card.md
request_text = REQUEST or "(no request text was recorded)"
model_rows = [("family", family), ("pipeline", pipeline_text),
              ("parameters", figure(ns.get("N_PARAMETERS"))),
              ("ONNX model", f"`{ONNX_PATH.name}`, {ONNX_PATH.stat().st_size:,} bytes")]
if INT8_PATH is not None:
    model_rows.append(("int8 model", f"`{INT8_PATH.name}`, {INT8_PATH.stat().st_size:,} bytes; made because "
                       + "; ".join(QUANTISE_REASONS)))
model_rows += [("served", f"`{SERVING_MODEL_PATH.name}` (version `{model_version}`)"),
               ("inputs", inputs_text)]
if THRESHOLD is not None and POS_LABEL is not None:
    model_rows.append(("decision threshold", f"{THRESHOLD:.3g} on `{CLASSES[POS_LABEL]}`"))
metric_rows = [(name, figure(value)) for name, value in ns.get("METRICS", {}).items()]
metrics_doc = md_table(("metric", "trained model"), metric_rows) if metric_rows else "(not recorded)"
parity_rows = [("`model.onnx`", f"{PARITY['label_agreement']:.2%}",
                figure(PARITY.get("max_prob_diff", PARITY.get("max_abs_diff"))))]
if ns.get("parity_int8"):
    parity_rows.append(("`model.int8.onnx`", f"{parity_int8['label_agreement']:.2%}",
                        figure(parity_int8.get("max_prob_diff", parity_int8.get("max_abs_diff")))))
metrics_doc += ("\\n\\nAgreement of the ONNX models with the trained one on the test rows:\\n\\n"
                + md_table(("file", "same prediction", "largest " + ("probability" if TASK == "classification"
                                                                    else "absolute") + " difference"), parity_rows))
if ns.get("int8_metrics"):
    metrics_doc += "\\n\\nScored on the test split, the int8 model: " + ", ".join(
        f"{k} {figure(v)}" for k, v in int8_metrics.items())
constraint_rows = [(row["name"], row["target"], figure(row["actual"]), "yes" if row["met"] else "**no**")
                   for row in ns.get("CONSTRAINT_ROWS", [])]
constraints_doc = (md_table(("requirement", "target", "measured", "met"), constraint_rows) if constraint_rows
                   else "The request set no measurable targets.")
if PARITY["label_agreement"] < 1:
    limitations.append(f"The ONNX model computes in float32 and agrees with the trained model on "
                       f"{PARITY['label_agreement']:.2%} of the test rows.")
if INT8_PATH is not None and not int8_quantised:
    limitations.append("This model has no weights int8 can compress (trees, linear or distance operators): "
                       "the int8 file behaves like the float one.")
if TASK == "classification":
    limitations.append("Probabilities are the model's scores, not calibrated risks, unless checked on new data.")
limitations.append("Capacity figures were measured on the machine that trained the model "
                   f"({platform.machine()}, {os.cpu_count()} CPUs); re-measure on the deployment hardware.")
model_card = string.Template(MODEL_CARD_MD).substitute(
    title=title, intended_use=f"Built for this request:\\n\\n> {request_text}",
    model_rows="\\n".join(f"| {k} | {v} |" for k, v in model_rows), data_doc="\\n".join(data_lines),
    metrics_doc=metrics_doc, constraints_doc=constraints_doc, capacity_doc=capacity_doc,
    limitations_doc="\\n".join(f"- {text}" for text in limitations))
(BUNDLE_DIR / "model_card.md").write_text(model_card)

dockerfile = string.Template(DOCKERFILE).substitute(
    image=image, python_version=f"{sys.version_info.major}.{sys.version_info.minor}",
    container_memory_mb=math.ceil(capacity["container_memory_mb"] or capacity["replica_memory_mb"] * 1.25),
    replica_memory_mb=capacity["replica_memory_mb"], qps_per_replica=capacity["qps_per_replica"],
    replicas_for_target=(f"{capacity['replicas_for_target']} replica(s) for {capacity['target_qps']:g} QPS"
                         if capacity["replicas_for_target"] else "replicas as the load needs"),
    model_files=" ".join(model_files))
(BUNDLE_DIR / "Dockerfile").write_text(dockerfile)

shutil.rmtree(BUNDLE_DIR / "__pycache__", ignore_errors=True)
bundle_files = sorted(p.name for p in BUNDLE_DIR.iterdir() if p.is_file())
BUNDLE_ZIP = BUNDLE_DIR.with_suffix(".zip")  # next to the folder; unzips to a bundle/ folder
shutil.make_archive(str(BUNDLE_DIR), "zip", root_dir=BUNDLE_DIR.parent, base_dir=BUNDLE_DIR.name)
print(f"{BUNDLE_DIR}/: {', '.join(bundle_files)}")
print(f"{BUNDLE_ZIP}: {BUNDLE_ZIP.stat().st_size / 1024:.1f} KiB")
print("the app answers sample_request.json as the trained model does:", bundle_check)
print(f"serve it: cd {BUNDLE_DIR} && pip install -r requirements.txt && python serve.py --port 8000")
_report(bundle_dir=str(BUNDLE_DIR), bundle_zip=str(BUNDLE_ZIP), files=bundle_files, bundle_check=bundle_check,
        model_version=model_version)
'''


def bundle_cell(request: str | None = None, data_refs: Sequence[str] = (), docs: str | None = None) -> str:
    """Write the rest of the bundle (OpenAPI, API docs, model card, Dockerfile, requirements, its test), zip it.

    ``docs`` is the kind-specific part of the documents (tabular by default): code that defines ``title``,
    ``request_doc``, ``curl_single``, ``pipeline_text``, ``inputs_text``, ``data_lines`` and the first
    ``limitations``, from the names the cells before it defined.
    """
    return code_cell("Finish the deployment bundle: OpenAPI description, API docs, model card, Dockerfile, pinned "
                     "requirements and a test of the bundle, then a zip",
                     _BUNDLE_HEAD + (_TABULAR_DOCS if docs is None else docs) + _BUNDLE_TAIL,
                     REQUEST=request, DATA_REFS=list(data_refs),
                     API_MD=RawText(template("api.md.tmpl")), MODEL_CARD_MD=RawText(template("model_card.md.tmpl")),
                     DOCKERFILE=RawText(template("Dockerfile.tmpl")),
                     TEST_BUNDLE_PY=RawText(template("bundle_test.py")))
