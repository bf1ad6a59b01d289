"""A whole image run: synthetic shapes drawn by the Data agent, a CNN, ONNX with parity, a bundle that serves."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import nbformat
import pytest

from trainer_agent_lab.api import run

pytest.importorskip("torch", reason="image runs train torch networks: pip install -e '.[torch]'")

BUDGET_S = 80


@pytest.mark.slow
def test_synthetic_shapes_end_to_end(tmp_path):
    began = time.perf_counter()
    report = run("Classify the shapes in these images with at least 90% accuracy.", "synthetic:shapes",
                 out=tmp_path, time_budget_s=BUDGET_S, assume_yes=True)
    wall = time.perf_counter() - began
    assert report.status == "succeeded", report.reason
    assert report.spec["task_type"] == "image_classification"
    assert report.metrics["accuracy"] >= 0.9 and report.model["family"] in ("cnn", "mlp")
    assert report.model["parity"]["label_agreement"] >= 0.999 and report.model["parity"]["max_prob_diff"] < 1e-4
    assert wall <= BUDGET_S * 1.1 + 15, wall  # the budget holds (kernel start aside)

    bundle = tmp_path / "bundle"
    assert json.loads((bundle / "feature_schema.json").read_text())["kind"] == "image"
    assert {"model.onnx", "serve.py", "openapi.json", "API.md", "model_card.md", "test_bundle.py"} <= {
        p.name for p in bundle.iterdir()}
    check = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_bundle.py"],
                           cwd=bundle, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout[-2000:]

    cells = nbformat.read(tmp_path / "notebook.ipynb", as_version=4).cells
    steps = [c.metadata.get("trainer_agent", {}).get("step") for c in cells if c.cell_type == "code"]
    steps = list(dict.fromkeys(steps))  # a step may write several cells
    assert steps[:7] == ["setup", "shapes", "load", "profile", "clean", "split", "feasibility"]
    assert {"search", "fit", "evaluate", "export", "parity", "capacity", "conclude", "bundle"} <= set(steps)
