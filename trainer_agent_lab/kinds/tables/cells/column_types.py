"""Decide each input column's type as a data scientist would, and turn the raw table into the model's columns with
the bundle's own code (``table_features.py``), so that training and serving compute the same inputs."""

# %% [context]
import re

import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from .context import ORIGINAL_NAMES, _report, df

# isort: split
# %% Read each input column's type as a data scientist would, and compute the model's columns from the raw ones
# with the bundle's own code (table_features.py, written above), so that training and serving agree. First, the
# date formats and boolean spellings it knows.
import table_features

DATE_FORMATS = ("iso", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d", "%d/%m/%y", "%m/%d/%y",
                "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S", "%Y/%m/%d %H:%M:%S",
                "%b %d %Y", "%b %d, %Y", "%d %b %Y", "%B %d %Y", "%B %d, %Y", "%d %B %Y", "%a %b %d %Y",
                "%Y%m%d", "%Y-%m", "%b %Y", "%B %Y", "%Y %b", "%Y %B", "%YM%m", "quarter", "week")  # "1939 Jan",
# "2021M03", "1970 Q1" and "1991 W06" (quarters and ISO weeks: table_features.py reads them)
BOOLEANS = {"true": ("true", "yes", "y", "t", "1", "on"), "false": ("false", "no", "n", "f", "0", "off")}
TIME_NAME = re.compile(r"(^|_)(time|timestamp|ts|epoch|date|datetime|created|updated|modified)(_|$)|_at$")
EPOCH_RANGES = {"s": (1e8, 4.2e9), "ms": (1e11, 4.2e12)}  # 1973..2103
#: A decimal year (R's time series, zoo's yearmon: 1980.0833 is February 1980) is read in a column named like a time
#: or a year whose values lie in YEAR_RANGE, some of them fractional, each a whole number of months (or weeks) in.
YEAR_NAME = re.compile(r"(^|_)(years?|yr)(_|$)")
YEAR_RANGE = (1000, 2500)
#: How the notebook and the bundle's API describe a date read in a format of its own (else its strftime pattern),
#: or a number read as a date (by its unit).
FORMAT_WORDS = {"iso": "ISO 8601", "quarter": "a year and quarter, like 1970 Q1",
                "week": "an ISO year and week, like 1991 W06"}
UNIT_WORDS = {"year": "a decimal year, as R's time series write it: 1980.0833 is February 1980",
              "s": "epoch seconds", "ms": "epoch milliseconds"}

# %% [parameters]
TARGET = "target"
MAX_CATEGORIES = 30


# %% [hidden] How a column's type is read: dates (text in common formats, datetime values, epoch seconds in a
# column named like a time), booleans in their usual spellings, numbers written as text, categories, free text.
def share_read(texts, read):
    """The share of ``texts`` that ``read`` turns into a value (not None, not NaN)."""
    got = [read(t) for t in texts]
    return float(np.mean([g is not None and not (isinstance(g, float) and np.isnan(g)) for g in got]))


def date_format(texts):
    """The date format that reads the most of ``texts`` (at least 95% of them), or None."""
    if not all(re.search(r"\d", t) for t in texts) or not any(
            re.search(r"[-/.: ,]|^\d{8}$|^\d{4}[QqMWw]\d\d?$|^[Qq]\d", t) for t in texts):
        return None
    rates = {fmt: share_read(texts, lambda t, f=fmt: table_features.parse_datetime(t, f)) for fmt in DATE_FORMATS}
    best = max(rates, key=rates.get)  # ties go to the first format: ISO, then day-first
    return best if rates[best] >= 0.95 else None


def datetime_step(col, raw_name, moments, **how):
    """The recipe step of a date column: calendar features, with the hour where the values carry a time; a monthly or
    quarterly column (every date the first of its month) has no day, day of week or weekend worth learning: the
    weekday of the 1st of each month is noise a small table's model would fit."""
    has_time = any(m is not None and (m.hour or m.minute) for m in moments)
    monthly = all(m is None or m.day == 1 for m in moments)
    daily = ("day", "dayofweek", "weekend")
    parts = [p for p in table_features.CALENDAR_PARTS if (p != "hour" or has_time) and not (monthly and p in daily)]
    return {"raw": raw_name, "column": col, "kind": "datetime", "parts": parts, **how}


def decimal_years(finite):
    """Whether numbers are decimal years: within YEAR_RANGE, some fractional, every fraction a whole number of
    twelfths (months, quarters, halves) or of 52nds (weeks) of the year, to the 4 places files round them to."""
    low, high = YEAR_RANGE
    if not len(finite) or not finite.between(low, high).all():
        return False
    fractions = (finite - np.floor(finite)).to_numpy(dtype=float)
    if not (fractions > 1e-9).any():
        return False  # whole years: a number, as they are
    return any(bool((np.abs(fractions * k - np.round(fractions * k)) < 0.002 * k).all()) for k in (12, 52))


def read_column(col, raw_name, values, n_rows):
    """(type read, recipe step or None to drop it, decision, reason) for one input column (a number column costs
    a few microseconds unless it is named like a time: a wide table has thousands)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        moments = [table_features.parse_datetime(v) for v in values.dropna()[:500]]
        return "datetime", datetime_step(col, raw_name, moments, format="iso"), "calendar features", (
            "date and time values")
    if pd.api.types.is_bool_dtype(values):
        return "boolean", {"raw": raw_name, "column": col, "kind": "boolean", **BOOLEANS}, "0/1", "true/false values"
    if pd.api.types.is_numeric_dtype(values):
        time_named = bool(TIME_NAME.search(col.lower()))
        finite = values[np.isfinite(values.astype(float))] if time_named or YEAR_NAME.search(col.lower()) else (
            values[:0])
        if decimal_years(finite):
            moments = [table_features.parse_datetime(v, unit="year") for v in finite[:500]]
            shown = float(finite[finite % 1 > 0].iloc[0])
            return "decimal year", datetime_step(col, raw_name, moments, unit="year"), "calendar features", (
                f"named like a time, values are decimal years as R's time series write them ({shown:.4f} is "
                f"{table_features.parse_datetime(shown, unit='year'):%b %Y}), {min(moments):%Y}..{max(moments):%Y}")
        finite = finite if time_named else values[:0]  # epoch seconds: named like a time
        for unit, (low, high) in EPOCH_RANGES.items():
            if len(finite) and finite.between(low, high).all() and (finite % 1 == 0).all():
                moments = [table_features.parse_datetime(v, unit=unit) for v in finite[:500]]
                return (UNIT_WORDS[unit],
                        datetime_step(col, raw_name, moments, unit=unit), "calendar features",
                        f"named like a time, values are epoch {unit} of {moments[0]:%Y}..{max(moments):%Y}")
        return str(values.dtype), {"raw": raw_name, "column": col, "kind": "number"}, "number", "numeric values"
    texts = values.dropna().astype(str).str.strip()
    texts = texts[texts != ""]
    sample = texts.drop_duplicates().head(500).tolist()
    if not sample:
        return "text", {"raw": raw_name, "column": col, "kind": "category"}, "category", "no values"
    spelled = {t.lower() for t in sample}
    for true, false in zip(BOOLEANS["true"], BOOLEANS["false"], strict=True):
        if spelled <= {true, false}:
            step = {"raw": raw_name, "column": col, "kind": "boolean", "true": [true], "false": [false]}
            return "text", step, "0/1", f"yes/no values spelled {sorted({t for t in sample})}"
    fmt = date_format(sample)
    if fmt is not None:
        moments = [table_features.parse_datetime(t, fmt) for t in sample]
        shown = FORMAT_WORDS.get(fmt, fmt)
        return "text", datetime_step(col, raw_name, moments, format=fmt), "calendar features", (
            f"dates like {sample[0]!r} ({shown}); a date is never an identifier")
    decimal = "," if any(re.fullmatch(r"-?\d+,\d{1,2}", t) for t in sample) and not any(
        re.search(r"\d,\d{3}(\D|$)", t) for t in sample) else "."
    counts = texts.value_counts()
    read = counts.index.map(lambda t: not np.isnan(table_features.parse_number(t, decimal)))
    if counts[read].sum() >= 0.95 * counts.sum():  # as the clean step counts: rows, not distinct values
        step = {"raw": raw_name, "column": col, "kind": "number", "decimal": decimal}
        return "text", step, "number", f"numbers written as text, like {sample[0]!r}"
    unique = texts.nunique()
    words = texts.str.split().str.len().mean()
    if unique >= 0.95 * n_rows:
        return "text", None, "drop", "an identifier (a different text in every row): no signal to learn"
    if unique > max(50, 0.5 * n_rows) and words >= 3:
        return "text", None, "drop", f"free text ({unique:,} distinct values, {words:.0f} words on average)"
    step = {"raw": raw_name, "column": col, "kind": "category"}
    if unique <= MAX_CATEGORIES:
        return "text", step, "one-hot", f"{unique} categories"
    step["keep"] = sorted(counts[counts >= 2].index[:MAX_CATEGORIES].tolist())
    return "text", step, "one-hot, capped", (f"{unique:,} categories: the {len(step['keep'])} most frequent kept, "
                                             f"the rest become {table_features.OTHER!r}")


def date_values(step):
    """A date column's moments as numbers (days since year 1, NaN where missing), for ordering rows in time."""
    moments = [table_features.parse_datetime(v, step.get("format"), step.get("unit")) for v in RAW[step["raw"]]]
    return pd.Series([np.nan if m is None else m.toordinal() + (m.hour * 3600 + m.minute * 60 + m.second) / 86400
                      for m in moments], index=RAW.index, dtype="float64")


def raw_input(step, values):
    """The raw column as a client sends it: its dtype in the request and a short description."""
    kind = step["kind"]
    if kind == "number" and "decimal" not in step:
        return {"name": step["raw"], "dtype": "number"}
    if kind == "category":
        return {"name": step["raw"], "dtype": "string"}
    examples = [str(v) for v in values.dropna().astype(str).head(3)]
    how = (FORMAT_WORDS.get(step["format"], f"format {step['format']}") if step.get("format") else
           UNIT_WORDS.get(step.get("unit"), f"epoch {step.get('unit')}"))
    described = {"datetime": f"a date or time ({how})",
                 "boolean": "true/false, yes/no, 1/0", "number": "a number, or one written as text"}[kind]
    return {"name": step["raw"], "dtype": {"datetime": "date"}.get(kind, kind if kind == "boolean" else "text"),
            "description": described + "; null if unknown", "examples": examples}



# %% The type of each input column (the table shows what was read, the decision and why): dates become calendar
# features (year, month, day, day of week, weekend, day of year and its sine and cosine, so that season is smooth),
# booleans and numbers written as text become numbers, text becomes categories (capped), free text is dropped.
RAW = df.rename(columns=ORIGINAL_NAMES)  # the user's own column names: what the bundle's clients send
rows, steps, notes = [], [], []
numbers = df.drop(columns=TARGET).select_dtypes("number")
infinite = pd.Series(np.isinf(numbers.to_numpy(dtype=float, na_value=np.nan)).sum(axis=0),  # one pass, however wide
                     index=numbers.columns)
for col in [c for c in df.columns if c != TARGET]:
    type_read, step, decision, reason = read_column(col, ORIGINAL_NAMES.get(col, col), df[col], len(df))
    rows.append({"column": ORIGINAL_NAMES.get(col, col), "type read": type_read, "decision": decision,
                 "reason": reason})
    if step is not None:
        steps.append(step)
    else:
        notes.append(f"Dropped column {col}: {reason}.")
    if infinite.get(col, 0):
        notes.append(f"Column {col} held {int(infinite[col])} infinite values: they are treated as missing (imputed).")
RECIPE = {"version": 1, "columns": steps,
          "raw_inputs": [raw_input(step, RAW[step["raw"]]) for step in steps]}
COLUMN_TYPES = pd.DataFrame(rows)
display(COLUMN_TYPES)

# %% The model's columns, computed from the raw ones by the recipe (the same code the bundle runs), beside the
# target. Where the target drifts with a date, it shows: the rank correlation of each date with the target less its
# mean for the month (the trend beyond the season).
features = table_features.to_model_frame(RAW, RECIPE)
df = pd.concat([features, df[[TARGET]]], axis=1)
dates = [step for step in steps if step["kind"] == "datetime"]
drift = {}
target_numbers = pd.to_numeric(df[TARGET], errors="coerce")
for step in dates:  # the trend beyond the season: the target less its mean for the month of year, against time
    moments = date_values(step)
    month = df.get(f"{step['column']}_month", pd.Series(0, index=df.index))
    beyond_season = target_numbers - target_numbers.groupby(month).transform("mean")
    if target_numbers.notna().sum() >= 10 and moments.notna().sum() >= 10:
        drift[step["column"]] = float(beyond_season.corr(moments, method="spearman"))
if drift:
    display(Markdown("Rank correlation of the target (less its monthly mean) with each date, the trend over time: "
                     + ", ".join(f"`{c}` {r:+.2f}" for c, r in drift.items())))
if notes:
    display(Markdown("**Column types**\n\n" + "\n".join(f"- {note}" for note in notes)))
print(f"{len(steps)} raw input columns -> {features.shape[1]} model columns")
_report(column_types=rows, notes=notes, date_columns=[step["column"] for step in dates], time_drift=drift,
        recipe_columns=len(steps), model_columns=int(features.shape[1]))
