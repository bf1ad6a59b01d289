"""``@TrainerAgent`` in jupyter-ai 3's chat, in a real browser: a JupyterLab with jupyter-ai installed, a
``.chat`` file, a wine request to the persona -> the run's notebook (executed) and bundle.

jupyter-ai 3 pins its own versions, so it lives in an environment of its own, cached outside the checkout
(``make persona-env`` builds it in ``~/.cache/trainer-agent-lab/venv-jupyter-ai``), with this checkout installed
in it editable. ``make test-persona`` builds it and runs this test with ``TRAINER_AGENT_JAI_VENV`` naming it;
without that variable (``make test``: the suite is at its time aim already) the test skips, saying so. It starts
that environment's ``jupyter lab`` (127.0.0.1, a token, a temporary root), runs
``labextension/ui-tests/persona/persona.spec.ts`` in Debian's Chromium, then checks on disk what the browser saw:
the run folder beside the chat, its report, its notebook's executed cells, its bundle.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
LABEXT = ROOT / "labextension"
JAI_VENV = Path(os.environ["TRAINER_AGENT_JAI_VENV"]) if os.environ.get("TRAINER_AGENT_JAI_VENV") else None
_spec = importlib.util.spec_from_file_location("lab_latency", ROOT / "benchmarks" / "lab_latency.py")
lab_latency = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lab_latency)


def missing() -> str | None:
    """Why the persona's browser test cannot run here, or ``None``."""
    if JAI_VENV is None:
        return "TRAINER_AGENT_JAI_VENV names no jupyter-ai environment: make test-persona builds one and runs this"
    if not (JAI_VENV / ".installed").exists():
        return f"the jupyter-ai environment {JAI_VENV} is not built (make persona-env)"
    return lab_latency.missing()


def run_persona_test(trace: Path, timeout_s: float = 600) -> tuple[subprocess.CompletedProcess, Path, str]:
    """Start the jupyter-ai environment's JupyterLab, run the persona's Galata spec (it writes ``trace``), stop
    the lab; (the test's result, the lab's root folder, the lab's log)."""
    assert JAI_VENV is not None
    python = JAI_VENV / "bin" / "python"
    port, token = lab_latency._free_port(), secrets.token_hex(16)
    root = Path(tempfile.mkdtemp(prefix="tal-persona-"))
    env = {**os.environ, "TAL_PORT": str(port), "TAL_TOKEN": token, "TAL_ROOT": str(root),
           "JUPYTERLAB_GALATA_ROOT_DIR": str(root), "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
           "TARGET_URL": f"http://127.0.0.1:{port}", "TAL_TRACE": str(trace), "CHROMIUM": lab_latency.CHROMIUM,
           "PATH": f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}", "OMP_WAIT_POLICY": "PASSIVE",
           "HF_HUB_OFFLINE": "1", "TRAINER_AGENT_TIME_BUDGET": "60", "TRAINER_AGENT_LLM": "offline"}
    env.pop("VIRTUAL_ENV", None)
    log_path = root.parent / f"{root.name}-lab.log"
    with open(log_path, "w") as log:
        lab = subprocess.Popen([str(python), "-m", "jupyterlab", "--config",
                                str(LABEXT / "ui-tests" / "jupyter_server_persona_config.py")],
                               cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            lab_latency._wait_ready(env["TARGET_URL"], token, lab)
            jlpm = shutil.which("jlpm", path=str(Path(sys.executable).parent)) or "jlpm"
            result = subprocess.run([jlpm, "playwright", "test", "--config", "ui-tests/playwright.persona.config.js"],
                                    cwd=LABEXT, env=env, capture_output=True, text=True, timeout=timeout_s)
        finally:
            if lab.poll() is None:
                os.killpg(lab.pid, signal.SIGTERM)  # the server and the kernels it started: its own session
                try:
                    lab.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(lab.pid, signal.SIGKILL)
                    lab.wait()
    return result, root, log_path.read_text(errors="replace")


@pytest.mark.slow
def test_trainer_agent_persona_in_a_jupyter_ai_chat(tmp_path: Path) -> None:
    why = missing()
    if why:
        pytest.skip(why)
    trace_path = tmp_path / "trace.json"
    result, root, log = run_persona_test(trace_path)
    (tmp_path / "playwright.log").write_text(result.stdout + result.stderr)
    try:
        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:] + "\nlab log:\n" + log[-4000:]
        trace = json.loads(trace_path.read_text())
        chat_dir = root / trace["folder"]
        notebook_path = chat_dir / trace["notebook"]
        run = notebook_path.parent
        assert run.parent == chat_dir / "trainer-agent-runs" and run.name.startswith("wine-"), run
        report = json.loads((run / "report.json").read_text())
        assert report["status"] == "succeeded", report.get("reason")
        assert any(c["name"] == "accuracy" and c["met"] for c in report["constraints"]), report["constraints"]
        notebook = nbformat.read(notebook_path, as_version=4)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        assert len(code) > 8 and all(cell.execution_count for cell in code)
        bundle = chat_dir / trace["bundle"]
        for name in ("serve.py", "model.onnx", "feature_schema.json", "API.md", "sample_request.json"):
            assert (bundle / name).is_file(), name
        assert trace["executedCells"] > 8
        assert "Outcome: succeeded" in trace["reply"] and "accuracy" in trace["reply"]
    finally:
        shutil.rmtree(root, ignore_errors=True)
        (root.parent / f"{root.name}-lab.log").unlink(missing_ok=True)
