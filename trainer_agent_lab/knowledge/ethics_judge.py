"""The ethics policy's semantic judge: finds a rule's cue groups in a paraphrase that its regular expressions miss.

Each rule of :data:`~trainer_agent_lab.knowledge.ethics.RULES` needs all of its cue groups (an action, a target,
a purpose...). The regular expressions find a group by its words; the judge also finds it by meaning. Every
cue group has a :class:`~trainer_agent_lab.knowledge.ethics.Concept`: phrases that express it ("dock their pay",
"get rid of them") and look-alikes that do not ("offer them training", "review by hand"). The judge embeds
every short span (1 to 4 words, within a clause) and every short whole clause of an English request with the
packaged MiniLM encoder (:mod:`.sentence_encoder`).

Every English request is judged (no regular expression has to match first: a paraphrase with none of a rule's
words was what escaped before). Per rule, the learned head (:mod:`.ethics_head`, fit on the corpus's fit half)
turns the cue groups' scores and the span bank's evidence (the request's spans against the spans of refused
requests and of look-alikes) into a probability; the most probable rule refuses when it reaches
:data:`ethics_head.THRESHOLD <trainer_agent_lab.knowledge.ethics_head.THRESHOLD>` and the request is not one the
rule exempts. The refusal names the rule, per cue group what matched (a regex, or a span and its phrase) and the
refused request's span the request is nearest to. Without the head's file, the older test decides: a rule with
at least one group found by its words refuses when every group's best span reaches the rule's threshold
(:data:`THRESHOLDS`) and beats the group's look-alikes by :data:`MARGIN`.

Why spans and groups, not whole requests: the corpus's legitimate look-alikes are written on the same topics
as the requests to refuse, and a whole-request embedding is dominated by the topic. Nearest neighbours over
whole requests (and a logistic regression on them) separated the fit half barely better than chance
(recall 0.05 at <= 2% false refusals, measured with benchmarks/judgement.py's corpus). The harm sits in one
clause ("so we can punish them"), which a span embedding isolates, and the group structure keeps the written
policy's logic: a refusal names its rule, with the spans that matched.

Chinese and other languages: MiniLM is English-only; the regular expressions alone decide there.
The phrases' embeddings are cached next to this module (``ethics_phrases.npz``, rebuilt when a phrase changes).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import ethics_head
from .sentence_encoder import PACKAGE, EncoderUnavailable, SentenceEncoder

#: A span must be this similar (cosine) to one of a group's phrases (chosen on the corpus's fit half).
THRESHOLD = 0.72
#: ... and this much more similar to it than to the group's nearest look-alike.
MARGIN = 0.08
#: Per rule, the threshold chosen on the corpus's fit half (``benchmarks/judgement.py --calibrate``): the lowest
#: one at which the judge refuses none of the fit half's look-alikes, plus a safety step of 0.02.
THRESHOLDS: dict[str, float] = {
    "deny_services_protected": 0.74, "identify_individuals": 0.84, "infer_sensitive_attribute": 0.86,
    "forge_documents": 0.81,
}
MAX_SPAN_WORDS = 4
#: A whole clause is also a span when it has at most this many words (the harm often sits in one clause).
MAX_CLAUSE_WORDS = 12
CACHE = Path(__file__).with_name("ethics_phrases.npz")
_WORD = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*")


@dataclass(frozen=True)
class Finding:
    """Why the judge refuses: the rule, and per cue group what matched (a regex, or a span and its phrase)."""

    rule_id: str
    matched: tuple[str, ...]

    @property
    def rationale(self) -> str:
        """One sentence for :attr:`Verdict.rationale <trainer_agent_lab.knowledge.ethics.Verdict.rationale>`."""
        return "the request reads as " + "; ".join(self.matched)


def is_english(text: str) -> bool:
    """True when ``text`` is written in Latin letters (the encoder reads English only)."""
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 8 and sum(c.isascii() for c in letters) / len(letters) >= 0.95


def spans(text: str, max_words: int = MAX_SPAN_WORDS) -> list[str]:
    """The distinct runs of 1..``max_words`` words of ``text`` (lower-cased), never across a clause boundary,
    and every clause of at most :data:`MAX_CLAUSE_WORDS` words as a whole."""
    out: dict[str, None] = {}
    for clause in re.split(r"[,;:.!?()\[\]\"]", text.lower()):
        words = _WORD.findall(clause)
        if max_words < len(words) <= MAX_CLAUSE_WORDS:
            out[" ".join(words)] = None
        for n in range(1, max_words + 1):
            for i in range(len(words) - n + 1):
                out[" ".join(words[i:i + n])] = None
    return list(out)


def _with_content(sims: np.ndarray, span_text: list[str]) -> np.ndarray:
    """``sims`` (one row per span) with the rows of spans without content
    (:func:`ethics_head.has_content <trainer_agent_lab.knowledge.ethics_head.has_content>`) set to 0: "stays
    above" expresses no cue group, however its similarities fall."""
    keep = np.array([ethics_head.has_content(t) for t in span_text], dtype=bool)
    return np.where(keep[:, None], sims, 0.0)


def _digest(phrases: list[str]) -> str:
    return hashlib.sha256((PACKAGE + "\n" + "\n".join(phrases)).encode()).hexdigest()


class Judge:
    """The encoder and every concept phrase's embedding; :meth:`find` judges one request."""

    def __init__(self, rules: tuple, encoder: SentenceEncoder | None = None) -> None:
        self.rules = rules
        self.encoder = encoder or SentenceEncoder()
        self.phrases = sorted({p for r in rules for c in r.concepts for p in (*c.like, *c.unlike)})
        self.index = {p: i for i, p in enumerate(self.phrases)}
        self.embeddings = self._phrase_embeddings()
        self.head = self._load_head()

    def _load_head(self) -> dict | None:
        """The learned head (:mod:`.ethics_head`), or None when its file is missing or was fit on other phrases."""
        try:
            with np.load(ethics_head.HEAD, allow_pickle=False) as head:
                if str(head["digest"]) != self.head_digest():
                    return None
                return {"bank": head["bank"].astype(np.float32), "labels": head["labels"].astype(str),
                        "coef": head["coef"].astype(np.float64), "intercept": float(head["intercept"]),
                        "threshold": float(head["threshold"])}
        except (OSError, KeyError, ValueError):
            return None

    def head_digest(self) -> str:
        """What the head's features depend on: the concept phrases, the rules (order, regexes) and the encoder."""
        rules = "\n".join(r.id + "\t" + "\t".join(r.cues) for r in self.rules)
        return hashlib.sha256((_digest(self.phrases) + rules + ethics_head.FEATURES).encode()).hexdigest()

    def _phrase_embeddings(self) -> np.ndarray:
        digest = _digest(self.phrases)
        try:
            with np.load(CACHE, allow_pickle=False) as cached:
                if str(cached["digest"]) == digest:
                    return cached["embeddings"].astype(np.float32)
        except (OSError, KeyError, ValueError):
            pass
        embeddings = self.encoder.encode(self.phrases)
        try:  # a read-only install recomputes them at every start (a second), nothing worse
            np.savez(CACHE, embeddings=embeddings.astype(np.float16), digest=np.array(digest))
        except OSError:
            pass
        return embeddings

    def _group_score(self, span_emb: np.ndarray, span_text: list[str], concept) -> tuple[float, str]:
        like = _with_content(span_emb @ self.embeddings[[self.index[p] for p in concept.like]].T, span_text)
        best = like.max(1)
        if concept.unlike:
            best = np.where(best - (span_emb @ self.embeddings[[self.index[p] for p in concept.unlike]].T).max(1)
                            >= MARGIN, best, 0.0)
        i = int(np.argmax(best))
        return float(best[i]), f"'{span_text[i]}' (like '{concept.like[int(np.argmax(like[i]))]}', {best[i]:.2f})"

    def group_scores(self, request: str, min_groups: int = 1) -> dict[str, list[tuple[float, str]]]:
        """Per candidate rule, per cue group: 1.0 and the words when its regex matches, else the best span's score.

        A candidate rule has at least ``min_groups`` cue groups and at least one of them found by its words: a
        request that shares no word with any rule (most requests) costs no encoding at all. Non-English requests
        have no candidates.
        """
        if not is_english(request):
            return {}
        text = request.lower()
        candidates = [r for r in self.rules if r.concepts and len(r.cues) >= min_groups
                      and any(re.search(c, text) for c in r.cues)]
        span_text = spans(request)
        if not candidates or not span_text:
            return {}
        span_emb = self.encoder.encode(span_text)
        out: dict[str, list[tuple[float, str]]] = {}
        for rule in candidates:
            groups = []
            for cue, concept in zip(rule.cues, rule.concepts, strict=True):
                hit = re.search(cue, text)
                groups.append((1.0, f"{hit.group(0)!r} (the rule's words)") if hit
                              else self._group_score(span_emb, span_text, concept))
            out[rule.id] = groups
        return out

    def _groups(self, span_emb: np.ndarray, span_text: list[str], text: str, rule) -> tuple[np.ndarray, list[str]]:
        """Per cue group of ``rule``: (regex hit, best similarity, its margin, best beating the look-alikes) and
        what matched, in words."""
        rows, said = [], []
        for cue, concept in zip(rule.cues, rule.concepts, strict=True):
            hit = re.search(cue, text)
            like = _with_content(span_emb @ self.embeddings[[self.index[p] for p in concept.like]].T, span_text)
            best = like.max(1)
            unlike = _with_content(span_emb @ self.embeddings[[self.index[p] for p in concept.unlike]].T,
                                   span_text).max(1) if concept.unlike else np.zeros(len(best))
            i = int(best.argmax())
            kept = np.where(best - unlike >= ethics_head.MARGIN, best, 0.0)
            rows.append((1.0 if hit else 0.0, best[i], best[i] - unlike[i], kept.max()))
            said.append(f"{hit.group(0)!r} (the rule's words)" if hit else
                        f"'{span_text[i]}' (like '{concept.like[int(like[i].argmax())]}', {best[i]:.2f})")
        return np.array(rows, dtype=np.float64), said

    def features(self, request: str, span_emb: np.ndarray | None = None,
                 leave_out: np.ndarray | None = None) -> dict[str, tuple[np.ndarray, list[str]]]:
        """Per rule with concepts: the head's input vector for ``request`` and what each cue group matched.

        ``span_emb`` (the embeddings of :func:`spans`) and ``leave_out`` (bank rows to ignore) serve fitting."""
        span_text = spans(request)
        if not span_text:
            return {}
        if span_emb is None:
            span_emb = self.encoder.encode(span_text)
        text = request.lower()
        judged = [r for r in self.rules if r.concepts]
        ids = [r.id for r in judged]
        if self.head is not None:
            span_words = np.array([ethics_head.words(t) if ethics_head.has_content(t) else 0 for t in span_text])
            bank = ethics_head.bank_features(span_emb, span_words, self.head["bank"], self.head["labels"], ids,
                                             leave_out)
        else:
            bank = {i: [0.0] * ethics_head.N_BANK_FEATURES for i in ids}
        out = {}
        for k, rule in enumerate(judged):
            groups, said = self._groups(span_emb, span_text, text, rule)
            x = ethics_head.vector(k, len(judged), ethics_head.group_features(groups, rule.exempt(text)), bank[rule.id])
            out[rule.id] = (x, said)
        return out

    def _find_by_head(self, request: str, min_groups: int, against: str | None) -> Finding | None:
        rules = {r.id: r for r in self.rules}
        text = request.lower()
        best: tuple[float, Finding] | None = None
        scored = {rule_id: (ethics_head.probability(x, self.head["coef"], self.head["intercept"]), said)
                  for rule_id, (x, said) in self.features(request).items()}
        floor = max(self.head["threshold"], scored.get(against, (0.0,))[0])
        for rule_id, (p, said) in scored.items():
            rule = rules[rule_id]
            if len(rule.cues) < min_groups or rule.exempt(text):
                continue
            if p >= floor and (best is None or p > best[0]):
                best = (p, Finding(rule_id, (*said, f"probability {p:.2f} under this rule")))
        return best[1] if best else None

    def find(self, request: str, min_groups: int = 1, against: str | None = None) -> Finding | None:
        """The rule an English ``request`` falls under by meaning, or None (also for a non-English request).

        With the learned head: the most probable rule, when it reaches the head's threshold. Without it: a rule
        refuses when every cue group scores at least the rule's threshold (:data:`THRESHOLDS`); among several, the
        most specific (the most cue groups), then the one whose weakest group scores highest. Either way only
        rules of at least ``min_groups`` cue groups are judged (and, with the head, only one more probable than
        ``against``, the rule the regular expressions matched), never for a request the rule exempts
        (:meth:`Rule.exempt <trainer_agent_lab.knowledge.ethics.Rule.exempt>`).
        """
        if not is_english(request):
            return None
        if self.head is not None:
            return self._find_by_head(request, min_groups, against)
        best: tuple[tuple[int, float], Finding] | None = None
        rules = {r.id: r for r in self.rules}
        text = request.lower()
        for rule_id, groups in self.group_scores(request, min_groups).items():
            weakest = min(score for score, _ in groups)
            key = (len(groups), weakest)
            if (weakest >= THRESHOLDS.get(rule_id, THRESHOLD) and not rules[rule_id].exempt(text)
                    and (best is None or key > best[0])):
                best = (key, Finding(rule_id, tuple(said for _, said in groups)))
        return best[1] if best else None


_JUDGE: Judge | None = None
_UNAVAILABLE: str | None = None


def judge(rules: tuple) -> tuple[Judge | None, str | None]:
    """The process's judge, loaded on first use (a fraction of a second), or None with the reason it cannot load."""
    global _JUDGE, _UNAVAILABLE
    if _JUDGE is None and _UNAVAILABLE is None:
        try:
            _JUDGE = Judge(rules)
        except EncoderUnavailable as exc:
            _UNAVAILABLE = str(exc)
    return _JUDGE, _UNAVAILABLE
