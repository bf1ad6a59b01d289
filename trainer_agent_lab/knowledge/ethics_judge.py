"""The ethics policy's semantic judge: finds a rule's cue groups in a paraphrase that its regular expressions miss.

Each rule of :data:`~trainer_agent_lab.knowledge.ethics.RULES` needs all of its cue groups (an action, a target,
a purpose...). The regular expressions find a group by its words; the judge also finds it by meaning. Every
cue group has a :class:`~trainer_agent_lab.knowledge.ethics.Concept`: phrases that express it ("dock their pay",
"get rid of them") and look-alikes that do not ("offer them training", "review by hand"). The judge embeds
every short span (1 to 4 words, within a clause) and every short whole clause of an English request with the
packaged MiniLM encoder (:mod:`.sentence_encoder`) and takes a group as present when its regular expression
matches, or when some span is at least the rule's threshold (:data:`THRESHOLDS`) similar to one of the group's
phrases and :data:`MARGIN` more similar to it than to any of the group's look-alikes.
Only rules with at least one group found by its words are judged (so most requests cost no encoding), and a
rule refuses only when all its groups are present, so a request that merely shares
the vocabulary (employees, insurance, passports, photos) still goes through.

Why spans and groups, not whole requests: the corpus's legitimate look-alikes are written on the same topics
as the requests to refuse, and a whole-request embedding is dominated by the topic. Nearest neighbours over
whole requests (and a logistic regression on them) separated the fit half barely better than chance
(recall 0.05 at <= 2% false refusals, measured with benchmarks/judgement.py's corpus). The harm sits in one
clause ("so we can punish them"), which a span embedding isolates, and the group structure keeps the written
policy's logic: a refusal names the rule whose groups were all found, with the spans that matched.

Chinese and other languages: MiniLM is English-only; the regular expressions alone decide there.
The phrases' embeddings are cached next to this module (``ethics_phrases.npz``, rebuilt when a phrase changes).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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
        like = span_emb @ self.embeddings[[self.index[p] for p in concept.like]].T
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

    def find(self, request: str, min_groups: int = 1) -> Finding | None:
        """The rule an English ``request`` falls under by meaning, or None (also for a non-English request).

        A rule refuses when every cue group scores at least the rule's threshold (:data:`THRESHOLDS`) and the
        request is not one the rule exempts (:meth:`Rule.exempt <trainer_agent_lab.knowledge.ethics.Rule.exempt>`);
        only rules of at least ``min_groups`` cue groups are judged. Among several, the most specific (the most
        cue groups), then the one whose weakest group scores highest.
        """
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
