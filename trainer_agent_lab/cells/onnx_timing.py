"""Time single-item predictions of an ONNX model the way the bundle's serve.py runs it (one thread)."""

# %% [context]
import time

import numpy as np
import onnxruntime as ort

from .context import to_onnx_feed

# %% [parameters]
TIMED_FEED = False


# %% How the model is timed here: an onnxruntime session on the CPU set up as serve.py sets it up (one thread per
# request), and the milliseconds of single-item predictions. With TIMED_FEED the model's input is built inside
# the timing too, because the bundle does that work per request (texts).
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
