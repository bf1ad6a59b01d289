"""De-duplicate, resolve conflicting labels, keep test texts out of training; class and length plots."""

# %% [context]
from .context import LABEL_COL, LANGUAGE, TEXT_COL, _report, labeled, test_frame, unlabeled

# isort: split
# %% De-duplicate the texts, resolve conflicting labels, and keep test texts out of training.
from plotly.subplots import make_subplots

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

# %% Look at the classes and the text lengths.
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
