"""The chat panel in a real browser: runs the Galata test and reports the latencies it traced.

Starts ``jupyter lab`` on 127.0.0.1 (a free port, a random token, a temporary root folder), runs
``jlpm playwright test`` in ``labextension/`` with Debian's Chromium, stops the server, and — with ``--out``
— writes the figures the test measured: how long after "Send" the first agent message showed, and how long
after each cell was inserted into the notebook its kernel began executing it::

    python benchmarks/lab_latency.py --out benchmarks/results/lab_latency.md

``tests/test_lab_ui.py`` calls :func:`run_ui_test` (without writing the report).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABEXT = ROOT / "labextension"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def missing() -> str | None:
    """Why the browser test cannot run here, or ``None``."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install -y chromium; make env does it as root)"
    if not (LABEXT / "node_modules" / "@jupyterlab" / "galata").exists():
        return "labextension/node_modules is missing (the editable install runs jlpm install)"
    if shutil.which("jlpm", path=str(Path(sys.executable).parent)) is None and shutil.which("jlpm") is None:
        return "jlpm is missing (it comes with jupyterlab)"
    return None


def _wait_ready(url: str, token: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with code {process.returncode}")
        try:
            request = urllib.request.Request(f"{url}/api/status", headers={"Authorization": f"token {token}"})
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("jupyter lab did not answer within 120 s")


def run_ui_test(trace: Path, timeout_s: float = 480, specs: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """Start JupyterLab, run the Galata tests (``specs``: file names under ``ui-tests/tests``, all of them when
    empty; the chat spec writes ``trace``), stop JupyterLab; return the tests' result."""
    bin_dir = Path(sys.executable).parent
    port, token = _free_port(), secrets.token_hex(16)
    root = Path(tempfile.mkdtemp(prefix="tal-lab-"))
    env = {**os.environ, "TAL_PORT": str(port), "TAL_TOKEN": token, "TAL_ROOT": str(root),
           "JUPYTERLAB_GALATA_ROOT_DIR": str(root), "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
           "TARGET_URL": f"http://127.0.0.1:{port}", "TAL_TRACE": str(trace), "CHROMIUM": CHROMIUM,
           "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "OMP_WAIT_POLICY": "PASSIVE",
           "HF_HUB_OFFLINE": "1"}
    log = open(root.parent / f"{root.name}-lab.log", "w")  # noqa: SIM115 - closed below
    lab = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--config",
                            str(LABEXT / "ui-tests" / "jupyter_server_test_config.py")],
                           cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_ready(env["TARGET_URL"], token, lab)
        jlpm = shutil.which("jlpm", path=str(bin_dir)) or "jlpm"
        grep = ["--grep", os.environ["TAL_GREP"]] if os.environ.get("TAL_GREP") else []  # one test, when asked
        files = [f"ui-tests/tests/{name}" for name in specs]
        return subprocess.run([jlpm, "playwright", "test", "--config", "ui-tests/playwright.config.js", *grep, *files],
                              cwd=LABEXT, env=env, capture_output=True, text=True, timeout=timeout_s)
    finally:
        if lab.poll() is None:
            os.killpg(lab.pid, signal.SIGTERM)  # the server and the kernels it started: its own session
            try:
                lab.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(lab.pid, signal.SIGKILL)
                lab.wait()
        log.close()
        shutil.rmtree(root, ignore_errors=True)


def report(trace: dict, seconds: float) -> str:
    """The markdown report of one traced run."""
    starts = sorted(trace.get("insertToStartMs") or [])
    lines = ["# Chat panel latency (Galata, Debian Chromium, this machine: 2 shared cores)", "",
             f"One run of `labextension/ui-tests/tests/chat.spec.ts` ({seconds:.0f} s in all): "
             "\"classify the wine data with at least 95% accuracy\" on `sklearn:wine`, "
             f"{trace.get('codeCells')} code cells.", "",
             "| measure | value | target |", "|---|---|---|",
             f"| first agent message after Send (panel clock) | {trace.get('firstMessageMs') or 0:.0f} ms "
             "| < 1000 ms |",
             f"| first agent message after Send (test clock, incl. Playwright polling) | "
             f"{trace.get('firstMessageWallMs') or 0:.0f} ms | < 1000 ms |"]
    if starts:
        lines += [f"| cell inserted -> kernel starts executing it, median of {len(starts)} | "
                  f"{statistics.median(starts):.0f} ms | < 200 ms |",
                  f"| same, worst cell | {starts[-1]:.0f} ms | < 200 ms |"]
    kernel = sorted(trace.get("insertToKernelStartMs") or [])
    if kernel:
        lines += [f"| cell inserted -> kernel starts executing it, by the kernel's own clock, median of "
                  f"{len(kernel)} | {statistics.median(kernel):.0f} ms | < 200 ms |",
                  f"| same, worst cell | {kernel[-1]:.0f} ms | < 200 ms |"]
    calls = sorted(trace.get("callToStartMs") or [])
    if calls:
        lines += [f"| of which: handed to the kernel -> kernel starts it, median | {statistics.median(calls):.0f} ms "
                  "| |"]
    lines += ["", "\"Starts executing\" is the kernel's `execute_input` message for the cell, as the panel "
              "receives it (the browser's main thread may be busy drawing the previous cell's figures before it sees "
              "it); \"by the kernel's own clock\" uses the `date` the kernel stamps on that message instead "
              "(same machine, same clock). \"Inserted\" is when the cell was added to the notebook model; the same "
              "operation then runs it with the notebook's kernel session.", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="write the markdown report here")
    args = parser.parse_args()
    why = missing()
    if why:
        print(f"cannot run: {why}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        trace_path = Path(tmp) / "trace.json"
        began = time.perf_counter()
        result = run_ui_test(trace_path)
        seconds = time.perf_counter() - began
        print(result.stdout[-4000:], result.stderr[-4000:])
        if result.returncode != 0 or not trace_path.exists():
            return 1
        trace = json.loads(trace_path.read_text())
    text = report(trace, seconds)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
