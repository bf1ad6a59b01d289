"""The grounding demo notebook (notebooks/grounding.ipynb) executes end to end in its fast setting."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "grounding.ipynb"


@pytest.mark.slow
@pytest.mark.needs("torch")
def test_the_grounding_walkthrough_runs(tmp_path, monkeypatch):
    shutil.copy(NOTEBOOK, tmp_path / NOTEBOOK.name)
    nb = nbformat.read(tmp_path / NOTEBOOK.name, as_version=4)
    monkeypatch.setenv("TRAINER_AGENT_FAST", "1")  # a 60 s run; the kernel inherits it
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=False,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    run = tmp_path / "runs" / "grounding-demo"
    assert (run / "bundle" / "model.onnx").is_file() and (run / "bundle" / "tokenizer.json").is_file()
    shown = "".join(o.get("data", {}).get("text/plain", "") for c in nb.cells if c.cell_type == "code"
                    for o in c.outputs)
    assert "acc_iou50" in shown  # the report's metrics
    assert "is not valid base64" in shown
