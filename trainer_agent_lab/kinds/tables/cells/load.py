"""Load the table the request points at into ``df``, failing with a clear message if it is unusable."""

# %% [context]
import re
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import display

from .context import _report


# isort: split
# %% Load the data the request points at, failing with a clear message if it is unusable.
# First, how a table is read: a file (CSV, TSV, Parquet, JSON), a folder saved with `datasets`, or a bundled set.
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
            return pd.read_csv(path, sep="\t")
        return pd.read_csv(path, sep=None, engine="python")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"Could not parse {path.name} as a {suffix or 'CSV'} table ({exc}). "
                         "Check the delimiter and quoting, or export it as CSV/Parquet.") from exc


# %% [parameters]
DATA_REF = "sklearn:wine"

# %% Read it into `df`, with column names made into identifiers (they become ONNX input names).
df = load_table(DATA_REF)
if df.empty or df.shape[1] < 2:
    raise ValueError(f"{DATA_REF} has {df.shape[0]} rows and {df.shape[1]} columns: a model needs rows and "
                     "at least one input column besides the target.")
renamed = {c: re.sub(r"\W+", "_", str(c)).strip("_") or f"col{i}" for i, c in enumerate(df.columns)}
ORIGINAL_NAMES = {new: str(old) for old, new in renamed.items()}  # identifier -> the user's own column name
renamed = {old: new for old, new in renamed.items() if old != new}
if renamed:
    df = df.rename(columns=renamed)
    print("Column names made into identifiers (they become ONNX input names):", renamed)
print(f"Loaded {DATA_REF}: {df.shape[0]:,} rows x {df.shape[1]} columns")
display(df.head())
_report(rows=len(df), columns=[
    {"name": c, "dtype": str(df[c].dtype), "n_unique": int(df[c].nunique()), "missing": int(df[c].isna().sum())}
    for c in df.columns])
