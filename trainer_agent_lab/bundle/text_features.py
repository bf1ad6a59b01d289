"""Turn raw texts into what the bundle's ONNX text model takes: normalise, then TF-IDF features (linear and
bag-of-embeddings students) or token ids (the small transformer).

Copied into text bundles as ``text_features.py`` beside ``serve.py``; reads ``text_vectorizer.json`` (the
vocabulary, IDF weights and analyser settings of the trained scikit-learn ``TfidfVectorizer``) or
``text_tokenizer.json`` (word -> id, sequence length). It depends on NumPy and the standard library only,
computes exactly what training computed (the notebook's parity cell checks it on the raw test texts), and never
loads pickles.

    inputs = load_inputs(".", {"kind": "tfidf", "file": "text_vectorizer.json"})
    feed = inputs.feed(["Grab a 10% off coupon!"])   # {"features": float32 [texts, vocabulary]}
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

# Normalisation: the notebook writes this file and its normalise cell imports it, so training and serving agree.
EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]")
TAG = re.compile(r"<[^>]{0,200}>")


def normalize_text(text):
    """HTML entities and tags out, emoji out, Unicode NFKC, lower case, single spaces."""
    text = html.unescape(str(text))
    text = TAG.sub(" ", text)
    text = EMOJI.sub(" ", text)
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"\s+", " ", text).strip()


# The small transformer's tokenizer (the notebook's student cells import it from here too).
class TokenIds:
    """Word-level token ids for the small transformer: a normalised text -> [CLS] + its words' ids, padded.

    Ids 0, 1 and 2 are padding, [CLS] and unknown words; the vocabulary (word -> id) starts at 3.
    """

    PATTERN = r"\w+|[^\w\s]"

    def __init__(self, vocabulary, max_len):
        self.vocabulary, self.max_len = dict(vocabulary), int(max_len)
        self.token = re.compile(self.PATTERN)

    @classmethod
    def fit(cls, texts, max_vocabulary, max_len):
        """The ``max_vocabulary`` most frequent words of (normalised) ``texts``, ties broken alphabetically."""
        counts = Counter(word for text in texts for word in re.findall(cls.PATTERN, text))
        kept = sorted(counts, key=lambda w: (-counts[w], w))[:max_vocabulary]
        return cls({word: i + 3 for i, word in enumerate(kept)}, max_len)

    def encode(self, texts):
        """(input_ids, attention_mask), int64 [texts, max_len], of normalised texts."""
        ids = np.zeros((len(texts), self.max_len), dtype=np.int64)
        mask = np.zeros((len(texts), self.max_len), dtype=np.int64)
        for row, text in enumerate(texts):
            tokens = [1] + [self.vocabulary.get(w, 2) for w in self.token.findall(text)][: self.max_len - 1]
            ids[row, :len(tokens)] = tokens
            mask[row, :len(tokens)] = 1
        return ids, mask

    def to_json(self):
        return {"vocabulary": self.vocabulary, "max_len": self.max_len}


def load_inputs(folder: str | Path, entry: dict):
    """What turns raw texts into the ONNX model's inputs, from the schema's ``text_inputs`` entry."""
    path = Path(folder) / entry["file"]
    return TokenInputs.load(path) if entry["kind"] == "tokens" else TextFeatures.load(path)


class TokenInputs:
    """Raw texts -> ``input_ids`` and ``attention_mask`` for the small transformer."""

    def __init__(self, tokens: TokenIds) -> None:
        self.tokens = tokens

    @classmethod
    def load(cls, path: str | Path) -> TokenInputs:
        """Read ``text_tokenizer.json``."""
        return cls(TokenIds(**json.loads(Path(path).read_text(encoding="utf-8"))))

    def feed(self, texts: list[str]) -> dict[str, np.ndarray]:
        ids, mask = self.tokens.encode([normalize_text(t) for t in texts])
        return {"input_ids": ids, "attention_mask": mask}


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

    def feed(self, texts: list[str]) -> dict[str, np.ndarray]:
        """The ONNX model's input for raw texts."""
        return {"features": self.transform(texts)}

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
