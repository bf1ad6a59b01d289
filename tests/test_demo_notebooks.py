"""The demo notebooks in notebooks/ execute with nbclient, without errors, in their fast setting."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def execute(name: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> nbformat.NotebookNode:
    """Run ``notebooks/NAME`` in ``folder`` (its run folders land there) with TRAINER_AGENT_FAST=1 (the notebooks'
    small budgets: 30 s a tabular run, 75 s the text run without its teacher)."""
    shutil.copy(NOTEBOOKS / name, folder / name)
    nb = nbformat.read(folder / name, as_version=4)
    monkeypatch.setenv("TRAINER_AGENT_FAST", "1")  # the kernel inherits it
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=False,
                   resources={"metadata": {"path": str(folder)}}).execute()
    return nb


def test_the_notebooks_are_clean_and_never_import_generated_code():
    for path in NOTEBOOKS.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), f"{path.name} has outputs"


@pytest.mark.slow
def test_quickstart_runs_the_magic_end_to_end(tmp_path, monkeypatch):
    nb = execute("quickstart.ipynb", tmp_path, monkeypatch)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "TrainerAgent: succeeded" in text
    (run,) = (tmp_path / "runs").iterdir()  # the magic's own new run folder
    assert (run / "bundle" / "model.onnx").is_file()
    assert (run / "notebook.ipynb").is_file()


@pytest.mark.slow
def test_deployment_bundle_walkthrough(tmp_path, monkeypatch):
    execute("deployment_bundle.ipynb", tmp_path, monkeypatch)
    (run,) = (tmp_path / "runs").iterdir()  # run()'s own new run folder
    assert (run / "bundle" / "serve.py").is_file()


@pytest.mark.slow
@pytest.mark.needs("torch")  # the text students are torch networks
def test_text_classification_walkthrough(tmp_path, monkeypatch):
    nb = execute("text_classification.ipynb", tmp_path, monkeypatch)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "TrainerAgent:" in text  # the magic reported its outcome (the fast setting skips the teacher)
    (run,) = (tmp_path / "runs").iterdir()  # the magic's own new run folder
    bundle = run / "bundle"
    assert (bundle / "model.onnx").is_file() and (bundle / "text_features.py").is_file()
