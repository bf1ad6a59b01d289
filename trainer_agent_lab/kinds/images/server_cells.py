"""Cells the Server agent writes for image models: ONNX export (+ int8), parity, serving files, bundle docs.

The capacity and bundle cells are the shared ones (:mod:`trainer_agent_lab.cells.server`): the export cells
here define what they call (``to_onnx_feed``; the shared timing cell ``onnx_session`` and ``single_row_ms``),
the serving cell defines ``REQUEST_BODIES`` and ``SERVING_MODEL_PATH``, and :func:`bundle_cell` hands the shared
bundle cells the image-specific part of the documents.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...cells import server
from ...cells.render import Cell, render

__all__ = ["bundle_cell", "capacity_cell", "export_onnx_cell", "parity_cell", "serving_app_cell"]

_IMAGES = "kinds/images/cells/"


def export_onnx_cell(calibration_images: int = 256, check_images: int = 500,
                     agreement_wanted: float = 0.995) -> list[Cell]:
    """Export ``model`` (raw pixels in, probabilities out) to ONNX; int8 by static QDQ when asked or needed."""
    return render("cells/bundle_folder", "cells/torch_onnx", _IMAGES + "export", "cells/onnx_timing",
                  "cells/latency_checks", _IMAGES + "export_int8", TIMED_FEED=False, ONE_ITEM="one-image",
                  CALIBRATION_IMAGES=calibration_images, CHECK_IMAGES=check_images, AGREEMENT_WANTED=agreement_wanted)


def parity_cell() -> list[Cell]:
    """Check ``model.onnx`` (and the int8 file) against the torch network on the test images, and score them."""
    return render(_IMAGES + "parity")


def serving_app_cell() -> list[Cell]:
    """Write ``serve.py``, the image schema, the label map and a sample request and its answer."""
    return server.serving_app_cell(_IMAGES + "serving", "images")


def bundle_cell(request: str | None = None, data_refs: Sequence[str] = ()) -> list[Cell]:
    """The shared bundle cells, with the image-specific part of API.md and the model card."""
    return server.bundle_cell(_IMAGES + "bundle_docs", request=request, data_refs=data_refs)


def capacity_cell(load_requests: int = 1000, concurrency: int = 8, verify_seconds: float = 2.0,
                  headroom_steps: Sequence[float] = (0.7, 0.5, 0.35)) -> list[Cell]:
    """The shared capacity cell with a lighter load test (an image request carries far more numbers than a row)."""
    return server.capacity_cell(load_requests=load_requests, concurrency=concurrency, verify_seconds=verify_seconds,
                                headroom_steps=headroom_steps)
