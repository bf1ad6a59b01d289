"""Cells the Data agent writes for tables: load, profile, clean, split (``kinds/tables/cells/*.py``)."""

from __future__ import annotations

from ...cells.render import Cell, render, writefile_cells
from .sampling import LARGE_TABLE_CELLS, PROFILE_ROWS


def load_cell(data_ref: str, predict_ref: str | None = None) -> list[Cell]:
    """Write the table-file reader beside the notebook (the bundle's ``predict.py`` reads with the same file), then
    load the data into ``df`` and report its columns (and check the file to predict, when there is one)."""
    return [*writefile_cells({"table_files.py": "bundle/table_files.py"},
                             "How a table file is read (its format, text encoding and delimiter), written beside the "
                             "notebook: the bundle's predict.py reads the rows it scores with the same file"),
            *render("kinds/tables/cells/load", DATA_REF=data_ref, PREDICT_REF=predict_ref)]


def profile_cell(target: str, task: str, large_table_cells: int = LARGE_TABLE_CELLS,
                 profile_rows: int = PROFILE_ROWS) -> list[Cell]:
    """Types, missing values, class balance or target distribution, with plots; on a table of more than
    ``large_table_cells`` cells the statistics and plots come from a seeded sample of ``profile_rows`` rows."""
    return render("kinds/tables/cells/profile", TARGET=target, TASK=task, LARGE_TABLE_CELLS=large_table_cells,
                  PROFILE_ROWS=profile_rows)


def column_types_cell(target: str, max_categories: int = 30) -> list[Cell]:
    """Write the bundle's raw -> model columns code beside the notebook, then read each column's type (dates,
    booleans, numbers written as text, categories, free text) and compute the model's columns with it."""
    return [*writefile_cells({"table_features.py": "bundle/table_features.py"},
                             "The bundle's table preprocessing (dates to calendar features, \"$12.50\" to numbers, "
                             "yes/no to 0/1, capped categories), written beside the notebook so that training uses "
                             "the very code the served model runs"),
            *render("kinds/tables/cells/column_types", TARGET=target, MAX_CATEGORIES=max_categories)]


def clean_cell(target: str, task: str, outlier_z: float) -> list[Cell]:
    """Duplicates, ID-like and constant columns, numbers stored as text, target outliers; then the inputs that give
    the target away on their own (``leaks.py``: said, and kept)."""
    return render("kinds/tables/cells/clean", "kinds/tables/cells/leaks", TARGET=target, TASK=task,
                  OUTLIER_Z=outlier_z)


def split_cell(target: str, task: str, positive_class: str | None, test_size: float,
               time_column: str | None = None, time_reason: str = "", raw_rows: bool = False) -> list[Cell]:
    """Encode the target, split train/test (stratified, or in time order by ``time_column``, the recipe's date
    column, for the ``time_reason`` given) and define the ONNX-exportable preprocessing; ``raw_rows``: also keep
    the test rows as the user's file has them (``X_test_raw``, from the column types step's ``RAW``)."""
    cells = render("kinds/tables/cells/split", TARGET=target, TASK=task, POSITIVE_CLASS=positive_class,
                   TEST_SIZE=test_size, TIME_COLUMN=time_column, TIME_REASON=time_reason)
    return [*cells, *render("kinds/tables/cells/split_raw")] if raw_rows else cells
