"""Measure the float ONNX model against the request's latency targets, and list why int8 is needed, if it is."""
# ruff: noqa: E402  (as in the notebook: a cell's parameters come first, its imports after them)

# %% [context]
from .context import ONNX_PATH, REQUIREMENTS, X_test, describe_latency, measure_latency

# %% [parameters]
ONE_ITEM = "single-row"
LATENCY_SECONDS = 5.0

# isort: split
# %% Quantise to int8 when the request asks for it, or when the float model misses a latency target: its
# single-item p50 and p99 measured in rounds (up to 500 calls in all, as many as fit in LATENCY_SECONDS), the median
# of the rounds against the request's targets, and measured again after a pause where one is missed (a busy
# machine's figure alone does not decide).
import operator

ops = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
QUANTISE_REASONS = ["the request asks for int8"] if REQUIREMENTS.get("quantize_int8") else []
float_checks = {}
latency_targets = [c for c in REQUIREMENTS.get("constraints", []) if c["name"] in ("p50_ms", "p99_ms")]
if latency_targets:
    float_latency = measure_latency(ONNX_PATH, X_test, latency_targets, 500, LATENCY_SECONDS)
    print("The float model: " + describe_latency(float_latency, ONE_ITEM))
    for c in latency_targets:
        measured = float(float_latency[c["name"]])
        float_checks[c["name"]] = round(measured, 4)
        if not ops[c["op"]](measured, c["value"]):
            QUANTISE_REASONS.append(f"the float model's {ONE_ITEM} {c['name'][:3]} is {measured:.3f} ms, "
                                    f"over the target {c['op']} {c['value']:g} ms")
