"""The rule-based request reader: an English or Chinese request -> :class:`~trainer_agent_lab.spec.TaskSpec`.

Not a language model (``--llm offline`` is this reader): no model and no network, only regular expressions
over a normalised copy of the text (NFKC, so full-width digits and punctuation read as ASCII; straight quotes;
"百分之九十" as "90%"). The vocabulary lives in :mod:`.vocabulary`. Quantities are read in a fixed order and
each number is used once, so "500 parameters" never becomes a metric target and "5 ms" never becomes a time
budget::

    parameters -> sizes (container memory, model file) -> latency -> QPS -> time budget -> metrics

Every clause is accounted for (:mod:`.clauses`): the spans of text the steps used are collected, and a clause that
reads like a requirement but that no step used is kept in ``not_understood``; a request that asks for no model
gets the hint ``no_model``, one in a language the reader does not read ``language="other"``.

>>> spec = parse_request("Train a classifier on the wine data with at least 95% accuracy.")
>>> spec.data, spec.constraint("accuracy").target
(['sklearn:wine'], '>= 0.95')
"""

from __future__ import annotations

import bisect
import functools
import os
import re
import unicodedata
from collections.abc import Iterator

from ..knowledge.image_data import is_image_data
from ..knowledge.text_data import is_text_folder
from ..spec import (
    CLASSIFICATION_METRICS,
    GENERATION_METRICS,
    GROUNDING_METRICS,
    LOWER_IS_BETTER,
    REGRESSION_METRICS,
    Constraint,
    TaskSpec,
    TaskType,
)
from . import vocabulary as V
from .clauses import Span, language_of, unaccounted
from .feature_reader import feature_constraints

__all__ = ["parse_request", "normalize"]

#: (position in the text, constraint): constraints are reported in the order the request states them.
_Found = tuple[int, Constraint]
#: A metric target as read: (position of the number, comparator or None, value, written as a percentage).
_Read = tuple[int, str | None, float, bool]


def parse_request(text: str, data: list[str] | None = None, time_budget_s: float | None = None) -> TaskSpec:
    """Read a request into a :class:`TaskSpec` without an LLM.

    ``data`` (the CLI's ``--data``) comes first in ``spec.data``, followed by the references the text
    names; ``time_budget_s`` (the CLI's ``--time-budget``) wins over a budget stated in the text.
    """
    norm = normalize(text)
    claimed: set[int] = set()
    features, found, feature_spans = feature_constraints(norm, claimed)  # "at most 3 inputs": n_inputs <= 3
    found += [*_parameters(norm, claimed), *_sizes(norm, claimed), *_latency(norm, claimed)]
    qps = _tidy(_qps(norm, claimed))
    memory = _tidy(_container_memory(norm, claimed))
    budget = time_budget_s if time_budget_s is not None else _tidy(_time_budget(norm, claimed))
    mentions = list(V.METRIC_RE.finditer(norm))
    found += _metric_constraints(norm, mentions, claimed)
    constraints = _ordered(found)
    optimize = _optimize(norm)
    constrained = {c.name for c in constraints}
    report = list(dict.fromkeys(m.lastgroup for m in mentions if m.lastgroup not in constrained | {optimize}))
    target, asked = _target(norm)
    hints = [hint for hint, pattern in V.HINT_PATTERNS if pattern.search(norm)]
    to_predict = [m.group("ref") for m in _PREDICT_FILE_RE.finditer(norm)]  # "predict for test.csv"
    hints += [f"predict_file:{ref}" for ref in to_predict]
    if asked and target is None:
        hints.append(f"asked_target:{asked}")
    quantize = bool(V.QUANTIZE_RE.search(norm)) and not V.NO_QUANTIZE_RE.search(norm)
    refs = _data_refs(norm, data or [], to_predict)
    task_type = _task_type(norm, constraints, report, optimize, refs)
    if task_type == TaskType.visual_grounding:  # "locate it with 90% accuracy": accuracy is Acc@0.5 there
        constraints = [c.model_copy(update={"name": "acc_iou50"}) if c.name == "accuracy" else c
                       for c in constraints]
    if task_type == TaskType.image_generation:  # "generate digits, 90% recognised": the generated-class accuracy
        constraints = [c.model_copy(update={"name": "generated_class_accuracy"}) if c.name == "accuracy" else c
                       for c in constraints]
    spec = TaskSpec(
        request=text, language=language_of(norm),
        task_type=task_type, target=target,
        positive_label=_positive_label(norm, mentions), data=refs,
        constraints=constraints, report_metrics=report, optimize=optimize, qps=qps,
        container_memory_mb=memory, quantize_int8=quantize, export_onnx=True, time_budget_s=budget,
        hints=hints, features=features)
    return _accounted(spec, norm, claimed, [*feature_spans, *(m.span() for m in mentions)])


# ------------------------------------------------------------------------------------------- helpers
def normalize(text: str) -> str:
    """NFKC (full-width digits/punctuation, "R²" -> "R2"), straight quotes, "百分之九十" -> "90%"."""
    text = unicodedata.normalize("NFKC", text).translate(V.QUOTES)
    return V.CN_PERCENT_RE.sub(lambda m: f"{_cn_number(m.group(1)):g}%", text)


def _cn_number(s: str) -> float:
    """A Chinese numeral ("九十五", "十", "九十九点九") or ASCII digits as a float."""
    if re.fullmatch(r"\d+(?:\.\d+)?", s):
        return float(s)
    whole, _, frac = s.partition("点")
    total, digit = 0, 0
    for ch in whole:
        if ch in V.CN_DIGITS:
            digit = V.CN_DIGITS[ch]
        elif ch in V.CN_MULTIPLIERS:
            total, digit = total + (digit or 1) * V.CN_MULTIPLIERS[ch], 0
    decimals = "".join(str(V.CN_DIGITS[ch]) for ch in frac if ch in V.CN_DIGITS)
    return total + digit + (float("0." + decimals) if decimals else 0.0)


def _number(s: str) -> float:
    """The value of a matched number ("10,000" -> 10000.0)."""
    return float(s.replace(",", ""))


def _phrase_key(s: str) -> str:
    """A matched phrase as the vocabulary tables spell it ("At  least" -> "at least")."""
    return " ".join(s.lower().split())


def _last_op(s: str) -> str | None:
    """The last comparator written in ``s`` ("must be at least" -> ">=")."""
    ops = [V.PREFIX_OPS[_phrase_key(m.group())] for m in V.PREFIX_OP_RE.finditer(s)]
    return ops[-1] if ops else None


def _postfix_op(text: str, end: int) -> str | None:
    """A comparator written right after position ``end`` ("95% or higher", "以内")."""
    m = V.POSTFIX_OP_RE.match(text, end)
    return V.POSTFIX_OPS[_phrase_key(m.group())] if m else None


def _op_before(text: str, start: int, reach: int = 40) -> str | None:
    """A comparator that ends just before ``start``, with only filler words in between."""
    window = text[max(0, start - reach):start]
    matches = list(V.PREFIX_OP_RE.finditer(window))
    if not matches or not _only_filler(window[matches[-1].end():]):
        return None
    return V.PREFIX_OPS[_phrase_key(matches[-1].group())]


def _only_filler(s: str) -> bool:
    """Whether ``s`` holds nothing but comparators and filler words ("must stay under")."""
    return not V.FILLER_RE.sub("", V.PREFIX_OP_RE.sub(" ", s)).strip()


def _stands_alone(text: str, end: int) -> bool:
    """Whether the number ending at ``end`` is a bare value (not "500 rows" or "10类")."""
    if V.POSTFIX_OP_RE.match(text, end) or V.PERCENT_RE.match(text, end) or V.NEXT_METRIC_RE.match(text, end):
        return True
    word = re.match(r"\s*([A-Za-z]+)", text[end:])
    if word:
        return word.group(1).lower() in V.VALUE_FOLLOWERS
    return not V.CN_COUNT_AFTER.match(text, end)


def _clause(text: str, pos: int, reach: int = 150) -> tuple[int, int]:
    """The bounds of the clause around ``pos``: split at punctuation and conjunctions, ``reach`` at most."""
    starts, ends = _separators(text)
    i = bisect.bisect_right(ends, pos)
    lo = ends[i - 1] if i else 0
    j = bisect.bisect_left(starts, pos)
    hi = starts[j] if j < len(starts) else len(text)
    return max(lo, pos - reach), min(hi, pos + reach)


@functools.lru_cache(maxsize=16)
def _separators(text: str) -> tuple[list[int], list[int]]:
    """Start and end offsets of the clause separators in ``text``."""
    spans = [m.span() for m in V.CLAUSE_SEP_RE.finditer(text)]
    return [s for s, _ in spans], [e for _, e in spans]


def _overlapping(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Every match of ``pattern``, also those starting inside an earlier one ("p99 latency under 5 ms")."""
    m = pattern.search(text)
    while m:
        yield m
        m = pattern.search(text, m.start() + 1)


def _ordered(found: list[_Found]) -> list[Constraint]:
    """Constraints in the order the request states them, the first one per name."""
    by_name: dict[str, Constraint] = {}
    for _, constraint in sorted(found, key=lambda item: item[0]):
        by_name.setdefault(constraint.name, constraint.model_copy(update={"value": _tidy(constraint.value)}))
    return list(by_name.values())


def _tidy(value: float | None) -> float | None:
    """Drop float noise from unit arithmetic (99.9 / 100 -> 0.999, not 0.9990000000000001)."""
    return None if value is None else float(f"{value:.12g}")


# ----------------------------------------------------------------------------------------- resources
def _quantities(text: str, claimed: set[int], value_first: re.Pattern[str],
                noun_first: re.Pattern[str]) -> Iterator[tuple[re.Match[str], str]]:
    """Matches of "N unit NOUN" and "NOUN ... N unit" with their comparator (``<=`` when none is written).

    Each number is claimed so that later passes (metrics, time budget) do not read it again.
    """
    for m in value_first.finditer(text):
        if m.start("num") not in claimed:
            claimed.add(m.start("num"))
            yield m, _postfix_op(text, m.end()) or _op_before(text, m.start("num")) or "<="
    for m in _overlapping(noun_first, text):
        num = m.start("num")
        if num in claimed or not _only_filler(m.group("between")) or not _stands_alone(text, m.end()):
            continue
        claimed.add(m.start("num"))
        yield m, _postfix_op(text, m.end()) or _last_op(m.group("between")) or "<="


def _parameters(text: str, claimed: set[int]) -> list[_Found]:
    """Parameter budgets: "fewer than 500 parameters", "under 2M params", "参数量不超过5万"."""
    found = []
    for m, op in _quantities(text, claimed, V.PARAM_VALUE_FIRST, V.PARAM_NOUN_FIRST):
        value = _number(m.group("num")) * (V.COUNT_UNITS[m.group("unit").lower()] if m.group("unit") else 1)
        found.append((m.start("num"), Constraint(name="parameters", op=op, value=value)))
    return found


def _sizes(text: str, claimed: set[int]) -> list[_Found]:
    """Model-file budgets ("model file under 1 MB" -> ``onnx_bytes``) and per-replica memory budgets.

    Sizes next to container words are container sizes, read by :func:`_container_memory` instead.
    """
    found = []
    for m in V.SIZE_RE.finditer(text):
        lo, hi = _clause(text, m.start())
        clause, unit, num = text[lo:hi], m.group("unit").lower(), _number(m.group("num"))
        op = _postfix_op(text, m.end()) or _op_before(text, m.start("num"))
        if m.start() in claimed or V.CONTAINER_RE.search(clause):
            continue
        if V.MEMORY_RE.search(clause):
            name, value = "replica_memory_mb", num * V.MEMORY_MB[unit]
        elif V.MODEL_FILE_RE.search(clause) or (op and not V.DATA_CONTEXT_RE.search(clause)):
            name, value = "onnx_bytes", num * V.SIZE_BYTES[unit]
        else:
            continue
        found.append((m.start(), Constraint(name=name, op=op or "<=", value=value)))
        claimed.add(m.start())
    return found


def _container_memory(text: str, claimed: set[int]) -> float | None:
    """Container size in MB (binary: "2 GB containers" -> 2048, "2G内存的容器" -> 2048)."""
    for m in V.SIZE_RE.finditer(text):
        lo, hi = _clause(text, m.start())
        if m.start() not in claimed and V.CONTAINER_RE.search(text[lo:hi]):
            claimed.add(m.start())
            return _number(m.group("num")) * V.MEMORY_MB[m.group("unit").lower()]
    return None


def _latency(text: str, claimed: set[int]) -> list[_Found]:
    """Latency budgets in ms: "p99 latency under 5 ms", "median latency below 2ms", "延迟低于5毫秒"."""
    found = []
    matches = [*_quantities(text, claimed, V.LATENCY_VALUE_FIRST, V.LATENCY_NOUN_FIRST)]
    matches += [(m, _op_before(text, m.start("num")) or "<=") for m in V.MS_RE.finditer(text)
                if m.start("num") not in claimed]
    for m, op in matches:
        claimed.add(m.start("num"))
        lo, hi = _clause(text, m.start())
        name = "p50_ms" if V.MEDIAN_RE.search(text[lo:hi]) else "p99_ms"
        value = _number(m.group("num")) * V.LATENCY_UNIT_MS[m.group("unit").lower()]
        found.append((m.start("num"), Constraint(name=name, op=op, value=value)))
    return found


def _qps(text: str, claimed: set[int]) -> float | None:
    """Requests per second: "200 requests per second", "QPS 100", "每秒100个请求"."""
    for pattern in (V.QPS_VALUE_FIRST, V.QPS_NOUN_FIRST):
        for m in _overlapping(pattern, text):
            if m.start("num") in claimed or ("between" in m.groupdict() and not _only_filler(m["between"])):
                continue
            claimed.add(m.start("num"))
            return _number(m.group("num")) * (1000 if m.group("unit") else 1)
    return None


def _time_budget(text: str, claimed: set[int]) -> float | None:
    """Training time budget in seconds: "within 5 minutes", "under an hour of training", "10分钟内"."""
    for pattern in V.TIME_PATTERNS:
        for m in pattern.finditer(text):
            lo, hi = _clause(text, m.start())
            if (m.group("num") and m.start("num") in claimed) or V.LATENCY_CONTEXT_RE.search(text[lo:hi]):
                continue
            if m.group("num"):
                amount = _number(m.group("num"))
            elif _phrase_key(m.group("word")) in V.WORD_NUMBERS:
                amount = V.WORD_NUMBERS[_phrase_key(m.group("word"))]
            else:
                amount = _cn_number(m.group("word"))
            return amount * V.TIME_UNIT_S[_phrase_key(m.group("unit"))]
    return None


# ------------------------------------------------------------------------------------------- metrics
def _metric_constraints(text: str, mentions: list[re.Match[str]], claimed: set[int]) -> list[_Found]:
    """Metric targets next to each metric mention: "at least 95% accuracy", "准确率不低于95%"."""
    found = []
    for i, mention in enumerate(mentions):
        lo, hi = _clause(text, mention.start())
        next_start = mentions[i + 1].start() if i + 1 < len(mentions) else len(text)
        read = _metric_before(text, mention, lo, claimed) or _metric_after(
            text, mention, min(hi, next_start, mention.end() + 80), claimed)
        if read is None:
            continue
        name, (pos, op, value, percent) = mention.lastgroup, read
        if not percent and name not in LOWER_IS_BETTER and value > 1:
            if value > 100:
                continue
            value /= 100
        claimed.add(pos)
        default = "<=" if name in LOWER_IS_BETTER else ">="
        found.append((mention.start(), Constraint(name=name, op=op or default, value=value)))
    return found


def _metric_value(text: str, num: re.Match[str], claimed: set[int],
                  before_metric: bool = False) -> tuple[float, bool, int] | None:
    """A number usable as a metric target: (value, written as a percentage, end).

    None for numbers already read, names ("class 1", "top-5"), years and counts ("500 rows").
    """
    if num.start() in claimed or V.NOT_A_VALUE_BEFORE.search(text, max(0, num.start() - 20), num.start()):
        return None
    value, pct = _number(num.group()), V.PERCENT_RE.match(text, num.end())
    if pct:
        return value / 100, True, pct.end()
    if (not before_metric and not _stands_alone(text, num.end())) or (
            value.is_integer() and 1900 <= value <= 2100):
        return None
    return value, False, num.end()


def _metric_before(text: str, mention: re.Match[str], lo: int, claimed: set[int]) -> _Read | None:
    """A target written before the metric: "at least 95% accuracy", "95%+ accuracy", "达到95%的准确率"."""
    m = V.METRIC_BEFORE_RE.search(text, max(lo, mention.start() - 80), mention.start())
    num = m and V.NUM_RE.match(text, m.start("num"))
    read = num and _metric_value(text, num, claimed, before_metric=True)
    if not read:
        return None
    op = (V.POSTFIX_OPS[_phrase_key(m.group("post"))] if m.group("post") else
          V.PREFIX_OPS[_phrase_key(m.group("op"))] if m.group("op") else None)
    return num.start(), op, read[0], read[1]


def _metric_after(text: str, mention: re.Match[str], hi: int, claimed: set[int]) -> _Read | None:
    """A target written after the metric: "accuracy of at least 95%", "recall on X must be >= 0.97"."""
    for num in V.NUM_RE.finditer(text, mention.end(), hi):
        read = _metric_value(text, num, claimed)
        if read:
            value, percent, end = read
            op = _postfix_op(text, end) or _last_op(text[mention.end():num.start()])
            return num.start(), op, value, percent
    return None


def _optimize(text: str) -> str | None:
    """The metric named in "optimise for F1", "maximize recall", "优化F1"."""
    m = V.OPTIMIZE_RE.search(text)
    if not m:
        return None
    alias = next(group for group in m.groups() if group)
    return V.METRIC_RE.match(alias).lastgroup


def _positive_label(text: str, mentions: list[re.Match[str]]) -> str | None:
    """The class that precision/recall/F1 are about: "recall on malignant cases", "对恶性样本的召回率"."""
    for mention in mentions:
        if mention.lastgroup not in V.CLASS_METRICS:
            continue
        label = _en_label_after(text, mention.end()) or _zh_label_before(text, mention.start())
        if label:
            return label
    return None


def _en_label_after(text: str, end: int) -> str | None:
    """"recall on malignant cases" -> "malignant"; "F1 on the test set" -> None."""
    m = V.POSITIVE_LABEL_RE.match(text, end)
    if not m:
        return None
    label = (m.group("cls") or m.group("np") or m.group("word")).strip()
    first = label.split()[0].lower()
    if first in V.NOT_A_LABEL or V.METRIC_RE.fullmatch(label):
        return None
    return label


def _zh_label_before(text: str, start: int) -> str | None:
    """"对恶性样本的召回率" -> "恶性": the words before "的" after a marker ("对"), less "样本"/"类"."""
    head = text[:start].rstrip()
    if not head.endswith("的"):
        return None
    head = head[:-1]
    i = len(head)
    while i > 0 and len(head) - i < 12 and (V.CJK_RE.match(head[i - 1]) or head[i - 1].isascii()
                                             and (head[i - 1].isalnum() or head[i - 1] == "_")):
        i -= 1
    chunk = head[i:]
    cut = [chunk.rfind(marker) + len(marker) for marker in V.ZH_LABEL_MARKERS if marker in chunk]
    chunk = chunk[max(cut, default=0):]
    for lead in V.ZH_LABEL_LEADING:
        chunk = chunk.removeprefix(lead)
    changed = True
    while changed:
        changed = False
        for suffix in V.ZH_LABEL_SUFFIXES:
            if chunk.endswith(suffix) and len(chunk) > len(suffix):
                chunk, changed = chunk[: -len(suffix)], True
    if not chunk or len(chunk) > 8 or V.ZH_NOT_A_LABEL.search(chunk):
        return None
    return chunk


# --------------------------------------------------------------------------------------- target, data
def _target(text: str) -> tuple[str | None, str | None]:
    """(the target column, or None; the phrase asked for when it is not clearly a column).

    A column written as one (``target: y``, "the `Sale Price` column", "predict sale_price") is the target; what a
    request asks for in words ("predict house prices", "tell the apple variety from ...", "which state ...",
    "classify iris species by petal size") is the phrase, matched to the data's columns later. The data itself
    ("predicting the data in test.csv", "predict the test set") is neither.
    """
    for pattern in V.TARGET_PATTERNS:
        for m in pattern.finditer(text):
            name = m.group(1).strip().rstrip(".")
            if name and name.lower() not in V.NOT_A_TARGET | {"the", "a", "an", "last", "first"}:
                return name, None
    for m in V.PREDICT_PHRASE_RE.finditer(text):
        aside = V.ASIDE_RE.match(text, m.end("phrase"))
        found = _predicted(m.group("phrase"), m.group("rest"), aside.group() if aside else "")
        if found:
            return found
    for pattern in (V.WHICH_RE, V.CLASSIFY_BY_RE):
        m = pattern.search(text)
        words = m.group("phrase").split() if m else []
        if words and not {words[0].lower(), words[-1].lower()} & V.NOT_A_TARGET_NOUN:
            return None, V.ARTICLES_RE.sub("", m.group("phrase")).lower()
    m = V.PREDICT_PHRASE_ZH_RE.search(text)
    if m and not any(m.group("phrase").startswith(w) for w in V.NOT_A_TARGET):
        return None, m.group("phrase")
    return None, None


def _predicted(phrase: str, rest: str, aside: str = "") -> tuple[str | None, str | None] | None:
    """What "predict <phrase><rest>" asks for: (a column name, None) for a name written as one ("sale_price",
    "SalePrice", "the Median_House_Value of each district"), (None, the words and the ``aside`` in brackets after
    them: "fuel consumption (mpg)") for words, or None when ``phrase`` is not a thing to predict (a question, a
    pronoun, the data, a long clause)."""
    phrase = V.ARTICLES_RE.sub("", phrase.strip()).strip("`'\"")
    words = phrase.split()
    if (not words or len(words) > 5 or words[0].lower() in V.NOT_A_TARGET | V.NOT_A_TARGET_START
            or V.DATA_WORDS_RE.fullmatch(phrase) or ("." in words[-1]
                                                     and words[-1].rsplit(".", 1)[-1].lower() in V.DATA_EXTENSIONS)):
        return None
    if len(words) == 1 and V.IDENTIFIER_RE.fullmatch(phrase) and (
            re.search(r"_|\d|[a-z][A-Z]|\w\.\w", phrase) or _names_a_file(rest)):
        return phrase, None
    named = [w for w in words if V.IDENTIFIER_RE.fullmatch(w) and re.search(r"_|[a-z][A-Z]|\w\.\w", w)]
    if len(named) == 1:
        return named[0], None
    return None, f"{phrase} {aside.strip()}".strip().lower()


def _names_a_file(rest: str) -> bool:
    """Whether ``rest`` starts "from/on/using/in <path>" ("predict target from data/x.csv")."""
    m = re.match(r"\s+(?:from|on|using|in)\s+(\S+)", rest, V.FLAGS)
    token = m.group(1).rstrip(".,;:") if m else ""
    return bool(token) and (bool(_text_paths(token)) or bool(V.SKLEARN_RE.fullmatch(token))
                            or token.rsplit(".", 1)[-1].lower() in V.DATA_EXTENSIONS)


def _is_data_path(path: str) -> bool:
    """Whether a slash-separated token is a data reference: a file or folder that exists, or a token clearly written
    as a path — a data file's extension ("data/x.csv", "/abs/x.parquet"), "./", "../" or "~/" in front, or a data
    folder ("data/images/") — not "/script", "MAE/RMSE", "req/s", "input/output" or "and/or"."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if path.startswith(("~/", "./", "../")) or ("." in last and last.rsplit(".", 1)[-1].lower() in V.DATA_EXTENSIONS):
        return True
    if not path.startswith("/") and path.split("/", 1)[0].lower() in V.DATA_ROOTS:
        return True
    return os.path.exists(os.path.expanduser(path))


def _text_paths(text: str) -> list[tuple[int, str]]:
    """(position, path) for each data path written in ``text``, a sentence's full stop left off."""
    found = []
    for m in V.PATH_RE.finditer(text):
        path = m.group()
        if path.endswith(".") and path.strip("./"):
            path = path.rstrip(".")
        if _is_data_path(path):
            found.append((m.start(), path))
    return found


#: A file to predict: "predict for test.csv", "predictions on data/new.csv", "score the rows of new.csv". Not
#: "predict the default column of data/loans.csv": a column *of* a file names the training data.
_PREDICT_FILE_RE = re.compile(
    r"\b(?:predict\w*|scor(?:e|es|ing))\b(?:[^.;\n]{0,40}?\s(?:for|on))?\s+(?:(?:the|every|each|all)\s+)?"
    r"(?:(?:rows?|lines?|records?|file|table)\s+(?:of|in)\s+)?(?:(?:the\s+)?file\s+)?"
    rf"(?P<ref>(?:~/|\.{{1,2}}/|/)?(?:[\w-][\w.-]*/)*[\w-][\w.-]*\.(?:{'|'.join(V.DATA_EXTENSIONS)}))(?![\w.])",
    re.IGNORECASE)


def _data_refs(text: str, given: list[str], predict: list[str]) -> list[str]:
    """``given`` first, then the references in the text: paths, ``sklearn:NAME``, ``synthetic:NAME`` (spelled
    with a hyphen: ``synthetic:job-ads``), bundled sets by name; a file to predict ("predict for test.csv") last.

    Bundled sets named in words ("the wine data") count only when no path is given or written, since a
    path means the words describe that file.
    """
    given = [given] if isinstance(given, str) else list(given)
    found = [(m.start(), m.group().lower()) for m in V.SKLEARN_RE.finditer(text)] + _text_paths(text)
    found += [(m.start(), m.group().lower().replace("_", "-")) for m in V.SYNTHETIC_RE.finditer(text)]
    has_path = any(not ref.startswith("sklearn:") for ref in given + [ref for _, ref in found if ref not in predict])
    if not has_path:
        found += [(m.start("ref"), m.group("ref")) for m in V.BARE_FILE_RE.finditer(text)]
        has_path = any(not ref.startswith("sklearn:") for _, ref in found if ref not in predict)
    if not has_path:
        found += [(m.start(), ref) for pattern, ref in V.DATASET_RES for m in pattern.finditer(text)]
    refs, seen = [], set()
    for ref in given + [ref for _, ref in sorted(found) if ref not in predict] + predict:
        # a path written in the text and the same file given as --data (absolute) are one reference
        key = ref.lower() if ref.startswith(("sklearn:", "synthetic:")) else os.path.abspath(ref)
        if key not in seen:
            seen.add(key)
            refs.append(ref)
    return refs


# ---------------------------------------------------------------------------------------------- task
def _task_type(text: str, constraints: list[Constraint], report: list[str],
               optimize: str | None, refs: list[str] = ()) -> TaskType | None:
    """Regression or (text/image) classification from the words and the data; None when the data must decide.

    Image classification: a classification request in image words (images, photos, handwritten, CNN, 图片,
    手写...), or any request that is not a regression on image data (a folder of class sub-folders, a CSV of
    image paths, an ``.npz``, ``synthetic:shapes``). ``sklearn:digits`` asked for in plain words ("digit
    classifier with 95% accuracy") stays tabular: its 8x8 pixels as 64 columns.
    """
    named = {c.name for c in constraints} | set(report) | ({optimize} if optimize else set())
    if V.GROUNDING_RE.search(text) or named & set(GROUNDING_METRICS) or (refs and refs[0] == V.SYNTHETIC_GROUNDING):
        return TaskType.visual_grounding
    if V.GENERATION_RE.search(text) or named & set(GENERATION_METRICS):  # before "a classifier must recognise"
        return TaskType.image_generation
    if V.REGRESSION_RE.search(text):
        return TaskType.regression
    if refs and is_image_data(refs[0]) and not V.REGRESSION_NOUN_RE.search(text):
        return TaskType.image_classification
    if refs and is_text_folder(refs[0]) and not V.REGRESSION_NOUN_RE.search(text):
        return TaskType.text_classification
    if named & set(REGRESSION_METRICS) and not named & set(CLASSIFICATION_METRICS):
        return TaskType.regression  # "evaluated by RMSLE", a kappa on ordered values: the metric decides
    if V.CLASSIFICATION_RE.search(text) or any(c.name in CLASSIFICATION_METRICS for c in constraints):
        if V.IMAGE_RE.search(text):
            return TaskType.image_classification
        if V.TEXT_RE.search(text):
            return TaskType.text_classification
        return TaskType.classification
    if V.REGRESSION_NOUN_RE.search(text) or (named & set(REGRESSION_METRICS)
                                             and not named & set(CLASSIFICATION_METRICS)):
        return TaskType.regression
    return None


# ------------------------------------------------------------------------------------------- clauses
def _accounted(spec: TaskSpec, norm: str, claimed: set[int], spans: list[Span]) -> TaskSpec:
    """``spec`` with the clauses that read like a requirement but that no reading step used (``not_understood``),
    and the hint ``no_model`` when the request asks for no model at all ("write me a poem").

    ``spans`` are the spans the caller's steps used (metric names, feature requirements); the others are found
    here. A request in a language the reader does not read (``language == "other"``) is left as it is.
    """
    if spec.language == "other":
        return spec
    used = [*spans, *_spans_used(norm, claimed, spec)]
    update: dict[str, object] = {"not_understood": unaccounted(norm, used, claimed)}
    if not _asks_for_model(norm, spec):
        update["hints"] = [*spec.hints, "no_model"]
    return spec.model_copy(update=update)


def _spans_used(norm: str, claimed: set[int], spec: TaskSpec) -> list[Span]:
    """The spans of ``norm`` the reading steps used, besides metric names and feature requirements: the numbers
    read, the metric to optimise, hints, int8, data references, durations, task words, the target and the class of
    interest."""
    spans: list[Span] = []
    for pos in claimed:
        num = V.NUM_RE.match(norm, pos)
        spans.append(num.span() if num else (pos, pos + 1))
    patterns = [V.OPTIMIZE_RE, V.QUANTIZE_RE, V.NO_QUANTIZE_RE, V.SKLEARN_RE, V.SYNTHETIC_RE, V.BARE_FILE_RE,
                V.REGRESSION_RE, V.CLASSIFICATION_RE, V.REGRESSION_NOUN_RE, V.TEXT_RE, V.IMAGE_RE, V.GROUNDING_RE,
                V.GENERATION_RE, V.OUTPUT_FILE_RE, V.SUBMISSION_FORM_RE,
                *V.TIME_PATTERNS, *(pattern for _, pattern in V.HINT_PATTERNS),
                *(pattern for pattern, _ in V.DATASET_RES)]
    spans += [m.span() for pattern in patterns for m in pattern.finditer(norm)]
    spans += [(pos, pos + len(path)) for pos, path in _text_paths(norm)]
    words = [spec.target, spec.positive_label, *(h.split(":", 1)[1] for h in spec.hints if h.startswith("asked_"))]
    spans += [m.span() for word in words if word for m in re.finditer(re.escape(word), norm, re.IGNORECASE)]
    return spans


def _asks_for_model(norm: str, spec: TaskSpec) -> bool:
    """Whether the request asks for a model: a word for one ("classifier", "predict", "模型"), or anything read
    from it (a target, a constraint, a hint, a data reference written as one)."""
    read = (spec.constraints or spec.report_metrics or spec.optimize or spec.target or spec.hints or spec.qps
            or spec.container_memory_mb or spec.quantize_int8 or spec.features.any or spec.task_type)
    written = (V.MODEL_WORDS_RE.search(norm) or V.SKLEARN_RE.search(norm) or V.SYNTHETIC_RE.search(norm)
               or _text_paths(norm) or V.BARE_FILE_RE.search(norm) or any(p.search(norm) for p in V.TIME_PATTERNS))
    return bool(read or written)
