"""Cells the Server agent writes for tables: the pipeline's ONNX export (one input per raw column) and parity;
the serving app, capacity and bundle steps are the shared ones (:mod:`trainer_agent_lab.cells.server`) with the
tables' serving and document cells. The steps that measure (the float model's latency check, the capacity) take
the seconds they may spend: a wide table's model (one ONNX input per column) is slow per call, so they run for
a time, not a count."""

from __future__ import annotations

from collections.abc import Sequence

from ...cells import server
from ...cells.render import Cell, render, writefile_cells
from .predictions import predictions_cell

__all__ = ["bundle_cell", "capacity_cell", "export_onnx_cell", "parity_cell", "predictions_cell", "serving_app_cell"]

_TABLES = "kinds/tables/cells/"


def export_onnx_cell(seconds: float = 5.0) -> list[Cell]:
    """Convert ``model`` to ``bundle/model.onnx`` (one input per raw column), and to int8 where needed; the float
    model's latency check against the request's targets takes at most about ``seconds``."""
    probe = writefile_cells({"bundle/memory_probe.py": "bundle/memory_probe.py"},
                            "A scratch script that measures the peak memory of a process serving the model "
                            "(the next cell runs it, then deletes it: it is not part of the bundle)")
    return [*render("cells/bundle_folder", _TABLES + "export", "cells/onnx_timing", "cells/latency_checks",
                    TIMED_FEED=False, ONE_ITEM="single-row", LATENCY_SECONDS=seconds),
            *probe, *render(_TABLES + "export_int8")]


def parity_cell() -> list[Cell]:
    """Check that ``bundle/model.onnx`` (and the int8 file) predict what ``model`` predicts on X_test."""
    return render(_TABLES + "parity")


def serving_app_cell() -> list[Cell]:
    """Write ``serve.py`` and what it reads for a table model (feature schema, label map, samples)."""
    return server.serving_app_cell(_TABLES + "serving", "rows")


def capacity_cell(seconds: float = 30.0, load_requests: int = 2000, concurrency: int = 8,
                  verify_seconds: float = 2.5, headroom_steps: Sequence[float] = (0.7, 0.5, 0.35)) -> list[Cell]:
    """The shared capacity cell (``cells/capacity.py``, as :func:`trainer_agent_lab.cells.server.capacity_cell`
    renders it) measuring for at most about ``seconds``: at most ``load_requests`` requests and ``verify_seconds``
    per verification run, fewer when the time is up."""
    return render("cells/capacity", LOAD_REQUESTS=load_requests, CONCURRENCY=concurrency,
                  VERIFY_SECONDS=verify_seconds, HEADROOM_STEPS=tuple(headroom_steps), CAPACITY_SECONDS=seconds)


def bundle_cell(request: str | None = None, data_refs: Sequence[str] = ()) -> list[Cell]:
    """The shared bundle cells, with the tables' part of API.md and the model card."""
    return server.bundle_cell(_TABLES + "bundle_docs", request=request, data_refs=data_refs)
