"""Turn raw texts into the features the bundle's ONNX text model takes: normalise, then TF-IDF.

Copied into text bundles as ``text_features.py`` beside ``serve.py``; reads ``text_vectorizer.json`` (the
vocabulary, IDF weights and analyser settings of the trained scikit-learn ``TfidfVectorizer``). It depends on
NumPy and the standard library only, computes exactly what scikit-learn computes (the notebook's parity cell
checks it on the raw test texts), and never loads pickles.

    features = TextFeatures.load("text_vectorizer.json")
    matrix = features.transform(["Grab a 10% off coupon!"])   # float32 [texts, vocabulary]
"""

from __future__ import annotations

import html
import json
import math
import re
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np

# --- normalise: begin (the notebook's normalise cell embeds this block, so training and serving agree)
EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]")
TAG = re.compile(r"<[^>]{0,200}>")


def normalize_text(text):
    """HTML entities and tags out, emoji out, Unicode NFKC, lower case, single spaces."""
    text = html.unescape(str(text))
    text = TAG.sub(" ", text)
    text = EMOJI.sub(" ", text)
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"\s+", " ", text).strip()
# --- normalise: end


_WHITE_SPACES = re.compile(r"\s\s+")


class TextFeatures:
    """scikit-learn's TfidfVectorizer ``transform``, re-implemented on its exported vocabulary and IDF."""

    def __init__(self, vocabulary: dict[str, int], idf: list[float], analyzer: str, ngram_range: list[int],
                 sublinear_tf: bool, norm: str | None, token_pattern: str = r"(?u)\b\w\w+\b",
                 lowercase: bool = False) -> None:
        self.vocabulary = vocabulary
        self.idf = np.asarray(idf, dtype=np.float64)
        self.analyzer = analyzer
        self.min_n, self.max_n = int(ngram_range[0]), int(ngram_range[1])
        self.sublinear_tf = sublinear_tf
        self.norm = norm
        self.token = re.compile(token_pattern)
        self.lowercase = lowercase

    @classmethod
    def load(cls, path: str | Path) -> TextFeatures:
        """Read ``text_vectorizer.json``."""
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))

    def terms(self, text: str) -> list[str]:
        """The n-grams of one normalised text, as the vectoriser's analyser makes them."""
        if self.lowercase:
            text = text.lower()
        if self.analyzer == "word":
            tokens = self.token.findall(text)
            grams = list(tokens) if self.min_n == 1 else []
            for n in range(max(self.min_n, 2), min(self.max_n, len(tokens)) + 1):
                grams += [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
            return grams
        text = _WHITE_SPACES.sub(" ", text)
        if self.analyzer == "char_wb":
            grams = []
            for word in text.split():
                word = f" {word} "
                for n in range(self.min_n, self.max_n + 1):
                    grams += [word[i:i + n] for i in range(max(len(word) - n + 1, 1))]
                    if len(word) <= n:  # a short word counts once, as scikit-learn does
                        break
            return grams
        grams = list(text) if self.min_n == 1 else []
        for n in range(max(self.min_n, 2), min(self.max_n, len(text)) + 1):
            grams += [text[i:i + n] for i in range(len(text) - n + 1)]
        return grams

    def transform(self, texts: list[str]) -> np.ndarray:
        """TF-IDF rows (float32) of raw texts, normalised first."""
        out = np.zeros((len(texts), len(self.idf)), dtype=np.float64)
        for row, text in enumerate(texts):
            counts = Counter(t for t in self.terms(normalize_text(text)) if t in self.vocabulary)
            for term, count in counts.items():
                tf = 1.0 + math.log(count) if self.sublinear_tf else float(count)
                out[row, self.vocabulary[term]] = tf * self.idf[self.vocabulary[term]]
            if self.norm == "l2":
                length = math.sqrt(float(out[row] @ out[row]))
                if length > 0:
                    out[row] /= length
            elif self.norm == "l1":
                length = float(np.abs(out[row]).sum())
                if length > 0:
                    out[row] /= length
        return out.astype(np.float32)


def export_vectorizer(vectorizer) -> dict:
    """The JSON form of a fitted scikit-learn TfidfVectorizer that :class:`TextFeatures` reads."""
    if callable(vectorizer.analyzer) or vectorizer.preprocessor or vectorizer.tokenizer or vectorizer.stop_words:
        raise ValueError("only built-in analysers without custom preprocessors, tokenizers or stop words export")
    return {"vocabulary": {term: int(i) for term, i in vectorizer.vocabulary_.items()},
            "idf": [float(v) for v in vectorizer.idf_], "analyzer": vectorizer.analyzer,
            "ngram_range": list(vectorizer.ngram_range), "sublinear_tf": bool(vectorizer.sublinear_tf),
            "norm": vectorizer.norm, "token_pattern": vectorizer.token_pattern, "lowercase": bool(vectorizer.lowercase)}
