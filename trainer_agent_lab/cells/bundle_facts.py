"""The facts the bundle's documents state, all measured or defined by the cells above."""

# %% [context]
import json

from .context import BUNDLE_DIR, EXTRA_SERVING_FILES, INT8_PATH, ONNX_PATH, PARAMS, SERVING_MODEL_PATH

# isort: split
# %% [hidden] How the documents show tables and measured values.
import hashlib


def md_table(header, rows):
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows])


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


# %% The facts the documents state, all measured or defined by the cells above: the model, its files and version,
# and the capacity the capacity cell measured.
family = PARAMS["family"]
image = "model-server"
capacity = json.loads((BUNDLE_DIR / "capacity.json").read_text())
model_version = hashlib.sha256(SERVING_MODEL_PATH.read_bytes()).hexdigest()[:12]
model_files = [ONNX_PATH.name] + ([INT8_PATH.name] if INT8_PATH is not None else []) + list(EXTRA_SERVING_FILES)
capacity_doc = "\n".join([
    f"- model alone, single row: p50 {figure(capacity['p50_ms'], 'ms')}, p99 {figure(capacity['p99_ms'], 'ms')}; "
    f"batches of {capacity['batch_rows']}: {figure(capacity['batch_rows_per_s'])} rows/s",
    f"- over HTTP, {capacity['load_requests']} requests {capacity['concurrency']} at a time: "
    f"{figure(capacity['qps_per_replica'])} requests/s per replica, p50 {figure(capacity['http_p50_ms'], 'ms')}, "
    f"p99 {figure(capacity['http_p99_ms'], 'ms')}",
    f"- verified: a steady {figure(capacity['verified_qps'])} requests/s ({capacity['headroom']:.0%} of that) had "
    f"p99 {figure(capacity['verified_p99_ms'], 'ms')} "
    + (f"(target {figure(capacity['verified_p99_target_ms'], 'ms')})" if capacity.get("verified_p99_asked")
       else "(the full-load run's p99; no latency was asked for)"),
    f"- peak memory of one replica: {figure(capacity['replica_memory_mb'], 'MB')}"
    + (f", {capacity['replica_processes']} processes together (serve.py and the worker processes that predict, "
       "each with its own copy of the model)" if (capacity.get("replica_processes") or 1) > 1 else "")
    + (f" (container: {figure(capacity['container_memory_mb'], 'MB')})" if capacity["container_memory_mb"] else ""),
    f"- replicas for {figure(capacity['target_qps'])} QPS: {capacity['replicas_for_target']}"
    if capacity["replicas_for_target"] else "- no target QPS was given",
    "", capacity["capacity_advice"]])
