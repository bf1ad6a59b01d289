"""Measure one serving replica (the model alone, then the real app under a bounded load test on 127.0.0.1), size
the deployment, and check that the estimate holds, all within CAPACITY_SECONDS."""
# ruff: noqa: E402  (as in the notebook: a cell's parameters come first, its imports after them)

# %% [context]
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import plotly.graph_objects as go

from .context import (
    BUNDLE_DIR,
    INT8_PATH,
    REQUEST_BODIES,
    REQUIREMENTS,
    SERVING_MODEL_PATH,
    X_test,
    _report,
    describe_latency,
    measure_latency,
    onnx_session,
    to_onnx_feed,
)

# %% [parameters]
LOAD_REQUESTS = 2000
CONCURRENCY = 8
VERIFY_SECONDS = 2.5
HEADROOM_STEPS = (0.7, 0.5, 0.35)
CAPACITY_SECONDS = 30.0
MIN_CALLS = 200

# isort: split
# %% Measure the model alone in this process, with one thread as serve.py runs it: single-item latency (in rounds,
# the median of the rounds' p50 and p99 with their spread and the load average; measured again after a pause where
# a target is missed, the quieter figure reported), and the throughput of batches. Every measurement here runs for
# a time, not a count: each takes its part of what is left of CAPACITY_SECONDS (at most its usual count of calls, at
# least MIN_CALLS for a steady p99), so a slow model (a wide table's) keeps to the budget; the cell says how many
# calls it timed.
import http.client
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import psutil

capacity_deadline = time.perf_counter() + CAPACITY_SECONDS


def seconds_left(part):
    """``part`` of the seconds left of CAPACITY_SECONDS (never under 0.2 s)."""
    return max(0.2, part * (capacity_deadline - time.perf_counter()))


WARMUP_CALLS, MOST_CALLS, BATCH_ROWS = 50, 1000, 256
latency_targets = [c for c in REQUIREMENTS.get("constraints", []) if c["name"] in ("p50_ms", "p99_ms")]
single = measure_latency(SERVING_MODEL_PATH, X_test, latency_targets, MOST_CALLS, seconds_left(0.2), WARMUP_CALLS,
                         MIN_CALLS)  # in rounds; measured again after a pause where a target is missed
single_ms, TIMED_CALLS = single["times_ms"], single["calls"]
p50_ms, p99_ms, mean_ms = single["p50_ms"], single["p99_ms"], single["mean_ms"]
print("The model alone: " + describe_latency(single))
session = onnx_session(SERVING_MODEL_PATH)
batch_rows = np.arange(BATCH_ROWS) % len(X_test)
batch_feed = to_onnx_feed(X_test.iloc[batch_rows] if hasattr(X_test, "iloc") else X_test[batch_rows])
session.run(None, batch_feed)
batches, start, batch_s = 0, time.perf_counter(), min(0.5, seconds_left(0.05))
while batches < 2 or (time.perf_counter() - start < batch_s and batches < 200):
    session.run(None, batch_feed)
    batches += 1
batch_rows_per_s = batches * BATCH_ROWS / (time.perf_counter() - start)


# %% How the load test talks to the real app: one-item requests (REQUEST_BODIES, from the serving cell) on
# kept-alive connections, either as fast as the app answers (closed loop) or at a steady rate (paced).
HEADERS = {"Content-Type": "application/json"}


def post(conn, body):
    """Send one prediction request on a kept-alive connection; the status, or 0 if the connection failed."""
    try:
        conn.request("POST", "/predict", body, HEADERS)
        reply = conn.getresponse()
        reply.read()
        return reply.status
    except (OSError, http.client.HTTPException):
        conn.close()  # reconnects on the next request
        return 0


def closed_loop(total, workers, time_limit_s, min_requests=0):
    """At most ``total`` requests from ``workers`` threads, each sending its next request when the last returns,
    for ``time_limit_s`` (longer until ``min_requests`` are answered, up to 1.5 times the limit); a worker sends no
    request that its last one's latency says would end past that."""
    latency, status = np.full(total, np.nan), np.zeros(total, dtype=int)
    soft, hard = time.perf_counter() + time_limit_s, time.perf_counter() + 1.5 * time_limit_s
    answered = [0]

    def worker(w):
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
        last_s = 0.0
        for i in range(w, total, workers):
            ends = time.perf_counter() + last_s
            if ends > hard or (ends > soft and answered[0] >= min_requests):
                break
            sent = time.perf_counter()
            status[i] = post(conn, REQUEST_BODIES[i % len(REQUEST_BODIES)])
            latency[i] = (time.perf_counter() - sent) * 1000
            answered[0], last_s = answered[0] + 1, latency[i] / 1000
        conn.close()

    began = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(worker, range(workers)))
    elapsed = time.perf_counter() - began
    done = ~np.isnan(latency)
    return latency[done], status[done], elapsed


def paced(qps, seconds, workers):
    """Requests at a steady ``qps`` for ``seconds`` (at least 20, none due or sent past twice ``seconds``);
    latency counts from when each was due, so a server that falls behind shows it (no coordinated omission)."""
    total, interval = max(20, int(qps * seconds)), 1.0 / qps
    latency, status = np.full(total, np.nan), np.zeros(total, dtype=int)
    began = time.perf_counter() + 0.05
    deadline = began + 2 * seconds + 0.5

    def worker(w):
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
        for i in range(w, total, workers):
            due = began + i * interval
            now = time.perf_counter()
            if max(now, due) > deadline:  # a slow server's last requests fall due past the deadline: not sent
                break
            if due > now:
                time.sleep(due - now)
            status[i] = post(conn, REQUEST_BODIES[i % len(REQUEST_BODIES)])
            latency[i] = (time.perf_counter() - due) * 1000
        conn.close()

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(worker, range(workers)))
    done = ~np.isnan(latency)
    return latency[done], status[done], done.sum() / (time.perf_counter() - began)


# %% [hidden] Start serve.py from the bundle in its own process on a free 127.0.0.1 port (a bounded wait for
# /health), and stop it (killed if it will not stop).
def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(port):
    """serve.py on ``port``, once /health answers: (process, its log file, seconds it took to start)."""
    env = {k: v for k, v in os.environ.items() if k not in ("TRAINER_AGENT_API_KEY", "TRAINER_AGENT_MODEL_FILE")}
    env["TRAINER_AGENT_ORT_THREADS"] = "1"
    log = tempfile.TemporaryFile()
    process = subprocess.Popen([sys.executable, "serve.py", "--host", "127.0.0.1", "--port", str(port)],
                               cwd=BUNDLE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    started = time.perf_counter()
    try:
        while process.poll() is None and time.perf_counter() - started <= 60:  # bounded wait for /health
            if app_answers(port):
                return process, log, time.perf_counter() - started
            time.sleep(0.05)
    except BaseException:
        stop_app(process, log)
        raise
    stop_app(process, log, reason="serve.py did not start")


def app_answers(port):
    """Whether the app on ``port`` answers GET /health with 200."""
    probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        probe.request("GET", "/health")
        return probe.getresponse().status == 200
    except OSError:
        return False
    finally:
        probe.close()


def stop_app(process, log, reason=None):
    """Stop the app (killed if it will not stop) and close its log; with ``reason``, raise with the log's tail."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    log.seek(0)
    tail = log.read().decode(errors="replace")[-3000:]
    log.close()
    if reason:
        raise RuntimeError(f"{reason}:\n{tail}")


# %% How one replica's memory is measured: serve.py's process and its children (the worker processes that do the
# predictions' CPU work, each with its own copy of the model) together: their resident memory summed every 20 ms
# while they work, and the sum of their high-water marks (VmHWM, on Linux), an upper bound that catches peaks
# between samples.
class MemorySampler:
    """The peak resident memory (MB) of a process and its children, sampled every 20 ms in a thread until
    ``stop()``; ``processes``: the most processes it saw at once."""

    def __init__(self, pid):
        self.pid, self.process, self.peak, self.processes = pid, psutil.Process(pid), 0, 1
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()

    def tree(self):
        return [self.process, *self.process.children(recursive=True)]

    def sample(self):
        while not self.done.is_set():
            try:
                processes = self.tree()
            except psutil.Error:
                return
            total = 0
            for process in processes:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    pass
            self.peak, self.processes = max(self.peak, total), max(self.processes, len(processes))
            self.done.wait(0.02)

    def stop(self):
        self.done.set()
        self.thread.join()
        peak_mb = self.peak / 2**20
        try:
            hwm_kib = 0
            for process in self.tree():
                with open(f"/proc/{process.pid}/status") as status_file:
                    hwm_kib += next(int(line.split()[1]) for line in status_file if line.startswith("VmHWM:"))
            peak_mb = max(peak_mb, hwm_kib / 1024)
        except (OSError, StopIteration, psutil.Error):
            pass
        return round(peak_mb, 1)


# %% Load the real app: serve.py from the bundle in its own process on a free loopback port. First as fast as it
# answers (requests per second per replica), then verify the estimate: a steady load at the planned per-replica
# QPS must hold the p99 target (the request's, else the full-load run's own p99); if it does not, plan each
# replica lighter and check again, while CAPACITY_SECONDS last.
PORT = free_port()
server, server_log, startup_s = start_app(PORT)
try:
    memory = MemorySampler(server.pid)
    closed_loop(min(200, LOAD_REQUESTS), min(2, CONCURRENCY), min(10, seconds_left(0.1)))  # warm-up
    load_ms, load_status, load_s = closed_loop(LOAD_REQUESTS, CONCURRENCY, min(15, seconds_left(0.5)), MIN_CALLS)
    load_sent = int(len(load_status))
    load_ok = int((load_status == 200).sum())
    qps_per_replica = round(load_ok / load_s, 1)
    http_p50_ms, http_p99_ms = (float(v) for v in np.percentile(load_ms, [50, 99]))

    asked = [c["value"] for c in REQUIREMENTS.get("constraints", []) if c["name"] == "p99_ms"]
    p99_target_ms = float(min(asked)) if asked else round(http_p99_ms, 3)  # a reference, not a target, unless asked
    verify_runs = []
    for HEADROOM in HEADROOM_STEPS:
        planned_qps = max(qps_per_replica * HEADROOM, 1.0)
        verify_s = min(VERIFY_SECONDS, max(0.5, seconds_left(0.5) / 2))  # a paced run may take twice it
        v_ms, v_status, v_qps = paced(planned_qps, verify_s, CONCURRENCY)
        verify_runs.append({"headroom": HEADROOM, "seconds": round(verify_s, 2), "planned_qps": round(planned_qps, 1),
                            "verified_qps":
                            round(float(v_qps), 1), "p50_ms": round(float(np.percentile(v_ms, 50)), 3),
                            "p99_ms": round(float(np.percentile(v_ms, 99)), 3),
                            "errors": int((v_status != 200).sum()), "requests": int(len(v_ms))})
        if verify_runs[-1]["p99_ms"] <= p99_target_ms and verify_runs[-1]["errors"] == 0:
            break
        if time.perf_counter() > capacity_deadline:  # out of time: the lightest load tried so far is the plan
            break
    verified = verify_runs[-1]
    verified_holds = verified["p99_ms"] <= p99_target_ms and verified["errors"] == 0
    replica_memory_mb = memory.stop()
    replica_processes = memory.processes
finally:
    stop_app(server, server_log)


# %% Size the deployment from what was measured: replicas for the target QPS, and whether one replica fits its
# container.
target_qps = REQUIREMENTS.get("qps")
planned_qps = qps_per_replica * HEADROOM
replicas_for_target = math.ceil(target_qps / planned_qps) if target_qps and planned_qps > 0 else None
container_memory_mb = REQUIREMENTS.get("container_memory_mb")
fits_container = None if container_memory_mb is None else replica_memory_mb <= container_memory_mb
if asked:  # the request's p99: a target, met or not
    held = ("within" if verified_holds else "OVER") + f" the {p99_target_ms:g} ms p99 target."
else:  # no latency was asked for: the full-load run's own p99 is only the reference the planned load is checked by
    held = (f"{'at or under' if verified_holds else 'above'} the {p99_target_ms:g} ms of the full-load run "
            "(no latency was asked for).")
advice = [f"One replica (one serve.py process) answered {qps_per_replica:g} requests/s over HTTP "
          f"({load_sent} requests, {CONCURRENCY} at a time); planned at {HEADROOM:.0%} of that "
          f"({planned_qps:.0f}/s) its p99 was {verified['p99_ms']:.1f} ms, " + held]
if replicas_for_target:
    advice.append(f"Run {replicas_for_target} replica(s) for {target_qps:g} QPS.")
if fits_container is False:
    fixes = [f"give each container at least {math.ceil(replica_memory_mb * 1.25)} MB"]
    if INT8_PATH is None or SERVING_MODEL_PATH != INT8_PATH:
        fixes.append("serve the int8 model (ask for int8 quantisation)")
    fixes.append("train a smaller model (fewer or shallower trees, a smaller network)")
    advice.append(f"It does NOT fit: one replica peaks at {replica_memory_mb:.0f} MB, over the "
                  f"{container_memory_mb:g} MB container; " + ", or ".join(fixes) + ".")
elif fits_container:
    advice.append(f"Each replica peaks at {replica_memory_mb:.0f} MB, within its {container_memory_mb:g} MB "
                  "container.")
else:
    advice.append(f"Each replica peaks at {replica_memory_mb:.0f} MB: give its container at least "
                  f"{math.ceil(replica_memory_mb * 1.25)} MB.")
if not verified_holds and asked:
    advice.append("Even the lightest planned load missed the p99 target here: serve a faster model, or "
                  "measure on the deployment hardware.")
elif not verified_holds:
    advice.append("The planned load's latency was not steadier than the full load's on this machine: take the "
                  "replica count as rough, and measure on the deployment hardware.")
capacity_advice = " ".join(advice)

# %% Record every figure, and how it was measured, in the bundle's capacity.json.
CAPACITY = {
    "p50_ms": round(p50_ms, 4), "p99_ms": round(p99_ms, 4), "mean_ms": round(mean_ms, 4),
    "batch_rows_per_s": round(batch_rows_per_s, 1), "http_p50_ms": round(http_p50_ms, 3),
    "http_p99_ms": round(http_p99_ms, 3), "qps_per_replica": qps_per_replica, "headroom": HEADROOM,
    "target_qps": target_qps, "replicas_for_target": replicas_for_target, "replica_memory_mb": replica_memory_mb,
    "replica_processes": replica_processes, "container_memory_mb": container_memory_mb,
    "fits_container": fits_container,
    "verified_qps": verified["verified_qps"], "verified_p99_ms": verified["p99_ms"],
    "verified_p99_target_ms": p99_target_ms, "verified_p99_asked": bool(asked), "verified_holds": verified_holds,
    "load_errors": int(len(load_status) - load_ok), "serving_model": SERVING_MODEL_PATH.name,
    "p50_spread_ms": single["p50_spread_ms"], "p99_spread_ms": single["p99_spread_ms"],
    "load_average": single["load_average"], "latency_figure": single["used"], "capacity_advice": capacity_advice,
}
(BUNDLE_DIR / "capacity.json").write_text(json.dumps({
    **CAPACITY, "verify_runs": verify_runs, "server_startup_s": round(startup_s, 2),
    "load_requests": load_sent, "concurrency": CONCURRENCY, "timed_calls": TIMED_CALLS,
    "capacity_seconds": CAPACITY_SECONDS, "min_calls": MIN_CALLS,
    "batch_rows": BATCH_ROWS, "cpu_count": os.cpu_count(),
    "latency_remeasured": single["remeasured"],
    "method": f"p50_ms/p99_ms/mean_ms: {TIMED_CALLS} single-row onnxruntime calls (one thread) in the notebook's "
              f"kernel after up to {WARMUP_CALLS} warm-up calls, in {single['rounds']} rounds: p50_ms/p99_ms are the "
              "median of the rounds' figures (p50_spread_ms/p99_spread_ms: lowest and highest round), load_average the "
              "1-minute load when measured; where a target was missed, measured again after a pause and the quieter "
              "figure kept (latency_figure says which; latency_remeasured holds the first). http_*: serve.py started "
              f"from this folder on 127.0.0.1, {load_sent} single-row POST /predict requests from {CONCURRENCY} "
              "keep-alive connections "
              "(client on the same machine, so it takes CPU from the server); qps_per_replica = successful "
              "requests / seconds. Each measurement ran for a time (its part of the "
              f"{CAPACITY_SECONDS:g} s the step may take; at most {MOST_CALLS} calls and {LOAD_REQUESTS} requests, at "
              f"least {MIN_CALLS} of each unless 1.5 times its time ran out). Verification: a steady load at "
              "qps_per_replica x headroom for the seconds in verify_runs (at most "
              f"{VERIFY_SECONDS} s), latency counted from each request's due time. replicas_for_target = "
              "ceil(target_qps / (qps_per_replica x headroom)). replica_memory_mb: the server's peak RSS "
              "over start-up and both runs, its process and its children together (replica_processes of them: "
              "serve.py, its prediction worker processes and multiprocessing's resource tracker): the highest "
              "sum of psutil samples or, above it, the sum of their VmHWM (each one's own peak: an upper bound, "
              "which also counts the shared library pages once per process).",
}, indent=2) + "\n")

# %% Show the figures, the verification runs and the latency histograms of both measurements.
for key, value in CAPACITY.items():
    if key != "capacity_advice":
        print(f"{key:>24}: {value}")
capacity_used_s = CAPACITY_SECONDS - (capacity_deadline - time.perf_counter())
print(f"Timed {TIMED_CALLS} single-row calls of the model alone and {load_sent} HTTP requests, within the "
      f"{CAPACITY_SECONDS:g} s this step may take ({capacity_used_s:.1f} s used)"
      + (f": fewer than {MIN_CALLS}, so the p99 figures are rough (each call of this model is slow)."
         if min(TIMED_CALLS, load_sent) < MIN_CALLS else "."))
for run in verify_runs:
    print(f"verification at {run['headroom']:.0%} of qps_per_replica ({run['verified_qps']:g} requests/s for "
          f"{run['seconds']:g} s): p50 {run['p50_ms']:g} ms, p99 {run['p99_ms']:g} ms, {run['errors']} errors")
print(capacity_advice)
fig = go.Figure().set_subplots(rows=1, cols=2, subplot_titles=(
    f"model alone: {TIMED_CALLS} single-row calls", f"HTTP: {load_sent} requests, {CONCURRENCY} at a time"))
fig.add_trace(go.Histogram(x=single_ms, nbinsx=60, name="onnxruntime"), row=1, col=1)
fig.add_trace(go.Histogram(x=load_ms, nbinsx=60, name="full load", opacity=0.6), row=1, col=2)
fig.add_trace(go.Histogram(x=v_ms, nbinsx=60, name=f"at {HEADROOM:.0%} load", opacity=0.6), row=1, col=2)
for col, (p50, p99) in ((1, (p50_ms, p99_ms)), (2, (http_p50_ms, http_p99_ms))):
    for label, value in (("p50", p50), ("p99", p99)):
        fig.add_vline(x=value, line_dash="dash", annotation_text=label, row=1, col=col)
fig.update_layout(title=f"Latency of {SERVING_MODEL_PATH.name}", barmode="overlay", height=360)
fig.update_xaxes(title_text="ms")
fig.show()
_report(capacity=CAPACITY, capacity_advice=capacity_advice, serving_model=SERVING_MODEL_PATH.name,
        verify_runs=verify_runs)
