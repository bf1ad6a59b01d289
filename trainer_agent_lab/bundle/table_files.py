"""Reading a table file as people hand them over: the one copy of these rules, for the notebook and the bundle.

The load step writes this file beside the notebook (a collapsed ``%%writefile`` cell) and its load cell imports it;
the bundle ships it beside ``predict.py``, which reads the rows to predict with it. So training data and the rows a
bundle scores are read alike, and neither needs the package that made the bundle (pandas, and pyarrow or openpyxl
for Parquet and Excel, are all it uses).

Formats by the file's suffix: Parquet, Arrow/Feather, Excel (its first sheet), JSON (records, an object holding
records, an object of columns, or JSON lines), and CSV-like text for anything else: UTF-8 with or without a BOM, else
Windows-1252 / Latin-1 (UTF-16 by its BOM), the delimiter sniffed on a sample with a real CSV parser (quoted
newlines, even in the header, are fine; `,` `;` tab and `|`).
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pandas as pd

ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
DELIMITERS = (",", ";", "\t", "|")
NAMES = {"utf-8-sig": "UTF-8", "cp1252": "Windows-1252", "latin-1": "Latin-1", "\t": "tab"}


class TableFileError(ValueError):
    """A file that cannot be read as a table; the message names the file, says what is wrong and what to do."""


def sniff_delimiter(sample: str) -> str:
    """The delimiter that splits the sample's rows into the same number (over one) of fields as its header."""
    try:
        preferred = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        preferred = ","
    best, best_score = ",", None
    for delimiter in DELIMITERS:
        try:
            rows = [row for row in csv.reader(io.StringIO(sample), delimiter=delimiter) if row]
        except csv.Error:
            continue
        rows = rows[:-1] if len(rows) > 2 else rows  # the sample may end inside a row
        if not rows or len(rows[0]) < 2:
            continue
        score = (sum(len(row) == len(rows[0]) for row in rows) / len(rows), delimiter == preferred, len(rows[0]))
        if best_score is None or score > best_score:
            best, best_score = delimiter, score
    return best


def read_text_table(path: Path, suffix: str, encoding: str) -> tuple[pd.DataFrame, str]:
    """A CSV-like file read with ``encoding``, and how; raises UnicodeDecodeError when that is not its encoding."""
    with open(path, encoding=encoding, errors="replace") as handle:
        sample = handle.read(1 << 16)
    delimiter = "\t" if suffix in (".tsv", ".tab") else "|" if suffix == ".psv" else sniff_delimiter(sample)
    frame = pd.read_csv(path, sep=delimiter, encoding=encoding, low_memory=False)
    return frame, f"{NAMES.get(encoding, encoding)}, {NAMES.get(delimiter, repr(delimiter))}-separated"


def read_json_table(text: str) -> tuple[pd.DataFrame, str]:
    """Records (an array of objects, or an object holding one), an object of columns, or JSON lines; and which."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        if not exc.msg.startswith("Extra data"):
            raise
        return pd.json_normalize([json.loads(line) for line in text.splitlines() if line.strip()]), "JSON lines"
    if isinstance(document, dict):
        lists = [v for v in document.values() if isinstance(v, list) and v and isinstance(v[0], dict)]
        if len(lists) == 1:
            return pd.json_normalize(lists[0]), "JSON records"
        return pd.DataFrame(document), "JSON columns"
    return pd.json_normalize(document), "JSON records"


def file_kind(path: Path) -> str:
    """"Parquet", "Arrow", "Excel", "JSON" or "CSV" (any other suffix is read as delimited text)."""
    suffix = path.suffix.lower()
    kinds = {".parquet": "Parquet", ".pq": "Parquet", ".feather": "Arrow", ".arrow": "Arrow", ".xlsx": "Excel",
             ".xlsm": "Excel", ".xls": "Excel", ".json": "JSON", ".jsonl": "JSON", ".ndjson": "JSON"}
    return kinds.get(suffix, "CSV")


def read_table(path: Path, what: str = "data file") -> tuple[pd.DataFrame, str]:
    """The table in ``path`` and how it was read; a :class:`TableFileError` naming the file (``what`` it is: "data
    file", "input file"), what is wrong and what to do."""
    path = Path(path)
    if not path.is_file():
        raise TableFileError(f"The {what} {path} is not there: check its path.")
    kind, suffix = file_kind(path), path.suffix.lower()
    if path.stat().st_size == 0:
        raise TableFileError(f"The {what} {path} is empty (0 bytes); pass a file with a header and rows.")
    with open(path, "rb") as handle:
        head = handle.read(1 << 14)
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    if kind in ("CSV", "JSON") and b"\x00" in head and not utf16:
        raise TableFileError(f"Could not parse {path.name} as a {kind} table: it holds NUL bytes, so it is a binary "
                             "file, not text. Check the delimiter and quoting, or export it as CSV/Parquet "
                             "(save a spreadsheet as .xlsx or CSV).")
    try:
        if kind == "Parquet":
            return pd.read_parquet(path), "Parquet"
        if kind == "Arrow":
            return pd.read_feather(path), "Arrow"
        if kind == "Excel":
            with pd.ExcelFile(path) as book:
                sheets = book.sheet_names
                more = f", the first of {len(sheets)}: {', '.join(map(repr, sheets))}" if len(sheets) > 1 else ""
                return pd.read_excel(book, sheet_name=sheets[0]), f"Excel sheet {sheets[0]!r}{more}"
        for encoding in ("utf-16",) if utf16 else ENCODINGS:
            try:
                if kind == "JSON":
                    return read_json_table(path.read_text(encoding=encoding))
                return read_text_table(path, suffix, encoding)
            except UnicodeDecodeError:
                continue
        raise ValueError("its text is in none of the encodings UTF-8, Windows-1252 or Latin-1; save it as UTF-8")
    except ImportError as exc:
        raise TableFileError(f"Could not read {path.name}: reading {kind} files needs a package that is not "
                             f"installed ({exc}). Install it (pip install openpyxl for .xlsx, pyarrow for Parquet), "
                             "or export the table as CSV.") from None
    except Exception as exc:  # every reader's own error, said with the file's name and what to do
        what_went_wrong = re.sub(r"\s+", " ", str(exc)).strip() or type(exc).__name__
        raise TableFileError(f"Could not parse {path.name} as a {kind} table ({what_went_wrong}). Check the "
                             "delimiter and quoting, or export it as CSV/Parquet.") from None
