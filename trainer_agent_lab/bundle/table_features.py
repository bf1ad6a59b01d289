"""Turn a table's raw columns into what the bundle's ONNX model takes: the one copy of that code, shared by the
notebook that trained the model, the bundle's ``serve.py`` and a batch ``predict.py``.

Copied into tabular bundles as ``table_features.py`` beside ``serve.py``. It depends on NumPy and the standard
library only (pandas is used, when installed, just to take and return DataFrames) and never loads pickles.

The *recipe* (``feature_schema.json["recipe"]``) says, for each raw column the user sends (under the column's
name in the user's own file), how it becomes the model's columns:

===============  ==========================================================================================
kind             raw values -> model columns
===============  ==========================================================================================
``number``       numbers, or numbers written as text (``"$12.50"``, ``"12%"``, ``"1,234"``) -> one float
``boolean``      yes/no, Y/N, true/false, t/f, 1/0 (and JSON booleans) -> one float, 1.0 or 0.0
``datetime``     dates and times (text in the recipe's format, ISO text, datetime values, epoch seconds when
                 ``unit`` is ``"s"`` or ``"ms"``, decimal years such as R's time series write when it is
                 ``"year"``: 1980.0833 is February 1980; quarters such as "1970 Q1" when the format is
                 ``"quarter"``, ISO weeks such as "1991 W06" when it is ``"week"``) -> calendar features:
                 year, month, day, day of week, weekend, day of year and its sine and cosine (so season is
                 smooth for linear models), hour where present; the recipe's ``parts`` say which (a
                 monthly column has no day, weekday or weekend)
``category``     text -> one text column; values outside ``keep`` (when given) become ``other``
===============  ==========================================================================================

Values that cannot be read become missing (NaN or None): the model imputes them, as it did in training.

    frame = to_model_frame(raw_frame, schema["recipe"])      # pandas in, pandas out
    feed = onnx_feed(frame, schema)                           # {onnx input name: array [rows, 1]}
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import numpy as np

__all__ = ["CALENDAR_PARTS", "onnx_feed", "parse_datetime", "parse_number", "plain_recipe", "prune_recipe",
           "raw_names", "to_model_columns", "to_model_frame"]

#: The calendar features a datetime column becomes (``hour`` only where the values carry a time of day).
CALENDAR_PARTS = ("year", "month", "day", "dayofweek", "weekend", "dayofyear", "doy_sin", "doy_cos", "hour")
#: What a value outside a category column's ``keep`` list becomes.
OTHER = "other"
#: The ISO 4217 codes an amount is written with ("USD 12.50", "12,50 EUR"); any other three capitals before digits
#: make a code ("CEU0500000001", "SKU123"), which is not a number.
_CURRENCIES = ("USD|EUR|GBP|JPY|CNY|RMB|INR|CHF|CAD|AUD|NZD|SEK|NOK|DKK|ISK|PLN|CZK|HUF|RON|BGN|RUB|UAH|TRY|ILS|"
               "AED|SAR|QAR|EGP|NGN|KES|ZAR|BRL|MXN|ARS|CLP|COP|PEN|KRW|SGD|HKD|TWD|THB|IDR|MYR|PHP|VND|PKR|BDT|LKR")
_NUMBER_JUNK = re.compile(rf"^(?:{_CURRENCIES})(?=\s*[\d.-])|(?<=[\d.])\s*(?:{_CURRENCIES})$|[\s$€£¥₹%\u00a0]")
_EPOCH = datetime(1970, 1, 1)
#: A quarter written as people and R's tsibble write it: "1970 Q1", "1970-Q1", "1970Q1", "Q1 1970", "q1/1970".
_QUARTER = re.compile(r"^(?:(\d{4})\s*[-/ ]?\s*[Qq]([1-4])|[Qq]([1-4])\s*[-/ ]?\s*(\d{4}))$")
#: An ISO week as tsibble and ISO 8601 write it: "1991 W06", "1991-W06", "1991W6" (its Monday).
_WEEK = re.compile(r"^(\d{4})\s*-?\s*[Ww](\d{1,2})$")


def is_missing(value: Any) -> bool:
    """Whether one value is missing: None, NaN, pandas' NA or NaT."""
    if value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return bool(np.isnan(value))
    return type(value).__name__ in ("NAType", "NaTType")


def parse_number(value: Any, decimal: str = ".") -> float:
    """A float from a number or a number written as text (currency, percent, thousands separators); NaN if none.

    ``decimal`` is the text's decimal mark: ``","`` for "1.234,5", else ``"."`` (commas are then thousands).
    """
    if is_missing(value):
        return math.nan
    if isinstance(value, (bool, np.bool_, int, float, np.integer, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else math.nan
    text = _NUMBER_JUNK.sub("", str(value).strip())
    negative = text.startswith("(") and text.endswith(")")
    text = text.strip("()")
    text = text.replace(".", "").replace(",", ".") if decimal == "," else text.replace(",", "")
    try:
        number = float(text)
    except ValueError:
        return math.nan
    if not math.isfinite(number):  # infinities are read as missing, as in training
        return math.nan
    return -number if negative else number


def parse_boolean(value: Any, true: Iterable[str], false: Iterable[str]) -> float:
    """1.0 for a value spelled as one of ``true``, 0.0 for one of ``false`` (case and spaces ignored), else NaN."""
    if is_missing(value):
        return math.nan
    if isinstance(value, (bool, np.bool_)):
        return float(bool(value))
    if isinstance(value, (int, float, np.integer, np.floating)) and value in (0, 1):
        return float(value)
    text = str(value).strip().lower()
    if text in true:
        return 1.0
    return 0.0 if text in false else math.nan


def parse_datetime(value: Any, fmt: str | None = None, unit: str | None = None) -> datetime | None:
    """A naive datetime (wall-clock time) from a datetime value, text in ``fmt`` or ISO 8601, or epoch ``unit``
    (``"s"`` or ``"ms"``) numbers; None if it cannot be read."""
    if is_missing(value):
        return None
    if isinstance(value, np.datetime64):
        value = value.astype("datetime64[us]").item()
        if value is None or isinstance(value, int):
            return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone(timezone.utc).replace(
            tzinfo=None)
    if isinstance(value, date):
        return datetime.combine(value, time())
    if unit == "year":
        return _decimal_year(parse_number(value))
    if unit is not None or isinstance(value, (int, float, np.integer, np.floating)):
        seconds = parse_number(value)
        if unit is None or not math.isfinite(seconds):
            return None
        try:
            return _EPOCH + timedelta(seconds=seconds / (1000.0 if unit == "ms" else 1.0))
        except OverflowError:
            return None
    text = str(value).strip()
    if fmt == "quarter":
        found = _QUARTER.match(text)
        if found is None:
            return None
        year, quarter = (found.group(1), found.group(2)) if found.group(1) else (found.group(4), found.group(3))
        return datetime(int(year), 3 * int(quarter) - 2, 1)
    if fmt == "week":
        found = _WEEK.match(text)
        try:
            return None if found is None else datetime.fromisocalendar(int(found.group(1)), int(found.group(2)), 1)
        except ValueError:  # week 53 of a year that has 52
            return None
    try:
        if fmt and fmt != "iso":
            return datetime.strptime(text, fmt)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is None else parsed.astimezone(timezone.utc).replace(tzinfo=None)


def _decimal_year(number: float) -> datetime | None:
    """The moment a decimal year stands for, as R's time series (``time()`` of a ``ts``) and zoo's ``yearmon``
    write them: each month is a twelfth of the year, so 1980.0833 is 1 February 1980 and 1965.25 is 1 April; the
    rest of a month's twelfth is its days (whole days: a decimal year carries no time of day). None outside the
    years 1..9999."""
    if not math.isfinite(number) or not 1 <= number < 10000:
        return None
    year = math.floor(number)
    months = (number - year) * 12
    month = min(11, math.floor(months + 0.01))  # 0.0833 written to 4 places is 0.9996 of a month: February
    first = datetime(year, month + 1, 1)
    days = ((datetime(year + 1, 1, 1) if month == 11 else datetime(year, month + 2, 1)) - first).days
    return first + timedelta(days=min(math.floor(max(months - month, 0.0) * days + 0.01), days - 1))


def calendar(moment: datetime | None) -> dict[str, float]:
    """The calendar features of one datetime (NaN for every part when it is missing)."""
    if moment is None:
        return dict.fromkeys(CALENDAR_PARTS, math.nan)
    day_of_year = moment.timetuple().tm_yday
    angle = 2 * math.pi * (day_of_year - 1) / 365.25
    return {"year": float(moment.year), "month": float(moment.month), "day": float(moment.day),
            "dayofweek": float(moment.weekday()), "weekend": float(moment.weekday() >= 5),
            "dayofyear": float(day_of_year), "doy_sin": math.sin(angle), "doy_cos": math.cos(angle),
            "hour": moment.hour + moment.minute / 60}


def calendar_of(value: Any, fmt: str | None = None, unit: str | None = None) -> dict[str, float]:
    """The calendar features of one raw date value (see :func:`parse_datetime`)."""
    return calendar(parse_datetime(value, fmt, unit))


def _values(raw: Any, name: str) -> list[Any]:
    column = raw[name]
    return column.tolist() if hasattr(column, "tolist") else list(column)


def _numeric_array(column: Any) -> np.ndarray | None:
    """A column already held as numbers (a NumPy or pandas column of bool, int or float dtype) as float64 in one
    pass, infinities as NaN: what :func:`parse_number` makes of each value, without a call per value (a wide
    table has millions of them). None for any other column (text, objects, lists), which is parsed value by value."""
    kind = getattr(getattr(column, "dtype", None), "kind", None)
    if kind is None or kind not in "biuf":
        return None
    try:
        array = (column.to_numpy(dtype=np.float64, na_value=np.nan) if hasattr(column, "to_numpy")
                 else np.asarray(column, dtype=np.float64))
    except (TypeError, ValueError):
        return None
    array = np.array(array, dtype=np.float64)  # its own copy: never a view of the caller's data
    array[~np.isfinite(array)] = np.nan
    return array


def _each_unique(values: list[Any], parse: Any, *args: Any) -> list[Any]:
    """``parse(value, *args)`` for every value, once per distinct value (dates and codes repeat a lot)."""
    cache: dict[Any, Any] = {}
    out = []
    for value in values:
        key = (type(value).__name__, value) if not is_missing(value) else ("missing",)
        try:
            out.append(cache[key])
        except KeyError:
            cache[key] = parse(value, *args)
            out.append(cache[key])
        except TypeError:  # an unhashable value
            out.append(parse(value, *args))
    return out


def to_model_columns(raw: Any, recipe: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The model's input columns from raw ones: ``raw`` maps each raw column name (as the user's file names it)
    to its values (a DataFrame or a dict of lists); floats come back as float64, text as object arrays."""
    out: dict[str, np.ndarray] = {}
    for step in recipe["columns"]:
        kind, name = step["kind"], step["column"]
        numbers = _numeric_array(raw[step["raw"]]) if kind == "number" else None
        if numbers is not None:  # numbers already: one pass for the whole column
            out[name] = numbers
            continue
        values = _values(raw, step["raw"])
        if kind == "number":
            out[name] = np.array(_each_unique(values, parse_number, step.get("decimal", ".")), dtype=np.float64)
        elif kind == "boolean":
            spellings = set(step["true"]), set(step["false"])
            out[name] = np.array(_each_unique(values, parse_boolean, *spellings), dtype=np.float64)
        elif kind == "datetime":
            parts = _each_unique(values, calendar_of, step.get("format"), step.get("unit"))
            for part in step["parts"]:
                out[f"{name}_{part}"] = np.array([p[part] for p in parts], dtype=np.float64)
        elif kind == "category":
            keep = set(step["keep"]) if step.get("keep") is not None else None
            texts = [None if is_missing(v) else str(v).strip() for v in values]
            if keep is not None:
                texts = [t if t is None or t in keep else OTHER for t in texts]
            out[name] = np.array(texts, dtype=object)
        else:
            raise ValueError(f"unknown recipe step kind {kind!r} for column {step['raw']!r}")
    return out


def to_model_frame(raw: Any, recipe: Mapping[str, Any]) -> Any:
    """The model's input columns (a pandas DataFrame, the index of ``raw`` kept) from a DataFrame of raw columns
    named as in the user's file."""
    import pandas as pd

    return pd.DataFrame(to_model_columns(raw, recipe), index=getattr(raw, "index", None))


def raw_names(recipe: Mapping[str, Any]) -> list[str]:
    """The raw columns a recipe reads, in its order (the user's own column names)."""
    return [item["name"] for item in recipe["raw_inputs"]]


def model_columns(step: Mapping[str, Any]) -> list[str]:
    """The model columns one recipe step makes."""
    if step["kind"] == "datetime":
        return [f"{step['column']}_{part}" for part in step["parts"]]
    return [step["column"]]


def prune_recipe(recipe: Mapping[str, Any], used: Iterable[str]) -> dict[str, Any]:
    """The recipe reduced to the steps (and raw inputs) that make the model columns in ``used``."""
    used = set(used)
    steps = [step for step in recipe["columns"] if used & set(model_columns(step))]
    keep = {step["raw"] for step in steps}
    return {**recipe, "columns": steps, "raw_inputs": [i for i in recipe["raw_inputs"] if i["name"] in keep]}


def plain_recipe(numeric: Iterable[str], categorical: Iterable[str]) -> dict[str, Any]:
    """The recipe of a table whose raw columns are the model's own: numbers stay numbers, text stays text."""
    steps = [{"raw": c, "column": c, "kind": "number"} for c in numeric]
    steps += [{"raw": c, "column": c, "kind": "category"} for c in categorical]
    return {"version": 1, "columns": steps,
            "raw_inputs": [{"name": s["raw"], "dtype": "number" if s["kind"] == "number" else "string"}
                           for s in steps]}


def onnx_feed(frame: Any, schema: Mapping[str, Any], ranks: Mapping[str, int] | None = None) -> dict[str, np.ndarray]:
    """The ONNX inputs of a table of the model's columns (a DataFrame, or a dict of column -> values).

    One array per ``schema["inputs"]`` entry, under its ONNX name: float32 for ``"float"`` columns (missing ->
    NaN, which the model imputes) and strings for the others (missing -> the entry's ``missing`` token). Each is
    shaped [rows, 1], or [rows] where ``ranks`` gives that input rank 1.
    """
    feed = {}
    for item in schema["inputs"]:
        name = item["name"]
        onnx_name = item.get("onnx_name", name)
        column = frame[name]
        if item["dtype"] == "float":
            if hasattr(column, "to_numpy"):
                array = column.to_numpy(dtype=np.float32, na_value=np.nan)
            else:
                array = np.array([math.nan if is_missing(v) else v for v in column], dtype=np.float32)
        else:
            token = item.get("missing", "")
            array = np.array([token if is_missing(v) else str(v) for v in _values(frame, name)], dtype=object)
        feed[onnx_name] = array if (ranks or {}).get(onnx_name, 2) == 1 else array.reshape(-1, 1)
    return feed
