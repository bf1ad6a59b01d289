"""The rule-based request parser: an English or Chinese request -> :class:`~trainer_agent_lab.spec.TaskSpec`.

No LLM, no network: regular expressions over a normalised copy of the text (NFKC, so full-width digits
and punctuation read as ASCII; straight quotes; "百分之九十" as "90%"). The vocabulary lives in
:mod:`.vocabulary`. Quantities are read in a fixed order and each number is used once, so "500 parameters"
never becomes a metric target and "5 ms" never becomes a time budget::

    parameters -> sizes (container memory, model file) -> latency -> QPS -> time budget -> metrics

>>> spec = parse_request("Train a classifier on the wine data with at least 95% accuracy.")
>>> spec.data, spec.constraint("accuracy").target
(['sklearn:wine'], '>= 0.95')
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterator

from ..spec import CLASSIFICATION_METRICS, LOWER_IS_BETTER, REGRESSION_METRICS, Constraint, TaskSpec, TaskType
from . import vocabulary as V

__all__ = ["parse_request", "normalize"]

_F = V.FLAGS
_NUM_RE = re.compile(V.NUM, _F)
_PERCENT_RE = re.compile(V.PERCENT, _F)
_CN_PERCENT_RE = re.compile(rf"百分之({V.CN_NUMERAL}|\d+(?:\.\d+)?)")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_METRIC_BEFORE_RE = re.compile(
    rf"(?P<op>{V.alternation(V.PREFIX_OPS)})?\s*(?<!-)(?P<num>{V.NUM})(?P<pct>{V.PERCENT})?"
    rf"(?P<post>\s*{V.alternation(V.POSTFIX_OPS)})?\s*(?:的\s*)?{V.METRIC_ADJECTIVES}\s*$", _F)
_PARAM_VALUE_FIRST = re.compile(
    rf"(?P<num>{V.NUM})\s*(?P<unit>{V.COUNT_UNIT})?[\s-]*(?:个\s*)?{V.PARAM_NOUN}", _F)
_PARAM_NOUN_FIRST = re.compile(
    rf"{V.PARAM_NOUN}(?P<between>[^\d%。;,]{{0,40}}?)(?P<num>{V.NUM})\s*(?P<unit>{V.COUNT_UNIT})?(?:\s*个)?", _F)
_SIZE_RE = re.compile(rf"(?P<num>{V.NUM})\s*(?P<unit>{V.SIZE_UNIT})", _F)
_LATENCY_NOUN_FIRST = re.compile(
    rf"{V.LATENCY_NOUN}(?P<between>[^\d%。;,]{{0,40}}?)(?P<num>{V.NUM})\s*(?P<unit>{V.LATENCY_UNIT})", _F)
_LATENCY_VALUE_FIRST = re.compile(
    rf"(?P<num>{V.NUM})\s*(?P<unit>{V.LATENCY_UNIT})[\s-]*(?:of\s+)?(?:(?:p\d+|median|mean|average|tail|"
    rf"中位数?|平均|的)\s*)*{V.LATENCY_NOUN}", _F)
_MS_RE = re.compile(rf"(?P<num>{V.NUM})\s*(?P<unit>ms|msec|milliseconds?|毫秒)(?![a-z])", _F)
_TIME_PATTERNS = (re.compile(V.TIME_BEFORE + V.TIME_VALUE, _F), re.compile(V.TIME_VALUE + V.TIME_AFTER, _F))
_PATH_RE = re.compile(V.PATH_REF, _F)
_BARE_FILE_RE = re.compile(V.BARE_FILE_REF, _F)
_SKLEARN_RE = re.compile(V.SKLEARN_REF, _F)
_DATASET_RES = [(re.compile(pattern, _F), ref) for pattern, ref in V.DATASET_WORDS]
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_DATA_CONTEXT_RE = re.compile(r"\b(?:data|dataset|corpus)\b|数据", _F)
_Found = tuple[int, Constraint]


def parse_request(text: str, data: list[str] | None = None, time_budget_s: float | None = None) -> TaskSpec:
    """Read a request into a :class:`TaskSpec` without an LLM.

    ``data`` (the CLI's ``--data``) comes first in ``spec.data``, followed by the references the text
    names; ``time_budget_s`` (the CLI's ``--time-budget``) wins over a budget stated in the text.
    """
    norm = normalize(text)
    claimed: set[int] = set()
    found = [*_parameters(norm, claimed), *_sizes(norm, claimed), *_latency(norm, claimed)]
    qps = _qps(norm, claimed)
    memory = _container_memory(norm, claimed)
    budget = time_budget_s if time_budget_s is not None else _time_budget(norm, claimed)
    mentions = list(V.METRIC_RE.finditer(norm))
    found += _metric_constraints(norm, mentions, claimed)
    constraints = _ordered(found)
    optimize = _optimize(norm)
    constrained = {c.name for c in constraints}
    report = list(dict.fromkeys(m.lastgroup for m in mentions if m.lastgroup not in constrained | {optimize}))
    target, asked = _target(norm)
    hints = [hint for hint, pattern in V.HINT_PATTERNS if pattern.search(norm)]
    if asked and target is None:
        hints.append(f"asked_target:{asked}")
    return TaskSpec(
        request=text, language="zh" if _CJK_RE.search(norm) else "en",
        task_type=_task_type(norm, constraints, report, optimize), target=target,
        positive_label=_positive_label(norm, mentions), data=_data_refs(norm, data or []),
        constraints=constraints, report_metrics=report, optimize=optimize, qps=qps,
        container_memory_mb=memory, quantize_int8=bool(V.QUANTIZE_RE.search(norm))
        and not V.NO_QUANTIZE_RE.search(norm), export_onnx=True, time_budget_s=budget, hints=hints)


# ------------------------------------------------------------------------------------------- helpers
def normalize(text: str) -> str:
    """NFKC (full-width digits/punctuation, "R²" -> "R2"), straight quotes, "百分之九十" -> "90%"."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return _CN_PERCENT_RE.sub(lambda m: f"{_cn_number(m.group(1)):g}%", text)


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
    return float(s.replace(",", ""))


def _phrase_key(s: str) -> str:
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
    last = None
    for last in V.PREFIX_OP_RE.finditer(window):
        pass
    if last is None or not _only_filler(window[last.end():]):
        return None
    return V.PREFIX_OPS[_phrase_key(last.group())]


def _only_filler(s: str) -> bool:
    """Whether ``s`` holds nothing but comparators and filler words ("must stay under")."""
    return not V.FILLER_RE.sub("", V.PREFIX_OP_RE.sub(" ", s)).strip()


def _stands_alone(text: str, end: int) -> bool:
    """Whether the number ending at ``end`` is a bare value (not "500 rows" or "10类")."""
    if V.POSTFIX_OP_RE.match(text, end) or _PERCENT_RE.match(text, end):
        return True
    word = re.match(r"\s*([A-Za-z]+)", text[end:])
    if word:
        return word.group(1).lower() in V.VALUE_FOLLOWERS
    return not V.CN_COUNT_AFTER.match(text, end)


def _clause(text: str, pos: int) -> tuple[int, int]:
    """The bounds of the clause around ``pos`` (split at punctuation and conjunctions)."""
    lo = 0
    for m in V.CLAUSE_SEP_RE.finditer(text):
        if m.end() <= pos:
            lo = m.end()
        elif m.start() >= pos:
            return lo, m.start()
    return lo, len(text)


def _ordered(found: list[_Found]) -> list[Constraint]:
    """Constraints in the order the request states them, the first one per name."""
    by_name: dict[str, Constraint] = {}
    for _, constraint in sorted(found, key=lambda item: item[0]):
        by_name.setdefault(constraint.name, constraint)
    return list(by_name.values())


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
    for m in noun_first.finditer(text):
        if m.start("num") in claimed or not _only_filler(m.group("between")) or not _stands_alone(text, m.end()):
            continue
        claimed.add(m.start("num"))
        yield m, _postfix_op(text, m.end()) or _last_op(m.group("between")) or "<="


def _parameters(text: str, claimed: set[int]) -> list[_Found]:
    """Parameter budgets: "fewer than 500 parameters", "under 2M params", "参数量不超过5万"."""
    found = []
    for m, op in _quantities(text, claimed, _PARAM_VALUE_FIRST, _PARAM_NOUN_FIRST):
        unit = V.COUNT_UNITS[m.group("unit").lower()] if m.group("unit") else 1
        found.append((m.start("num"), Constraint(name="parameters", op=op, value=_number(m.group("num")) * unit)))
    return found


def _sizes(text: str, claimed: set[int]) -> list[_Found]:
    """Model-file budgets ("model file under 1 MB" -> ``onnx_bytes``) and per-replica memory budgets.

    Sizes next to container words are container sizes, read by :func:`_container_memory` instead.
    """
    found = []
    for m in _SIZE_RE.finditer(text):
        lo, hi = _clause(text, m.start())
        clause, unit, num = text[lo:hi], m.group("unit").lower(), _number(m.group("num"))
        op = _postfix_op(text, m.end()) or _op_before(text, m.start("num"))
        if m.start() in claimed or V.CONTAINER_RE.search(clause):
            continue
        if V.MEMORY_RE.search(clause):
            found.append((m.start(), Constraint(name="replica_memory_mb", op=op or "<=",
                                                value=num * V.MEMORY_MB[unit])))
        elif V.MODEL_FILE_RE.search(clause) or (op and not _DATA_CONTEXT_RE.search(clause)):
            found.append((m.start(), Constraint(name="onnx_bytes", op=op or "<=", value=num * V.SIZE_BYTES[unit])))
        else:
            continue
        claimed.add(m.start())
    return found


def _container_memory(text: str, claimed: set[int]) -> float | None:
    """Container size in MB (binary: "2 GB containers" -> 2048, "2G内存的容器" -> 2048)."""
    for m in _SIZE_RE.finditer(text):
        lo, hi = _clause(text, m.start())
        if m.start() not in claimed and V.CONTAINER_RE.search(text[lo:hi]):
            claimed.add(m.start())
            return _number(m.group("num")) * V.MEMORY_MB[m.group("unit").lower()]
    return None


def _latency(text: str, claimed: set[int]) -> list[_Found]:
    """Latency budgets in ms: "p99 latency under 5 ms", "median latency below 2ms", "延迟低于5毫秒"."""
    found = []
    matches = [*_quantities(text, claimed, _LATENCY_VALUE_FIRST, _LATENCY_NOUN_FIRST)]
    matches += [(m, _op_before(text, m.start("num")) or "<=") for m in _MS_RE.finditer(text)
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
        for m in pattern.finditer(text):
            if m.start("num") in claimed or ("between" in m.groupdict() and not _only_filler(m["between"])):
                continue
            claimed.add(m.start("num"))
            return _number(m.group("num")) * (1000 if m.group("unit") else 1)
    return None


def _time_budget(text: str, claimed: set[int]) -> float | None:
    """Training time budget in seconds: "within 5 minutes", "under an hour of training", "10分钟内"."""
    for pattern in _TIME_PATTERNS:
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


def _metric_value(text: str, num: re.Match[str], claimed: set[int]) -> tuple[float, bool, int] | None:
    """A number usable as a metric target: (value, written as a percentage, end); None for years/counts."""
    if num.start() in claimed or text[num.start() - 1:num.start()] == "-":
        return None
    value, pct = _number(num.group()), _PERCENT_RE.match(text, num.end())
    if pct:
        return value / 100, True, pct.end()
    if not _stands_alone(text, num.end()) or (value.is_integer() and 1900 <= value <= 2100):
        return None
    return value, False, num.end()


def _metric_before(text: str, mention: re.Match[str], lo: int, claimed: set[int]):
    """A target written before the metric: "at least 95% accuracy", "95%+ accuracy", "达到95%的准确率"."""
    m = _METRIC_BEFORE_RE.search(text, lo, mention.start())
    num = m and _NUM_RE.match(text, m.start("num"))
    read = num and _metric_value(text, num, claimed)
    if not read:
        return None
    op = (V.POSTFIX_OPS[_phrase_key(m.group("post"))] if m.group("post") else
          V.PREFIX_OPS[_phrase_key(m.group("op"))] if m.group("op") else None)
    return num.start(), op, read[0], read[1]


def _metric_after(text: str, mention: re.Match[str], hi: int, claimed: set[int]):
    """A target written after the metric: "accuracy of at least 95%", "recall on X must be >= 0.97"."""
    for num in _NUM_RE.finditer(text, mention.end(), hi):
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
    m = V.POSITIVE_LABEL_RE.match(text, end)
    if not m:
        return None
    label = (m.group("cls") or m.group("np") or m.group("word")).strip()
    first = label.split()[0].lower()
    if first in V.NOT_A_LABEL or V.METRIC_RE.fullmatch(label):
        return None
    return label


def _zh_label_before(text: str, start: int) -> str | None:
    head = text[:start].rstrip()
    if not head.endswith("的"):
        return None
    head = head[:-1]
    i = len(head)
    while i > 0 and len(head) - i < 12 and (_CJK_RE.match(head[i - 1]) or head[i - 1].isascii()
                                             and (head[i - 1].isalnum() or head[i - 1] == "_")):
        i -= 1
    chunk = head[i:]
    cut = max((chunk.rfind(marker) + len(marker) for marker in V.ZH_LABEL_MARKERS if marker in chunk), default=0)
    chunk = chunk[cut:]
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
    """(the target column, or None; the phrase asked for when it is not clearly a column)."""
    for pattern in V.TARGET_PATTERNS:
        for m in pattern.finditer(text):
            name = m.group(1).strip().rstrip(".")
            if name and name.lower() not in V.NOT_A_TARGET | {"the", "a", "an", "last", "first"}:
                return name, None
    m = V.PREDICT_PHRASE_RE.search(text)
    if m:
        phrase = V.ARTICLES_RE.sub("", m.group("phrase").strip())
        words = phrase.split()
        if not words or words[0].lower() in V.NOT_A_TARGET or len(words) > 5:
            return None, None
        if len(words) == 1 and V.IDENTIFIER_RE.fullmatch(phrase) and (
                re.search(r"_|\d|[a-z][A-Z]", phrase) or _names_a_file(m.group("rest"))):
            return phrase, None
        return None, phrase.lower()
    m = V.PREDICT_PHRASE_ZH_RE.search(text)
    if m and not any(m.group("phrase").startswith(w) for w in V.NOT_A_TARGET):
        return None, m.group("phrase")
    return None, None


def _names_a_file(rest: str) -> bool:
    """Whether ``rest`` starts "from/on/using/in <path>" ("predict target from data/x.csv")."""
    m = re.match(r"\s+(?:from|on|using|in)\s+(\S+)", rest, _F)
    token = m.group(1).rstrip(".,;:") if m else ""
    return bool(token) and (bool(_text_paths(token)) or bool(_SKLEARN_RE.fullmatch(token))
                            or token.rsplit(".", 1)[-1].lower() in V.DATA_EXTENSIONS)


def _is_data_path(path: str) -> bool:
    """Whether a slash-separated token is a data reference (not "MAE/RMSE", "req/s" or "and/or")."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return (path.startswith(("~/", "./", "../", "/")) or path.endswith("/")
            or last.rsplit(".", 1)[-1].lower() in V.DATA_EXTENSIONS and "." in last
            or path.split("/", 1)[0].lower() in V.DATA_ROOTS)


def _text_paths(text: str) -> list[tuple[int, str]]:
    found = []
    for m in _PATH_RE.finditer(text):
        path = m.group()
        if path.endswith(".") and path.strip("./"):
            path = path.rstrip(".")
        if _is_data_path(path):
            found.append((m.start(), path))
    return found


def _data_refs(text: str, given: list[str]) -> list[str]:
    """``given`` first, then the references in the text: paths, ``sklearn:NAME``, bundled sets by name.

    Bundled sets named in words ("the wine data") count only when no path is given or written, since a
    path means the words describe that file.
    """
    given = [given] if isinstance(given, str) else list(given)
    found = [(m.start(), m.group().lower()) for m in _SKLEARN_RE.finditer(text)] + _text_paths(text)
    has_path = any(not ref.startswith("sklearn:") for ref in given + [ref for _, ref in found])
    if not has_path:
        found += [(m.start("ref"), m.group("ref")) for m in _BARE_FILE_RE.finditer(text)]
        has_path = any(not ref.startswith("sklearn:") for _, ref in found)
    if not has_path:
        found += [(m.start(), ref) for pattern, ref in _DATASET_RES for m in pattern.finditer(text)]
    refs, seen = [], set()
    for ref in given + [ref for _, ref in sorted(found)]:
        key = ref.lower() if ref.startswith("sklearn:") else os.path.normpath(ref)
        if key not in seen:
            seen.add(key)
            refs.append(ref)
    return refs


# ---------------------------------------------------------------------------------------------- task
def _task_type(text: str, constraints: list[Constraint], report: list[str], optimize: str | None) -> TaskType | None:
    """Regression or (text/image) classification from the words; None when the data must decide."""
    named = {c.name for c in constraints} | set(report) | ({optimize} if optimize else set())
    if V.REGRESSION_RE.search(text):
        return TaskType.regression
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
