"""What the bundled scikit-learn sets contain, and matching a requested target to what the data has."""

from __future__ import annotations

import re

#: What each bundled set's ``target`` column records (used to tell whether a requested label exists).
BUNDLED_TARGETS = {
    "iris": "the species of an iris flower (setosa, versicolor, virginica)",
    "wine": "the cultivar class of a wine (class_0, class_1, class_2) from its chemical analysis",
    "digits": "the digit (0-9) drawn in an 8x8 image of a handwritten digit",
    "breast_cancer": "the diagnosis of a breast tumour: malignant or benign",
    "diabetes": "a quantitative measure of disease progression one year after baseline",
    "linnerud": "physiological measurements (weight, waist, pulse) of middle-aged men",
}

_STOP = {"the", "a", "an", "of", "from", "for", "and", "or", "to", "in", "on", "with", "data", "dataset", "value",
         "values", "column", "whether", "which", "will", "its", "their", "his", "her", "each", "per", "how", "many",
         "much", "is", "are", "be", "it", "this", "that", "who", "what"}


def _stems(text: str) -> set[str]:
    """Word stems (first five letters) of the meaningful words in ``text``; CJK characters count one by one."""
    words = re.findall(r"[a-z0-9]+|[\u4e00-\u9fff]", text.lower().replace("'s", ""))
    return {w[:5] for w in words if (len(w) >= 3 or "\u4e00" <= w <= "\u9fff") and w not in _STOP}


def mentions(phrase: str, text: str) -> bool:
    """Whether ``text`` (a column name or a description) speaks of what ``phrase`` asks for."""
    return bool(_stems(phrase) & _stems(text.replace("_", " ")))


def bundled_name(ref: str) -> str | None:
    """``wine`` for ``sklearn:wine``; None for files."""
    return ref.split(":", 1)[1] if ref.startswith("sklearn:") else None
