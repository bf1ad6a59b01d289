"""Cells the Server agent writes for grounding models: ONNX export (two inputs), parity, serving files, documents.

The capacity, constraint and bundle cells are the shared ones (:mod:`trainer_agent_lab.cells.server`); the export
cell defines ``to_onnx_feed`` for the structured test items (``pixels`` and ``tokens``), the serving cell
``REQUEST_BODIES`` (one image and query each) and the bundle's own ``serve.py`` is this kind's
``model_server.py`` (a base64 image and a query in, a box and a score out).
"""

from __future__ import annotations

from collections.abc import Sequence

from ...cells import server
from ...cells.render import Cell, render, writefile_cells

__all__ = ["bundle_cell", "capacity_cell", "export_onnx_cell", "parity_cell", "serving_app_cell"]

_CELLS = "kinds/grounding/cells/"


def export_onnx_cell() -> list[Cell]:
    """Export the network (pixels and token ids in, box and score out) to ONNX; time it against latency targets."""
    return render("cells/bundle_folder", "cells/torch_onnx", _CELLS + "export", "cells/onnx_timing",
                  "cells/latency_checks", TIMED_FEED=False, ONE_ITEM="one-query")


def parity_cell() -> list[Cell]:
    """Check ``model.onnx`` against the torch network on the test queries, and score it."""
    return render(_CELLS + "parity")


def serving_app_cell() -> list[Cell]:
    """Write ``serve.py`` (the grounding server), the schema, the tokenizer and a sample request and its answer."""
    app = writefile_cells({"bundle/serve.py": "kinds/grounding/model_server.py"},
                          "The bundle's model server, `serve.py`: a standalone FastAPI app (`POST /predict` with a "
                          "base64 image and a query, `GET /health`, `GET /metrics`) that serves the ONNX model with "
                          "the tokenizer the next cell writes, without pickles; written verbatim")
    return [*app, *render("cells/serving_model", _CELLS + "serving", "cells/serving_ready", ITEMS="queries")]


def capacity_cell(load_requests: int = 600, concurrency: int = 4, verify_seconds: float = 2.0,
                  headroom_steps: Sequence[float] = (0.7, 0.5, 0.35)) -> list[Cell]:
    """The shared capacity cell with a lighter load test (each request carries a PNG)."""
    return server.capacity_cell(load_requests=load_requests, concurrency=concurrency, verify_seconds=verify_seconds,
                                headroom_steps=headroom_steps)


def bundle_cell(request: str | None = None, data_refs: Sequence[str] = ()) -> list[Cell]:
    """The shared bundle cells, with the grounding part of API.md and the model card."""
    return server.bundle_cell(_CELLS + "bundle_docs", request=request, data_refs=data_refs)
