"""mybinder's set-up, done as repo2docker does it: a fresh virtual environment, ``pip install -r
binder/requirements.txt`` from the repository root, then ``binder/postBuild``; JupyterLab must then list the lab
extension and the server extension as enabled and OK."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_binder_requirements_give_a_jupyterlab_with_the_extension(tmp_path):
    if not os.environ.get("TAL_BINDER"):
        pytest.skip("builds a fresh environment from PyPI (four minutes): `make test-binder` runs it")
    env_dir = tmp_path / "binder-env"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bin_dir = env_dir / "bin"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "VIRTUAL_ENV": str(env_dir)}
    env.pop("PYTHONPATH", None)
    env.pop("JUPYTER_PATH", None)

    def run(*args: str, timeout: int = 900) -> str:
        done = subprocess.run(list(args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done.stdout + done.stderr

    run(str(bin_dir / "python"), "-m", "pip", "install", "-q", "-r", "binder/requirements.txt")
    run("bash", "binder/postBuild")
    labextensions = run(str(bin_dir / "jupyter"), "labextension", "list")
    line = next((x for x in labextensions.splitlines() if "trainer-agent-lab" in x), "")
    assert "enabled" in line and "OK" in line, labextensions
    server = run(str(bin_dir / "jupyter"), "server", "extension", "list")
    assert "trainer_agent_lab" in server and "OK" in server, server
    assert sys.prefix != str(env_dir)  # the check ran in its own environment, not this one
