"""Shared fixtures: small real files and a headless driver with a real kernel."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def _benchmarks() -> Path:
    """The shared acceptance tasks: $TRAINER_AGENT_BENCHMARKS, else ../shared/benchmarks, else /work/shared."""
    candidates = [os.environ.get("TRAINER_AGENT_BENCHMARKS", ""),
                  Path(__file__).resolve().parents[2] / "shared" / "benchmarks", "/work/shared/benchmarks"]
    return next((Path(c) for c in candidates if c and (Path(c) / "tasks.yaml").exists()), Path(candidates[1]))


BENCHMARKS = _benchmarks()
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # in-process runs (magics) share the cores politely too


@pytest.fixture
def driver(tmp_path):
    """A headless driver on a fresh kernel, closed after the test."""
    from trainer_agent_lab.notebook.headless import HeadlessDriver

    d = HeadlessDriver(tmp_path / "nb.ipynb")
    yield d
    d.close()


def benchmark_data(name: str) -> Path:
    """A file from the shared benchmarks folder, or skip when this checkout has none."""
    path = BENCHMARKS / "data" / name
    if not path.exists():
        pytest.skip(f"{path} is not present in this checkout")
    return path
