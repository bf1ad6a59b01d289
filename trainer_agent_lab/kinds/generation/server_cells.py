"""Cells the Server agent writes for a generator: ONNX export of the decoder, parity, the serving files, the bundle.

The bundle's ``serve.py`` is this kind's own (``kinds/generation/bundle/generation_server.py``: a class, a count
and a seed in, base64 PNG images out); the capacity cell, the bundle facts and the zip are the shared ones.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...cells import server
from ...cells.render import Cell, render, writefile_cells

__all__ = ["bundle_cell", "capacity_cell", "export_onnx_cell", "parity_cell", "serving_app_cell"]

_CELLS = "kinds/generation/cells/"
_BUNDLE = "kinds/generation/bundle/"


def export_onnx_cell() -> list[Cell]:
    """Export the decoder (noise and class code in, raw-scale pixels out) to ONNX; define the timing helpers."""
    return render("cells/bundle_folder", "cells/torch_onnx", _CELLS + "export", "cells/onnx_timing", TIMED_FEED=False)


def parity_cell() -> list[Cell]:
    """The ONNX decoder against the trained one on the same noise."""
    return render(_CELLS + "parity")


def serving_app_cell() -> list[Cell]:
    """Write ``serve.py`` (the generator's own), its schema, classes and a sample request and answer."""
    app = writefile_cells({"bundle/serve.py": _BUNDLE + "generation_server.py"},
                          "The bundle's model server, `serve.py`: a standalone FastAPI app (`POST /predict` with a "
                          "class, a count and a seed answers base64 PNG images; `GET /health`, `GET /metrics`) that "
                          "runs the ONNX decoder and encodes PNG itself; it is the same for every generator")
    return [*app, *render("cells/serving_model", _CELLS + "serving", "cells/serving_ready", ITEMS="images")]


def capacity_cell(load_requests: int = 1000, concurrency: int = 8, verify_seconds: float = 2.0,
                  headroom_steps: Sequence[float] = (0.7, 0.5, 0.35)) -> list[Cell]:
    """The shared capacity cell: one request draws one image, so its latency is the latency per image."""
    return server.capacity_cell(load_requests=load_requests, concurrency=concurrency, verify_seconds=verify_seconds,
                                headroom_steps=headroom_steps)


#: What the generator's serve.py needs: no Pillow (serve.py writes PNG itself), no pandas (no tables); httpx for the
#: bundle's test (FastAPI's TestClient). uvicorn's optional speed-ups are left out: one image per request.
SERVING_PACKAGES = ["onnxruntime", "numpy", "fastapi", "starlette", "pydantic", "uvicorn", "h11", "anyio",
                    "prometheus_client", "httpx"]


def bundle_cell(request: str | None = None, data_refs: Sequence[str] = ()) -> list[Cell]:
    """The bundle's test, its generation script (``predict.py``) and documents; the app check; the zip."""
    files = writefile_cells({"bundle/test_bundle.py": _BUNDLE + "generation_test.py",
                             "bundle/predict.py": _BUNDLE + "generate.py", "bundle/API.md": _BUNDLE + "api.md.tmpl",
                             "bundle/model_card.md": "bundle/model_card.md.tmpl",
                             "bundle/Dockerfile": "bundle/Dockerfile.tmpl"},
                            "The bundle's own test and its generation script (`predict.py --class C --n N --seed S "
                            "--output DIR` writes PNG files, without this package), verbatim; and the templates of "
                            "its documents, which the cells below fill in with what this notebook measured")
    return [*files, *render("cells/bundle_app", _CELLS + "bundle_answer", "cells/bundle_requirements",
                            "cells/bundle_facts", _CELLS + "bundle_docs", "cells/bundle_zip", REQUEST=request,
                            DATA_REFS=list(data_refs), SERVING_PACKAGES=SERVING_PACKAGES, OPTIONAL_PACKAGES={})]
