"""Normalise every text the way the served model will, and show what changed."""

# %% [context]
from IPython.display import Markdown, display

from .context import TEXT_COL, _report, labeled, test_frame, unlabeled

# isort: split
# %% Normalise the texts the way the served model will (entities, tags, emoji, case, spaces), and show what
# changed. The normalisation is the bundle's own (text_features.py, written by the cell above), so training and
# serving cannot disagree; its TokenIds is the small transformer student's tokenizer.
from text_features import EMOJI, TokenIds, normalize_text

raw = labeled[TEXT_COL]
changes = {"HTML entities or tags": raw.str.contains(r"&[a-z#0-9]+;|<[^>]+>", regex=True),
           "emoji": raw.str.contains(EMOJI),
           "upper case": raw.str.contains(r"[A-Z]", regex=True),
           "extra spaces": raw.str.contains(r"\s{2,}|^\s|\s$", regex=True)}
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

# %% [context]
# Names later cells use: re-exported so that ruff sees them used.
__all__ = ["TokenIds"]
