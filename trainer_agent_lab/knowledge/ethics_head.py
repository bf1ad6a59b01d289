"""The semantic judge's learned head: per (request, rule), how likely the rule forbids the request.

The concept phrases (:class:`~trainer_agent_lab.knowledge.ethics.Concept`) carried paraphrases only as far as
their words reached: on requests phrased in new ways (batch 3 of the corpus) the judge caught 0.556 of the English
refusals. The head adds what the labelled corpus knows. Its features, per rule, for one request:

- the cue groups: per group the regular expression's hit, the best span's similarity to the group's phrases and
  its margin over the look-alikes (the min and mean over groups, as :func:`group_features` lists them);
- the *span bank*: every span of two or more words of the corpus's fit half, labelled with the rule its request
  falls under ("" for a look-alike). A request span that is closer to a refused request's span of this rule than
  to any look-alike's span is evidence (``nearest refusal - nearest look-alike``): the harm sits in one clause,
  and a look-alike on the same topic cancels the topic's words;
- the rule itself (one-hot), so each rule has its own bias.

Spans without content (:func:`has_content`: only function words, numbers and light verbs such as "stays above",
"must be at least") take part in neither: their similarity to a phrase is noise, yet its margin over the
look-alikes (all written with content words) can be large. "precision stays above 0.9" read as "keep them out"
(0.45, margin 0.23) and, with a screening data set's words, refused a cancer screening model.

A logistic regression over them (:func:`fit`, on the fit half only, each fit request's own spans left out of the
bank while its features are computed) gives the probability; the judge refuses under the most probable rule when
it reaches :data:`THRESHOLD`. ``benchmarks/judgement.py --fit`` refits it and writes ``ethics_head.npz``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

HEAD = Path(__file__).with_name("ethics_head.npz")
#: The probability at which the head refuses: where the fit half's false refusals (own spans left out) fell to ~4%
#: (0.6 for the first head; 0.7 since features version 2: 4.3% there, 6.9% at 0.6).
THRESHOLD = 0.7
#: The regularisation of the logistic regression (inverse strength).
C = 3.0
#: A span of the bank has at least this many words (single words are topic, not harm).
MIN_BANK_WORDS = 2
#: What a span's best phrase must beat the group's nearest look-alike by, for the margin feature.
MARGIN = 0.08
N_GROUP_FEATURES = 8
N_BANK_FEATURES = 3
#: The version of the features' definition: part of the head's digest, so a head fit on other features is unused.
FEATURES = "2: spans without content ignored"
#: Words that carry no cue by themselves: articles, pronouns, prepositions, conjunctions, auxiliaries and modals,
#: comparison words of metric targets, and light verbs. Negations ("not", "never", "no") are content.
FUNCTION_WORDS = frozenset("""
a an the this that these those it its it's they them their theirs we us our you your i me my he him his she her
of to in on at by for from with within without into onto over under above below between about than as per via
and or but nor so while whereas if then when where which who whom whose what how also too very more most less
least much many each every any all some both either neither such only just even still yet again up down out off
is are was were be been being am do does did done doing have has had having can could may might must shall
should will would stay stays stayed staying remain remains remained remaining keep keeps kept keeping hold holds
held holding get gets got getting make makes made making go goes went going become becomes became seem seems
reach reaches reached stand stands lie lies sit sits fall falls rise rises
""".split())


def group_features(groups: np.ndarray, exempt: bool) -> list[float]:
    """Features of one rule's cue groups: ``groups`` has one row per group of (regex hit, best phrase similarity,
    its margin over the look-alikes, best similarity among spans that beat the look-alikes by :data:`MARGIN`)."""
    hit, best, margin, kept = groups.T
    found = np.maximum(hit, best)
    found_kept = np.maximum(hit, kept)
    return [float(found.min()), float(found.mean()), float(found_kept.min()), float(best.min()), float(hit.mean()),
            float(hit.all()), float(margin.min()), float(exempt)]


def bank_features(span_emb: np.ndarray, span_words: np.ndarray, bank: np.ndarray, labels: np.ndarray,
                  rule_ids: list[str], leave_out: np.ndarray | None = None) -> dict[str, list[float]]:
    """Per rule: the best ``nearest refusal of the rule - nearest look-alike`` over the request's spans of
    :data:`MIN_BANK_WORDS` or more words, the refusal similarity at that span, and the mean of the best three.

    ``leave_out`` masks bank rows (the request's own spans, while fitting)."""
    sims = span_emb @ bank.T
    if leave_out is not None:
        sims[:, leave_out] = -1.0
    allow = np.where(labels == "", sims, -1.0).max(1) if len(sims) else np.zeros(0)
    out = {}
    for rule_id in rule_ids:
        refuse = np.where(labels == rule_id, sims, -1.0).max(1)
        diff = np.where(span_words >= MIN_BANK_WORDS, refuse - allow, -1.0)
        if not len(diff):
            out[rule_id] = [-1.0, -1.0, -1.0]
            continue
        i = int(diff.argmax())
        out[rule_id] = [float(diff[i]), float(refuse[i]), float(np.sort(diff)[-3:].mean())]
    return out


def vector(rule_index: int, n_rules: int, groups: list[float], bank: list[float]) -> np.ndarray:
    """The head's input for one (request, rule)."""
    onehot = [0.0] * n_rules
    onehot[rule_index] = 1.0
    return np.array(groups + bank + onehot, dtype=np.float64)


def fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Logistic regression weights and intercept (balanced classes) for features ``x`` and labels ``y``."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C, max_iter=5000, class_weight="balanced").fit(x, y)
    return model.coef_[0].astype(np.float64), float(model.intercept_[0])


def probability(x: np.ndarray, coef: np.ndarray, intercept: float) -> float:
    """The head's probability for one input vector."""
    return float(1.0 / (1.0 + np.exp(-(x @ coef + intercept))))


def words(span: str) -> int:
    """How many words a span has."""
    return len(re.findall(r"\S+", span))


def has_content(span: str) -> bool:
    """True when a (lower-cased) span has a word that is neither a number nor one of :data:`FUNCTION_WORDS`."""
    return any(w not in FUNCTION_WORDS and not re.fullmatch(r"[\d.,%]+", w) for w in span.split())
