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

Writes a markdown table to ``--out`` and prints it.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import os
import platform
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
               "DATA_REF": "benchmark", "METRICS": {}, "N_PARAMETERS": 0, "CONSTRAINT_ROWS": [],
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


def http_case(load: Callable, make: Callable, scale: bool, calls: int, case_dir: Path) -> dict[str, float]:
    """p50 of session.run in this process, and of POST /predict to the bundle's serve.py on 127.0.0.1."""
    import httpx

    frame, y, categorical, task = load()
    ns = kernel_namespace(frame, y, categorical, task, make(), scale)
    os.chdir(case_dir)
    run_cells(ns, export_onnx_cell(), parity_cell(), serving_app_cell())
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


def versions() -> str:
    names = ["onnxruntime", "scikit-learn", "skl2onnx", "torch", "fastapi", "uvicorn", "httptools", "uvloop"]
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    return ", ".join(found)


def markdown(tabular: list[dict], torch_rows: list[dict], http_rows: list[dict], calls: int, seconds: float) -> str:
    lines = ["# Serving benchmark", "",
             f"`python benchmarks/serving.py` on {datetime.now(timezone.utc):%Y-%m-%d}, {platform.machine()}, "
             f"{os.cpu_count()} CPUs, Python {platform.python_version()}; {versions()}. {calls} timed calls per "
             f"contender in {ROUNDS} interleaved rounds after 50 warm-up calls; single rows; one thread for "
             f"ONNX Runtime and PyTorch (a replica is one process; scale out with replicas). Took {seconds:.0f} s.",
             "", "## ONNX Runtime versus the native model (single-row p50)", "",
             "| data | model | native | native p50 ms | ONNX Runtime p50 ms | speed-up |", "|---|---|---|---|---|---|"]
    for row in tabular + torch_rows:
        lines.append(f"| {row['data']} | {row['model']} | {row['native']} | {row['native_p50_ms']:.4f} | "
                     f"{row['onnx_p50_ms']:.4f} | **{row['speedup']:.1f}x** |")
    if tabular:
        speedups = [row["speedup"] for row in tabular]
        lines += ["", f"Tabular pipelines: ONNX Runtime is {min(speedups):.1f}x to {max(speedups):.1f}x faster than "
                  f"scikit-learn (aim: at least 3x){'' if min(speedups) >= 3 else ' — NOT met for every pipeline'}."]
    lines += ["", "## HTTP overhead of the bundle's serve.py", "",
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "serving_results.md")
    parser.add_argument("--calls", type=int, default=2000, help="timed calls per contender (default 2000)")
    args = parser.parse_args()
    out = args.out.resolve()
    began = time.perf_counter()
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="serving-bench-") as tmp:
        try:
            tabular = bench_tabular(args.calls, Path(tmp))
            torch_rows = bench_torch(args.calls)
            http_rows = bench_http(args.calls, Path(tmp))
        finally:
            os.chdir(here)
    text = markdown(tabular, torch_rows, http_rows, args.calls, time.perf_counter() - began)
    out.write_text(text)
    print(f"\n{text}\nwritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
