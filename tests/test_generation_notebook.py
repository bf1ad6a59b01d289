"""The image-generation demo notebook (notebooks/generation.ipynb) executes end to end in its fast setting."""

from __future__ import annotations

import pytest

from .test_demo_notebooks import execute


@pytest.mark.slow
@pytest.mark.needs("torch")  # the generator is a torch network
def test_generation_walkthrough(tmp_path, monkeypatch):
    nb = execute("generation.ipynb", tmp_path, monkeypatch)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    shown = "".join(str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "'succeeded'" in shown, shown[-2000:]
    assert any("data:image/png;base64," in o.get("data", {}).get("text/html", "") for o in outputs)
    (run,) = (tmp_path / "runs").iterdir()
    assert (run / "bundle" / "model.onnx").is_file() and (run / "bundle" / "serve.py").is_file()
