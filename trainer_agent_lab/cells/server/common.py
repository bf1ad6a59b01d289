"""Pieces of cell source every kind's Server cells share (tables, texts, images), so the three say them once.

* :data:`ONNX_TIMING` — ``onnx_session(path)`` (one thread, as ``serve.py`` runs it) and
  ``single_row_ms(path, items, calls, warmup)``; it needs ``to_onnx_feed`` and the parameter ``TIMED_FEED``:
  True where the bundle prepares the model's input in Python (texts), so that work is timed too.
* :data:`LATENCY_CHECKS` — ``ops``, ``QUANTISE_REASONS`` and ``float_checks`` from the request's latency targets,
  measured once on the float model (needs ``ONE_ITEM``, e.g. ``"single-row"``, for the reason's wording).
* :data:`SERVING_HEAD` / :data:`SERVING_TAIL` — ``write_json``; then ``sample_response.json`` and the closing
  report of a serving cell (needs ``sample_response``; lists ``EXTRA_SERVING_FILES`` where defined).
"""

from __future__ import annotations

ONNX_TIMING = '''
def onnx_session(path):
    """An onnxruntime session on the CPU, set up as serve.py sets it up: one thread per request."""
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = 1, 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def single_row_ms(path, items, calls, warmup=50):
    """Milliseconds of ``calls`` one-item predictions (after ``warmup``), cycling over the first 200 items; with
    TIMED_FEED the feed is built inside the timing (the bundle does that work per request)."""
    session = onnx_session(path)
    rows = [items.iloc[[i]] if hasattr(items, "iloc") else items[i:i + 1] for i in range(min(len(items), 200))]
    inputs = rows if TIMED_FEED else [to_onnx_feed(row) for row in rows]

    def predict(item):
        return session.run(None, to_onnx_feed(item) if TIMED_FEED else item)

    for i in range(warmup):
        predict(inputs[i % len(inputs)])
    times = np.empty(calls)
    for i in range(calls):
        start = time.perf_counter()
        predict(inputs[i % len(inputs)])
        times[i] = (time.perf_counter() - start) * 1000
    return times
'''

LATENCY_CHECKS = '''
ops = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
QUANTISE_REASONS = ["the request asks for int8"] if REQUIREMENTS.get("quantize_int8") else []
float_checks = {}
latency_targets = [c for c in REQUIREMENTS.get("constraints", []) if c["name"] in ("p50_ms", "p99_ms")]
if latency_targets:
    float_ms = single_row_ms(ONNX_PATH, X_test, 300)
    for c in latency_targets:
        measured = float(np.percentile(float_ms, 50 if c["name"] == "p50_ms" else 99))
        float_checks[c["name"]] = round(measured, 4)
        if not ops[c["op"]](measured, c["value"]):
            QUANTISE_REASONS.append(f"the float model's {ONE_ITEM} {c['name'][:3]} is {measured:.3f} ms, "
                                    f"over the target {c['op']} {c['value']:g} ms")
'''

SERVING_HEAD = '''
def write_json(name, payload):
    (BUNDLE_DIR / name).write_text(json.dumps(payload, indent=2) + "\\n")
'''

SERVING_TAIL = '''
write_json("sample_response.json", sample_response)
serving_files = ["serve.py", "feature_schema.json", "label_map.json", SERVING_MODEL_PATH.name,
                 "sample_request.json", "sample_response.json", *globals().get("EXTRA_SERVING_FILES", [])]
print(f"{BUNDLE_DIR}/ can serve now: {', '.join(serving_files)}")
print(f"serving {SERVING_MODEL_PATH.name}; try it: cd {BUNDLE_DIR} && python serve.py --port 8000")
_report(serving_model=SERVING_MODEL_PATH.name, files=serving_files, sample_predictions=sample_response["predictions"])
'''
