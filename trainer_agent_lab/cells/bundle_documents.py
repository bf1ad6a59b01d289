"""Fill in the bundle's documents (API.md, model_card.md, Dockerfile), whose templates the cells above wrote."""
# ruff: noqa: E402  (as in the notebook: a cell's parameters come first, its imports after them)

# %% [context]
import json
import math
import os
import re
import sys

from .context import (
    BUNDLE_DIR,
    CLASSES,
    CONSTRAINT_ROWS,
    INT8_PATH,
    METRICS,
    N_PARAMETERS,
    ONNX_PATH,
    PARITY,
    POS_LABEL,
    QUANTISE_REASONS,
    SERVING_MODEL_PATH,
    TARGET,
    TASK,
    THRESHOLD,
    answer,
    capacity,
    capacity_doc,
    curl_single,
    data_lines,
    family,
    figure,
    image,
    inputs_text,
    int8_metrics,
    int8_quantised,
    limitations,
    md_table,
    model_files,
    model_version,
    parity_int8,
    pipeline_text,
    request_doc,
    sample_response,
    serve_module,
    title,
)

# %% [parameters]
REQUEST = None

# isort: split
# %% Fill in API.md: how to call the app, what it answers (the answer to the sample request included), its errors
# and the measured capacity.
import platform
import string


def fill_in(name, **values):
    """Fill in the template the bundle's file ``name`` holds (written above) with ``values``; return the text."""
    path = BUNDLE_DIR / name
    text = string.Template(path.read_text()).substitute(**values)
    path.write_text(text)
    return text


if TASK == "classification":
    response_doc = ("`predictions`: one class name per row"
                    + (f" (`{CLASSES[POS_LABEL]}` when its probability is at least {THRESHOLD:.3g})"
                       if THRESHOLD is not None and POS_LABEL is not None else "")
                    + "; `probabilities`: one list per row, in the order of `classes`; `model_version`: the "
                    "first 12 hex digits of the model file's SHA-256.")
else:
    response_doc = (f"`predictions`: one number per row (the predicted `{TARGET}`); `model_version`: the first 12 "
                    "hex digits of the model file's SHA-256.")
response_doc += "\n\nThe answer to the sample request:\n\n```json\n" + json.dumps(
    {**answer.json(), "model_version": model_version}, indent=2) + "\n```"
fill_in("API.md", title=title, image=image, max_rows=serve_module.MAX_ROWS,
        max_body_bytes=serve_module.MAX_BODY_BYTES, request_doc=request_doc, response_doc=response_doc,
        model_file=SERVING_MODEL_PATH.name, curl_single=curl_single,
        sample_predictions=json.dumps(sample_response["predictions"]), capacity_doc=capacity_doc)

# %% Fill in model_card.md: the request it was built for, the model, its data, its metrics and agreement with the
# ONNX files, the constraint table, the capacity and the limitations.
import html


def quoted(text):
    """``text`` as a Markdown block quote it cannot break out of: every line quoted, HTML and Markdown escaped."""
    lines = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = re.sub(r"([\\`*_\[\]|~$])", r"\\\1", html.escape(line.strip(), quote=False))
        lines.append(("> " + re.sub(r"^(\d*)([#+=.)-])", r"\1\\\2", line)).rstrip())
    return "\n".join(lines)


request_text = REQUEST or "(no request text was recorded)"
model_rows = [("family", family), ("pipeline", pipeline_text), ("parameters", figure(N_PARAMETERS)),
              ("ONNX model", f"`{ONNX_PATH.name}`, {ONNX_PATH.stat().st_size:,} bytes")]
if INT8_PATH is not None:
    model_rows.append(("int8 model", f"`{INT8_PATH.name}`, {INT8_PATH.stat().st_size:,} bytes; made because "
                       + "; ".join(QUANTISE_REASONS)))
model_rows += [("served", f"`{SERVING_MODEL_PATH.name}` (version `{model_version}`)"), ("inputs", inputs_text)]
if THRESHOLD is not None and POS_LABEL is not None:
    model_rows.append(("decision threshold", f"{THRESHOLD:.3g} on `{CLASSES[POS_LABEL]}`"))
metric_rows = [(name, figure(value)) for name, value in METRICS.items()]
metrics_doc = md_table(("metric", "trained model"), metric_rows) if metric_rows else "(not recorded)"
parity_rows = [("`model.onnx`", f"{PARITY['label_agreement']:.2%}",
                figure(PARITY.get("max_prob_diff", PARITY.get("max_abs_diff"))))]
if parity_int8:
    parity_rows.append(("`model.int8.onnx`", f"{parity_int8['label_agreement']:.2%}",
                        figure(parity_int8.get("max_prob_diff", parity_int8.get("max_abs_diff")))))
metrics_doc += ("\n\nAgreement of the ONNX models with the trained one on the test rows:\n\n"
                + md_table(("file", "same prediction", "largest " + ("probability" if TASK == "classification"
                                                                    else "absolute") + " difference"), parity_rows))
if int8_metrics:
    metrics_doc += "\n\nScored on the test split, the int8 model: " + ", ".join(
        f"{k} {figure(v)}" for k, v in int8_metrics.items())
constraint_rows = [(row["name"], row["target"], figure(row["actual"]), "yes" if row["met"] else "**no**")
                   for row in CONSTRAINT_ROWS]
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
fill_in("model_card.md", title=title, intended_use=f"Built for this request:\n\n{quoted(request_text)}",
        model_rows="\n".join(f"| {k} | {v} |" for k, v in model_rows), data_doc="\n".join(data_lines),
        metrics_doc=metrics_doc, constraints_doc=constraints_doc, capacity_doc=capacity_doc,
        limitations_doc="\n".join(f"- {text}" for text in limitations))

# %% Fill in the Dockerfile: the Python this notebook ran, the container memory and capacity it measured, and the
# model files to copy.
dockerfile = fill_in(
    "Dockerfile", image=image, python_version=f"{sys.version_info.major}.{sys.version_info.minor}",
    container_memory_mb=math.ceil(capacity["container_memory_mb"] or capacity["replica_memory_mb"] * 1.25),
    replica_memory_mb=capacity["replica_memory_mb"], qps_per_replica=capacity["qps_per_replica"],
    replicas_for_target=(f"{capacity['replicas_for_target']} replica(s) for {capacity['target_qps']:g} QPS"
                         if capacity["replicas_for_target"] else "replicas as the load needs"),
    model_files=" ".join(model_files))
print(dockerfile.split("\nFROM")[0])
