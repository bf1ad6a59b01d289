"""Every clause of a request accounted for: which ones read like a requirement that no reading step understood.

The rule-based reader (:mod:`.rule_reader`) records the spans of the normalised text each of its steps used
(numbers read as targets or budgets, metric names, hints, data references, the target, task words, feature
requirements). Here the text is split into clauses — at punctuation and conjunctions, and further before "with",
"that", "so", "using"... — and each clause is judged:

* a clause with no requirement cue is plain context ("The date matters", "so doctors can check it");
* a clause with a cue (must, should, only, never, every, at least, a comparison, a column name...) that no span
  touches, and that says more than words the agents always act on ("train", "model", "deploy", "fast"), is not
  understood;
* wherever it stands, a number with a comparison or a percentage that no step read ("at least 80% of the generated
  images") and an ask the agents cannot honour (explanations for every prediction, fairness, a GPU or a phone as
  the target, retraining schedules, calibration, privacy) are not understood either.

>>> from trainer_agent_lab.llm.rule_reader import parse_request
>>> parse_request("Train a wine classifier. It must run on a Raspberry Pi.").not_understood
['It must run on a Raspberry Pi']
"""

from __future__ import annotations

import re
from typing import Literal

from . import vocabulary as V

__all__ = ["Span", "WHAT_THE_READER_READS", "fragments", "language_of", "unaccounted"]

#: ``(start, end)`` offsets in the normalised text.
Span = tuple[int, int]

#: What the offline reader understands, for messages that say why a request was not read.
WHAT_THE_READER_READS = (
    "I read requests in English and Chinese for a model I can train: a classifier or regressor on a table, a text "
    "or an image classifier; the data (a path, a folder, sklearn:NAME, synthetic:NAME); the column to predict; "
    "targets on accuracy, precision, recall, F1, ROC AUC, MAE, RMSE or R2; limits on parameters, model file size, "
    "latency, memory, requests per second and training time; int8; which input columns to use or leave out, how "
    "many, an interpretable or monotonic model; hints such as cleaning the data, outliers or noisy labels.")

_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'-]*")
_UNICODE_WORD_RE = re.compile(r"[^\W\d_]+")
_TRIM = " \t\n,;:.!?()[]{}\"'`#*•-，。；：！？、"


def fragments(norm: str) -> list[Span]:
    """The clauses of ``norm`` for accounting, as spans, each at least one word that is not plain filler.

    Split at :data:`~.vocabulary.CLAUSE_SEP_RE` (the separator dropped) and before the words of
    :data:`~.vocabulary.FRAGMENT_SEP_RE` (the word kept: "with explanations for every prediction"); a part made of
    filler words only ("I need", "Make sure") joins the part after it (and is left out at the end).
    """
    cuts: list[tuple[int, int]] = [(m.start(), m.end()) for m in V.CLAUSE_SEP_RE.finditer(norm)]
    cuts += [(m.start(), m.start()) if m.group()[:1].isalpha() else m.span()
             for m in V.FRAGMENT_SEP_RE.finditer(norm)]
    parts: list[Span] = []
    start = 0
    for lo, hi in sorted(cuts):
        if lo < start:
            start = max(start, hi)
            continue
        parts.append((start, lo))
        start = hi
    parts.append((start, len(norm)))
    merged: list[Span] = []
    carry: int | None = None
    for lo, hi in parts:
        lo = carry if carry is not None else lo
        if _has_content(norm[lo:hi]):
            merged.append(_trimmed(norm, lo, hi))
            carry = None
        elif norm[lo:hi].strip(_TRIM):
            carry = lo
    return [span for span in merged if span[0] < span[1]]


def unaccounted(norm: str, used: list[Span], claimed: set[int] | None = None) -> list[str]:
    """The clauses of ``norm`` that read like a requirement and that no span in ``used`` accounts for, as written.

    ``claimed`` holds the positions of the numbers the reader used (a number there is accounted for wherever
    it stands).
    """
    claimed = claimed or set()
    found: list[str] = []
    for lo, hi in fragments(norm):
        text = norm[lo:hi]
        covered = any(s < hi and lo < e for s, e in used)

        def free(m: re.Match[str], lo: int = lo) -> bool:
            start, end = lo + m.start(), lo + m.end()
            return not any(s <= start and end <= e for s, e in used)

        asks = [m for m in V.UNSUPPORTED_ASK_RE.finditer(text) if free(m)]
        cues = [m for m in [*V.REQUIREMENT_CUE_RE.finditer(text), *V.NAME_CUE_RE.finditer(text)] if free(m)]
        if asks or _unread_value(norm, lo, hi, used, claimed, bool(cues)) or (
                cues and not covered and _says_more(text)):
            clause = " ".join(text.strip(_TRIM).split())
            if clause and clause not in found:
                found.append(clause)
    return found


def language_of(norm: str) -> Literal["en", "zh", "other"]:
    """``zh`` for Chinese, ``en`` for English, ``other`` for a language the reader does not read.

    Decided by script (Cyrillic, Arabic, Hangul, Japanese kana... are ``other``), and for Latin script by
    counting function words of other languages against English ones.
    """
    letters = [ch for ch in norm if ch.isalpha()]
    other = len(V.OTHER_SCRIPT_RE.findall(norm))
    if other and other >= max(2, 0.3 * len(letters)):
        return "other"
    if V.CJK_RE.search(norm):
        return "zh"
    words = [w.lower() for w in _UNICODE_WORD_RE.findall(norm)]
    foreign = sum(w in V.FOREIGN_WORDS for w in words)
    english = sum(w in V.ENGLISH_WORDS for w in words)
    return "other" if foreign >= 2 and foreign > english else "en"


# ------------------------------------------------------------------------------------------- helpers
def _has_content(text: str) -> bool:
    """Whether ``text`` holds a word that is not filler, a number, or Chinese beyond filler."""
    if re.search(r"\d", text) or V.NAME_CUE_RE.search(text) or V.UNSUPPORTED_ASK_RE.search(text):
        return True
    if any(w.lower() not in V.CONTEXT_WORDS and w.lower() not in _MODAL_WORDS for w in _WORD_RE.findall(text)):
        return True
    return len(V.CJK_RE.findall(V.CONTEXT_WORDS_ZH.sub("", text))) >= 2


def _says_more(text: str) -> bool:
    """Whether ``text`` says something beyond what the agents always do ("It must be deployed" does not)."""
    if V.NAME_CUE_RE.search(text):
        return True
    if any(w.lower() not in V.CONTEXT_WORDS for w in _WORD_RE.findall(text)):
        return True
    return len(V.CJK_RE.findall(V.CONTEXT_WORDS_ZH.sub("", text))) >= 2


def _unread_value(norm: str, lo: int, hi: int, used: list[Span], claimed: set[int], cued: bool) -> bool:
    """Whether the clause ``norm[lo:hi]`` holds a number set as a target that no reading step used: one after a
    comparison ("at least 80% of the images") or a percentage in a clause that reads like a requirement."""
    for m in V.NUM_RE.finditer(norm, lo, hi):
        if m.start() in claimed or any(s <= m.start() < e for s, e in used):
            continue
        before = norm[max(lo, m.start() - 25):m.start()]
        if V.STRONG_OP_RE.search(before) or V.STRONG_POSTFIX_RE.match(norm, m.end()):
            return True
        if V.PERCENT_RE.match(norm, m.end()) and (cued or V.PREFIX_OP_END_RE.search(before)
                                                  or V.METRIC_RE.search(norm, lo, hi)):
            return True
    return False


_MODAL_WORDS = frozenset({"need", "needs", "needed", "required", "require", "requires", "necessary", "mandatory",
                          "guarantee", "guaranteed", "sure"})


def _trimmed(text: str, lo: int, hi: int) -> Span:
    """``(lo, hi)`` without the punctuation and spaces at either end."""
    while lo < hi and text[lo] in _TRIM:
        lo += 1
    while hi > lo and text[hi - 1] in _TRIM:
        hi -= 1
    return lo, hi
