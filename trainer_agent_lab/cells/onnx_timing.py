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
# the timing too, because the bundle does that work per request (texts). Given seconds, the timing runs for a time
# rather than a count of calls, so a slow model (a wide table's: one input per column) keeps to its budget.
def onnx_session(path):
    """An onnxruntime session on the CPU, set up as serve.py sets it up: one thread per request."""
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = 1, 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def single_row_ms(path, items, calls, warmup=50, seconds=None, min_calls=200):
    """Milliseconds of one-item predictions, cycling over the first 200 items: ``calls`` of them after ``warmup``;
    with ``seconds``, as many as fit in that time (setting up and warming up included), at least ``min_calls``
    (for a steady p99) and at most ``calls``, and no call that would end past 1.5 times ``seconds``. With TIMED_FEED
    the feed is built inside the timing (the bundle does that work per request)."""
    began = time.perf_counter()
    soft = began + (seconds if seconds else float("inf"))
    hard = began + (1.5 * seconds if seconds else float("inf"))
    session = onnx_session(path)
    inputs = []
    for i in range(min(len(items), 200)):  # a wide table's rows take long to convert: as many as fit a fifth
        row = items.iloc[[i]] if hasattr(items, "iloc") else items[i:i + 1]
        inputs.append(row if TIMED_FEED else to_onnx_feed(row))
        if time.perf_counter() > began + 0.2 * (soft - began):
            break

    def predict(item):
        return session.run(None, to_onnx_feed(item) if TIMED_FEED else item)

    for i in range(warmup):
        predict(inputs[i % len(inputs)])
        if i >= 2 and time.perf_counter() > began + 0.3 * (soft - began):
            break
    times = []
    while len(times) < calls:
        now = time.perf_counter()
        if times and (now + times[-1] / 1000 > hard or (now > soft and len(times) >= min_calls)):
            break
        predict(inputs[len(times) % len(inputs)])
        times.append((time.perf_counter() - now) * 1000)
    return np.asarray(times)
