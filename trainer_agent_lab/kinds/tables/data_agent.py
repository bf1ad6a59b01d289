"""The Data agent for tables: load, profile, clean and split, each as visible cells."""

from __future__ import annotations

from typing import Any

from ...agents.data import DataAgent
from ...errors import CellExecutionFailed, DataError
from . import data_cells as cells

#: Robust z-score beyond which a regression target is an outlier (stricter when the user warned of them).
OUTLIER_Z = {"asked": 3.5, "default": 6.0}


class TableDataAgent(DataAgent):
    """The Data agent for tables."""

    def load(self, ref: str) -> dict[str, Any]:
        """Load ``ref``; unusable data becomes a :class:`DataError` with the cell's own message."""
        try:
            result = self.run("load", cells.load_cell(ref))
        except CellExecutionFailed as exc:
            raise DataError(f"Could not load the data {ref!r}: {exc.error['evalue']}") from exc
        self.say(f"Loaded {ref}: {result['rows']:,} rows, {len(result['columns'])} columns.")
        return result

    def profile(self, target: str, task: str) -> dict[str, Any]:
        """Profile cell: types, missing values and the target's distribution."""
        result = self.run("profile", cells.profile_cell(target, task))
        if task == "regression" and result.get("target_stats", {}).get("count", 0) == 0:
            raise DataError(f"The regression target {target!r} has no numeric values.",
                            hint="Pick a numeric target column, or ask for a classifier.")
        return result

    def clean(self, target: str, task: str) -> dict[str, Any]:
        """Cleaning cell; its notes go into the report."""
        self.heading("clean the data")
        outliers = "outliers" in self.memory.spec.hints
        result = self.run("clean", cells.clean_cell(target, task, OUTLIER_Z["asked" if outliers else "default"]))
        self.memory.notes.extend(result.get("notes", []))
        for note in result.get("notes", []):
            self.say(note)
        return result

    def split(self, target: str, task: str, positive_class: str | None) -> dict[str, Any]:
        """Split cell: train/test and preprocessing."""
        self.heading("split and preprocess")
        rows = self.memory.results["clean"]["rows"]
        test_size = 0.2 if rows >= 500 else 0.25
        result = self.run("split", cells.split_cell(target, task, positive_class, test_size))
        self.say(f"Split {result['n_train']:,} rows for training and {result['n_test']:,} for testing; "
                 f"{result['n_features']} features after encoding.")
        return result
