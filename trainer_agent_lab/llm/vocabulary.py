"""Words, units and patterns that the offline request parser (:mod:`.offline`) reads requests with.

Everything here is data: tables of English and Chinese phrasings and the regular-expression fragments
built from them. The parser's logic lives in :mod:`.offline`. Patterns are compiled with :data:`FLAGS`
(case-insensitive, ASCII ``\\w``/``\\b``), so ``\\b`` also separates a Latin word from Chinese text
("R2不低于0.8") and identifiers never swallow Chinese characters.
"""

from __future__ import annotations

import re

from ..knowledge.metrics import CATALOGUE as METRIC_CATALOGUE

FLAGS = re.IGNORECASE | re.ASCII


def alternation(phrases: list[str] | dict[str, object]) -> str:
    """One regex alternative per literal phrase, longest first, Latin words bounded by ``\\b``."""
    parts = []
    for phrase in sorted(phrases, key=len, reverse=True):
        body = re.escape(phrase).replace(r"\ ", r"\s+")
        if phrase[:1].isascii() and phrase[:1].isalpha():
            body = r"\b" + body
        if phrase[-1:].isascii() and phrase[-1:].isalpha():
            body += r"\b"
        parts.append(body)
    return "(?:" + "|".join(parts) + ")"


# --------------------------------------------------------------------------------------------- numbers
#: A number: ``500``, ``0.95``, ``.9``, ``10,000``, ``1e6``; never the tail of ``p99``, ``F1`` or ``v1.2``.
NUM = r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+(?![\d,])(?:\.\d+)?|\d+(?:\.\d+)?(?:e[+-]?\d+)?|\.\d+)"
PERCENT = r"(?:\s*%|\s*(?:percent|per\s+cent|pct)\b)"

#: Chinese numerals used in "百分之九十" and "一个小时".
CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}
CN_MULTIPLIERS = {"十": 10, "百": 100, "千": 1000}
CN_NUMERAL = r"[零〇一二两三四五六七八九十百千点]+"

#: English number words used in durations ("an hour", "half an hour", "two minutes").
WORD_NUMBERS = {"half an": 0.5, "half a": 0.5, "an": 1, "a": 1, "one": 1, "two": 2, "three": 3, "four": 4,
                "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "fifteen": 15,
                "twenty": 20, "thirty": 30, "forty-five": 45, "sixty": 60, "半": 0.5}

# ------------------------------------------------------------------------------------------ comparators
#: Comparators written before a number ("at least 95%", "准确率不低于95%").
PREFIX_OPS: dict[str, str] = {
    **dict.fromkeys([
        "at least", "no less than", "not less than", "no fewer than", "not fewer than", "no lower than",
        "not lower than", "not below", "minimum of", "a minimum of", "minimum", "min.", "at or above",
        "greater than or equal to", "equal to or greater than", "more than or equal to", ">=", "=>", "≥",
        "reach", "reaches", "reaching", "不低于", "至少", "不少于", "大于等于", "大于或等于", "不小于",
        "达到", "最少", "最低", "起码", "不得低于", "不能低于"], ">="),
    **dict.fromkeys([
        "above", "over", "more than", "greater than", "higher than", "better than", "larger than",
        "bigger than", "exceed", "exceeds", "exceeding", "in excess of", "beyond", "beat", "beats", ">",
        "高于", "超过", "大于", "优于", "多于"], ">"),
    **dict.fromkeys([
        "at most", "no more than", "not more than", "no greater than", "not greater than",
        "no higher than", "not higher than", "no larger than", "no bigger than", "not exceed",
        "not to exceed", "never exceed", "not exceeding", "does not exceed", "doesn't exceed", "up to",
        "within", "maximum of", "a maximum of", "maximum", "max", "at or below", "capped at",
        "limited to", "less than or equal to", "equal to or less than", "<=", "=<", "≤", "不超过",
        "不高于", "不大于", "小于等于", "小于或等于", "最多", "至多", "不多于", "控制在", "不得超过",
        "不能超过", "限制在"], "<="),
    **dict.fromkeys([
        "under", "below", "less than", "fewer than", "lower than", "smaller than", "shorter than",
        "faster than", "beneath", "<", "小于", "低于", "少于", "不到", "不足"], "<"),
}
#: Comparators written after a number ("95% or higher", "95%+", "1000万参数以内").
POSTFIX_OPS: dict[str, str] = {
    **dict.fromkeys(["or more", "or higher", "or better", "or above", "or greater", "and above", "and up",
                     "minimum", "at least", "+", "以上", "及以上", "或以上", "或更高"], ">="),
    **dict.fromkeys(["or less", "or lower", "or fewer", "or below", "or under", "or smaller", "and below",
                     "maximum", "at most", "tops", "以下", "及以下", "或以下", "以内", "之内", "内"], "<="),
}
PREFIX_OP_RE = re.compile(alternation(PREFIX_OPS), FLAGS)
POSTFIX_OP_RE = re.compile(r"\s*" + alternation(POSTFIX_OPS), FLAGS)

#: Words allowed between a quantity's noun and its number ("parameters must stay under 500").
FILLER_RE = re.compile(
    r"\b(?:must|should|shall|will|can|be|is|are|stay|stays|remain|remains|kept|keep|to|of|has|have|having|"
    r"needs?|with|a|an|the|total|count|budget|number|limit|size|at|around|about|roughly|be\s+kept)\b|"
    r"要求|需要|需|要|须|必须|应该|应|为|是|在|保持在|保持|量|数|个数|数量|总数|限制|可以|能|得|的|[\s:=()~]",
    FLAGS)

# ---------------------------------------------------------------------------------------------- metrics
#: Canonical metric name -> regex alternatives (English and Chinese), from the metric catalogue
#: (``knowledge/metrics.py``), in its order (grounding's "Acc@0.5" before accuracy's "acc").
METRIC_ALIASES: dict[str, list[str]] = {m.name: list(m.aliases) for m in METRIC_CATALOGUE}
METRIC_RE = re.compile("|".join(f"(?P<{name}>{'|'.join(sorted(alts, key=len, reverse=True))})"
                                for name, alts in METRIC_ALIASES.items()), FLAGS)
METRIC_ANY = "(?:" + "|".join(a for alts in METRIC_ALIASES.values() for a in alts) + ")"
#: Metrics a positive class can be named for ("recall on malignant cases").
CLASS_METRICS = ("precision", "recall", "f1")

#: Words that may sit between a number and the metric it sets ("95% top-1 test accuracy").
METRIC_ADJECTIVES = (r"(?:(?:test|validation|overall|top-1|balanced|macro|micro|weighted|average|mean|"
                     r"classification|held-out|holdout|cross-validated|cv)[\s-]+)*")
#: Words that may follow a metric's value; anything else means the number counts something else.
VALUE_FOLLOWERS = frozenset({"or", "and", "on", "for", "with", "while", "but", "in", "at", "across", "over",
                             "when", "if", "to", "is", "the", "of", "as", "so", "using", "by", "within",
                             "minimum", "maximum", "tops", "whereas", "please", "then", "also"})
#: Chinese counting words after a number that is not a metric value ("500个样本", "10类").
CN_COUNT_AFTER = re.compile(r"\s*(?:个|条|行|万|亿|千|类|层|次|倍|秒|毫秒|分钟|小时|样本|张|列|轮|年)")
OPTIMIZE_RE = re.compile(
    rf"\b(?:optimi[sz](?:e|es|ing)|maximi[sz](?:e|es|ing)|minimi[sz](?:e|es|ing)|prioriti[sz]e|tune)\s+"
    rf"(?:for\s+|on\s+)?(?:the\s+)?(?:model'?s\s+)?(?P<m1>{METRIC_ANY})|"
    rf"(?:优化|最大化|最小化|侧重|重点提升|提升|提高|降低)\s*(?P<m2>{METRIC_ANY})|"
    rf"以\s*(?P<m3>{METRIC_ANY})\s*为(?:优化)?目标|"
    # the metric a task is judged by: "evaluated by RMSLE", "scored on log loss", "the metric is QWK", "以RMSLE评估"
    rf"\b(?:evaluat(?:ed|es|ion)|scor(?:ed|es|ing)|judged|measured|ranked|assessed|graded|marked)\s+"
    rf"(?:by|on|with|using|via|in\s+terms\s+of|according\s+to)\s+(?:the\s+|its\s+)?(?P<m4>{METRIC_ANY})|"
    rf"\b(?:evaluation\s+|scoring\s+|competition\s+)?metric\s*(?:is|:|=|will\s+be)\s*(?:the\s+)?(?P<m5>{METRIC_ANY})|"
    rf"(?:以|用|按|按照|采用|使用)\s*(?P<m6>{METRIC_ANY})\s*(?:来)?(?:评估|评价|衡量|评分|打分|计分|作为评估指标|为评估指标)|"
    rf"(?:评估|评价|评分)指标\s*(?:为|是|:)?\s*(?P<m7>{METRIC_ANY})", FLAGS)

# ------------------------------------------------------------------------------------ resource budgets
COUNT_UNITS = {"thousand": 1e3, "k": 1e3, "million": 1e6, "mil": 1e6, "mn": 1e6, "m": 1e6,
               "billion": 1e9, "bn": 1e9, "b": 1e9, "千": 1e3, "万": 1e4, "十万": 1e5, "百万": 1e6,
               "千万": 1e7, "亿": 1e8}
COUNT_UNIT = (r"(?:(?:thousand|million|billion|mil|mn|bn|k|m|b)(?![a-z])|十万|百万|千万|万|亿|千)")
PARAM_NOUN = (r"(?:\b(?:trainable\s+|learnable\s+|model\s+)?(?:parameters?|params?|weights)\b|"
              r"参数量|参数个数|参数数量|参数总量|参数)")

#: Bytes per unit for model-file sizes (decimal MB = 1e6, MiB = 2**20).
SIZE_BYTES = {"b": 1, "byte": 1, "bytes": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "kib": 2**10,
              "mib": 2**20, "gib": 2**30, "tib": 2**40, "m": 1e6, "g": 1e9, "千字节": 1e3, "兆字节": 1e6,
              "兆": 1e6, "字节": 1}
#: Megabytes per unit for container memory (binary: 1 GB = 1024 MB).
MEMORY_MB = {"b": 2**-20, "byte": 2**-20, "bytes": 2**-20, "kb": 2**-10, "kib": 2**-10, "mb": 1, "mib": 1,
             "m": 1, "兆": 1, "兆字节": 1, "gb": 1024, "gib": 1024, "g": 1024, "tb": 2**20, "tib": 2**20,
             "千字节": 2**-10, "字节": 2**-20}
SIZE_UNIT = (r"(?:(?:[kmgt]i?b|bytes?)(?![a-z])|千字节|兆字节|兆|字节|"
             r"[mg](?=\s*(?:内存|的?容器|ram\b|memory\b|of\s+(?:ram|memory)\b)))")
CONTAINER_RE = re.compile(r"\b(?:containers?|pods?|replicas?|instances?|nodes?|machines?|workers?|vms?|"
                          r"servers?)\b|容器|实例|节点|机器|服务器", FLAGS)
MEMORY_RE = re.compile(r"\b(?:ram|memory)\b|内存|显存", FLAGS)
MODEL_FILE_RE = re.compile(r"\b(?:model|onnx|file|artifact|artefact|weights|checkpoint|binary|disk)\b|"
                           r"模型|文件|体积", FLAGS)

LATENCY_NOUN = (r"(?:\b(?:inference\s+|prediction\s+|response\s+|serving\s+|end-to-end\s+|request\s+)?"
                r"(?:latency|latencies|response\s+times?)\b|\bp(?:50|90|95|99|999)\b|延迟|时延|响应时间|推理时间)")
LATENCY_UNIT_MS = {"ms": 1, "msec": 1, "millisecond": 1, "milliseconds": 1, "毫秒": 1, "s": 1000,
                   "sec": 1000, "secs": 1000, "second": 1000, "seconds": 1000, "秒": 1000, "us": 1e-3,
                   "μs": 1e-3, "µs": 1e-3, "microsecond": 1e-3, "microseconds": 1e-3, "微秒": 1e-3}
LATENCY_UNIT = r"(?:(?:ms|msec|milliseconds?|s|secs?|seconds?|us|μs|µs|microseconds?)(?![a-z])|毫秒|微秒|秒)"
#: Percentile words -> the constraint they set; anything else is ``p99_ms``.
MEDIAN_RE = re.compile(r"\bp50\b|\b50th\b|\bmedian\b|\bmean\b|\baverage\b|\bavg\b|中位|平均", FLAGS)

QPS_VALUE_FIRST = re.compile(
    rf"(?P<num>{NUM})\s*(?P<unit>k(?![a-z]))?\s*(?:(?:(?:qps|rps|tps)|(?:requests?|reqs?|queries|predictions|calls|"
    r"inferences)\s*(?:/\s*s(?:ec(?:ond)?)?|(?:per|a|each)\s+(?:s|sec|second)))(?![a-z])|次/秒|个请求/秒|请求/秒)",
    FLAGS)
QPS_NOUN_FIRST = re.compile(
    rf"(?:\b(?:qps|rps|throughput)\b|每秒(?:处理|响应|支持|承载|承受|服务)?)(?P<between>[^\d]{{0,20}}?)"
    rf"(?P<num>{NUM})\s*(?P<unit>k(?![a-z]))?", FLAGS)

TIME_UNIT_S = {"h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600, "小时": 3600,
               "个小时": 3600, "min": 60, "mins": 60, "minute": 60, "minutes": 60, "分钟": 60,
               "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "秒": 1, "秒钟": 1}
TIME_VALUE = (rf"(?:(?P<num>{NUM})|(?P<word>\bhalf\s+an?\b|\ban?\b|\b(?:one|two|three|four|five|six|seven|"
              rf"eight|nine|ten|fifteen|twenty|thirty|forty-five|sixty)\b|半|{CN_NUMERAL}))"
              r"\s*-?\s*(?P<unit>(?:hours?|hrs?|h|minutes?|mins?|min|seconds?|secs?|sec|s)(?![a-z])|"
              r"个小时|小时|分钟|秒钟|秒)")
TIME_BEFORE = (r"(?:\btime\s+budget|\btraining\s+budget|\bbudget|\btime\s+limit|\btraining\s+time|"
               r"\btrain(?:ing)?\s+(?:for|in|within|under)|\bwithin|\bin|\bunder|\bless\s+than|\bat\s+most|"
               r"\bno\s+more\s+than|\bmax(?:imum)?|\btakes?|\bspend|\bfinish(?:es)?\s+in|训练时间|时间预算|"
               r"时间限制|时限|用时|耗时|在)\s*(?:of|is|:|=|为|是|不超过|少于|小于|控制在|在)?\s*"
               r"(?:about|around|roughly|~)?\s*")
TIME_AFTER = r"\s*(?:内|以内|之内|time\s+budget|budget|limit|of\s+training|training|of\s+compute)"
LATENCY_CONTEXT_RE = re.compile(r"\b(?:latency|latencies|respond|responds|response|p\d\d)\b|延迟|时延|响应",
                                FLAGS)

# ------------------------------------------------------------------------------------------------ data
#: Bundled scikit-learn sets named in words.
DATASET_WORDS: list[tuple[str, str]] = [
    (r"\bwines?\b|葡萄酒|红酒", "sklearn:wine"),
    (r"\biris\b|鸢尾花?", "sklearn:iris"),
    (r"(?<![-\d])(?<![-\d]\s)\b(?:handwritten\s+)?digits?\b|手写数字", "sklearn:digits"),
    (r"\bbreast[\s-]+cancer\b|乳腺癌", "sklearn:breast_cancer"),
    (r"\bdiabet(?:es|ic)\b|糖尿病", "sklearn:diabetes"),
]
DATA_EXTENSIONS = ("csv", "tsv", "parquet", "pq", "json", "jsonl", "ndjson", "txt", "xlsx", "xls",
                   "feather", "arrow", "npz", "npy", "zip", "gz", "arff")
SKLEARN_REF = r"\bsklearn:[a-z_0-9]+"
#: Data the Data agent generates: ``synthetic:shapes``, ``synthetic:job-ads`` (also written ``job_ads``).
SYNTHETIC_REF = r"\bsynthetic:[a-z][a-z_0-9-]*[a-z0-9]"
#: The synthetic scenes of shapes with referring queries that the grounding Data agent draws.
SYNTHETIC_GROUNDING = "synthetic:grounding"
#: A path: ``data/churn.csv``, ``data/promo/``, ``./x.parquet``, ``~/d.jsonl``, ``/abs/file.csv``.
PATH_REF = (r"(?<![\w/.~:-])(?:(?:~/|\.{1,2}/|/)(?:[\w-][\w.-]*/)*[\w-][\w.-]*/?|"
            r"(?:[\w-][\w.-]*/)+(?:[\w-][\w.-]*)?)")
#: A bare file name (``churn.csv``), read only after a word such as "on" or "from" ("用churn.csv").
BARE_FILE_REF = (r"(?:\b(?:on|from|using|use|load|read|in|with|file|dataset|data)\s+|[用从取在])"
                 rf"(?P<ref>[\w-][\w.-]*\.(?:{'|'.join(DATA_EXTENSIONS)}))(?![\w.])")
#: First folder names that make an extension-less path a data reference (``data/images``); other paths count only
#: when they exist ("input/output pairs" is not one).
DATA_ROOTS = frozenset({"data", "datasets", "dataset", "corpus"})

# ----------------------------------------------------------------------------------------------- task
REGRESSION_RE = re.compile(r"(?<!logistic\s)\bregress(?:ion|or|ors|ing)?\b|(?<!逻辑)回归", FLAGS)
CLASSIFICATION_RE = re.compile(
    r"\bclassif(?:y|ier|iers|ies|ication|ying)\b|\brecogni[sz](?:er|ers|e|ing|ion)\b|"
    r"\b(?:detect|decide|decides|determine|determines|tell|tells|predict|predicts)\s+whether\b|"
    r"\bsentiment\b|\bspam\b|\bcategori[sz]e\b|分类|识别|判断.{0,12}是否|预测.{0,12}是否", FLAGS)
REGRESSION_NOUN_RE = re.compile(
    r"\b(?:predict|estimate|forecast)\w*\s+(?:the\s+|a\s+|an\s+)?(?:[\w'-]+\s+){0,2}?"
    r"(?:prices?|progression|values?|amounts?|costs?|sales|revenues?|demand|temperatures?|salar(?:y|ies)|"
    r"incomes?|ages?|quantit(?:y|ies)|yields?|durations?)\b|"
    r"\b(?:price|value|cost|sales|revenue|demand|salary)\s+(?:model|predictor|prediction|estimat\w*|"
    r"forecast\w*)\b|预测.{0,8}(?:价格|房价|销量|销售额|数值|温度|年龄|收入|进展)", FLAGS)
TEXT_RE = re.compile(r"\b(?:texts?|sentences?|reviews?|tweets?|comments?|e-?mails?|messages?|documents?|"
                     r"headlines?|sentiment|spam)\b|文本|句子|评论|短信|邮件|新闻|文章", FLAGS)
#: Words that ask for visual grounding: the box of the object a text query describes ("定位", "referring expression").
GROUNDING_RE = re.compile(
    r"\b(?:visual\s+)?grounding\b|\breferring\s+expressions?\b|\bphrase\s+locali[sz]ation\b|"
    r"\bbox(?:es)?\s+(?:of|around)\s+(?:the\s+)?(?:object|thing|item|product|shape|one)s?\b|\bfind\s+the\s+box\b|"
    r"\blocat(?:e|es|ing)\b[^.;\n]{0,60}?\b(?:quer(?:y|ies)|described|describes|descriptions?|phrases?)\b|"
    r"\b(?:quer(?:y|ies)|descriptions?|phrases?)\b[^.;\n]{0,60}?\b(?:locat\w*|box(?:es)?)\b|"
    r"视觉定位|指代表达|定位|框出", FLAGS)
#: Words that ask for image generation: a model that makes pictures of the class asked for ("generate images of
#: digits", "draws a picture of a 7", "生成手写数字图片"); "generated images" alone (a classifier of them) is not one.
GENERATION_RE = re.compile(
    r"\b(?:generat(?:e|es|ing|ion\s+of)|synthesi[sz](?:e|es|ing)|draw(?:s|ing)?|paint(?:s|ing)?|sketch(?:es|ing)?|"
    r"produc(?:e|es|ing)|creat(?:e|es|ing))\s+(?:(?:new|fake|novel|realistic|synthetic|more|"
    r"small|an?|the|some|\d+)\s+)*(?:images?|pictures?|photos?|drawings?|samples?\s+images?|handwritten\s+digits?|"
    r"digits?\s+images?)\b(?!\s+(?:classif\w*|recogni[sz]\w*|categori[sz]\w*|data\w*|folders?|files?|labels?))|"
    r"\b(?:image|picture|photo|digit)\s+generat(?:ion|or|ors|ive)\b|\bgenerative\s+(?:image\s+)?models?\b|"
    r"\bclass[\s-]conditional\s+(?:image\s+)?(?:generat\w*|vae|gan|diffusion)\b|\bdiffusion\s+models?\b|"
    r"\b(?:conditional\s+)?(?:vae|gan)s?\b|\btext[\s-]to[\s-]image\b|"
    r"生成(?:[^，。,.;；]{0,8})(?:图片|图像|照片|手写|数字|样本)|图像生成|图片生成|画出|画一张|生成模型", FLAGS)
#: Words that make a classification request an image one (sklearn:digits named without them stays tabular).
IMAGE_RE = re.compile(r"\b(?:images?|photos?|photographs?|pictures?|handwrit\w*|vision|cnns?|convolutional)\b|"
                      r"图片|图像|照片|手写|卷积", FLAGS)

# ------------------------------------------------------------------------------------- target, label
#: Verbs that ask for the value of something ("predict the price", "tell the variety from ...", "work out X").
ASK_VERB = (r"(?:predict(?:s|ing)?|forecast(?:s|ing)?|estimat(?:e|es|ing)|guess(?:es|ing)?|infer(?:s|ring)?|"
            r"determin(?:e|es|ing)|tell(?:s|ing)?|(?:work|figure)(?:s|ing)?\s+out)")
#: Patterns whose group 1 is the target column, tried in order.
TARGET_PATTERNS = [re.compile(p, FLAGS) for p in (
    r"\b(?:target|label)(?:\s+column)?\s*[:=]\s*[`'\"]?([A-Za-z_][\w.-]*)",
    r"\b(?:target|label|outcome|response)\s+(?:column|variable|field)\s+(?:is\s+|=\s*|:\s*|named\s+|"
    r"called\s+)[`'\"]?([A-Za-z_][\w.-]*)",
    r"\bcolumn\s+(?:named\s+|called\s+)?[`'\"]([^`'\"]+)[`'\"]",
    r"\bcolumn\s+(?:named|called)\s+([A-Za-z_][\w.-]*)",
    r"\b(?:predict|forecast|estimate|classify|model)(?:s|ing)?\s+(?:the\s+)?[`'\"]?([A-Za-z_][\w.-]*)[`'\"]?"
    r"\s+(?:column|field|variable)\b",
    rf"\b{ASK_VERB}\s+(?:the\s+)?[`'\"]([^`'\"\n]{{1,60}})[`'\"]\s+(?:column|field|variable)\b",
    r"\b(?:use|using)\s+(?:the\s+)?[`'\"]?([A-Za-z_][\w.-]*)[`'\"]?\s+(?:column\s+)?as\s+(?:the\s+)?"
    r"(?:target|label)\b",
    r"\b(?:model|regressor|classifier|regression|classification|predictor)s?\s+(?:model\s+)?(?:for|of|on)\s+"
    r"(?:the\s+)?[`'\"]?([A-Za-z_][\w.-]*)[`'\"]?\s+(?:column|field|variable)\b",
    rf"\b{ASK_VERB}\s+(?:the\s+)?(?:column\s+)?[`\"]([^`\"\n]{{1,60}})[`\"]",
    rf"\b{ASK_VERB}\s+(?:the\s+)?(?:column\s+)?'([^'\n]{{1,60}})'(?![A-Za-z])",
    r"预测\s*[`'\"]?([A-Za-z_][\w.-]*)[`'\"]?\s*(?:这一?|这个)?列",
    r"(?:目标|标签)(?:列|字段|变量)\s*(?:为|是|:|=)?\s*[`'\"]?([A-Za-z_][\w.-]*)",
    r"以\s*[`'\"]?([A-Za-z_][\w.-]*)[`'\"]?\s*列?\s*(?:作)?为(?:目标|标签)",
)]
#: "predict <phrase> from ...": the thing asked for, in the request's words.
PREDICT_PHRASE_RE = re.compile(
    rf"\b{ASK_VERB}\s+(?P<phrase>(?:[^.;,:!?()]|(?<=\w)\.(?=\w))+?)(?P<rest>\s+(?:from|on|using|with|based\s+on|given|"
    r"for|in|by)\b.*|[;,:!?()]|\.(?!\w)|$)", FLAGS)
#: An aside right after what is asked for, often its column's name: "estimate fuel consumption (mpg)".
ASIDE_RE = re.compile(r"\s*\(([^()\n]{1,40})\)")
PREDICT_PHRASE_ZH_RE = re.compile(
    r"预测(?P<phrase>[^，。；,;.!?！？\s]{1,12}?)(?:的模型|模型|[，。；,;.!?！？]|从|基于|使用|用|$)")
#: Words starting a "predict ..." phrase that is a question, not a column ("predict whether ...").
NOT_A_TARGET = frozenset({"whether", "if", "which", "how", "what", "who", "when", "where", "it", "this",
                          "that", "them", "these", "those", "something", "是否", "哪些", "哪个", "什么"})
#: English words that cannot start the name of what is asked for ("tell me ...", "predict for the rows of ...").
NOT_A_TARGET_START = frozenset({"me", "us", "you", "him", "her", "for", "on", "in", "from", "with", "using", "to",
                                "by", "of", "at", "and", "or", "apart", "out", "well", "better", "accurately",
                                "correctly", "reliably", "quickly", "new", "future"})
#: What is asked for when it is the data, not a column: "predicting the data in test.csv", "predict the test set",
#: "predict the rows of new.csv".
DATA_WORDS_RE = re.compile(
    r"(?:(?:test|testing|new|unseen|held-?out|holdout|validation|training|train|input|given|remaining|other|these|"
    r"those|all|every|each|whole|full|the)\s+)*(?:data(?:\s*set)?s?|datasets?|files?|rows?|records?|examples?|"
    r"samples?|tables?|entries|instances|observations|lines|sets?|csv|spreadsheets?)(?:\s+(?:of|in)\b.*)?", FLAGS)
#: "which state is a car registered in?", "tell me what colour the fruit is": the noun asked about. A sentence starts
#: with it, or a verb that asks.
WHICH_RE = re.compile(
    rf"(?:^|[.!?]\s+|\b(?:{ASK_VERB}|know|say|decide|identify|find\s+out)\s+(?:me\s+|us\s+)?)"
    r"(?:(?:in|from|to|for|of|at|on|into)\s+)?(?:which|what)\s+(?:(?:kind|type|sort|class|category)\s+of\s+)?"
    r"(?!(?:is|are|was|were|does|do|did|has|have|had|will|would|can|could|should|it|they)\b)"
    r"(?P<phrase>[A-Za-z][\w-]*(?:\s+[A-Za-z][\w-]*){0,2}?)\s+"
    r"(?:is|are|was|were|does|do|did|has|have|had|will|would|can|could|should|a|an|the|it|they|each|every|this|"
    r"that|these|those|someone|its|their|his|her|my|our|your|people|you|we|i|he|she)\b", FLAGS)
#: "classify iris species by petal size", "classify customers by churn risk": both sides, the column matcher weighs
#: them.
CLASSIFY_BY_RE = re.compile(
    r"\bclassif(?:y|ies|ying)\s+(?P<phrase>(?:[A-Za-z][\w'-]*\s+){1,4}?by\s+(?:their\s+|its\s+|the\s+)?"
    r"[A-Za-z][\w'-]*(?:\s+[A-Za-z][\w'-]*)?)(?=\s*(?:[.;,:!?()]|$)|\s+(?:from|using|with|in|on|based)\b)", FLAGS)
#: Nouns asked about that are not a column ("which model is best", "what features matter").
NOT_A_TARGET_NOUN = frozenset({"model", "models", "algorithm", "algorithms", "feature", "features", "column",
                               "columns", "one", "ones", "approach", "method", "methods", "metric", "metrics", "way",
                               "file", "files", "data", "parameters", "settings", "variables", "library", "time"})
ARTICLES_RE = re.compile(r"^(?:(?:the|a|an|their|its|our|my|each)\s+)+", FLAGS)
IDENTIFIER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")

POSITIVE_LABEL_RE = re.compile(
    r"\s*(?:score\s+)?(?:on|for|of|over)\s+(?:the\s+)?(?:(?:class|label)\s+[`'\"]?(?P<cls>[\w-]+)|"
    r"(?P<np>[A-Za-z][\w'-]*(?:\s+[A-Za-z][\w'-]*)?)\s+(?:cases|class|classes|samples|examples|instances|"
    r"ones|label|category|group|patients|customers|users)\b|(?P<word>[A-Za-z][\w'-]*))", FLAGS)
NOT_A_LABEL = frozenset({
    "test", "testing", "validation", "holdout", "held-out", "hold-out", "data", "dataset",
    "set", "training", "train", "model", "each", "all", "both", "every", "this", "that", "it",
    "average", "whole", "at", "least", "most", "above", "below", "under", "over", "more",
    "less", "no", "not", "and", "must", "should", "is", "a", "an", "new", "unseen", "eval",
    "evaluation", "overall", "full", "same", "our", "my", "your"})
ZH_LABEL_MARKERS = ("针对", "关于", "对于", "对", "在")
ZH_LABEL_SUFFIXES = ("上", "样本", "类别", "类", "病例", "数据")
ZH_LABEL_LEADING = ("要求", "需要", "保证", "确保", "并且", "并", "且")
ZH_NOT_A_LABEL = re.compile(r"测试|验证|训练|模型|整体|总体|数据集|全部|所有")

# ----------------------------------------------------------------------------------------------- hints
HINT_PATTERNS: list[tuple[str, re.Pattern[str]]] = [(hint, re.compile(p, FLAGS)) for hint, p in (
    ("clean", r"\bclean(?:s|ed|ing)?(?:\s+up)?\s+(?:the\s+|this\s+|my\s+|our\s+)?(?:data|dataset|table|csv|"
              r"file|it|them)\b|\b(?:data\s+cleaning|cleanup|clean-up|deduplicat\w*|duplicates|"
              r"missing\s+values)\b|清洗|清理|去重|缺失值"),
    ("outliers", r"\boutliers?\b|\banomal(?:y|ies|ous)\b|异常值|离群"),
    ("noisy_labels", r"\bnoisy\s+labels?\b|\blabel\s+noise\b|\blabels?\s+(?:may|might|could|can|will)?\s*"
                     r"(?:contain|have|include)s?\s+(?:some\s+)?(?:mistakes|errors|noise)\b|\bmislabel\w*|"
                     r"\b(?:wrong|incorrect|bad)\s+labels\b|标签.{0,6}(?:错误|错|噪声|噪音|不准)|错标|噪声标签"),
    ("unlabeled", r"\bunlabel+ed\b|\bwithout\s+labels\b|\bno\s+labels\b|未标注|无标签|没有标签|未标记"),
    ("forecast", r"\bforecast\w*|\bpredict\w*\s+(?:the\s+)?(?:next|future|coming|upcoming)\b|"
                 r"\b(?:next|coming)\s+(?:day|week|month|quarter|year)s?\b|\bfuture\s+\w+|预测未来|预报"),
)]
#: An answer file the request asks for: "write submission.csv", "in the form of sample_submission.csv", "保存到
#: submission.csv" (the tables' predictions step writes it in that form).
OUTPUT_FILE_RE = re.compile(
    r"\b(?:write|writes|writing|save|saves|saving|output|outputs|produce|produces|create|creates|submit|submits|"
    r"return|returns|export|exports)\b[^.;\n]{0,40}?(?P<file>[\w-]+\.(?:csv|tsv))(?![\w.])|"
    r"(?:写入|保存到?|输出到?|生成|提交)\s*(?P<zh>[\w-]+\.(?:csv|tsv))", FLAGS)
SUBMISSION_FORM_RE = re.compile(
    r"\b(?:in|with|using|following|as\s+in)\s+(?:the\s+)?(?:form|format|shape|layout|columns|header)\s+"
    r"(?:of|in|as\s+in)\s+(?:the\s+)?[\w.-]*(?:submission|sample)[\w.-]*|\b(?:sample|example)[_ -]?submission"
    r"(?:\.csv)?\b|按照?[\w.-]*(?:submission|sample)[\w.-]*的?格式", FLAGS)
QUANTIZE_RE = re.compile(r"\bint8\b|\b8[\s-]?bit\b|\bquanti[sz]\w*|量化", FLAGS)
NO_QUANTIZE_RE = re.compile(r"\b(?:no|without|don'?t|do\s+not|never|skip)\s+(?:\w+\s+)?quanti[sz]|不要?量化|"
                            r"无需量化|不需要量化", FLAGS)

# -------------------------------------------------------------------------------------------- clauses
#: Where a clause ends: punctuation (not inside numbers), conjunctions, Chinese clause markers.
CLAUSE_SEP_RE = re.compile(r"[;!?。；！？\n]|[,，、](?!\d{3})|\.(?=\s|$)|"
                           r"\b(?:and|while|but|whereas|although)\b|并且|而且|同时|(?<!交)并", FLAGS)  # 交并比: IoU

# ---------------------------------------------------------------------------------- compiled patterns
#: Patterns the parser applies, composed from the fragments above.
NUM_RE = re.compile(NUM, FLAGS)
PERCENT_RE = re.compile(PERCENT, FLAGS)
CN_PERCENT_RE = re.compile(rf"百分之({CN_NUMERAL}|\d+(?:\.\d+)?)")
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
METRIC_BEFORE_RE = re.compile(
    rf"(?P<op>{alternation(PREFIX_OPS)})?\s*(?<!-)(?P<num>{NUM})(?P<pct>{PERCENT})?"
    rf"(?P<post>\s*{alternation(POSTFIX_OPS)})?\s*(?:的\s*)?{METRIC_ADJECTIVES}\s*$", FLAGS)
PARAM_VALUE_FIRST = re.compile(
    rf"(?P<num>{NUM})\s*(?P<unit>{COUNT_UNIT})?[\s-]*(?:个\s*)?{PARAM_NOUN}", FLAGS)
PARAM_NOUN_FIRST = re.compile(
    rf"{PARAM_NOUN}(?P<between>[^\d%。;,]{{0,40}}?)(?P<num>{NUM})\s*(?P<unit>{COUNT_UNIT})?(?:\s*个)?", FLAGS)
SIZE_RE = re.compile(rf"(?P<num>{NUM})\s*(?P<unit>{SIZE_UNIT})", FLAGS)
LATENCY_NOUN_FIRST = re.compile(
    rf"{LATENCY_NOUN}(?P<between>[^\d%。;,]{{0,40}}?)(?P<num>{NUM})\s*(?P<unit>{LATENCY_UNIT})", FLAGS)
LATENCY_VALUE_FIRST = re.compile(
    rf"(?P<num>{NUM})\s*(?P<unit>{LATENCY_UNIT})[\s-]*(?:of\s+)?(?:(?:p\d+|median|mean|average|tail|"
    rf"中位数?|平均|的)\s*)*{LATENCY_NOUN}", FLAGS)
MS_RE = re.compile(rf"(?P<num>{NUM})\s*(?P<unit>ms|msec|milliseconds?|毫秒)(?![a-z])", FLAGS)
TIME_PATTERNS = (re.compile(TIME_BEFORE + TIME_VALUE, FLAGS), re.compile(TIME_VALUE + TIME_AFTER, FLAGS))
PATH_RE = re.compile(PATH_REF, FLAGS)
BARE_FILE_RE = re.compile(BARE_FILE_REF, FLAGS)
SKLEARN_RE = re.compile(SKLEARN_REF, FLAGS)
SYNTHETIC_RE = re.compile(SYNTHETIC_REF, FLAGS)
DATASET_RES = [(re.compile(pattern, FLAGS), ref) for pattern, ref in DATASET_WORDS]
CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
DATA_CONTEXT_RE = re.compile(r"\b(?:data|dataset|corpus)\b|数据", FLAGS)
NOT_A_VALUE_BEFORE = re.compile(r"(?:-|\b(?:class|label|category|top|version|v|fold|layer)\s*|第)$", FLAGS)
NEXT_METRIC_RE = re.compile(rf"\s*{METRIC_ANY}", FLAGS)

# --------------------------------------------------------------------------------- clause accounting
#: Where a clause splits further for accounting (the word stays with the part it opens): "..., so doctors can
#: check it", "a classifier that must be fair", "with explanations for every prediction", "using at most 3 ...".
FRAGMENT_SEP_RE = re.compile(
    r"\b(?:with|without|using|that|which|so|such\s+that|unless|except|whereas|because|since|where)\b|"
    r"[()]|:(?=\s)|：", FLAGS)
#: Words that make a clause read like a requirement ("must", "only", "never", "每个"...).
REQUIREMENT_CUE_RE = re.compile(
    r"\b(?:must|mustn't|should|shouldn't|shall|needs?|needed|has\s+to|have\s+to|had\s+to|required?|requires|"
    r"requirements?|necessary|mandatory|ensure|make\s+sure|guarantee[sd]?|only|never|always|without|cannot|can't|"
    r"may\s+not|not\s+allowed|forbidden|avoid|don't|do\s+not|does\s+not|at\s+least|at\s+most|"
    r"no\s+more\s+than|no\s+less\s+than|no\s+fewer\s+than|not\s+more\s+than|not\s+less\s+than|beat|beats|"
    r"outperforms?|as\s+(?:good|accurate|fast|small)\s+as|\w+er\s+than)\b|[<>≤≥]=?\s*\.?\d|"
    r"必须|需要|要求|应该|应当|只能|只用|只使用|仅|不要|不能|不得|不可|禁止|不允许|一定要|务必|确保|保证|始终|总是|"
    r"永远|从不|至少|最多|不超过|不低于|不少于|不高于", FLAGS)
#: Comparators whose number is a requirement wherever it stands (single words such as "over" in "over 10 classes" are
#: too often plain context).
STRONG_OP_RE = re.compile(
    r"(?:\b(?:at\s+least|at\s+most|no\s+(?:more|less|fewer|lower|higher|greater)\s+than|not\s+(?:more|less|fewer|"
    r"lower|higher|greater)\s+than|(?:more|less|fewer|greater|higher|lower|smaller|larger|better)\s+than|"
    r"a\s+(?:minimum|maximum)\s+of|minimum\s+of|maximum\s+of|up\s+to|exceed(?:s|ing)?)|[<>≤≥]=?|=[<>]|"
    r"至少|最多|不超过|不低于|不少于|不高于|低于|高于|超过|大于|小于|少于|多于|达到)\s*$", FLAGS)
#: Any comparator right before a number ("under 5%": a percentage after one is a target wherever it stands).
PREFIX_OP_END_RE = re.compile(alternation(PREFIX_OPS) + r"\s*$", FLAGS)
STRONG_POSTFIX_RE = re.compile(r"\s*(?:or\s+(?:more|higher|better|above|greater|less|lower|fewer|below|under)\b|\+|"
                               r"以上|以下|以内|之内)", FLAGS)
#: What the agents cannot honour or check, wherever it is written: explanations, fairness, hardware they do not
#: build for, retraining schedules, calibration, privacy.
UNSUPPORTED_ASK_RE = re.compile(
    r"\b(?:explanations?\s+(?:for|of)|explain\w*\s+(?:each|every|individual|single)|shap|lime|counterfactuals?|"
    r"fair(?:ness)?\s+(?:to|towards|for|across|between)|fairness|be\s+fair|unbiased|bias(?:ed)?\s+(?:against|"
    r"towards?)|equal(?:ly)?\s+(?:accurate|treatment|opportunity)|demographic\s+parity|"
    r"(?:on|to|for)\s+(?:an?\s+|the\s+|our\s+|my\s+)?(?:gpus?|tpus?|cuda|raspberry\s+pi|jetson|arduino|"
    r"microcontrollers?|(?:mobile\s+)?phones?|smartphones?|iphones?|android|ios|edge\s+devices?|browsers?|"
    r"fpgas?|embedded\s+devices?)|"
    r"re-?train\w*|online\s+learning|incremental(?:ly)?\s+(?:train\w*|learn\w*|updat\w*)|continual\s+learning|"
    r"calibrat\w*|confidence\s+intervals?|uncertainty|differential\s+privacy|privacy|gdpr|hipaa|encrypt\w*|"
    r"adversarial)\b|公平|偏见|歧视|隐私|树莓派|手机上|显卡|重新训练|在线学习|校准|置信区间|不确定性", FLAGS)
#: A column name written as one ("customer_id", "`age`"): a requirement about the data, not plain words.
NAME_CUE_RE = re.compile(r"`[^`\n]{1,60}`|\b[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]+\b", FLAGS)
#: Words that carry no requirement of their own: function words, modal words, and what the agents always do and
#: measure (train, model, deploy, ONNX, fast, small, accurate...). A clause made of these alone is plain context.
CONTEXT_WORDS = frozenset("""
a an the this that these those it its it's they them their there here we us our i me my you your he she his her
be is are was were been being am do does did done doing have has had having will would can could may might must
shall should need needs needed to of in on at by for from with without into onto over under about as and or but
not no nor so than then also just only very too please make sure ensure want wants like get gets got give use
uses used using let lets all any each every some both either more most less least much many one well good better
best great fine ok okay possible enough really quite always never also new
model models train trains trained training build builds built make makes made create creates created fit fits
fitted learn learns learned learning develop design produce deliver ship run runs running work works working
data dataset datasets set table tables file files column columns row rows feature features input inputs class
classes label labels target targets value values prediction predictions predict predicts predicting output
outputs result results classifier classifiers regressor regressors predictor detector recognizer recogniser
deploy deploys deployed deploying deployment deployable serve serves served serving server bundle bundles
package packages packaged packaging export exports exported exporting onnx cpu cpus api rest http endpoint
docker container containers notebook notebooks pipeline something thing things job task tasks
small smaller tiny compact lightweight light lean fast faster quick quicker quickly speedy responsive
low high accurate accuracy precise reliable robust simple efficient cheap real-time realtime production
ready use-case case cases example examples sample samples test tests tested testing evaluate evaluated
know knows think hope guess believe see look which what whether who how when why don't doesn't isn't won't
answer answers answering respond responds reply replies overfit overfits overfitting leak leakage leaking
""".split())
#: Chinese words of the same kind (Chinese is not split into words: these are removed, what is left is content).
CONTEXT_WORDS_ZH = re.compile(
    r"必须|需要|要求|应该|应当|只能|只用|只使用|仅|不要|不能|不得|不可|禁止|不允许|一定要|务必|确保|保证|至少|最多|不超过|"
    r"不低于|不少于|模型|训练|数据集?|一个|这个|分类器?|回归|预测|部署|导出|打包|容器|准确|快速|小|快|高|低|好|的|地|得|了|"
    r"和|与|并|且|也|要|能|可以|用|使用|在|上|中|对|把|将|为|是|有|每个|每一|每次|所有|都|请|我|我们|你|它|这|那|吗|呢|吧")
#: Words that ask for a model (any reading of a constraint, target or data counts too): without one of them, the
#: request asks for something else ("write me a poem", "what's the weather").
MODEL_WORDS_RE = re.compile(
    r"\b(?:models?|modell?ing|train\w*|classif\w*|predict\w*|regress\w*|forecast\w*|estimat\w*|detect\w*|"
    r"recogni[sz]\w*|learn\w*|fit|fitting|neural|networks?|machine\s+learning|ml|ai|onnx|deploy\w*|serv(?:e|ing)|"
    r"screen\w*|flag\w*|scor(?:e|ing)|segment\w*|cluster\w*|identif\w*|distinguish\w*|categori[sz]\w*|"
    r"tell\s+(?:\w+\s+){0,4}?(?:from|apart|whether)|dataset|csv|parquet|features?|labels?|target|column)\b|"
    r"模型|训练|分类|预测|回归|识别|检测|学习|部署|数据集|标签|特征", FLAGS)

# ------------------------------------------------------------------------------------------ languages
#: Letters of scripts the reader does not read (Cyrillic, Greek, Armenian, Hebrew, Arabic, the Indic scripts, Thai,
#: Georgian, Hangul, Japanese kana, Ethiopic...).
OTHER_SCRIPT_RE = re.compile(r"[\u0370-\u03ff\u0400-\u052f\u0530-\u058f\u0590-\u05ff\u0600-\u06ff\u0750-\u077f"
                             r"\u0900-\u0dff\u0e00-\u0eff\u10a0-\u10ff\u1100-\u11ff\u1200-\u137f\u3040-\u30ff"
                             r"\uac00-\ud7af]")
#: Function words of Latin-script languages other than English (none of them also an English word).
FOREIGN_WORDS = frozenset("""
le les des une avec pour dans sur est et du aux qui que ce cette très modèle données entraîne entraîner
classifieur précision moins au ou
el los las con para una por del es datos modelo entrena entrenar clasificador menos al como
und der das mit für ein eine einen ist nicht auf dem zu von mindestens daten trainiere genauigkeit oder
il di della dei che sono gli modello dati almeno
het een voor niet deze
não uma dos ao pelo pela
""".split())
#: English function words, counted against :data:`FOREIGN_WORDS`.
ENGLISH_WORDS = frozenset("""
the a an of with for to and on in at is are be that this must should least most from than it we i you my our
model data train predict classifier accuracy please need want use using build make
""".split())
