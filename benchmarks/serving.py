"""Serving benchmark: ONNX Runtime against the native models, and the HTTP overhead of the bundle's serve.py.

    python benchmarks/serving.py [--out benchmarks/serving_results.md] [--calls 2000]

Everything runs in this one process, side by side, rounds of each contender interleaved so drift hits all
alike (the HTTP server is necessarily a process of its own: serve.py from a bundle that the Server agent's
cells wrote, on 127.0.0.1 only):

1. Tabular pipelines as the Model agent builds them (preprocessing + estimator): single-row p50 of
   scikit-learn (``predict_proba``/``predict`` on a one-row DataFrame) against the same pipeline converted by
   the export cell, in ONNX Runtime with one thread as serve.py runs it. Aim: ONNX Runtime >= 3x faster.
2. PyTorch eager (``torch.inference_mode``, one thread) against ``torch.onnx.export`` with a dynamic batch axis.
3. HTTP: p50 of single-row ``POST /predict`` on a kept-alive loopback connection minus the in-process ONNX
   Runtime p50 on the same rows: what HTTP, JSON and validation add. Aim: under 1 ms.
4. Load: ``GET /health`` p50/p99 while N clients (8 by default, a process of their own) send 1,000-row
   ``POST /predict`` requests back to back: the event loop must stay free. Aim: /health p99 under 10 ms.
   ``--baseline-serve FILE`` measures another serve.py the same way, side by side (rounds alternate), e.g. the
   last commit's: ``git show HEAD:trainer_agent_lab/bundle/model_server.py > /tmp/serve_before.py``.

Writes markdown tables to ``--out`` and prints them; ``--sections load`` (say) measures only those sections and
keeps the others as the file has them.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from trainer_agent_lab.bundle import table_features  # noqa: E402
from trainer_agent_lab.cells import render  # noqa: E402
from trainer_agent_lab.kinds.tables.server_cells import export_onnx_cell, parity_cell, serving_app_cell  # noqa: E402

SEED = 0
ROUNDS = 5


def p50_of(runners: dict[str, Callable[[int], None]], calls: int) -> dict[str, float]:
    """Median milliseconds per call of each runner; ``runner(i)`` makes call number i. Rounds interleave."""
    per_round = max(calls // ROUNDS, 1)
    times: dict[str, list[float]] = {name: [] for name in runners}
    for run in runners.values():  # warm-up
        for i in range(50):
            run(i)
    for _ in range(ROUNDS):
        for name, run in runners.items():
            for i in range(per_round):
                start = time.perf_counter()
                run(i)
                times[name].append(time.perf_counter() - start)
    return {name: float(np.median(values) * 1000) for name, values in times.items()}


# -- 1. tabular pipelines -------------------------------------------------------------------------------------
def pipeline(estimator: Any, numeric: list[str], categorical: list[str], scale: bool) -> Pipeline:
    """The Model agent's shape: impute (+ scale) numbers, one-hot text, then the estimator."""
    steps = [("impute", SimpleImputer(strategy="median"))] + ([("scale", StandardScaler())] if scale else [])
    parts = [("num", Pipeline(steps), numeric)]
    if categorical:
        parts.append(("cat", OneHotEncoder(handle_unknown="ignore"), categorical))
    return Pipeline([("prep", ColumnTransformer(parts)), ("est", estimator)])


def breast_cancer() -> tuple[pd.DataFrame, np.ndarray, list[str], str]:
    data = load_breast_cancer(as_frame=True)
    frame = data.data.rename(columns=lambda c: c.replace(" ", "_"))
    return frame, data.target.to_numpy(), [], "classification"


def diabetes_mixed() -> tuple[pd.DataFrame, np.ndarray, list[str], str]:
    data = load_diabetes(as_frame=True, scaled=False)
    frame = data.data.copy()
    frame["sex"] = np.where(frame["sex"] > 1.5, "male", "female").astype(object)
    return frame, data.target.to_numpy(dtype=float), ["sex"], "regression"


def kernel_namespace(frame: pd.DataFrame, y: np.ndarray, categorical: list[str], task: str,
                     estimator: Any, scale: bool) -> dict[str, Any]:
    """What the earlier cells of a notebook leave in the kernel, for the Server agent's cells."""
    numeric = [c for c in frame.columns if c not in categorical]
    X_train, X_test, y_train, y_test = train_test_split(frame, y, test_size=0.3, random_state=SEED)
    model = pipeline(estimator, numeric, categorical, scale).fit(X_train, y_train)
    classes = [str(c) for c in np.unique(y)] if task == "classification" else None
    from sklearn import metrics as skm

    requirements = {"constraints": [], "qps": None, "container_memory_mb": None, "quantize_int8": False}
    ns: dict[str, Any] = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):
        render.run_cells(render.render("cells/setup", SEED=SEED, REQUIREMENTS=requirements), ns)
    ns.update({"_report": lambda **kw: None, "time": time, "skm": skm, "SimpleImputer": SimpleImputer,
               "TASK": task, "TARGET": "target", "MISSING_CATEGORY": "missing",
               "NUMERIC_FEATURES": numeric, "CATEGORICAL_FEATURES": categorical, "X_train": X_train,
               "X_test": X_test.reset_index(drop=True), "y_train": y_train, "y_test": y_test, "model": model,
               "CLASSES": classes, "POS_LABEL": None, "THRESHOLD": None, "PARAMS": {"family": "benchmark"},
               "DATA_REF": "benchmark", "METRICS": {}, "N_PARAMETERS": 0, "CONSTRAINT_ROWS": [], "ORIGINAL_NAMES": {},
               "table_features": table_features, "RECIPE": table_features.plain_recipe(numeric, categorical),
               "X_test_raw": X_test.reset_index(drop=True)})
    return ns


def run_cells(ns: dict[str, Any], *steps: list[render.Cell]) -> None:
    """Run the Server agent's cells as a kernel would (their printed output is not shown)."""
    with contextlib.redirect_stdout(io.StringIO()):
        for cells in steps:
            render.run_cells(cells, ns)


TABULAR = [
    ("breast_cancer", breast_cancer, "logistic_regression", lambda: LogisticRegression(max_iter=2000), True),
    ("breast_cancer", breast_cancer, "random_forest (100 trees)",
     lambda: RandomForestClassifier(n_estimators=100, max_depth=8, random_state=SEED), False),
    ("breast_cancer", breast_cancer, "hist_gradient_boosting",
     lambda: HistGradientBoostingClassifier(max_iter=100, random_state=SEED), False),
    ("breast_cancer", breast_cancer, "mlp (64)",
     lambda: MLPClassifier(hidden_layer_sizes=(64,), max_iter=1000, random_state=SEED), True),
    ("diabetes + text column", diabetes_mixed, "ridge", lambda: Ridge(), True),
    ("diabetes + text column", diabetes_mixed, "random_forest (100 trees)",
     lambda: RandomForestRegressor(n_estimators=100, max_depth=8, random_state=SEED), False),
]


def tabular_case(load: Callable, make: Callable, scale: bool, calls: int, workdir: Path) -> dict[str, float]:
    """p50 of the scikit-learn pipeline and of its ONNX export (written by the export cell)."""
    frame, y, categorical, task = load()
    ns = kernel_namespace(frame, y, categorical, task, make(), scale)
    os.chdir(workdir)
    run_cells(ns, export_onnx_cell())
    session = ns["onnx_session"](ns["ONNX_PATH"])
    frames = [ns["X_test"].iloc[[i]] for i in range(min(len(ns["X_test"]), 100))]
    feeds = [ns["to_onnx_feed"](f) for f in frames]
    native = ns["model"].predict_proba if task == "classification" else ns["model"].predict
    return p50_of({"native": lambda i: native(frames[i % len(frames)]),
                   "onnx": lambda i: session.run(None, feeds[i % len(feeds)])}, calls)


def bench_tabular(calls: int, workdir: Path) -> list[dict[str, Any]]:
    rows = []
    for data_name, load, family, make, scale in TABULAR:
        result = tabular_case(load, make, scale, calls, workdir)
        rows.append({"data": data_name, "model": family, "native": "scikit-learn", "native_p50_ms": result["native"],
                     "onnx_p50_ms": result["onnx"], "speedup": result["native"] / result["onnx"]})
        print(f"{data_name:>24} {family:<26} sklearn {result['native']:.4f} ms  onnxruntime "
              f"{result['onnx']:.4f} ms  x{result['native'] / result['onnx']:.1f}", flush=True)
    return rows


# -- 2. PyTorch ---------------------------------------------------------------------------------------------
def bench_torch(calls: int) -> list[dict[str, Any]]:
    try:
        import torch
    except ImportError:
        print("torch is not installed: PyTorch rows skipped")
        return []
    torch.manual_seed(SEED)
    torch.set_num_threads(1)

    class Encoder(torch.nn.Module):
        """A small transformer text classifier: embeddings, 2 encoder layers, mean pooling, a linear head."""

        def __init__(self) -> None:
            super().__init__()
            self.embed = torch.nn.Embedding(5000, 128)
            layer = torch.nn.TransformerEncoderLayer(128, 4, 256, dropout=0.0, batch_first=True)
            self.encoder = torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
            self.head = torch.nn.Linear(128, 2)

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            return torch.softmax(self.head(self.encoder(self.embed(ids)).mean(dim=1)), dim=-1)

    cases = [
        ("MLP 30-256-128-2", torch.nn.Sequential(torch.nn.Linear(30, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                                                 torch.nn.ReLU(), torch.nn.Linear(128, 2), torch.nn.Softmax(dim=1)),
         torch.randn(100, 1, 30)),
        ("transformer encoder (2 layers, d=128, 32 tokens)", Encoder(), torch.randint(0, 5000, (100, 1, 32))),
    ]
    rows = []
    for name, model, inputs in cases:
        result = torch_case(name, model, inputs, calls)
        rows.append({"data": "random inputs", "model": name, "native": f"PyTorch {torch.__version__} eager",
                     "native_p50_ms": result["native"], "onnx_p50_ms": result["onnx"],
                     "speedup": result["native"] / result["onnx"]})
        print(f"{name:>51} torch {result['native']:.4f} ms  onnxruntime {result['onnx']:.4f} ms  "
              f"x{result['native'] / result['onnx']:.1f}", flush=True)
    return rows


def torch_case(name: str, model: Any, inputs: Any, calls: int) -> dict[str, float]:
    """p50 of a PyTorch module in eager mode and of its torch.onnx export (dynamic batch axis)."""
    import onnxruntime as ort
    import torch

    model.eval()
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (inputs[0],), buffer, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}, dynamo=False)
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = 1, 1
    session = ort.InferenceSession(buffer.getvalue(), options, providers=["CPUExecutionProvider"])
    feeds = [{"x": x.numpy()} for x in inputs]
    with torch.inference_mode():
        batch = torch.cat(list(inputs[:4]))  # the batch axis really is dynamic
        assert np.allclose(session.run(None, {"x": batch.numpy()})[0], model(batch).numpy(), atol=1e-4), name
        return p50_of({"native": lambda i: model(inputs[i % len(inputs)]),
                       "onnx": lambda i: session.run(None, feeds[i % len(feeds)])}, calls)


# -- 3. HTTP overhead ---------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_http(calls: int, workdir: Path) -> list[dict[str, Any]]:

    rows = []
    for data_name, load, family, make, scale in (TABULAR[0], TABULAR[5]):
        case_dir = workdir / f"http-{len(rows)}"
        case_dir.mkdir()
        result = http_case(load, make, scale, calls, case_dir)
        rows.append({"data": data_name, "model": family, "onnx_p50_ms": result["onnx"],
                     "http_p50_ms": result["http"], "overhead_ms": result["http"] - result["onnx"],
                     "httpx_p50_ms": result["httpx"], "httpx_overhead_ms": result["httpx"] - result["onnx"]})
        print(f"{data_name:>24} {family:<26} onnxruntime {result['onnx']:.4f} ms  HTTP {result['http']:.3f} ms "
              f"(+{result['http'] - result['onnx']:.3f} ms)  via httpx {result['httpx']:.3f} ms", flush=True)
    return rows


def write_bundle(load: Callable, make: Callable, scale: bool, case_dir: Path) -> dict[str, Any]:
    """Train the pipeline and run the Server agent's export, parity and serving cells in ``case_dir``: its
    ``bundle/`` then holds serve.py and what it reads. Returns the kernel namespace."""
    frame, y, categorical, task = load()
    ns = kernel_namespace(frame, y, categorical, task, make(), scale)
    os.chdir(case_dir)
    run_cells(ns, export_onnx_cell(), parity_cell(), serving_app_cell())
    return ns


def http_case(load: Callable, make: Callable, scale: bool, calls: int, case_dir: Path) -> dict[str, float]:
    """p50 of session.run in this process, and of POST /predict to the bundle's serve.py on 127.0.0.1."""
    import httpx

    ns = write_bundle(load, make, scale, case_dir)
    session = ns["onnx_session"](ns["SERVING_MODEL_PATH"])
    X_test = ns["X_test"]
    feeds = [ns["to_onnx_feed"](X_test.iloc[[i]]) for i in range(min(len(X_test), 100))]
    bodies = [json.dumps({"row": row}).encode() for row in ns["request_rows"](X_test.head(100))]
    headers = {"Content-Type": "application/json"}
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAINER_AGENT_")}
    server = subprocess.Popen([sys.executable, "serve.py", "--host", "127.0.0.1", "--port", str(port)],
                              cwd=case_dir / "bundle", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}")
    try:
        for _ in range(300):  # bounded wait for /health
            try:
                conn.request("GET", "/health")
                reply = conn.getresponse()
                reply.read()
                if reply.status == 200:
                    break
            except OSError:
                conn.close()
                time.sleep(0.1)
        else:
            raise RuntimeError("serve.py did not start")

        def over_http(i: int) -> None:
            conn.request("POST", "/predict", bodies[i % len(bodies)], headers)
            reply = conn.getresponse()
            reply.read()
            assert reply.status == 200

        def over_httpx(i: int) -> None:
            assert client.post("/predict", content=bodies[i % len(bodies)], headers=headers).status_code == 200

        return p50_of({"onnx": lambda i: session.run(None, feeds[i % len(feeds)]), "http": over_http,
                       "httpx": over_httpx}, calls)
    finally:
        client.close()
        conn.close()
        server.terminate()
        server.wait(timeout=10)


# -- 4. /health under load ------------------------------------------------------------------------------------
#: The load generator, run as a process of its own (its threads would otherwise slow this one's probes):
#: argv = port, clients, seconds, body file. Prints {"requests", "statuses", "seconds"} as JSON.
LOAD_CLIENT = r"""
import http.client, json, sys, threading, time
port, clients, seconds, body = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), open(sys.argv[4], "rb").read()
statuses, lock, deadline = {}, threading.Lock(), time.monotonic() + seconds
def hammer():
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    while time.monotonic() < deadline:
        conn.request("POST", "/predict", body, {"Content-Type": "application/json"})
        reply = conn.getresponse()
        reply.read()
        with lock:
            statuses[reply.status] = statuses.get(reply.status, 0) + 1
    conn.close()
threads = [threading.Thread(target=hammer) for _ in range(clients)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({"requests": sum(statuses.values()), "statuses": statuses, "seconds": seconds}))
"""
LOAD_ROWS = 1000


def start_serve(bundle_dir: Path) -> tuple[subprocess.Popen, int]:
    """serve.py of ``bundle_dir`` on a free port of 127.0.0.1 (no TRAINER_AGENT_* settings), once /health answers."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAINER_AGENT_")}
    server = subprocess.Popen([sys.executable, "serve.py", "--host", "127.0.0.1", "--port", str(port)],
                              cwd=bundle_dir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):  # bounded wait (~30 s)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                conn.close()
                return server, port
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"serve.py in {bundle_dir} did not start")


def probe_health(port: int, seconds: float, gap: float = 0.005) -> list[float]:
    """Milliseconds of each ``GET /health`` sent one at a time, ``gap`` s apart, for ``seconds``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times: list[float] = []
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            start = time.perf_counter()
            conn.request("GET", "/health")
            reply = conn.getresponse()
            reply.read()
            times.append((time.perf_counter() - start) * 1000)
            assert reply.status == 200, reply.status
            time.sleep(gap)
    finally:
        conn.close()
    return times


def load_round(bundle_dir: Path, body_file: Path, clients: int, seconds: float) -> dict[str, Any]:
    """One round on one serve.py: /health idle for 2 s, then under load for ``seconds`` (after 1 s of warm-up)."""
    server, port = start_serve(bundle_dir)
    try:
        idle = probe_health(port, 2.0)
        # niced: the clients stand for other machines, and must not take the server's CPU from it
        load = subprocess.Popen(["nice", "-n", "10", sys.executable, "-c", LOAD_CLIENT, str(port), str(clients),
                                 str(seconds + 1.5), str(body_file)], stdout=subprocess.PIPE, text=True)
        time.sleep(1.0)
        loaded = probe_health(port, seconds)
        out, _ = load.communicate(timeout=seconds + 120)
        return {"idle": idle, "loaded": loaded, **json.loads(out)}
    finally:
        server.terminate()
        server.wait(timeout=10)


def bench_load(workdir: Path, clients: int, seconds: float, rounds: int, baseline: Path | None) -> list[dict[str, Any]]:
    """/health p50/p99 with ``clients`` back-to-back 1,000-row /predict senders, for this serve.py and the
    baseline's (same bundle; rounds alternate)."""
    data_name, load, family, make, scale = TABULAR[1]
    case_dir = workdir / "load"
    case_dir.mkdir()
    ns = write_bundle(load, make, scale, case_dir)
    rows = ns["request_rows"](ns["X_test"])
    body_file = case_dir / "rows.json"
    body_file.write_text(json.dumps({"rows": [rows[i % len(rows)] for i in range(LOAD_ROWS)]}))
    contenders = {"this serve.py": case_dir / "bundle"}
    if baseline is not None:
        shutil.copytree(case_dir / "bundle", case_dir / "baseline")
        shutil.copyfile(baseline, case_dir / "baseline" / "serve.py")
        contenders = {f"baseline ({baseline.name})": case_dir / "baseline", **contenders}
    seen: dict[str, dict[str, Any]] = {name: {"idle": [], "loaded": [], "requests": 0, "seconds": 0.0, "statuses": {}}
                                       for name in contenders}
    for _ in range(rounds):
        for name, bundle_dir in contenders.items():
            result = load_round(bundle_dir, body_file, clients, seconds)
            total = seen[name]
            total["idle"] += result["idle"]
            total["loaded"] += result["loaded"]
            total["requests"] += result["requests"]
            total["seconds"] += result["seconds"]
            for status, count in result["statuses"].items():
                total["statuses"][status] = total["statuses"].get(status, 0) + count
    out = []
    for name, total in seen.items():
        row = {"serve": name, "data": data_name, "model": family, "clients": clients, "rows": LOAD_ROWS,
               "idle_p50_ms": float(np.percentile(total["idle"], 50)),
               "idle_p99_ms": float(np.percentile(total["idle"], 99)),
               "p50_ms": float(np.percentile(total["loaded"], 50)), "p99_ms": float(np.percentile(total["loaded"], 99)),
               "max_ms": float(max(total["loaded"])), "probes": len(total["loaded"]),
               "predict_per_s": total["requests"] / total["seconds"], "statuses": total["statuses"],
               "load_average": os.getloadavg()[1] if hasattr(os, "getloadavg") else None}
        out.append(row)
        print(f"{name:>32}: /health p50 {row['p50_ms']:.2f} ms, p99 {row['p99_ms']:.2f} ms under {clients} clients "
              f"({row['predict_per_s']:.1f} predict/s, statuses {row['statuses']})", flush=True)
    return out


def versions() -> str:
    names = ["onnxruntime", "scikit-learn", "skl2onnx", "torch", "fastapi", "uvicorn", "httptools", "uvloop"]
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    return ", ".join(found)


NATIVE_TITLE = "## ONNX Runtime versus the native model (single-row p50)"
HTTP_TITLE = "## HTTP overhead of the bundle's serve.py"
LOAD_TITLE = "## /health while /predict is loaded"
SECTIONS = {"native": NATIVE_TITLE, "http": HTTP_TITLE, "load": LOAD_TITLE}


def header(calls: int, seconds: float) -> str:
    return "\n".join([
        "# Serving benchmark", "",
        f"`python benchmarks/serving.py` on {datetime.now(timezone.utc):%Y-%m-%d}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}; {versions()}. {calls} timed calls per "
        f"contender in {ROUNDS} interleaved rounds after 50 warm-up calls; single rows; one thread for "
        f"ONNX Runtime and PyTorch (a replica is one process; scale out with replicas). Took {seconds:.0f} s.", ""])


def native_section(tabular: list[dict], torch_rows: list[dict]) -> str:
    lines = [NATIVE_TITLE, "", "| data | model | native | native p50 ms | ONNX Runtime p50 ms | speed-up |",
             "|---|---|---|---|---|---|"]
    for row in tabular + torch_rows:
        lines.append(f"| {row['data']} | {row['model']} | {row['native']} | {row['native_p50_ms']:.4f} | "
                     f"{row['onnx_p50_ms']:.4f} | **{row['speedup']:.1f}x** |")
    if tabular:
        speedups = [row["speedup"] for row in tabular]
        lines += ["", f"Tabular pipelines: ONNX Runtime is {min(speedups):.1f}x to {max(speedups):.1f}x faster than "
                  f"scikit-learn (aim: at least 3x){'' if min(speedups) >= 3 else ' — NOT met for every pipeline'}."]
    return "\n".join(lines) + "\n"


def http_section(http_rows: list[dict]) -> str:
    lines = [HTTP_TITLE, "",
             "Single-row `POST /predict` over a kept-alive loopback connection (`http.client`), one request at a "
             "time, against `session.run` in this process on the same rows. The httpx column is the same with an "
             "httpx client, whose own cost is larger.", "",
             "| data | model | ONNX Runtime p50 ms | HTTP p50 ms | overhead ms | via httpx p50 ms |",
             "|---|---|---|---|---|---|"]
    for row in http_rows:
        lines.append(f"| {row['data']} | {row['model']} | {row['onnx_p50_ms']:.4f} | {row['http_p50_ms']:.3f} | "
                     f"**{row['overhead_ms']:.3f}** | {row['httpx_p50_ms']:.3f} |")
    if http_rows:
        worst = max(row["overhead_ms"] for row in http_rows)
        lines += ["", f"HTTP adds at most {worst:.3f} ms at p50 (aim: under 1 ms)"
                  + ("." if worst < 1 else " — NOT met.")]
    return "\n".join(lines) + "\n"


def load_section(load_rows: list[dict], seconds: float, rounds: int, took: float) -> str:
    first = load_rows[0]
    lines = [LOAD_TITLE, "",
             f"Measured {datetime.now(timezone.utc):%Y-%m-%d} on {os.cpu_count()} CPUs ({took:.0f} s). "
             f"{first['clients']} clients (threads of one process of their own, at nice 10: they stand for other "
             f"machines) send {first['rows']:,}-row "
             f"`POST /predict` requests back to back ({first['data']}, {first['model']}), each on its kept-alive "
             f"connection, while this process sends `GET /health` one at a time, 5 ms apart, for {seconds:g} s per "
             f"round ({rounds} rounds, the serve.py files alternating, each restarted per round; 1 s of load "
             "before the probes). Idle: the same probes for 2 s before the load."
             + (f" The machine's 5-minute load average (other work beside this) was {first['load_average']:.1f} at "
                "the end." if first.get("load_average") is not None else ""), "",
             "| serve.py | /health p50 ms | /health p99 ms | /health max ms | idle p50 / p99 ms | probes | "
             "/predict answered per s |", "|---|---|---|---|---|---|---|"]
    for row in load_rows:
        lines.append(f"| {row['serve']} | {row['p50_ms']:.2f} | **{row['p99_ms']:.2f}** | {row['max_ms']:.1f} | "
                     f"{row['idle_p50_ms']:.2f} / {row['idle_p99_ms']:.2f} | {row['probes']} | "
                     f"{row['predict_per_s']:.1f} |")
    mine = load_rows[-1]
    lines += ["", f"This serve.py: /health p99 {mine['p99_ms']:.2f} ms under load (aim: under 10 ms)"
              + ("." if mine["p99_ms"] < 10 else " — NOT met.")]
    return "\n".join(lines) + "\n"


def merged(previous: str, head: str, sections: dict[str, str]) -> str:
    """The results file: ``head`` (or the previous one's, when only some sections ran) and every section,
    those measured now in place of the previous ones, the others as they were."""
    parts = re.split(r"(?m)^(?=## )", previous) if previous else [""]
    kept = {part.splitlines()[0]: part.rstrip("\n") + "\n" for part in parts[1:]}
    order = list(SECTIONS.values()) + [title for title in kept if title not in SECTIONS.values()]
    fresh = {SECTIONS[name]: text for name, text in sections.items()}
    head = head if head or not previous else parts[0].rstrip("\n") + "\n"
    body = [fresh.get(title) or kept.get(title) for title in order]
    return "\n".join([head] + [text for text in body if text])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "serving_results.md")
    parser.add_argument("--calls", type=int, default=2000, help="timed calls per contender (default 2000)")
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help=f"which to measure, comma-separated, of {', '.join(SECTIONS)} (default all; the "
                             "file keeps the others)")
    parser.add_argument("--load-clients", type=int, default=8, help="clients sending /predict (default 8)")
    parser.add_argument("--load-seconds", type=float, default=10, help="probe time per round (default 10)")
    parser.add_argument("--load-rounds", type=int, default=2, help="rounds per serve.py (default 2)")
    parser.add_argument("--baseline-serve", type=Path, help="another serve.py to load-test beside this one")
    args = parser.parse_args()
    chosen = [name.strip() for name in args.sections.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown sections {', '.join(unknown)}: choose from {', '.join(SECTIONS)}")
    if args.baseline_serve is not None and not args.baseline_serve.is_file():
        parser.error(f"--baseline-serve {args.baseline_serve}: no such file")
    out = args.out.resolve()
    began = time.perf_counter()
    here = os.getcwd()
    sections: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="serving-bench-") as tmp:
        try:
            if "native" in chosen:
                sections["native"] = native_section(bench_tabular(args.calls, Path(tmp)), bench_torch(args.calls))
            if "http" in chosen:
                sections["http"] = http_section(bench_http(args.calls, Path(tmp)))
            if "load" in chosen:
                load_began = time.perf_counter()
                rows = bench_load(Path(tmp), args.load_clients, args.load_seconds, args.load_rounds,
                                  args.baseline_serve.resolve() if args.baseline_serve else None)
                sections["load"] = load_section(rows, args.load_seconds, args.load_rounds,
                                                time.perf_counter() - load_began)
        finally:
            os.chdir(here)
    full = {"native", "http"} <= set(chosen)
    head = header(args.calls, time.perf_counter() - began) if full or not out.exists() else ""
    text = merged(out.read_text() if out.exists() else "", head, sections)
    out.write_text(text)
    print(f"\n{text}\nwritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
