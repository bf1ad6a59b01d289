"""Peak memory (MB) of a fresh process that imports what serve.py imports, loads an ONNX model and predicts.

    python memory_probe.py MODEL.onnx < columns.json      # {onnx input name: [value, ...]}; prints the MB

The tabular export cell writes this file, runs it once on the float model (to judge it against the request's
container memory) and deletes it: a scratch script, not part of the bundle.
"""

import json
import sys

import fastapi  # noqa: F401  (imported for its memory, as serve.py imports it)
import numpy as np
import onnxruntime as ort
import prometheus_client  # noqa: F401
import uvicorn  # noqa: F401

columns = json.load(sys.stdin)
options = ort.SessionOptions()
options.intra_op_num_threads = 1
session = ort.InferenceSession(sys.argv[1], options, providers=["CPUExecutionProvider"])
feed = {}
for inp in session.get_inputs():
    values = columns[inp.name]
    if inp.type == "tensor(string)":
        feed[inp.name] = np.array(values, dtype=object).reshape(-1, 1)
    else:
        feed[inp.name] = np.array([np.nan if v is None else v for v in values], dtype=np.float32).reshape(-1, 1)
rows = len(next(iter(feed.values())))
for i in range(100):
    session.run(None, {name: array[i % rows : i % rows + 1] for name, array in feed.items()})
session.run(None, feed)
try:  # Linux: this process's own high-water mark (ru_maxrss would carry over the parent's through fork)
    with open("/proc/self/status") as status:
        print(int(next(line.split()[1] for line in status if line.startswith("VmHWM:"))) / 1024)
except OSError:
    import psutil

    print(psutil.Process().memory_info().rss / 2**20)
