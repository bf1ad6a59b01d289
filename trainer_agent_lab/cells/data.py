"""Cells the Data agent writes for tabular data: set-up, load, profile, clean, split."""

from __future__ import annotations

from typing import Any

from .base import RESULT_MIME, code_cell
from .plots import STATIC_PNG

_SETUP = f'''
import json
import math
import random
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import plotly.io as pio
from IPython.display import Markdown, display

random.seed(SEED)
np.random.seed(SEED)
pio.renderers.default = "plotly_mimetype"
pd.set_option("display.max_columns", 40)
warnings.filterwarnings("ignore", category=FutureWarning)


def _plain(value):
    """JSON-able copy of a value: numpy scalars and arrays to Python, NaN to None."""
    if isinstance(value, dict):
        return {{str(k): _plain(v) for k, v in value.items()}}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _report(**results):
    """Hand results back to the agents as a structured display output (plain IPython, no extra package)."""
    display({{"{RESULT_MIME}": _plain(results)}}, raw=True)
'''


def setup_cell(seed: int, requirements: dict[str, Any]) -> str:
    """Imports, the seed, the request's measurable parts, the ``_report`` helper, and static PNG copies of
    every plotly figure (:mod:`~trainer_agent_lab.cells.plots`)."""
    return code_cell("Set up: libraries, the seed for every random step, the request's measurable parts, "
                     "a helper that hands results back to the agents, and static copies of the plots.",
                     _SETUP + STATIC_PNG, SEED=seed, REQUIREMENTS=requirements)


_LOAD = '''
def load_table(ref):
    """Load a table from a file, a folder saved with `datasets`, or scikit-learn's bundled sets."""
    if ref.startswith("sklearn:"):
        import sklearn.datasets as bundled
        name = ref.split(":", 1)[1]
        loader = getattr(bundled, f"load_{name}", None)
        if loader is None:
            raise ValueError(f"Unknown bundled data set {name!r}: scikit-learn ships iris, wine, digits, "
                             "breast_cancer, diabetes and linnerud. Pass one of those or a file path.")
        bunch = loader(as_frame=True)
        frame = bunch.frame.copy()
        names = getattr(bunch, "target_names", None)
        if names is not None and len(names) == frame["target"].nunique():
            frame["target"] = np.asarray(names).astype(str)[frame["target"].to_numpy()]
        return frame
    path = Path(ref).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"Data not found: {path}. Check the path given with --data.")
    if path.is_dir():
        if any((path / marker).exists() for marker in ("dataset_info.json", "dataset_dict.json", "state.json")):
            import datasets
            data = datasets.load_from_disk(str(path))
            if isinstance(data, datasets.DatasetDict):
                split = "train" if "train" in data else next(iter(data))
                print(f"Using split {split!r} of {list(data)}")
                data = data[split]
            return data.to_pandas()
        raise ValueError(f"{path} is a folder but not a data set saved with datasets.save_to_disk; "
                         "pass the table file inside it instead.")
    if path.stat().st_size == 0:
        raise ValueError(f"The data file {path} is empty (0 bytes); pass a file with a header and rows.")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if suffix in (".jsonl", ".ndjson"):
            return pd.read_json(path, lines=True)
        if suffix == ".json":
            try:
                return pd.read_json(path)  # one document: an array of records or an object of columns
            except ValueError:
                return pd.read_json(path, lines=True)  # JSON lines under a .json name
        if suffix in (".tsv", ".tab"):
            return pd.read_csv(path, sep="\\t")
        return pd.read_csv(path, sep=None, engine="python")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"Could not parse {path.name} as a {suffix or 'CSV'} table ({exc}). "
                         "Check the delimiter and quoting, or export it as CSV/Parquet.") from exc


df = load_table(DATA_REF)
if df.empty or df.shape[1] < 2:
    raise ValueError(f"{DATA_REF} has {df.shape[0]} rows and {df.shape[1]} columns: a model needs rows and "
                     "at least one input column besides the target.")
renamed = {c: re.sub(r"\\W+", "_", str(c)).strip("_") or f"col{i}" for i, c in enumerate(df.columns)}
renamed = {old: new for old, new in renamed.items() if old != new}
if renamed:
    df = df.rename(columns=renamed)
    print("Column names made into identifiers (they become ONNX input names):", renamed)
print(f"Loaded {DATA_REF}: {df.shape[0]:,} rows x {df.shape[1]} columns")
display(df.head())
_report(rows=len(df), columns=[
    {"name": c, "dtype": str(df[c].dtype), "n_unique": int(df[c].nunique()), "missing": int(df[c].isna().sum())}
    for c in df.columns])
'''


def load_cell(data_ref: str) -> str:
    """Load the data into ``df`` and report its columns."""
    return code_cell("Load the data the request points at, failing with a clear message if it is unusable.",
                     _LOAD, DATA_REF=data_ref)


_PROFILE = '''
profile = pd.DataFrame({
    "dtype": df.dtypes.astype(str),
    "missing": df.isna().sum(),
    "missing %": (100 * df.isna().mean()).round(1),
    "unique": df.nunique(),
    "example": df.iloc[0],
})
display(profile)
missing = df.isna().sum()
missing = missing[missing > 0]
if len(missing):
    px.bar(x=missing.index, y=missing.values, labels={"x": "column", "y": "missing values"},
           title="Missing values per column").show()
result = {"duplicates": int(df.duplicated().sum()), "missing": {k: int(v) for k, v in missing.items()}}
target = df[TARGET].dropna()
if TASK == "classification":
    counts = target.astype(str).str.strip().value_counts()
    px.bar(x=counts.index, y=counts.values, labels={"x": TARGET, "y": "rows"},
           title=f"Class balance of {TARGET}").show()
    result["class_counts"] = {str(k): int(v) for k, v in counts.items()}
else:
    values = pd.to_numeric(target, errors="coerce")
    result["non_numeric_target"] = int(values.isna().sum())
    values = values.dropna()
    px.histogram(values, nbins=50, title=f"Distribution of {TARGET}").show()
    result["target_stats"] = {k: float(v) for k, v in values.describe().items()}
numeric = df.select_dtypes("number")
if TARGET in numeric and numeric.shape[1] > 2:
    corr = numeric.corr(numeric_only=True)[TARGET].drop(TARGET).sort_values(key=abs, ascending=False)
    px.bar(x=corr.index[:20], y=corr.values[:20], labels={"x": "column", "y": "correlation"},
           title=f"Correlation of numeric columns with {TARGET}").show()
_report(**result)
'''


def profile_cell(target: str, task: str) -> str:
    """Types, missing values, class balance or target distribution, with plots."""
    return code_cell("Profile the data: types, missing values and the target's distribution, before any "
                     "change.", _PROFILE, TARGET=target, TASK=task)


_CLEAN = '''
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
    df[TARGET] = pd.to_numeric(df[TARGET], errors="coerce")
    bad = int(df[TARGET].isna().sum())
    if bad:
        df = df[df[TARGET].notna()].copy()
        notes.append(f"Dropped {bad} rows whose target was not a number.")

duplicates = int(df.duplicated().sum())
if duplicates:
    df = df.drop_duplicates().reset_index(drop=True)
    notes.append(f"Dropped {duplicates} duplicate rows (exact copies would leak between train and test).")

def is_text(values):
    """Whether a column holds text: object columns, and the string dtype pandas 3 reads text as."""
    return values.dtype == object or pd.api.types.is_string_dtype(values.dtype)


for col in [c for c in df.columns if c != TARGET and is_text(df[c])]:
    as_number = pd.to_numeric(df[col].astype(str).str.replace(r"[,$%\\s]", "", regex=True), errors="coerce")
    if df[col].notna().sum() and as_number.notna().sum() >= 0.95 * df[col].notna().sum():
        df[col] = as_number
        notes.append(f"Read {col} as numbers (it held numbers written as text).")

dropped = {}
n = len(df)
for col in [c for c in df.columns if c != TARGET]:
    values = df[col]
    unique = values.nunique(dropna=True)
    id_name = re.search(r"(^|_)(id|uuid|guid|key|index)$|^(id|index)_|^unnamed", col.lower()) is not None
    if unique <= 1:
        dropped[col] = "constant: one value only, so it cannot help"
    elif values.isna().mean() > 0.6:
        dropped[col] = f"{values.isna().mean():.0%} missing"
    elif id_name and unique >= 0.5 * n:
        dropped[col] = ("an identifier (named like an ID, nearly unique per row): it carries no signal "
                        "and would let the model memorise rows")
    elif is_text(values) and unique >= 0.95 * n:
        dropped[col] = "an identifier (a different text in every row)"
    elif is_text(values) and unique > max(50, 0.5 * n):
        dropped[col] = f"free text with {unique} distinct values; a tabular model cannot use it"
for col, why in dropped.items():
    notes.append(f"Dropped column {col}: {why}.")
df = df.drop(columns=list(dropped))

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
        df = df[~outliers].reset_index(drop=True)
        notes.append(f"Dropped {int(outliers.sum())} rows whose {TARGET} is an outlier (robust z-score > "
                     f"{OUTLIER_Z}: beyond {median - OUTLIER_Z * mad:.4g}..{median + OUTLIER_Z * mad:.4g}).")

missing_left = {c: int(v) for c, v in df.isna().sum().items() if v}
if missing_left:
    notes.append("Missing values left for the model's imputers (median for numbers, 'missing' for text): "
                 + ", ".join(f"{c} ({v})" for c, v in missing_left.items()) + ".")
display(Markdown("**Cleaning**\\n\\n" + ("\\n".join(f"- {note}" for note in notes) or "- Nothing to clean.")))
print(f"{len(df):,} rows x {df.shape[1]} columns after cleaning")
_report(notes=notes, rows=len(df), dropped_columns=dropped,
        classes=sorted(df[TARGET].unique().tolist()) if TASK == "classification" else None)
'''


def clean_cell(target: str, task: str, outlier_z: float) -> str:
    """Duplicates, ID-like and constant columns, numbers stored as text, target outliers."""
    return code_cell("Clean: drop duplicates, identifiers and useless columns, fix types, and remove "
                     "outlying targets, each with a stated reason.", _CLEAN,
                     TARGET=target, TASK=task, OUTLIER_Z=outlier_z)


_SPLIT = '''
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

X = df.drop(columns=[TARGET])
for col in X.columns:
    if X[col].dtype == bool:
        X[col] = X[col].astype(float)
NUMERIC_FEATURES = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])]
CATEGORICAL_FEATURES = [c for c in X.columns if c not in NUMERIC_FEATURES]
X[NUMERIC_FEATURES] = X[NUMERIC_FEATURES].astype("float64")
MISSING_CATEGORY = "missing"
for col in CATEGORICAL_FEATURES:
    X[col] = X[col].astype(object).where(X[col].notna(), MISSING_CATEGORY).astype(str)

if TASK == "classification":
    CLASSES = sorted(df[TARGET].astype(str).unique().tolist())
    y = df[TARGET].astype(str).map({name: code for code, name in enumerate(CLASSES)}).to_numpy()
    POS_LABEL = CLASSES.index(POSITIVE_CLASS) if len(CLASSES) == 2 else None
    stratify = y
else:
    CLASSES, POS_LABEL, stratify = None, None, None
    y = df[TARGET].to_numpy(dtype="float64")

X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=TEST_SIZE, random_state=SEED, stratify=stratify)
X_train, X_test = X_train.reset_index(drop=True), X_test.reset_index(drop=True)

# Keep the exact rows of each split beside the notebook (split/train.parquet, split/test.parquet, split.json):
# the run can be reproduced from them, and other tools can be compared with it on the same rows.
SPLIT_DIR = Path("split")
SPLIT_DIR.mkdir(exist_ok=True)
for split_name, split_X, split_y in (("train", X_train, y_train), ("test", X_test, y_test)):
    split_rows = split_X.copy()
    split_rows[TARGET] = np.asarray(CLASSES, dtype=object)[split_y] if CLASSES is not None else split_y
    split_rows.to_parquet(SPLIT_DIR / f"{split_name}.parquet", index=False)
(SPLIT_DIR / "split.json").write_text(json.dumps({
    "target": TARGET, "task": TASK, "classes": CLASSES, "pos_label": None if POS_LABEL is None else POSITIVE_CLASS,
    "text_column": None, "source": "agents", "seed": SEED, "test_size": TEST_SIZE,
    "how": "the cleaned rows, train_test_split(test_size, random_state=seed, stratified for classes)"}, indent=2))


def make_preprocessor(scale=True):
    """Impute (and scale) numbers, one-hot encode text: all of it exports to ONNX.

    Trees get unscaled inputs: ONNX scales in float32, and a value scaled onto a split threshold can fall
    on the other side of it, so an unscaled tree is the one the ONNX model reproduces exactly.
    """
    steps = [("impute", SimpleImputer(strategy="median"))] + ([("scale", StandardScaler())] if scale else [])
    numeric = Pipeline(steps)
    categorical = OneHotEncoder(handle_unknown="ignore")
    return ColumnTransformer([("num", numeric, NUMERIC_FEATURES), ("cat", categorical, CATEGORICAL_FEATURES)])


N_ENCODED = make_preprocessor().fit(X_train).transform(X_train[:5]).shape[1]
print(f"train {len(X_train):,} rows, test {len(X_test):,} rows; {len(NUMERIC_FEATURES)} numeric and "
      f"{len(CATEGORICAL_FEATURES)} categorical inputs, {N_ENCODED} features after encoding")
if CLASSES is not None:
    display(pd.DataFrame({"train": pd.Series(y_train).value_counts().sort_index().values,
                          "test": pd.Series(y_test).value_counts().sort_index().values}, index=CLASSES))
_report(n_train=len(X_train), n_test=len(X_test), n_features=N_ENCODED, numeric=NUMERIC_FEATURES,
        categorical=CATEGORICAL_FEATURES, classes=CLASSES, pos_label=POS_LABEL)
'''


def split_cell(target: str, task: str, positive_class: str | None, test_size: float) -> str:
    """Encode the target, split train/test (stratified) and define the ONNX-exportable preprocessing."""
    return code_cell("Split into train and test (stratified for classes) and define preprocessing that "
                     "exports to ONNX with the model.", _SPLIT, TARGET=target, TASK=task,
                     POSITIVE_CLASS=positive_class, TEST_SIZE=test_size)
