"""Load the table the request points at into ``df`` (and check the file to predict, when there is one), failing
with a message that names the file, says what is wrong and what to do."""

# %% [context]
import re
from pathlib import Path

import numpy as np
from IPython.display import display

from .context import _report

# isort: split
# %% Load the data the request points at, failing with a clear message if it is unusable.
# First, where the table is: a file, a folder of train/test files, a folder saved with `datasets`, or a bundled set.
# How a file is read (its format, text encoding and delimiter) is table_files.py, written above: the bundle's
# predict.py reads the rows it scores with the same file.
import table_files

TABLE_SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".psv", ".dat", ".parquet", ".pq", ".json", ".jsonl", ".ndjson",
                  ".xlsx", ".xlsm", ".xls", ".feather", ".arrow")
TRAIN_WORDS = ("train", "training", "learn", "labeled", "labelled")
PREDICT_WORDS = ("test", "predict", "prediction", "predictions", "score", "scoring", "new", "holdout", "unseen",
                 "inference")


def role(path):
    """"train", "predict" or None, from the words of a file's name (train.csv, test.csv, new_rows.csv ...)."""
    words = re.split(r"[^a-z]+", path.stem.lower())
    if "submission" in words:
        return "skip"  # a sample of the answer's format, not data
    if any(w.startswith(TRAIN_WORDS) for w in words):
        return "train"
    return "predict" if any(w in PREDICT_WORDS for w in words) else None


def folder_tables(path):
    """(the training file, the file to predict or None) of a folder of table files."""
    files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")
                   and p.suffix.lower() in TABLE_SUFFIXES)
    if not files:
        found = ", ".join(sorted(p.name for p in path.iterdir())[:10]) or "nothing"
        raise ValueError(f"The folder {path} holds no table file (CSV, TSV, JSON, Parquet or Excel); it holds "
                         f"{found}. Pass a table file, or put train.csv (and test.csv to predict) in the folder.")
    roles = {p: role(p) for p in files}
    train = [p for p in files if roles[p] == "train"] or [p for p in files if roles[p] is None]
    predict = [p for p in files if roles[p] == "predict"]
    if len(files) == 1:
        return files[0], None
    if len(train) != 1 or len(predict) > 1:
        raise ValueError(f"The folder {path} holds {len(files)} table files ({', '.join(p.name for p in files)}) "
                         "and their names do not say which one to learn from. Name the training file train.csv "
                         "and the file to predict test.csv, or pass the one file to learn from with --data.")
    for p in files:
        if p not in (train[0], *predict):
            print(f"Not used: {p.name} (neither the training file nor the file to predict)")
    return train[0], (predict[0] if predict else None)


def locate(ref):
    """(a bundled or `datasets` table, or the path of the table file; the file to predict the folder holds)."""
    if ref.startswith("sklearn:"):
        return bundled_table(ref.split(":", 1)[1]), None
    path = Path(ref).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"Data not found: {path}. Check the path given with --data.")
    if not path.is_dir():
        return path, None
    if any((path / marker).exists() for marker in ("dataset_info.json", "dataset_dict.json", "state.json")):
        import datasets
        data = datasets.load_from_disk(str(path))
        if isinstance(data, datasets.DatasetDict):
            split = "train" if "train" in data else next(iter(data))
            print(f"Using split {split!r} of {list(data)}")
            data = data[split]
        return data.to_pandas(), None
    return folder_tables(path)


# %% [parameters]
DATA_REF = "sklearn:wine"
PREDICT_REF = None


# %% [hidden] How a table is read: a bundled set, or a file by table_files.py (its format from its name, its text
# encoding and its delimiter, sniffed on a sample with a real CSV parser, so quoted newlines are fine).
def bundled_table(name):
    """One of scikit-learn's bundled sets, class names as the target's values."""
    import sklearn.datasets as bundled
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


def read_table(path):
    """The table in one file and how it was read (table_files.py); a ValueError naming the file, what is wrong
    and what to do."""
    return table_files.read_table(path, "data file")


# %% Read it into `df`, with column names made into identifiers (they become ONNX input names; names that would
# collide get suffixes, and `ORIGINAL_NAMES` keeps each one's name in the file); check the file to predict.
def identifiers(columns):
    """Each column's identifier: non-word characters to `_`, made unique (names that are already identifiers
    keep theirs, the others get `_2`, `_3` ... where theirs is taken)."""
    wanted = [re.sub(r"\W+", "_", str(c)).strip("_") or f"col{i}" for i, c in enumerate(columns)]
    fixed = {w for c, w in zip(columns, wanted, strict=True) if str(c) == w}
    names, used = {}, set()
    for c, w in zip(columns, wanted, strict=True):
        name, n = w, 2
        while name in used or (name in fixed and name != str(c)):
            name, n = f"{w}_{n}", n + 1
        names[c] = name
        used.add(name)
    return names


source, predict_path = locate(DATA_REF)
source_name = source.name if isinstance(source, Path) else DATA_REF
df, how = read_table(source) if isinstance(source, Path) else (source, "")
empty = [c for c in df.columns if str(c).startswith("Unnamed:") and df[c].isna().all()]
df = df.drop(columns=empty)  # the empty columns a trailing delimiter makes
if df.shape[1] < 2:
    only = f" ({str(df.columns[0])!r})" if df.shape[1] else ""
    hint = (" If the file has more columns, their delimiter was not recognised: separate them with commas, "
            "semicolons, tabs or |." if df.shape[1] and re.search(r"[,;\t| ]", str(df.columns[0])) else "")
    raise ValueError(f"{source_name} has {df.shape[1]} column{only} and {len(df):,} rows: a model needs an input "
                     f"column besides the target, so add the columns to learn from.{hint}")
if df.empty:
    raise ValueError(f"{source_name} has a header ({df.shape[1]} columns) but no rows: pass a file with the rows "
                     "to learn from.")
renamed = identifiers(df.columns)
ORIGINAL_NAMES = {new: str(old) for old, new in renamed.items()}  # identifier -> the user's own column name
changed = {old: new for old, new in renamed.items() if str(old) != new}
df = df.rename(columns=renamed)
if changed:
    print("Column names made into identifiers (they become ONNX input names):", changed)
print(f"Loaded {source_name}{f' ({how})' if how else ''}: {df.shape[0]:,} rows x {df.shape[1]} columns")
display(df.head())
PREDICT_PATH = Path(PREDICT_REF).expanduser() if PREDICT_REF else predict_path
predict_file = None
if PREDICT_PATH is not None:
    if not PREDICT_PATH.is_file():
        raise FileNotFoundError(f"The file to predict, {PREDICT_PATH}, is not there. Check its path in the "
                                "request, or leave it out to train without predicting a file.")
    to_predict, predict_how = read_table(PREDICT_PATH)
    if to_predict.empty:
        raise ValueError(f"The file to predict, {PREDICT_PATH.name}, has no rows: pass a file with rows to predict.")
    predict_columns = [str(c) for c in to_predict.columns]
    missing = [ORIGINAL_NAMES[c] for c in df.columns if ORIGINAL_NAMES[c] not in set(predict_columns)]
    predict_file = {"path": str(PREDICT_PATH.resolve()), "rows": len(to_predict), "columns": predict_columns,
                    "missing_columns": missing}
    print(f"File to predict: {PREDICT_PATH.name} ({predict_how}), {len(to_predict):,} rows"
          + (f"; it lacks {', '.join(missing)} (what the model is to predict)" if missing else ""))
_report(rows=len(df), source=source_name, renamed={new: str(old) for old, new in changed.items()},
        predict_file=predict_file, columns=[
    {"name": c, "dtype": str(df[c].dtype), "n_unique": int(df[c].nunique()), "missing": int(df[c].isna().sum()),
     "examples": [str(v)[:40] for v in df[c].value_counts().index[:10]] if df[c].dtype.kind in "ObSU" else []}
    for c in df.columns])
