"""What a request says about the model's inputs: :class:`~trainer_agent_lab.spec.FeatureRequirements`.

Read offline, with regular expressions over the reader's normalised text (:func:`.rule_reader.normalize`), in
English and Chinese:

* how many inputs: "using at most 3 of the measurements", "no more than five features", "fewer than 10 inputs",
  "最多使用3个特征" (``max_inputs``; also the constraint ``n_inputs <= 3`` or ``n_inputs < 10``);
* which columns only: "only use age and income", "use only the columns X, Y", "只使用年龄和收入";
* which columns never: "never use gender or race", "without the zip code", "do not use X", "exclude X",
  "不要使用性别" (also categories: "protected attributes", "敏感属性");
* an interpretable model: "interpretable", "explainable", "a rule doctors can check by hand", "a linear model",
  "a shallow tree", "可解释";
* monotonic in a column: "monotonic in price", "the risk must increase with age", "随年龄增加而增加".

Column names are kept as the request writes them; the Model agent's feature-selection cell matches them to the
data's columns. Numbers read here are added to ``claimed`` (their positions) so the metric reader does not read
"3 features" as a target.

>>> features, spans = read_features("Use at most 3 features and never use gender.")
>>> features.max_inputs, features.never
(3, ['gender'])
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..spec import RESOURCE_CONSTRAINTS, Constraint, FeatureRequirements

__all__ = ["PROTECTED_ATTRIBUTES", "PROTECTED_WORDS", "feature_constraints", "read_features"]

Span = tuple[int, int]
FLAGS = re.IGNORECASE

#: Column names that usually hold a protected attribute (what "never use protected attributes" excludes).
PROTECTED_ATTRIBUTES = ("sex", "gender", "race", "ethnicity", "ethnic group", "religion", "nationality",
                        "national origin", "native country", "marital status", "disability",
                        "sexual orientation", "pregnancy", "age", "性别", "种族", "民族", "宗教", "国籍", "婚姻状况",
                        "年龄", "残疾")
#: Words a request names those attributes with, as one category.
PROTECTED_WORDS = re.compile(
    r"^(?:(?:all|any|the)\s+)?(?:protected|sensitive|demographic)(?:\s+(?:attributes?|characteristics?|"
    r"features?|columns?|variables?|information|data|groups?))?$|^demographics$|"
    r"^(?:受保护|敏感|人口统计)(?:的)?(?:属性|特征|信息|变量|字段)?$", FLAGS)

# ------------------------------------------------------------------------------------------ numbers
_EN_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
               "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "a single": 1,
               "a couple of": 2, "a dozen": 12}
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_EN_NUM = r"(?P<num>\d{1,4}|" + "|".join(sorted(_EN_NUMBERS, key=len, reverse=True)).replace(" ", r"\s+") + r")"
_ZH_NUM = r"(?P<num>\d{1,4}|[一二两三四五六七八九十]{1,3})"

#: What an input is called.
_NOUN = (r"(?:input\s+(?:columns?|variables?|features?)|inputs?|features?|columns?|variables?|measurements?|"
         r"predictors?|attributes?|fields?|signals?|covariates?|descriptors?|characteristics?|factors?|"
         r"biomarkers?|markers?|indicators?|readings?|questions?)")
_ZH_NOUN = r"(?:特征|变量|输入|列|字段|指标|属性|因素|测量值|测量指标|维度)"
_LE = {"at most", "no more than", "not more than", "up to", "a maximum of", "maximum of", "maximum", "max",
       "max.", "only", "just", "limited to", "limit it to", "no greater than", "not exceeding",
       "最多", "至多", "不超过", "不多于", "不能超过", "不得超过", "不要超过", "只", "仅", "只能", "仅能",
       "只用", "仅用", "限制在", "控制在"}
_LT = {"fewer than", "less than", "under", "below", "少于", "小于", "低于", "不到"}


def _alt(words: Iterable[str]) -> str:
    """A regex alternation of literal phrases, longest first (spaces match any whitespace)."""
    return "(?:" + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True)) + ")"


_EN_OPS = _alt(w for w in _LE | _LT if w.isascii())
_ZH_OPS = _alt(w for w in _LE | _LT if not w.isascii())
_MAX_PATTERNS = (
    # "at most 3 of the measurements", "no more than five features", "fewer than 10 of its 30 inputs"
    re.compile(rf"\b(?P<op>{_EN_OPS})\s+(?:use\s+|using\s+)?{_EN_NUM}\s+(?:of\s+(?:the|its|their|our|these|those|"
               rf"all|my)\s+)?(?:[\w-]+\s+){{0,3}}?{_NOUN}\b", FLAGS),
    # "use 3 features", "pick the 5 best inputs", "limited to 4 columns"
    re.compile(rf"\b(?:use|uses|using|pick|picking|choose|choosing|select|selecting|keep|keeping|limit(?:ed|s)?\s+"
               rf"(?:\w+\s+){{0,3}}?to)\s+(?:only\s+|just\s+)?(?:the\s+)?(?:top\s+|best\s+)?{_EN_NUM}\s+"
               rf"(?:of\s+(?:the|its|their)\s+)?(?:[\w-]+\s+){{0,2}}?{_NOUN}\b", FLAGS),
    # "3 features or fewer", "3 inputs at most"
    re.compile(rf"(?<![\w.]){_EN_NUM}\s+(?:[\w-]+\s+){{0,2}}?{_NOUN}\s+(?P<op>or\s+fewer|or\s+less|at\s+most|"
               rf"max(?:imum)?)\b", FLAGS),
    # "the number of features must be at most 3", "features: <= 3"
    re.compile(rf"\b(?:number\s+of\s+)?{_NOUN}(?:\s+count)?\s*(?:(?:must|should|has\s+to|have\s+to|needs?\s+to|"
               rf"is|are|can|may|be|stay|kept)\s+)*[:=]?\s*(?P<op>{_EN_OPS}|<=|<|≤)\s*{_EN_NUM}(?![\w%]|\.\d)", FLAGS),
    # "最多使用3个特征", "不超过五个变量", "只用3个最重要的特征"
    re.compile(rf"(?P<op>{_ZH_OPS})\s*(?:使用|用|选|选择|保留|采用|挑选|取)?\s*{_ZH_NUM}\s*(?:个|项|种|列)?\s*"
               rf"[^\s，。；,.;]{{0,6}}?{_ZH_NOUN}", FLAGS),
    # "使用3个以内的特征", "3个特征以内"
    re.compile(rf"{_ZH_NUM}\s*(?:个|项)?\s*{_ZH_NOUN}\s*(?P<op>以内|以下|之内)", FLAGS),
    re.compile(rf"{_ZH_NUM}\s*(?:个|项)\s*(?P<op>以内|以下|之内)的?\s*{_ZH_NOUN}", FLAGS),
    # "特征数量不超过3个", "特征不超过三个"
    re.compile(rf"{_ZH_NOUN}\s*(?:数|数量|个数|总数)?\s*(?:必须|需要|应|要)?\s*(?P<op>{_ZH_OPS}|<=|<|≤)\s*{_ZH_NUM}",
               FLAGS),
)

# -------------------------------------------------------------------------------------- column lists
_COLUMN_WORD = r"(?:(?:input\s+)?(?:columns?|features?|inputs?|variables?|fields?|attributes?|measurements?)\s+)"
#: Where an English list of column names ends.
_EN_END = (r"(?=\s*(?:[.;:!?()\n]|,\s*(?:and\s+|but\s+|so\s+|with\s+)?(?:at|with|so|to|but|which|because|while|it|"
           r"the\s+model|i|we|please|reach|get|achieve|aim|make|train|build|predict|classify|detect)\b|"
           r"\b(?:to|for|when|so|because|while|as|in\s+order|that|which|since|if|at\s+least|with|from|on|in|into|"
           r"by|but|then|than|when|where|whose|unless|except|please|must|should|can|could|will|would|is|are|"
           r"was|were|be|reaching|getting|achieving|predicting|classifying)\b|$))")
_EN_LIST_BODY = r"(?P<list>(?:\"[^\"]{1,60}\"|'[^']{1,60}'|`[^`]{1,60}`|[^.;:!?()\n]){1,160}?)"
_EN_LIST = _EN_LIST_BODY + _EN_END
_ZH_END = (r"(?=\s*(?:[，。；,.;!?！？:：()\n]|来|去|进行|预测|训练|建模|作为|这|等|做|构建|判断|识别|分类|回归|"
           r"[两三四五六七八九十几]\s*(?:个|项|列)|的?(?:特征|列|字段|变量|信息)|$))")
_ZH_LIST = r"(?P<list>[^，。；,.;!?！？:：()\n]{1,60}?)" + _ZH_END
_ONLY_PATTERNS = (
    re.compile(rf"\b(?:only|just|solely|exclusively)\s+(?:use|uses|using|used|include|including|keep|keeping|"
               rf"look\s+at|looking\s+at|rely\s+on|relying\s+on)\s+(?:the\s+)?{_COLUMN_WORD}?{_EN_LIST}", FLAGS),
    re.compile(rf"\b(?:use|uses|using|used|based|relying|rely|relies|built|trained|train|depend|depends)\s+"
               rf"(?:on\s+)?(?:only|just|solely|exclusively)\s+(?:on\s+)?(?:the\s+)?{_COLUMN_WORD}?{_EN_LIST}", FLAGS),
    re.compile(rf"\b(?:only|just)\s+(?:the\s+)?(?:input\s+)?(?:columns?|features?|inputs?|variables?|fields?)\s+"
               rf"{_EN_LIST}", FLAGS),
    re.compile(rf"(?:只|仅|只能|仅能|仅仅|只可以)\s*(?:使用|用|采用|基于|根据|依据|保留|考虑)\s*(?:以下|这些)?"
               rf"(?:特征|列|字段|变量)?[:：]?\s*{_ZH_LIST}", FLAGS),
)
_NEVER_PATTERNS = (
    re.compile(rf"\b(?:never|do\s+not|don't|dont|does\s+not|doesn't|must\s+not|mustn't|should\s+not|shouldn't|"
               rf"cannot|can't|can\s+not|may\s+not|not\s+allowed\s+to|without|not)\s+(?:ever\s+|be\s+)?"
               rf"(?:use|using|used|uses|include|including|rely\s+on|relying\s+on|look\s+at|looking\s+at|consider|"
               rf"considering|touch|read|see|access|depend\s+on|depending\s+on|based\s+on|take\s+into\s+account)\s+"
               rf"(?:any\s+|the\s+|their\s+|a\s+)?{_COLUMN_WORD}?{_EN_LIST}", FLAGS),
    re.compile(rf"\b(?:exclude|excluding|excludes|excluded|leave\s+out|leaving\s+out|leave\s+aside|omit|omitting)\s+"
               rf"(?:the\s+|any\s+)?{_COLUMN_WORD}?{_EN_LIST}", FLAGS),
    re.compile(rf"\b(?:drop|dropping|remove|removing|ignore|ignoring)\s+(?:the\s+)?{_EN_LIST_BODY}"
               rf"\s+(?:columns?|features?|fields?|variables?|inputs?)\b", FLAGS),
    # "without X" names a column only when X is not an action ("without leaking the test set")
    re.compile(rf"\bwithout\s+(?!\w+ing\b)(?:the\s+|any\s+|a\s+)?{_COLUMN_WORD}?{_EN_LIST}", FLAGS),
    re.compile(rf"(?:不要|不能|不得|不可|不许|禁止|别|不准|切勿|不应该?|请勿|不)\s*(?:使用|用|采用|包含|包括|考虑|依赖|"
               rf"基于|纳入|参考|涉及)\s*(?:任何)?{_ZH_LIST}", FLAGS),
    re.compile(rf"(?:排除|去掉|去除|剔除|移除|不包括|不含|除去)\s*(?:掉)?{_ZH_LIST}", FLAGS),
)
#: Words after "without"/"do not use"/"exclude" that are not columns ("without labels", "do not use a GPU").
_NOT_COLUMNS = re.compile(
    r"^(?:labels?|labell?ing|annotations?|quanti[sz]\w*|int8|gpus?|cuda|internet|network|cloud|docker|retrain\w*|"
    r"training|any\s+help|help|pickles?|python|deep\s+learning|neural\s+networks?|ensembles?|boosting|"
    r"external\s+data|extra\s+data|more\s+data|other\s+data|outliers?|duplicates?|missing\s+values?|nans?|"
    r"leakage|overfitting|data\s+leakage|the\s+test\s+set|test\s+data|test\s+set|validation|it|them|this|that|"
    r"(?:more|less|fewer|over|under|above|below)(?:\s+than\b.*)?|(?:at\s+)?(?:most|least)\b.*|(?:a\s+)?(?:lot|bit)|much|too\s+much|cpus?|"
    r"anything|everything|any|all|data|dataset|the\s+data|rows?|samples?|examples?|time|memory|"
    r"\d.*|" + _NOUN + r"|缺失值|重复\w*|异常值|离群点|标签|量化|GPU|显卡|网络|外部数据|测试集|数据)$", FLAGS)
_SPLIT = re.compile(r"\s*(?:,|，|、|&|/|\band\s+also\b|\band\b|\bor\b|\bnor\b|\bas\s+well\s+as\b|"
                    r"以及|和|与|及|或者|或|跟)\s*", FLAGS)
_LEADING = re.compile(r"^(?:(?:the|a|an|any|their|its|his|her|our|my|either|neither|both|also|even)\s+)+", FLAGS)
_TRAILING = re.compile(r"\s+(?:columns?|features?|fields?|variables?|attributes?|inputs?|information|info|data|"
                       r"values?|as\s+(?:an?\s+)?inputs?|at\s+all|either)$|"
                       r"(?:的)?(?:特征|列|字段|变量|信息|数据)$", FLAGS)

# ------------------------------------------------------------------------------------- interpretable
_INTERPRETABLE = (
    re.compile(r"\b(?:interpretable|interpretability|explainable|explainability|explicable|transparent\s+model|"
               r"white[\s-]?box|glass[\s-]?box|human[\s-]?readable|easy\s+to\s+(?:explain|interpret|understand|audit)|"
               r"self[\s-]explanatory)\b", FLAGS),
    re.compile(r"\b(?:linear|additive)\s+(?:model|classifier|regression|regressor|rule|score|formula|combination)s?\b"
               r"|\b(?:shallow|small|simple|short|tiny)\s+(?:decision\s+)?trees?\b|\bdecision\s+(?:stumps?|rules?)\b"
               r"|\bscor(?:ing|e)\s*cards?\b|\bsimple\s+rules?\b|\brule\s+(?:lists?|sets?)\b", FLAGS),
    re.compile(r"(?<!label)(?<!labelled)(?<!labeled)(?<!annotated)(?<!entered)(?<!collected)(?<!written)"
               r"\b(?:check|checked|verify|verified|follow|followed|apply|applied|compute|computed|calculate|"
               r"calculated|audit|audited|inspect|inspected|read|understand|explain|evaluate|score|work\s+out)\w*"
               r"(?:\s+[\w'-]+){0,5}?\s+(?:by\s+hand|on\s+paper|with\s+(?:a\s+)?(?:pen|pencil|calculator))\b", FLAGS),
    re.compile(r"\b(?:rules?|models?|formulas?|decisions?|scores?)\b[^.;!?]{0,40}?\b(?:humans?|persons?|people|"
               r"doctors?|clinicians?|nurses?|physicians?|analysts?|auditors?|regulators?|experts?|staff|users?|"
               r"anyone|someone|reviewers?)\s+(?:can|could|are\s+able\s+to|must\s+be\s+able\s+to|should\s+be\s+able\s+to|"
               r"will\s+be\s+able\s+to)\s+(?:easily\s+)?(?:check|verify|follow|read|understand|audit|inspect|explain|"
               r"apply|compute|calculate|interpret)\b", FLAGS),
    re.compile(r"可解释|可理解的?模型|透明的?模型|白盒|线性模型|浅层?的?决策树|简单的?(?:决策)?树|简单的?规则|"
               r"人工(?:可以|能够?)?(?:核查|检查|验证|计算|核对)|手工(?:核查|检查|计算|验证|核对)|手算|用手(?:算|计算|核查)|"
               r"(?:医生|人|专家|用户)(?:可以|能够?)(?:看懂|理解|核查|检查|验证)"),
)

# ----------------------------------------------------------------------------------------- monotonic
_UP = r"(?:increase|increases|rise|rises|grow|grows|go\s+up|goes\s+up|climb|climbs)"
_DOWN = r"(?:decrease|decreases|fall|falls|drop|drops|go\s+down|goes\s+down|decline|declines|shrink|shrinks)"
_NAME = r"(?P<col>\"[^\"]{1,40}\"|'[^']{1,40}'|`[^`]{1,40}`|[A-Za-z_][\w-]*(?:\s+[A-Za-z_][\w-]*){0,2}?)"
_NAME_END = (r"(?=\s*(?:[.,;:!?()\n]|\b(?:and|but|so|to|for|while|when|which|at|with|is|are|must|should|increases|"
             r"rises|grows|goes|decreases|falls|drops|declines|gets)\b|$))")
_MONOTONIC = (
    re.compile(rf"\bmonoton(?:e|ic|ically)\s+(?P<dir>increasing|decreasing|non[\s-]?decreasing|non[\s-]?increasing|"
               rf"rising|falling)?\s*(?:in|with|on|w\.r\.t\.?|with\s+respect\s+to|as\s+a\s+function\s+of)\s+(?:the\s+)?"
               rf"{_NAME}{_NAME_END}", FLAGS),
    re.compile(rf"\b(?P<dir>non[\s-]?decreasing|non[\s-]?increasing)\s+(?:in|with)\s+(?:the\s+)?{_NAME}{_NAME_END}",
               FLAGS),
    re.compile(rf"\b(?P<neg>never|not|only)?\s*(?:must|should|has\s+to|have\s+to|needs?\s+to|may\s+only|can\s+only|"
               rf"always|only|will)\s+(?:always\s+|only\s+|ever\s+|(?P<neg2>never|not)\s+)?(?P<verb>{_UP}|{_DOWN})\s+(?:with|as|when)\s+"
               rf"(?:the\s+)?(?P<lower>(?:higher|more|larger|greater|bigger|increasing|rising|lower|less|smaller|fewer|"
               rf"decreasing|falling)\s+)?{_NAME}(?:\s+(?P<after>{_UP}|{_DOWN}))?{_NAME_END}", FLAGS),
    re.compile(r"(?:随|随着)\s*(?P<col>[^，。；,;\s]{1,12}?)\s*的?\s*(?P<cause>增加|增大|升高|上升|提高|增长|降低|减少|下降|减小)\s*而\s*"
               r"(?P<verb>增加|增大|升高|上升|提高|增长|变大|降低|减少|下降|减小|变小)"),
    re.compile(r"(?:关于|对于?|随|随着|在)\s*(?P<col>[^，。；,;\s]{1,12}?)\s*(?:上|方面)?\s*(?:必须|需要|应该?|要)?\s*(?:是)?\s*"
               r"单调(?P<dir>递增|递减|增加|减少|上升|下降|不减|不增)?"),
)
_ZH_UP = {"增加", "增大", "升高", "上升", "提高", "增长", "变大", "递增", "不减"}


def feature_constraints(norm: str, claimed: set[int] | None = None
                        ) -> tuple[FeatureRequirements, list[tuple[int, Constraint]], list[Span]]:
    """The feature requirements of normalised text, the constraint rows they add (``(position, n_inputs <= N)``,
    as the reader orders constraints), and the spans of text they account for.

    Positions of the numbers read are added to ``claimed``.
    """
    claimed = set() if claimed is None else claimed
    spans: list[Span] = []
    found: list[tuple[int, Constraint]] = []
    limit = _max_inputs(norm, claimed, spans)
    max_inputs = None
    if limit is not None:
        pos, op, value = limit
        max_inputs = value - 1 if op == "<" else value
        found.append((pos, Constraint(name="n_inputs", op=op, value=float(value))))
    taken = list(spans)  # "only 3 features" is a count, not a column list
    only = _names(norm, _ONLY_PATTERNS, spans, taken)
    before = len(spans)
    never = _names(norm, _NEVER_PATTERNS, spans, taken)
    if never and "excluded_inputs" in RESOURCE_CONSTRAINTS:  # a row of the constraint table, where the spec has one
        found.append((min(spans[before:])[0], Constraint(name="excluded_inputs", op="<=", value=0.0)))
    interpretable = False
    for pattern in _INTERPRETABLE:
        for m in pattern.finditer(norm):
            interpretable = True
            spans.append(m.span())
    features = FeatureRequirements(max_inputs=max_inputs if max_inputs and max_inputs > 0 else None,
                                   only=[n for n in only if n not in never], never=never,
                                   interpretable=interpretable, monotonic=_monotonic(norm, spans))
    return features, found, _merged(spans)


def read_features(norm: str, claimed: set[int] | None = None) -> tuple[FeatureRequirements, list[Span]]:
    """The feature requirements of normalised text and the spans of it they account for (see
    :func:`feature_constraints`, which also gives the ``n_inputs`` constraint)."""
    features, _, spans = feature_constraints(norm, claimed)
    return features, spans


# ------------------------------------------------------------------------------------------- helpers
def _number(text: str) -> int:
    """"3", "three", "三", "十二" as an int."""
    key = " ".join(text.lower().split())
    if key.isdigit():
        return int(key)
    if key in _EN_NUMBERS:
        return _EN_NUMBERS[key]
    tens, _, units = key.partition("十")
    if "十" in key:
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + _CN_DIGITS.get(units, 0)
    return _CN_DIGITS.get(key, 0)


def _max_inputs(norm: str, claimed: set[int], spans: list[Span]) -> tuple[int, str, int] | None:
    """(position, comparator, number) of the first limit on the number of inputs, or None."""
    best = None
    for pattern in _MAX_PATTERNS:
        for m in pattern.finditer(norm):
            if m.start("num") in claimed:
                continue
            op_text = " ".join((m.groupdict().get("op") or "").lower().split())
            op = "<" if op_text in _LT or op_text == "<" else "<="
            spans.append(m.span())
            claimed.update(m.start() + n.start() for n in re.finditer(r"\d+", m.group()))
            if best is None or m.start() < best[0]:
                best = (m.start("num"), op, _number(m.group("num")))
    return best


def _overlaps(span: Span, spans: list[Span]) -> bool:
    return any(span[0] < hi and lo < span[1] for lo, hi in spans)


def _names(norm: str, patterns: Iterable[re.Pattern[str]], spans: list[Span], taken: list[Span]) -> list[str]:
    """The column names the ``patterns`` list (in order of appearance, once each)."""
    names: list[tuple[int, int, str]] = []
    for pattern in patterns:
        for m in pattern.finditer(norm):
            if _overlaps(m.span("list"), taken):
                continue
            items = _items(m.group("list"))
            if not items:
                continue
            spans.append(m.span())
            taken.append(m.span())
            names += [(m.start("list"), i, item) for i, item in enumerate(items)]
    seen: dict[str, str] = {}
    for _, _, name in sorted(names):
        seen.setdefault(name.lower(), name)
    return list(seen.values())


def _items(text: str) -> list[str]:
    """The names in "gender or race", "the columns `zip code`, age and income", "性别和种族"."""
    items = []
    for part in _SPLIT.split(text.strip()):
        name = part.strip().strip("\"'`").strip()
        if PROTECTED_WORDS.match(name):
            items.append(name)
            continue
        if _NOT_COLUMNS.match(name):
            break
        name = _TRAILING.sub("", _LEADING.sub("", name)).strip().strip("\"'`")
        if not name:
            continue
        if _NOT_COLUMNS.match(name) or len(name.split()) > 4 or re.search(r"\d+\s*%|\b(?:accuracy|recall|precision|"
                                                                         r"f1|auc|r2|rmse|mae)\b", name, FLAGS):
            break  # not a column: the list ends here
        items.append(name)
    return items


def _monotonic(norm: str, spans: list[Span]) -> dict[str, str]:
    """Column -> "increasing" | "decreasing" for each monotonic requirement; "from_data" where the request
    writes no direction ("monotonic in price", "在价格上单调")."""
    found: dict[str, str] = {}
    for pattern in _MONOTONIC:
        for m in pattern.finditer(norm):
            col = m.group("col").strip().strip("\"'`").strip()
            col = _TRAILING.sub("", _LEADING.sub("", col)).strip()
            if not col or _NOT_COLUMNS.match(col):
                continue
            groups = m.groupdict()
            if groups.get("verb") and groups.get("cause"):  # "随年龄增加而增加"
                up = (groups["cause"] in _ZH_UP) == (groups["verb"] in _ZH_UP)
            elif groups.get("verb"):
                up = re.match(_UP, groups["verb"], FLAGS) is not None
                if (groups.get("neg") or "").lower() in ("never", "not") or groups.get("neg2"):
                    up = not up
                if groups.get("lower") and re.match(r"lower|less|smaller|fewer|decreasing|falling",
                                                    groups["lower"], FLAGS):
                    up = not up
                if groups.get("after") and re.match(_DOWN, groups["after"], FLAGS):
                    up = not up
            elif groups.get("dir"):
                written = groups["dir"].lower()
                up = not (written.startswith(("decreas", "fall", "non-increas", "non increas", "nonincreas"))
                          or written in ("递减", "减少", "下降", "不增"))
            else:  # "monotonic in price": no direction written, the data decides (the select_features cell)
                found.setdefault(col, "from_data")
                spans.append(m.span())
                continue
            found.setdefault(col, "increasing" if up else "decreasing")
            spans.append(m.span())
    return found


def _merged(spans: list[Span]) -> list[Span]:
    """Overlapping spans joined, in order."""
    out: list[Span] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out
