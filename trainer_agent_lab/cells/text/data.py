"""Cells the Data agent writes for text: load (labeled / unlabeled / test files), normalise, de-duplicate,
profile, suspect labels, split.

Kernel names they define (the text contract, used by the Model and Server agents' text cells):
``TEXT_COL``, ``LABEL_COL``, ``labeled`` / ``unlabeled`` / ``test_frame`` (DataFrames, the latter two may be
``None``), ``normalize_text(text)``, ``CLASSES`` (class names as text), ``SUSPECTS`` (row index -> proposed
label), ``texts_train``, ``y_train``, ``texts_test``, ``y_test`` (label codes), ``texts_unlabeled``, ``TASK``,
``POS_LABEL``, ``TARGET``, ``LANGUAGE`` (``"en"`` or ``"zh"``).
"""

from __future__ import annotations

import inspect
import re

from ...bundle.text_features import block
from ...knowledge import synthetic_text
from ...knowledge.text_data import TEXT_TABLE_SUFFIXES
from ..base import code_cell

_LOAD = '''
import html
import unicodedata

LABEL_NAMES = ("label", "labels", "target", "class", "y", "category", "sentiment", "benefit")


def read_text_table(path):
    """One table of texts from CSV/TSV/JSON (lines)/Parquet."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix in (".json", ".jsonl"):
        return pd.read_json(path, lines=suffix == ".jsonl" or path.read_text()[:1] != "[")
    return pd.read_csv(path, sep="\\t" if suffix == ".tsv" else ",")


def role_of(path, frame):
    """labeled, unlabeled or test: from the file name, else from whether it has a label column."""
    stem = path.stem.lower()
    if "unlabel" in stem or "pool" in stem:
        return "unlabeled"
    if any(word in stem for word in ("test", "eval", "holdout")):
        return "test"
    has_label = any(c.lower() in LABEL_NAMES for c in frame.columns) or frame.shape[1] >= 2
    return "labeled" if has_label else "unlabeled"


def text_column(frame, exclude=()):
    """The column of free text: the string column with the longest texts on average."""
    strings = [c for c in frame.columns if c not in exclude and not pd.api.types.is_numeric_dtype(frame[c])]
    if not strings:
        raise ValueError(f"No text column among {list(frame.columns)}: a text classifier needs a column of texts.")
    return max(strings, key=lambda c: frame[c].astype(str).str.len().mean())


path = Path(DATA_REF).expanduser()
if not path.exists():
    raise FileNotFoundError(f"Data not found: {path}. Check the path given with --data.")
files = sorted(p for p in path.iterdir() if p.suffix.lower() in TEXT_SUFFIXES) if path.is_dir() else [path]
if not files:
    raise ValueError(f"{path} has no CSV/TSV/JSON lines/Parquet files of texts.")
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
sample = labeled.sample(min(8, len(labeled)), random_state=SEED)
display(sample)
han = labeled[TEXT_COL].str.count(r"[\\u4e00-\\u9fff]").sum()
LANGUAGE = "zh" if han > 0.2 * labeled[TEXT_COL].str.len().sum() else "en"
_report(rows=len(labeled), labeled=len(labeled), unlabeled=0 if unlabeled is None else len(unlabeled),
        test=0 if test_frame is None else len(test_frame), text_column=TEXT_COL, label_column=LABEL_COL,
        classes=sorted(labeled[LABEL_COL].astype(str).unique()), language=LANGUAGE,
        files=[f.name for f in files],
        columns=[{"name": TEXT_COL, "dtype": "text"}, {"name": LABEL_COL, "dtype": str(labeled[LABEL_COL].dtype)}])
'''


def load_text_cell(ref: str, label_hint: str | None) -> str:
    """Load the labeled texts, and the unlabeled and test files when the folder has them."""
    return code_cell("Load the texts: the labeled file, and the unlabeled pool and test file where the folder has "
                     "them (told apart by their names and columns)", _LOAD, DATA_REF=ref, LABEL_HINT=label_hint,
                     TEXT_SUFFIXES=TEXT_TABLE_SUFFIXES)


_NORMALISE_APPLY = '''
raw = labeled[TEXT_COL]
changes = {"HTML entities or tags": raw.str.contains(r"&[a-z#0-9]+;|<[^>]+>", regex=True),
           "emoji": raw.str.contains(EMOJI),
           "upper case": raw.str.contains(r"[A-Z]", regex=True),
           "extra spaces": raw.str.contains(r"\\s{2,}|^\\s|\\s$", regex=True)}
labeled["raw_text"] = raw
labeled[TEXT_COL] = raw.map(normalize_text)
if unlabeled is not None:
    unlabeled[TEXT_COL] = unlabeled[TEXT_COL].map(normalize_text)
if test_frame is not None:
    test_frame["raw_text"] = test_frame[TEXT_COL]
    test_frame[TEXT_COL] = test_frame[TEXT_COL].map(normalize_text)
changed = labeled[labeled["raw_text"] != labeled[TEXT_COL]]
display(Markdown("**Normalisation** (before -> after), on labeled texts that changed:"))
display(changed[["raw_text", TEXT_COL]].head(8).rename(columns={"raw_text": "before", TEXT_COL: "after"}))
counts = {name: int(mask.sum()) for name, mask in changes.items()}
print("labeled texts with", ", ".join(f"{name}: {n}" for name, n in counts.items()))
_report(changed=int(len(changed)), counts=counts)
'''


def normalise_cell() -> str:
    """Normalise every text the same way training and serving will."""
    return code_cell("Normalise the texts the way the served model will (entities, tags, emoji, case, spaces), and "
                     "show what changed", block("normalise") + "\n" + _NORMALISE_APPLY)


_DEDUPE = '''
notes = []
labeled[LABEL_COL] = labeled[LABEL_COL].astype(str).str.strip()
if test_frame is not None:
    test_frame[LABEL_COL] = test_frame[LABEL_COL].astype(str).str.strip()
conflicts = labeled.groupby(TEXT_COL)[LABEL_COL].nunique()
conflicting = set(conflicts[conflicts > 1].index)
if conflicting:
    notes.append(f"{len(conflicting)} texts appear with different labels; kept once with their most common label")
    majority = labeled.groupby(TEXT_COL)[LABEL_COL].agg(lambda s: s.mode().iloc[0])
    labeled[LABEL_COL] = labeled[TEXT_COL].map(majority)
before = len(labeled)
labeled = labeled.drop_duplicates(TEXT_COL).reset_index(drop=True)
if before - len(labeled):
    notes.append(f"dropped {before - len(labeled)} duplicate labeled texts (same text after normalisation)")
if test_frame is not None:
    leaked = labeled[TEXT_COL].isin(set(test_frame[TEXT_COL]))
    if leaked.any():
        notes.append(f"dropped {int(leaked.sum())} labeled texts that also appear in the test file (leakage)")
        labeled = labeled[~leaked].reset_index(drop=True)
if unlabeled is not None:
    before = len(unlabeled)
    known = set(labeled[TEXT_COL]) | (set(test_frame[TEXT_COL]) if test_frame is not None else set())
    unlabeled = unlabeled.drop_duplicates(TEXT_COL)
    unlabeled = unlabeled[~unlabeled[TEXT_COL].isin(known) & (unlabeled[TEXT_COL].str.len() > 0)]
    unlabeled = unlabeled.reset_index(drop=True)
    if before - len(unlabeled):
        notes.append(f"dropped {before - len(unlabeled)} unlabeled texts that were duplicates, empty, or already "
                     "labeled or in the test file")
for note in notes:
    print(note)
CLASSES = sorted(labeled[LABEL_COL].unique())
counts = labeled[LABEL_COL].value_counts()
lengths = labeled[TEXT_COL].str.split().str.len() if LANGUAGE == "en" else labeled[TEXT_COL].str.len()
fig = make_subplots(rows=1, cols=2, subplot_titles=("labeled texts per class",
                                                    "text length (" + ("words" if LANGUAGE == "en" else "characters")
                                                    + ")"))
fig.add_bar(x=[str(c) for c in counts.index], y=counts.values, row=1, col=1, showlegend=False)
for cls in CLASSES:
    fig.add_histogram(x=lengths[labeled[LABEL_COL] == cls], name=f"{LABEL_COL}={cls}", opacity=0.6, row=1, col=2)
fig.update_layout(barmode="overlay", height=320, margin=dict(t=40, b=20))
fig.show()
_report(notes=notes, rows=len(labeled), unlabeled=0 if unlabeled is None else len(unlabeled),
        classes=CLASSES, class_counts={str(k): int(v) for k, v in counts.items()},
        median_length=float(lengths.median()))
'''


def dedupe_cell() -> str:
    """De-duplicate, resolve conflicting labels, keep test texts out of training; class and length plots."""
    return code_cell("De-duplicate the texts, keep test texts out of training, and look at the classes and lengths",
                     "from plotly.subplots import make_subplots\n" + _DEDUPE)


_SUSPECTS = '''
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline

# Confident learning: out-of-fold probabilities; a label is suspect when the model, not having seen it, is
# more sure of another class than it usually is of that class, and less sure of the given one than usual.
codes = labeled[LABEL_COL].map({c: i for i, c in enumerate(CLASSES)}).to_numpy()
SUSPECTS = {}
folds = int(min(5, np.bincount(codes).min()))
if folds >= 2:
    judge = make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
                          LogisticRegression(C=10, max_iter=3000))
    oof = cross_val_predict(judge, labeled[TEXT_COL], codes, method="predict_proba",
                            cv=StratifiedKFold(folds, shuffle=True, random_state=SEED))
    thresholds = np.array([oof[codes == k, k].mean() for k in range(len(CLASSES))])
    given = oof[np.arange(len(codes)), codes]
    proposed = oof.argmax(axis=1)
    suspect = (proposed != codes) & (oof[np.arange(len(codes)), proposed] >= thresholds[proposed]) & \\
        (given < thresholds[codes])
    table = pd.DataFrame({"text": labeled[TEXT_COL], "given": labeled[LABEL_COL],
                          "proposed": [CLASSES[k] for k in proposed],
                          "confidence": oof[np.arange(len(codes)), proposed].round(3)})[suspect]
    SUSPECTS = {int(i): str(row.proposed) for i, row in table.iterrows()}
    display(Markdown(f"**{len(table)} suspect labels** (out-of-fold confident learning). They are not changed "
                     "here: a label is corrected only if a stronger judge (the teacher, later) agrees."))
    display(table.sort_values("confidence", ascending=False).head(25))
else:
    print("too few texts per class to cross-validate labels")
pool_sample = [] if unlabeled is None else unlabeled.sample(min(POOL_SAMPLE, len(unlabeled)), random_state=SEED)
_report(suspects=len(SUSPECTS), checked=int(len(codes)), folds=folds,
        suspect_rows=[{"index": i, "text": labeled.loc[i, TEXT_COL], "given": labeled.loc[i, LABEL_COL],
                       "proposed": p} for i, p in list(SUSPECTS.items())[:40]],
        pool_sample=[] if unlabeled is None else [{"index": int(i), "text": t}
                                                  for i, t in pool_sample[TEXT_COL].items()])
'''


def suspects_cell(pool_sample: int = 0) -> str:
    """Find suspect labels with cross-validated confident learning; show them with the proposed correction.

    Its results carry the first 40 suspects and a sample of ``pool_sample`` unlabeled texts, for an LLM annotator.
    """
    return code_cell("Find labels that look wrong (cross-validated confident learning) and show the proposed "
                     "corrections", _SUSPECTS, POOL_SAMPLE=pool_sample)


_LLM_LABELS = '''
for index, label in CORRECTIONS.items():
    labeled.loc[index, LABEL_COL] = label
    SUSPECTS.pop(index, None)
LLM_LABELED = pd.DataFrame({TEXT_COL: [unlabeled.loc[i, TEXT_COL] for i in ANNOTATIONS] if ANNOTATIONS else [],
                            LABEL_COL: list(ANNOTATIONS.values())})
LLM_LABELED.index = range(10**6, 10**6 + len(LLM_LABELED))  # apart from the labeled rows' index
if ANNOTATIONS:
    unlabeled = unlabeled.drop(index=list(ANNOTATIONS)).reset_index(drop=True)
display(Markdown(f"**{ANNOTATOR}** corrected {len(CORRECTIONS)} suspect labels and labeled {len(LLM_LABELED)} "
                 "texts of the unlabeled pool (they join the training texts only, never the test)."))
if CORRECTIONS:
    display(pd.DataFrame({"text": [labeled.loc[i, TEXT_COL] for i in CORRECTIONS], "now": list(CORRECTIONS.values())}))
_report(corrected=len(CORRECTIONS), annotated=len(LLM_LABELED))
'''


def llm_labels_cell(annotator: str, corrections: dict[int, str], annotations: dict[int, str]) -> str:
    """Apply what the LLM annotator said (written here as data, so the notebook re-runs without the model)."""
    return code_cell(f"Apply the LLM annotator's answers ({annotator}): correct suspect labels, label part of the "
                     "unlabeled pool", _LLM_LABELS, ANNOTATOR=annotator, CORRECTIONS=corrections,
                     ANNOTATIONS=annotations)


_SPLIT = '''
from sklearn.model_selection import train_test_split

TASK, TARGET = "classification", LABEL_COL
CODE = {c: i for i, c in enumerate(CLASSES)}
if test_frame is not None:
    unknown = sorted(set(test_frame[LABEL_COL]) - set(CLASSES))
    if unknown:
        raise ValueError(f"The test file has labels the labeled file lacks: {unknown}.")
    train_part, test_part = labeled, test_frame
    source = "the test file"
else:
    train_part, test_part = train_test_split(labeled, test_size=TEST_SIZE, random_state=SEED,
                                             stratify=labeled[LABEL_COL])
    source = f"{TEST_SIZE:.0%} of the labeled texts"
if len(globals().get("LLM_LABELED", [])):
    train_part = pd.concat([train_part, LLM_LABELED[LLM_LABELED[LABEL_COL].isin(CLASSES)]])
texts_train = train_part[TEXT_COL].tolist()
y_train = train_part[LABEL_COL].map(CODE).to_numpy()
TRAIN_INDEX = train_part.index.to_numpy()
texts_test = test_part[TEXT_COL].tolist()
raw_texts_test = test_part.get("raw_text", test_part[TEXT_COL]).tolist()
y_test = test_part[LABEL_COL].map(CODE).to_numpy()
texts_unlabeled = [] if unlabeled is None else unlabeled[TEXT_COL].tolist()
POS_LABEL = CLASSES.index(POSITIVE) if POSITIVE in CLASSES else None
print(f"train: {len(texts_train):,} labeled texts; test: {len(texts_test):,} from {source}; "
      f"unlabeled pool: {len(texts_unlabeled):,}")
_report(n_train=len(texts_train), n_test=len(texts_test), n_unlabeled=len(texts_unlabeled), classes=CLASSES,
        test_source=source, n_features=1)
'''


def text_split_cell(test_size: float, positive: str | None) -> str:
    """Train on the labeled texts; test on the test file, or on a stratified share of the labeled texts."""
    return code_cell("Split: train on the labeled texts, test on the test file (or a stratified share of the "
                     "labeled texts)", _SPLIT, TEST_SIZE=test_size, POSITIVE=positive)


def job_ads_cell(folder: str = "job_ads", labeled: int = 150, unlabeled: int = 800, test: int = 300,
                 noise: float = 0.08, seed: int = 7) -> str:
    """Generate the job-adverts folder (labeled / unlabeled / test) with the package's generator, as a cell."""
    source = inspect.getsource(synthetic_text)
    source = re.sub(r'\A""".*?"""\n+', "", source, flags=re.S).replace("from __future__ import annotations\n", "")
    return code_cell("Generate a noisy text data set: job adverts, labeled 'offers remote work' or not (some labels "
                     "wrong), an unlabeled pool and a test file", source.strip() + "\n\n\n" + _JOB_ADS,
                     JOB_ADS_DIR=folder, SIZES={"labeled": labeled, "unlabeled": unlabeled, "test": test},
                     LABEL_NOISE=noise, GENERATOR_SEED=seed)


_JOB_ADS = '''
JOB_ADS_DIR = make_job_ads(Path(JOB_ADS_DIR), **SIZES, noise=LABEL_NOISE, seed=GENERATOR_SEED).resolve()
print(f"wrote {JOB_ADS_DIR}: " + ", ".join(sorted(p.name for p in JOB_ADS_DIR.iterdir())))
_report(path=str(JOB_ADS_DIR))
'''
