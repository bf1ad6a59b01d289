"""Measure the float ONNX model against the request's latency targets, and list why int8 is needed, if it is."""
# ruff: noqa: E402  (as in the notebook: a cell's parameters come first, its imports after them)

# %% [context]
import numpy as np

from .context import ONNX_PATH, REQUIREMENTS, X_test, single_row_ms

# %% [parameters]
ONE_ITEM = "single-row"
LATENCY_SECONDS = 5.0

# isort: split
# %% Quantise to int8 when the request asks for it, or when the float model misses a latency target: its
# single-item p50 and p99, measured here once (up to 300 calls, as many as fit in LATENCY_SECONDS, at least 200),
# against the request's targets.
import operator

ops = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
QUANTISE_REASONS = ["the request asks for int8"] if REQUIREMENTS.get("quantize_int8") else []
float_checks = {}
latency_targets = [c for c in REQUIREMENTS.get("constraints", []) if c["name"] in ("p50_ms", "p99_ms")]
if latency_targets:
    float_ms = single_row_ms(ONNX_PATH, X_test, 300, seconds=LATENCY_SECONDS)
    print(f"The float model: {len(float_ms)} {ONE_ITEM} calls timed, p50 {np.percentile(float_ms, 50):.3f} ms, "
          f"p99 {np.percentile(float_ms, 99):.3f} ms.")
    for c in latency_targets:
        measured = float(np.percentile(float_ms, 50 if c["name"] == "p50_ms" else 99))
        float_checks[c["name"]] = round(measured, 4)
        if not ops[c["op"]](measured, c["value"]):
            QUANTISE_REASONS.append(f"the float model's {ONE_ITEM} {c['name'][:3]} is {measured:.3f} ms, "
                                    f"over the target {c['op']} {c['value']:g} ms")
