"""Load the texts: the labeled file, and the unlabeled pool and test file where the folder has them."""

# %% [context]
from pathlib import Path

import pandas as pd
from IPython.display import display

from .context import SEED, _report

# isort: split
# %% [parameters]
DATA_REF = "labeled.csv"
LABEL_HINT = None
TEXT_SUFFIXES = (".csv", ".tsv", ".jsonl", ".json", ".parquet")

# %% Find the files of texts: the one file given, or every table in the folder.
path = Path(DATA_REF).expanduser()
if not path.exists():
    raise FileNotFoundError(f"Data not found: {path}. Check the path given with --data.")
files = sorted(p for p in path.iterdir() if p.suffix.lower() in TEXT_SUFFIXES) if path.is_dir() else [path]
if not files:
    raise ValueError(f"{path} has no CSV/TSV/JSON lines/Parquet files of texts.")

# %% Read each file and tell the labeled texts, the unlabeled pool and the test file apart
# (by their names, else by whether they have a label column).
LABEL_NAMES = ("label", "labels", "target", "class", "y", "category", "sentiment", "benefit")


def read_text_table(path):
    """One table of texts from CSV/TSV/JSON (lines)/Parquet."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix in (".json", ".jsonl"):
        return pd.read_json(path, lines=suffix == ".jsonl" or path.read_text()[:1] != "[")
    return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")


def role_of(path, frame):
    """labeled, unlabeled or test: from the file name, else from whether it has a label column."""
    stem = path.stem.lower()
    if "unlabel" in stem or "pool" in stem:
        return "unlabeled"
    if any(word in stem for word in ("test", "eval", "holdout")):
        return "test"
    has_label = any(c.lower() in LABEL_NAMES for c in frame.columns) or frame.shape[1] >= 2
    return "labeled" if has_label else "unlabeled"


tables = {}
for file in files:
    frame = read_text_table(file)
    if len(frame) == 0:
        print(f"skipping {file.name}: no rows")
        continue
    role = role_of(file, frame)
    if role in tables:
        tables[role] = pd.concat([tables[role], frame], ignore_index=True)
    else:
        tables[role] = frame
    print(f"{file.name}: {len(frame):,} rows, columns {list(frame.columns)} -> {role}")
if "labeled" not in tables:
    raise ValueError(f"None of {[f.name for f in files]} has labels: name the labeled file (e.g. labeled.csv) "
                     "or add a label column.")

# %% Pick the label column (the hint, a usual name, else the one with the fewest values) and the text column
# (the string column with the longest texts); the test file without labels joins the unlabeled pool.


def text_column(frame, exclude=()):
    """The column of free text: the string column with the longest texts on average."""
    strings = [c for c in frame.columns if c not in exclude and not pd.api.types.is_numeric_dtype(frame[c])]
    if not strings:
        raise ValueError(f"No text column among {list(frame.columns)}: a text classifier needs a column of texts.")
    return max(strings, key=lambda c: frame[c].astype(str).str.len().mean())


labeled = tables["labeled"]
names = [c for c in labeled.columns if c.lower() in LABEL_NAMES]
if LABEL_HINT and LABEL_HINT in labeled.columns:
    LABEL_COL = LABEL_HINT
elif len(names) == 1:
    LABEL_COL = names[0]
else:
    LABEL_COL = min((c for c in labeled.columns), key=lambda c: labeled[c].nunique())
TEXT_COL = text_column(labeled, exclude=(LABEL_COL,))
labeled = labeled[[TEXT_COL, LABEL_COL]].dropna().reset_index(drop=True)
labeled[TEXT_COL] = labeled[TEXT_COL].astype(str)
unlabeled = tables.get("unlabeled")
if unlabeled is not None:
    unlabeled = unlabeled[[text_column(unlabeled)]].dropna().set_axis([TEXT_COL], axis=1).astype(str)
test_frame = tables.get("test")
if test_frame is not None:
    if LABEL_COL not in test_frame.columns:
        print(f"the test file has no {LABEL_COL!r} column: it is used as unlabeled texts, and the test split "
              "comes from the labeled texts")
        extra = test_frame[[text_column(test_frame)]].set_axis([TEXT_COL], axis=1)
        unlabeled = extra if unlabeled is None else pd.concat([unlabeled, extra], ignore_index=True)
        test_frame = None
    else:
        test_frame = test_frame[[TEXT_COL, LABEL_COL]].dropna().reset_index(drop=True)
        test_frame[TEXT_COL] = test_frame[TEXT_COL].astype(str)

# %% A sample of the labeled texts, and their language (Chinese when Han characters are over a fifth of them).
sample = labeled.sample(min(8, len(labeled)), random_state=SEED)
display(sample)
han = labeled[TEXT_COL].str.count(r"[\u4e00-\u9fff]").sum()
LANGUAGE = "zh" if han > 0.2 * labeled[TEXT_COL].str.len().sum() else "en"
_report(rows=len(labeled), labeled=len(labeled), unlabeled=0 if unlabeled is None else len(unlabeled),
        test=0 if test_frame is None else len(test_frame), text_column=TEXT_COL, label_column=LABEL_COL,
        classes=sorted(labeled[LABEL_COL].astype(str).unique()), language=LANGUAGE,
        files=[f.name for f in files],
        columns=[{"name": TEXT_COL, "dtype": "text"}, {"name": LABEL_COL, "dtype": str(labeled[LABEL_COL].dtype)}])
