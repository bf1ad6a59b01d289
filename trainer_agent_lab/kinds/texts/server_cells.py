"""Cells the Server agent writes for text students: ONNX export with the text preprocessing, parity on raw
strings, serving files, bundle docs.

The student's classifier becomes ONNX over the TF-IDF features (or token ids); the preprocessing travels as data
and code the bundle ships: ``text_vectorizer.json`` or ``text_tokenizer.json`` and ``text_features.py``
(normalisation and TF-IDF in NumPy, see :mod:`trainer_agent_lab.bundle.text_features`). The parity cell runs the
bundle's own preprocessing and ONNX model on the raw test strings and compares with the trained student. The
capacity cell is the shared one; the bundle cell the shared one with the text part of the documents.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...cells import server
from ...cells.render import Cell, render
from ...cells.server import capacity_cell

__all__ = ["bundle_cell", "capacity_cell", "export_onnx_cell", "parity_cell", "serving_app_cell"]

_TEXTS = "kinds/texts/cells/"


def export_onnx_cell() -> list[Cell]:
    """Export the student's classifier to ONNX and its preprocessing to the bundle (vocabulary + code)."""
    return render("cells/bundle_folder", _TEXTS + "export", "cells/onnx_timing", "cells/latency_checks",
                  _TEXTS + "export_int8", TIMED_FEED=True, ONE_ITEM="single-text")


def parity_cell() -> list[Cell]:
    """Check end to end, on raw strings, that the bundle's preprocessing + ONNX give the student's answers."""
    return render(_TEXTS + "parity")


def serving_app_cell() -> list[Cell]:
    """Write ``serve.py`` and what it reads for a text model (schema, label map, samples)."""
    return server.serving_app_cell(_TEXTS + "serving", "texts")


def bundle_cell(request: str | None = None, data_refs: Sequence[str] = ()) -> list[Cell]:
    """The shared bundle cells, with the text-specific part of API.md and the model card."""
    return server.bundle_cell(_TEXTS + "bundle_docs", request=request, data_refs=data_refs)
