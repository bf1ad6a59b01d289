"""Cells the Data agent writes for tables: load, profile, clean, split (``kinds/tables/cells/*.py``)."""

from __future__ import annotations

from ...cells.render import Cell, render


def load_cell(data_ref: str) -> list[Cell]:
    """Load the data into ``df`` and report its columns."""
    return render("kinds/tables/cells/load", DATA_REF=data_ref)


def profile_cell(target: str, task: str) -> list[Cell]:
    """Types, missing values, class balance or target distribution, with plots."""
    return render("kinds/tables/cells/profile", TARGET=target, TASK=task)


def clean_cell(target: str, task: str, outlier_z: float) -> list[Cell]:
    """Duplicates, ID-like and constant columns, numbers stored as text, target outliers."""
    return render("kinds/tables/cells/clean", TARGET=target, TASK=task, OUTLIER_Z=outlier_z)


def split_cell(target: str, task: str, positive_class: str | None, test_size: float) -> list[Cell]:
    """Encode the target, split train/test (stratified) and define the ONNX-exportable preprocessing."""
    return render("kinds/tables/cells/split", TARGET=target, TASK=task, POSITIVE_CLASS=positive_class,
                  TEST_SIZE=test_size)
