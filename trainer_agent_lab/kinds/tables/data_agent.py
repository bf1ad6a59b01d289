"""The Data agent for tables: load, profile, clean and split, each as visible cells."""

from __future__ import annotations

from typing import Any

from ...agents.data import DataAgent
from ...errors import CellExecutionFailed, DataError
from . import data_cells as cells

#: Robust z-score beyond which a regression target is an outlier (stricter when the user warned of them).
OUTLIER_Z = {"asked": 3.5, "default": 6.0}
#: Rank correlation of the target with a date beyond which the target drifts with time (a chronological split).
DRIFT_RHO = 0.5


class TableDataAgent(DataAgent):
    """The Data agent for tables."""

    def load(self, ref: str, predict_ref: str | None = None) -> dict[str, Any]:
        """Load ``ref`` (and check ``predict_ref``, the file to predict); unusable data becomes a
        :class:`DataError` with the cell's own message."""
        try:
            result = self.run("load", cells.load_cell(ref, predict_ref))
        except CellExecutionFailed as exc:
            raise DataError(f"Could not load the data {ref!r}: {exc.error['evalue']}") from exc
        self.say(f"Loaded {ref}: {result['rows']:,} rows, {len(result['columns'])} columns.")
        return result

    def profile(self, target: str, task: str) -> dict[str, Any]:
        """Profile cell: types, missing values and the target's distribution."""
        load = self.memory.results.get("load") or {}
        column = next((c for c in load.get("columns", []) if c.get("name") == target), None)
        if column is not None and load.get("rows") and column.get("missing") == load["rows"]:
            raise DataError(f"The target column {target!r} has no values: all {load['rows']:,} rows are empty "
                            "there, so there is nothing to learn from.",
                            hint="Fill in the target column, or name another column as the target in the request.")
        result = self.run("profile", cells.profile_cell(target, task))
        if task == "regression" and result.get("target_stats", {}).get("count", 0) == 0:
            raise DataError(f"The regression target {target!r} has no numeric values.",
                            hint="Pick a numeric target column, or ask for a classifier.")
        return result

    def column_types(self, target: str) -> dict[str, Any]:
        """Read each column's type (dates, booleans, numbers as text, categories, free text) and compute the
        model's columns with the bundle's own code; its notes go into the report."""
        self.heading("read the column types")
        result = self.run("column_types", cells.column_types_cell(target))
        self.memory.notes.extend(result.get("notes", []))
        decided = [f"{row['column']} ({row['decision']})" for row in result.get("column_types", [])
                   if row["decision"] not in ("number", "one-hot") or row["type read"] == "text"]
        if decided:
            self.say("Column types: " + ", ".join(decided) + ".")
        return result

    def clean(self, target: str, task: str) -> dict[str, Any]:
        """Cleaning cell; its notes go into the report."""
        self.heading("clean the data")
        counts = (self.memory.results.get("profile") or {}).get("class_counts") or {}
        if task == "classification" and counts and max(counts.values()) < 3:
            raise DataError(f"The target {target!r} has {len(counts):,} classes and none has 3 rows or more, so no "
                            "class can be both learned and tested: it looks like an identifier or a measurement, "
                            "not a label.", hint="Name the column to predict in the request, or ask for a "
                            "regression if it is a number.")
        outliers = "outliers" in self.memory.spec.hints
        result = self.run("clean", cells.clean_cell(target, task, OUTLIER_Z["asked" if outliers else "default"]))
        if result.get("inputs") == 0:  # every other column was an identifier, free text, constant or empty
            types = (self.memory.results.get("column_types") or {}).get("column_types") or []
            gone = {row["column"]: row["reason"] for row in types if row["decision"] == "drop"}
            gone.update(result.get("dropped_columns") or {})
            listed = "; ".join(f"{col}: {why}" for col, why in list(gone.items())[:6])
            raise DataError(f"No input column is left to predict {target!r} from" + (f" ({listed})." if listed
                                                                                     else "."),
                            hint="Add columns that describe each row (measurements, categories, dates), or name "
                            "another column to predict in the request.")
        said = [*result.get("notes", []), *result.get("leak_notes", [])]  # what was cleaned, then any giveaway
        self.memory.notes.extend(said)
        for note in said:
            self.say(note)
        return result

    def split(self, target: str, task: str, positive_class: str | None) -> dict[str, Any]:
        """Split cell: train/test and preprocessing."""
        self.heading("split and preprocess")
        rows = self.memory.results["clean"]["rows"]
        test_size = 0.2 if rows >= 500 else 0.25
        time_column, why = self.time_order()
        result = self.run("split", cells.split_cell(target, task, positive_class, test_size, time_column, why,
                                                          raw_rows=True))
        if time_column:
            self.say(f"Split in time order by {time_column}: {why}; the newest rows are the test set.")
        self.say(f"Split {result['n_train']:,} rows for training and {result['n_test']:,} for testing; "
                 f"{result['n_features']} features after encoding.")
        return result

    def time_order(self) -> tuple[str | None, str]:
        """The date column to split by in time order, and why: when the request speaks of forecasting, or when
        the target drifts with the date (a random split of a time series leaks the future into training)."""
        types = self.memory.results.get("column_types") or {}
        dates = types.get("date_columns") or []
        if not dates:
            return None, ""
        if "forecast" in self.memory.spec.hints:
            return dates[0], "the request asks to forecast, so the model is tested on rows later than it learned from"
        drift = {col: rho for col, rho in (types.get("time_drift") or {}).items() if abs(rho) >= DRIFT_RHO}
        if drift:
            col = max(drift, key=lambda c: abs(drift[c]))
            return col, (f"the target drifts with {col} (rank correlation {drift[col]:+.2f}), so a random split "
                         "would let the model see the future")
        return None, ""
