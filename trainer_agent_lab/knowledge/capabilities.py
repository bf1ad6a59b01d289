"""What the agents can train, what they cannot, and targets no model reaches.

:data:`CAPABILITIES` is the one table of the kinds of task the agents train. An entry is *built* when the spec's
:class:`~trainer_agent_lab.spec.TaskType` has every task type it lists (adding a kind adds its task type, see
``docs/architecture.md``); ``tests/test_plan.py`` checks that the built entries are exactly the kinds in the
registry (``kinds/__init__.py`` ``KIND_PACKAGES``) with the task types they handle. A planned entry (grounding,
generation) is refused as "planned, not built yet" until its kind is registered.

:func:`check` is the Task agent's capability check, made before any question about data: a request for a kind
of task no entry covers (video, speech, translation, question answering, reinforcement learning, object
detection or segmentation, text generation and chatbots, recommendation, clustering), in English or Chinese, is
refused with what could be done instead; so is a fantastical target for a kind the agents do train (a lottery
predictor, stock prices with 99% accuracy, a perfect score on labels known to be noisy).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from ..spec import LOWER_IS_BETTER, TaskSpec, TaskType

__all__ = ["CAPABILITIES", "FANTASTICAL", "UNSUPPORTED", "Capability", "CapabilityVerdict", "Fantastical",
           "Unsupported", "built", "check", "table_markdown", "trainable"]


@dataclass(frozen=True)
class Capability:
    """One kind of task the agents train (or will: ``planned``)."""

    kind: str
    """The package under ``kinds/`` that trains it."""
    title: str
    task_types: tuple[str, ...]
    """The spec task types it handles (values of :class:`TaskType` once built)."""
    trains: str
    data: str
    metrics: tuple[str, ...]
    example: str
    status: Literal["built", "planned"] = "built"
    pattern: re.Pattern[str] | None = None
    """Words that ask for this kind (only planned kinds need them: the request reader knows the built ones)."""

    @property
    def built(self) -> bool:
        """Whether the agents train it today: every task type it lists is one the spec knows."""
        known = {t.value for t in TaskType}
        return self.status == "built" and all(t in known for t in self.task_types)


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


CAPABILITIES: tuple[Capability, ...] = (
    Capability("tables", "Tables", ("classification", "regression"),
               "classification and regression on a table of rows and columns (scikit-learn models)",
               "CSV, TSV, Parquet, JSON lines, Excel; a folder of table files; sklearn:NAME",
               ("accuracy", "precision", "recall", "f1", "roc_auc", "mae", "rmse", "r2"),
               "predict the churned column of churn.csv with F1 >= 0.6"),
    Capability("texts", "Texts", ("text_classification",),
               "text classification: a label for each text (TF-IDF models, a small transformer, a teacher for "
               "unlabeled texts)",
               "a table of a text column and a label; a folder of labeled/unlabeled/test tables; synthetic:job-ads",
               ("accuracy", "precision", "recall", "f1"),
               "tell whether a promotion text offers a benefit, 90% accuracy"),
    Capability("images", "Images", ("image_classification",),
               "image classification: a class for each image (small CNNs, a pretrained backbone)",
               "a folder with one sub-folder of images per class; a CSV of image paths and labels; .npz; "
               "synthetic:shapes",
               ("accuracy", "precision", "recall", "f1"),
               "recognise handwritten digits with 97% accuracy"),
    Capability("grounding", "Visual grounding", ("visual_grounding",),
               "visual grounding: the box of the object a text query describes in an image",
               "images with a table of image, query, x0, y0, x1, y1; synthetic:grounding",
               ("acc_iou50", "mean_iou"), "find 'the red circle' in a picture of shapes",
               pattern=_re(r"visual grounding|referring expression|\bgrounding\b|box of the (object|thing|item)"
                           r"|视觉定位|指代表达")),
    Capability("generation", "Image generation", ("image_generation",),
               "class-conditional image generation: a picture of the class asked for",
               "an image folder (one sub-folder per class), sklearn:digits, synthetic:shapes",
               ("generated_class_accuracy", "frechet_distance"), "draw a handwritten 7 on request",
               pattern=_re(r"generat\w* (new |realistic )?(images?|pictures?|photos?|digits?|drawings?)"
                           r"|(image|picture|photo) generat|text[- ]to[- ]image|\bgan\b|diffusion model"
                           r"|生成(图片|图像|手写)|图像生成")),
)


def built() -> tuple[Capability, ...]:
    """The kinds the agents train today."""
    return tuple(c for c in CAPABILITIES if c.built)


def trainable() -> str:
    """One sentence of what the agents train today, for refusals."""
    kinds = [f"{c.title.lower()} ({', '.join(t.replace('_', ' ') for t in c.task_types)})" for c in built()]
    return "The agents train " + (", ".join(kinds[:-1]) + " and " + kinds[-1] if len(kinds) > 1 else kinds[0]) + "."


def table_markdown() -> str:
    """The table of kinds as markdown (the docs and ``trainer-agent plan`` show it)."""
    rows = ["| kind | trains | data | metrics | status |", "|---|---|---|---|---|"]
    rows += [f"| {c.title} | {c.trains} | {c.data} | {', '.join(c.metrics)} | "
             f"{'built' if c.built else 'planned'} |" for c in CAPABILITIES]
    return "\n".join(rows)


@dataclass(frozen=True)
class Unsupported:
    """A kind of task no entry of :data:`CAPABILITIES` covers, the words that ask for it, and what to do instead."""

    id: str
    name: str
    pattern: re.Pattern[str]
    instead: str
    ceiling: float | None = None
    """A score no system reaches on this kind of task (a target above it is fantastical as well)."""
    ceiling_reason: str = ""
    unless: tuple[str, ...] = ()
    """Task types the request reader may give a request that this kind's words also describe (a grounding request
    asks for "the bounding box of the object the query describes"): not refused then."""


UNSUPPORTED: tuple[Unsupported, ...] = (
    Unsupported("photoreal_generation", "Photorealistic or high-resolution (HD, 4K) image and video generation",
                _re(r"\b(?:photo[- ]?realistic|[48]k|uhd|ultra[- ]hd|full[- ]hd|1080p|2160p|high[- ]resolution)\b"
                    r"[^.;\n]{0,40}?\b(?:generat\w*|synthesi\w*|videos?)\b|\b(?:generat\w*|synthesi\w*)\b[^.;\n]{0,40}?"
                    r"\b(?:photo[- ]?realistic|[48]k|uhd|1080p|2160p|videos?)\b|\b(?:text|image)[- ]to[- ]video\b|"
                    r"视频生成|生成(?:\w{0,6})视频|照片级(?:\w{0,6})生成"),
                "class-conditional generation of small images (a few dozen pixels a side: digits, shapes, icons), "
                "which a CPU trains in minutes. Photorealistic 4K video needs generative models of billions of "
                "parameters trained for weeks on GPU clusters, and one 4K frame alone holds 8.3 million pixels: no "
                "CPU learns that, or even renders a second of it, within a time budget"),
    Unsupported("video", "Video understanding (video classification, video question answering)",
                _re(r"\bvideos?\b(?![- ]?(games?|titles?|descriptions?|comments?|ids?|views?|counts?|reviews?))"
                    r"|\bfootage\b|\bmovie clips?\b|视频|录像"),
                "a classifier of single frames saved as images (one folder per class), or of per-video features "
                "in a table (duration, views, ...)", 0.9,
                "the best systems answer well under 90% of open-ended video questions correctly on public "
                "benchmarks"),
    Unsupported("speech", "Speech and audio (speech recognition, transcription, audio classification)",
                _re(r"speech[- ]?(recogni|to[- ]?text)|\basr\b|\btranscri(be|bes|bing|ption)\b|voice (recogni|"
                    r"assistant|command)|\baudio\b|sound (classif|recogni)|\bwer\b|word error rate|word accuracy"
                    r"|语音|音频|录音"),
                "a text classifier on transcripts you already have (call reason, sentiment, intent), or a table "
                "model on features extracted from the audio", 0.95,
                "on conversational telephone speech even the best recognisers, and professional transcribers, "
                "get about 5 words in 100 wrong"),
    Unsupported("translation", "Machine translation",
                _re(r"\btranslat(e|es|ing|ion|or)\b|翻译|译成"),
                "a text classifier, e.g. which language a text is in, or its topic"),
    Unsupported("question_answering", "Question answering",
                _re(r"question[- ]answer|answer(s|ing)? (the |users'? |customers'? )?questions|\bqa (model|system|bot)"
                    r"|reading comprehension|问答|阅读理解|回答问题"),
                "a text classifier that routes each question to an intent or an FAQ entry", 0.9,
                "open-ended question answering is judged against free-form answers, where even the best "
                "systems fall well short of that"),
    Unsupported("reinforcement_learning", "Reinforcement learning (agents, policies, game playing, control)",
                _re(r"reinforcement learning|\brl (agent|policy)|play(s|ing)? (chess|go|atari|video games|poker)"
                    r"|game[- ]playing|self[- ]driving|robot(ic)? (arm|control)|强化学习"),
                "a classifier or regressor trained on a table of logged decisions and their outcomes"),
    Unsupported("clustering", "Clustering and segmentation into groups without a label",
                _re(r"(customer|market|user|audience) segmentation|\bclustering\b|\bcluster (the|our|my|customers|"
                    r"users)|聚类|客户分群"),
                "a classifier once a column records the group each row belongs to"),
    Unsupported("detection", "Object detection and image segmentation",
                _re(r"object detect|detect (and|&) locate|bounding[- ]box|\byolo\b|mask r-?cnn|segmentation|"
                    r"segment (the |each )?(images?|pixels?|objects?)|pixel[- ]wise|目标检测|物体检测|图像分割|"
                    r"语义分割|实例分割"),
                "an image classifier of whole images or of crops (one folder per class), or visual grounding (the "
                "box of the one object a text query describes)", unless=("visual_grounding",)),
    Unsupported("text_generation", "Text generation (chatbots, writing, summaries, captions)",
                _re(r"chat ?bot|conversational (agent|assistant|ai)|text generation|generat\w* (text|stories|"
                    r"poems?|essays?|articles?|answers|replies|summaries|captions|code)|write (me )?(a |an )?(poem|"
                    r"story|essay|article|song|novel)|summari[sz](ation|er) (model|system)|(text|document|article) "
                    r"summari[sz]|summari[sz]e (the |each |long )?(texts|documents|articles|emails)|\bcaptioning\b|"
                    r"聊天机器人|对话机器人|写诗|写文章|文本生成|生成文本|自动摘要"),
                "a text classifier, e.g. the intent router in front of a chatbot, or a label for each reply"),
    Unsupported("recommendation", "Recommendation (recommender systems, ranking items for users)",
                _re(r"recommend(er|ation)?s? (system|engine|model)|recommender|recommend (products|items|movies|"
                    r"songs|articles|films|books)|collaborative filtering|推荐系统|推荐模型|推荐算法"),
                "a table classifier of whether a user clicks or buys an item, from user and item features"),
)


@dataclass(frozen=True)
class Fantastical:
    """A target no honest model reaches for a kind the agents do train, and why."""

    id: str
    pattern: re.Pattern[str]
    reason: str
    needs_target: float | None = None
    """Only fantastical with a score target at or above this (None: whatever the target)."""
    perfect: bool = False
    """Only fantastical with a perfect target (100%, R2 of 1, no error)."""


FANTASTICAL: tuple[Fantastical, ...] = (
    Fantastical("random_draws", _re(r"lotter(y|ies)|powerball|jackpot|roulette|dice rolls?|roll of (a|the) dice|"
                                    r"coin (flip|toss)|彩票|双色球|大乐透|轮盘|掷骰子"),
                "Lottery draws (like roulette spins, dice and coin tosses) are random by design: every outcome is "
                "equally likely whatever came before, so no model predicts them better than chance."),
    Fantastical("markets", _re(r"stock (price|market|return|movement|trend)s?|share prices?|(predict|forecast)\w* "
                               r"(the )?stocks|crypto\w* prices?|bitcoin|\bforex\b|exchange rates?|股票|股价|比特币|"
                               r"汇率"),
                "Future prices of traded assets are close to a random walk: any pattern that predicted them "
                "reliably would be traded away, so the direction of the next move is called right little more "
                "often than chance, far from {target}.", needs_target=0.9),
    Fantastical("perfect_on_noise", _re(r"nois[ey]|mistakes?|mislabel|wrong labels|errors in the labels|"
                                        r"label errors|噪声|噪音|错误标签|标注错误|标签.*错误"),
                "The request says the labels are noisy, so a perfect score ({target}) is impossible: on unseen "
                "examples a model would have to reproduce the wrong labels it cannot know.", perfect=True),
    Fantastical("perfect_grounding", _re(r"grounding|referring expression|\blocat(e|es|ing)\b|\bbox(es)? (of|around)"
                                         r"|定位|框出"),
                "A perfect grounding score ({target}) is out of reach: boxes drawn by hand differ by a few pixels "
                "(so IoU is never 1 on every query), some queries fit more than one object, and a model learns "
                "from the examples it is given (a handful is far too few to reach it).", perfect=True),
)


@dataclass(frozen=True)
class CapabilityVerdict:
    """Whether the agents can train what the request asks for; if not, why and what they can do instead."""

    allowed: bool
    reason: str = ""
    rule: str = ""
    """The id of the unsupported kind, planned kind or fantastical target that refused it."""
    instead: str = ""


def _text(request: str) -> str:
    return unicodedata.normalize("NFKC", request)


def _targets(spec: TaskSpec, text: str) -> list[tuple[float, str]]:
    """Score targets the request sets, as fractions with how they read: its metric constraints and any
    percentage next to a score word ("99% word accuracy", "准确率99%") the reader may not have read."""
    found = [(c.value, f"{c.name} {c.target}") for c in spec.metric_constraints
             if c.name not in LOWER_IS_BETTER and c.op in (">=", ">")]
    for m in re.finditer(r"(\d+(?:\.\d+)?)\s*%", text):
        near = text[max(0, m.start() - 40):m.end() + 40].lower()
        if re.search(r"accura|correct|precis|recall|\bf1\b|right|准确|正确|精度", near):
            found.append((float(m.group(1)) / 100, m.group(0) + " accuracy"))
    return found


def _perfect(spec: TaskSpec, targets: list[tuple[float, str]]) -> str | None:
    for value, shown in targets:
        if value >= 1.0:
            return shown
    for c in spec.metric_constraints:
        if c.name in LOWER_IS_BETTER and c.op in ("<=", "<") and c.value <= 0:
            return f"{c.name} {c.target}"
    return None


def check(spec: TaskSpec) -> CapabilityVerdict:
    """The capability verdict on ``spec`` (its request words, task type and targets); see the module docstring."""
    text = _text(spec.request)
    targets = _targets(spec, text)
    best = max(targets, default=None)
    for cap in CAPABILITIES:
        if not cap.built and cap.pattern is not None and cap.pattern.search(text):
            return CapabilityVerdict(
                False, f"{cap.title} ({cap.trains}) is planned but not built yet, so the agents cannot train it. "
                f"{trainable()}", cap.kind, "one of the kinds built today")
    task_type = spec.task_type.value if spec.task_type is not None else None
    for kind in UNSUPPORTED:
        if kind.pattern.search(text) and task_type not in kind.unless:
            reason = f"{kind.name} is not a kind of task the agents can train. {trainable()}"
            if kind.ceiling is not None and best is not None and best[0] >= kind.ceiling:
                reason += f" The target is out of reach as well ({best[1]}): {kind.ceiling_reason}."
            return CapabilityVerdict(False, f"{reason} What could be done instead: {kind.instead}.", kind.id,
                                     kind.instead)
    for rule in FANTASTICAL:
        if not rule.pattern.search(text):
            continue
        if rule.perfect:
            shown = _perfect(spec, targets)
            if shown is None:
                continue
        elif rule.needs_target is not None:
            if best is None or best[0] < rule.needs_target:
                continue
            shown = best[1]
        else:
            shown = best[1] if best else ""
        return CapabilityVerdict(False, rule.reason.format(target=shown), rule.id,
                                 "a lower target the data can support" if rule.needs_target or rule.perfect
                                 else "a model of something the data can predict")
    return CapabilityVerdict(True)
