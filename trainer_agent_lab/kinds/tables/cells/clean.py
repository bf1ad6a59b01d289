"""Clean ``df``: drop duplicates, identifiers and useless columns, fix types, remove outlying targets."""

# %% [context]
import re

import numpy as np
import pandas as pd
import plotly.express as px
from IPython.display import Markdown, display

from .context import RAW, SEED, _report, df

# %% [parameters]
TARGET = "target"
TASK = "classification"
OUTLIER_Z = 6.0
MIN_CLASS_ROWS = 3

# %% Clean: drop duplicates, identifiers and useless columns, fix types, and remove outlying targets, each
# with a stated reason. First the target (rows without one go; labels that differ only in case or spaces
# merge) and exact duplicate rows, which would leak between train and test.
notes = []
before = len(df)
df = df[df[TARGET].notna()].copy()
if len(df) < before:
    notes.append(f"Dropped {before - len(df)} rows with no value for the target {TARGET}.")
if TASK == "classification":
    labels = df[TARGET].astype(str).str.strip()
    if labels.str.lower().nunique() < labels.nunique():
        labels = labels.str.lower()
        notes.append("Target labels differed only in case or spaces; merged them.")
    df[TARGET] = labels
else:
    target_text = df[TARGET].astype(str).str.replace(r"[,$€£%\s]", "", regex=True)
    df[TARGET] = pd.to_numeric(df[TARGET] if pd.api.types.is_numeric_dtype(df[TARGET]) else target_text,
                               errors="coerce").astype("float64")
    infinite = int(np.isinf(df[TARGET]).sum())
    bad = int(df[TARGET].isna().sum()) + infinite
    if bad:
        df = df[np.isfinite(df[TARGET])].copy()
        notes.append(f"Dropped {bad} rows whose target was not a number"
                     + (f" ({infinite} of them infinite in {TARGET})." if infinite else "."))

# A duplicate is an exact copy of a row of the file (every column, identifiers included): rows that only look alike
# in the model's columns are different records (two passengers of the same age, sex and class). Each row is hashed
# in one vectorised pass (64 bits over every column, however wide or long the table) instead of compared as text.
copies = pd.util.hash_pandas_object(RAW.loc[df.index], index=False).duplicated().to_numpy()
duplicates = int(copies.sum())
if duplicates:
    df = df[~copies]  # the index stays: it ties each row to its raw values (RAW)
    notes.append(f"Dropped {duplicates} duplicate rows (exact copies of a row of the file would leak between train "
                 "and test).")


# %% Classification: a class of one or two rows can be neither learned nor tested. Several such classes merge into
# one "other" class (when it gets at least MIN_CLASS_ROWS rows); otherwise their rows are dropped, with a note.
if TASK == "classification":
    counts = df[TARGET].value_counts()
    rare = counts[counts < MIN_CLASS_ROWS]
    if len(rare):
        other = "other" if "other" not in counts.index else "other classes"
        if len(rare) >= 2 and rare.sum() >= MIN_CLASS_ROWS and len(counts) - len(rare) >= 1:
            df.loc[df[TARGET].isin(rare.index), TARGET] = other
            notes.append(f"Merged {len(rare)} classes with fewer than {MIN_CLASS_ROWS} rows each into one class "
                         f"{other!r} ({int(rare.sum())} rows): too few rows to learn or test them alone"
                         f" ({', '.join(map(str, rare.index[:5]))}{' ...' if len(rare) > 5 else ''}).")
        else:
            df = df[~df[TARGET].isin(rare.index)].copy()
            notes.append(f"Dropped {int(rare.sum())} rows of {len(rare)} class(es) with fewer than {MIN_CLASS_ROWS} "
                         f"rows ({', '.join(map(str, rare.index[:5]))}{' ...' if len(rare) > 5 else ''}): too few "
                         "to learn or test.")


# %% Then the input columns: numbers written as text are read as numbers; constant, mostly empty,
# identifier and free-text columns are dropped, each with its reason (the column types step has read dates,
# numbers and text already, so for its columns these rules only catch what is left).
def is_text(dtype):
    """Whether a column of ``dtype`` holds text: object columns, and the string dtype pandas 3 reads text as."""
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


def read_numbers(values):
    """Text values read as numbers ("1,200", "$5", "7%"); NaN where one is not a number."""
    return pd.to_numeric(values.astype(str).str.replace(r"[,$%\s]", "", regex=True), errors="coerce")


for col in [c for c, dtype in df.dtypes.items() if c != TARGET and is_text(dtype)]:
    present = df[col].dropna()
    if len(present) > 2000 and read_numbers(present.sample(2000, random_state=SEED)).notna().mean() < 0.9:
        continue  # clearly text (a seeded sample of 2,000 says so): a long column is not parsed in full
    as_number = read_numbers(df[col])
    if df[col].notna().sum() and as_number.notna().sum() >= 0.95 * df[col].notna().sum():
        df[col] = as_number
        notes.append(f"Read {col} as numbers (it held numbers written as text).")

def count_unique(frame):
    """Distinct values (missing ones not counted) per column: the numeric columns all at once, sorted as one array
    (a wide table's thousands of columns cost one sort, not one call each), the others column by column."""
    numbers = frame.select_dtypes(include=["number", "bool"])
    counts = frame.drop(columns=numbers.columns).nunique(dropna=True).to_dict()
    if numbers.shape[1]:
        values = np.sort(numbers.to_numpy(dtype="float64", na_value=np.nan), axis=0)  # NaN sorts last
        fresh = np.ones(values.shape, dtype=bool)
        fresh[1:] = values[1:] != values[:-1]
        counts.update(zip(numbers.columns, (fresh & ~np.isnan(values)).sum(axis=0).tolist(), strict=True))
    return counts


def numbers_rows(values):
    """Whether ``values`` are the file's row numbers: 0, 1, 2 ... or 1, 2, 3 ... in the file's order (``df`` keeps
    the file's row positions as its index), as pandas and R write a table's index as its first column."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
    offset = numbers - df.index.to_numpy(dtype="float64")
    return bool(len(offset)) and not np.isnan(offset).any() and offset.min() == offset.max() and offset[0] in (0, 1)


ID_NAME = re.compile(r"(^|_)(id|uuid|guid|key|index)$|^(id|index)_|^unnamed"
                     r"|^row[ ._]?(names?|ids?|nums?|numbers?|index)$")  # R's row names too
ROW_NAME = re.compile(r"^(x|n|no|nr|num|obs|idx|#|)$")  # a name R's write.csv, a spreadsheet or nobody gave

dropped = {}
n = len(df)
inputs = df.drop(columns=[TARGET])
uniques, missing_share = count_unique(inputs), inputs.isna().mean().to_dict()
for position, (col, dtype) in enumerate(inputs.dtypes.items()):
    unique = uniques[col]
    id_name = ID_NAME.search(col.lower().strip()) is not None
    text = is_text(dtype)
    if unique <= 1:
        dropped[col] = "constant: one value only, so it cannot help"
    elif missing_share[col] > 0.6:
        dropped[col] = f"{missing_share[col]:.0%} missing"
    elif id_name and unique >= 0.5 * n:
        dropped[col] = ("an identifier (named like an ID, nearly unique per row): it carries no signal "
                        "and would let the model memorise rows")
    elif unique == n and (position == 0 or ROW_NAME.match(col.lower().strip())) and numbers_rows(inputs[col]):
        dropped[col] = ("the file's row numbers (1, 2, 3 ... in the file's order, as a saved index is written): "
                        "they tell the rows apart, not the target")
    elif text and unique >= 0.95 * n:
        dropped[col] = "an identifier (a different text in every row)"
    elif text and unique > max(50, 0.5 * n):
        dropped[col] = f"free text with {unique} distinct values; a tabular model cannot use it"
for col, why in dropped.items():
    notes.append(f"Dropped column {col}: {why}.")
df = df.drop(columns=list(dropped))

# %% Regression: drop the rows whose target is an outlier (robust z-score above OUTLIER_Z), then say
# what was cleaned and what the model's imputers are left with.
if TASK == "regression":
    y = df[TARGET]
    median = y.median()
    mad = (y - median).abs().median() * 1.4826 or y.std()
    robust_z = (y - median).abs() / mad
    outliers = robust_z > OUTLIER_Z
    if outliers.any():
        fig = px.scatter(x=np.arange(len(y)), y=y, color=outliers.map({True: "outlier", False: "kept"}),
                         labels={"x": "row", "y": TARGET}, title=f"Outliers in {TARGET} (robust z > {OUTLIER_Z})")
        fig.show()
        df = df[~outliers]
        notes.append(f"Dropped {int(outliers.sum())} rows whose {TARGET} is an outlier (robust z-score > "
                     f"{OUTLIER_Z}: beyond {median - OUTLIER_Z * mad:.4g}..{median + OUTLIER_Z * mad:.4g}).")

missing_left = {c: int(v) for c, v in df.isna().sum().items() if v}
if missing_left:
    notes.append("Missing values left for the model's imputers (median for numbers, 'missing' for text): "
                 + ", ".join(f"{c} ({v})" for c, v in missing_left.items()) + ".")
display(Markdown("**Cleaning**\n\n" + ("\n".join(f"- {note}" for note in notes) or "- Nothing to clean.")))
print(f"{len(df):,} rows x {df.shape[1]} columns after cleaning")
_report(notes=notes, rows=len(df), dropped_columns=dropped, inputs=int(df.shape[1] - 1),
        classes=sorted(df[TARGET].unique().tolist()) if TASK == "classification" else None)
