"""The ethics policy: what the agents refuse to build, why, and what they offer instead.

The policy is data. Each rule needs *all* of its cue groups to appear in the request (an action, a target
and, where it matters, a basis), so a request that merely mentions insurance, weapons or health goes
through: over-refusal is a defect.

An LLM moderation step, when a model is configured, adds to this check and never replaces it
(:func:`combine`):

- the offline policy refuses: refused, whatever the model says (the model is not asked);
- the offline policy allows and the model refuses *naming one of the rules below* (by ``id``): refused under
  that rule, with the rule's rationale, the model's own rationale and its alternative (or the rule's);
- the offline policy allows and the model refuses without naming a rule here, or without a rationale:
  allowed. The model may only enforce the written policy, and must say why; its concern is reported (a Task
  agent message and a run note) with its rationale, so a person can judge it. This keeps a cautious model
  from over-refusing;
- the model fails (no answer, invalid JSON, an answer that fails :class:`Moderation`): the offline verdict
  alone, with a note saying so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field


@dataclass(frozen=True)
class Rule:
    """One thing the agents will not build."""

    id: str
    title: str
    rationale: str
    alternative: str
    cues: tuple[str, ...]  # regular expressions; every one must match the (lower-cased) request

    def matches(self, text: str) -> bool:
        """True when every cue group appears in ``text``."""
        return all(re.search(cue, text) for cue in self.cues)


_DENY = (r"\b(deny|denies|denying|reject|refuse|exclude|screen out|turn away|drop|cancel|blacklist|raise (their )?"
         r"premiums?|charge (them )?more|not (to )?(insure|hire|lend))\b|拒绝|拒保|拒贷|拒之门外|排除|提高保费|不予")
_SERVICE = (r"\b(insurance|insur\w*|coverage|loans?|credit|mortgages?|housing|rent\w*|tenants?|jobs?|hir\w+|"
            r"employ\w*|applicants?|benefits|admissions?|treatment|care)\b|保险|贷款|信贷|租房|招聘|雇佣|录用|申请人|福利|入学|治疗")
_BASIS = (r"\b(health|medical|cancer|tumou?r|disease|diagnos\w*|illness|genetic|dna|disabilit\w*|pregnan\w*|"
          r"race|racial|ethnic\w*|religio\w*|gender|sex|sexual|orientation|nationality|immigra\w*|age|elderly|"
          r"old people)\b|breast[_ ]cancer|diabetes|健康|病|癌|基因|残疾|怀孕|种族|民族|宗教|性别|性取向|国籍|年龄")

# the sensitive attribute must be what is inferred: the verb, then the attribute within a few words
_SENSITIVE = (r"(religion|religious (beliefs?|affiliations?)|faith|sexual orientation|sexuality|ethnicity|ethnic "
              r"origin|race|political (views?|opinions?|leanings?|affiliations?|beliefs?)|union membership)")
_INFER_SENSITIVE = (r"\b(infer\w*|predict\w*|guess\w*|deduc\w*|detect\w*|determin\w*|classify|identify|reveal|"
                    r"find out|work out|label)\W+(\S+\W+){0,6}?" + _SENSITIVE + r"\b"
                    r"|(推断|预测|猜测|识别|判断|找出).{0,12}(宗教|信仰|性取向|种族|民族|政治倾向|政治立场)")
_PEOPLE = (r"\b(customers?|clients?|users?|employees?|workers?|staff|applicants?|candidates?|patients?|students?|"
           r"tenants?|voters?|visitors?|members|citizens|people|persons?|individuals?|someone|everyone)('s|s')?(?=\W|$)"
           r"|客户|用户|员工|申请人|候选人|病人|患者|学生|租户|选民|访客|会员|公民|个人|每个人")

RULES: tuple[Rule, ...] = (
    Rule("deny_services_protected",
         "Denying people services because of their health or a protected attribute",
         "Using health data or protected attributes (race, religion, sex, age, disability, pregnancy...) to deny "
         "or worsen access to insurance, credit, housing, jobs or care is discriminatory and, in most places, "
         "unlawful.",
         "A model that supports the people concerned instead: e.g. flag cases for earlier diagnosis or "
         "follow-up care, with a human deciding and no effect on their access to services.",
         (_DENY, _SERVICE, _BASIS)),
    Rule("surveil_or_punish",
         "Covert surveillance or punishment of individuals",
         "Tracking, profiling or ranking identifiable people in order to surveil, discipline or punish them, "
         "without their knowledge, harms them and violates privacy law.",
         "An aggregate, anonymised analysis (trends, not people), or a tool the people concerned consent to.",
         (r"\b(track|monitor|surveil\w*|spy|spying|watch|profile|rank)\b|监控|监视|跟踪|追踪",
          r"\b(employees?|workers?|staff|protesters?|activists?|journalists?|dissidents?|citizens|students?|"
          r"individuals?|people|persons?|neighbou?rs?)\b|员工|抗议者|记者|异见|公民|学生|个人",
          r"\b(punish\w*|fire them|firing|discipline|arrest|report them|secretly|covert\w*|without (their )?"
          r"(consent|knowledge)|blacklist|retaliat\w*)\b|惩罚|开除|逮捕|秘密|偷偷|未经同意")),
    Rule("re_identify",
         "Re-identifying people in anonymised data",
         "Linking anonymised or pseudonymised records back to named people defeats the protection the people "
         "in the data were promised.",
         "Work on the de-identified data as it is, or measure re-identification risk in order to reduce it.",
         (r"\b(re-?identif\w*|de-?anonymi[sz]\w*|unmask\w*|find out who|identify (the )?(real )?(people|patients|"
          r"users|individuals|persons))\b|重新识别|去匿名|反匿名|找出.*(是谁|身份)",)),
    Rule("infer_sensitive_attribute",
         "Inferring people's religion, sexual orientation, ethnicity or political opinions",
         "Guessing a special category of personal data (religion, sexual orientation, ethnicity or race, "
         "political opinions, union membership) about identifiable people from other data exposes them to "
         "discrimination and persecution, and needs their explicit consent in most privacy law.",
         "Use only what people chose to tell you, aggregated; or build the model for the actual business question "
         "without the sensitive attribute.",
         (_INFER_SENSITIVE, _PEOPLE)),
    Rule("weapons",
         "Building or improving weapons",
         "Designing, building or optimising weapons (including chemical, biological, radiological or explosive "
         "agents) can cause mass harm.",
         "Defensive or safety uses: detecting weapons or hazardous materials, e.g. in screening images.",
         (r"\b(design|build|make|making|synthesi[sz]\w*|optimi[sz]\w*|improve|develop|increase the (yield|"
          r"lethality)|more lethal)\b|设计|制造|合成|优化|提高.*(杀伤|威力)",
          r"\b(weapons?|bioweapons?|nerve agents?|explosives?|bombs?|warheads?|toxins? for harm|pathogens? to "
          r"infect)\b|武器|炸弹|炸药|毒剂|生物武器")),
)


@dataclass(frozen=True)
class Verdict:
    """The policy's answer: allowed, or the rule that refuses the request (and who applied it)."""

    allowed: bool
    rule: Rule | None = None
    #: "the offline policy", or the LLM moderation step that applied the rule (e.g. "the model gpt-4o-mini").
    decided_by: str = "the offline policy"
    #: The moderating model's own rationale, when a model applied the rule.
    rationale: str = ""
    #: The moderating model's legitimate alternative; the rule's own alternative when empty.
    alternative: str = ""

    @property
    def reason(self) -> str:
        """Why the request is refused, and what the agents can do instead."""
        if self.rule is None:
            return ""
        text = f"Refused: {self.rule.title.lower()}. {self.rule.rationale}"
        if self.rationale:
            text += f" ({self.decided_by} applied this rule: {self.rationale.rstrip('.')}.)"
        return text + f" What I can build instead: {self.alternative or self.rule.alternative}"


class Moderation(BaseModel):
    """A moderating model's answer about one request (the JSON it must reply with)."""

    decision: Literal["allow", "refuse"]
    #: The ``id`` of the policy rule the request falls under; null when allowed (or when no rule fits).
    rule: str | None = None
    rationale: str = Field(default="", max_length=2000)
    #: A legitimate model the agents could build instead, if any.
    alternative: str | None = Field(default=None, max_length=2000)


def rule_by_id(rule_id: str | None) -> Rule | None:
    """The policy rule called ``rule_id`` (case and spaces aside), or None."""
    key = re.sub(r"[\s\-]+", "_", (rule_id or "").strip().lower())
    return next((r for r in RULES if r.id == key), None)


def combine(offline: Verdict, opinion: Moderation | None, decided_by: str = "the LLM moderation step"
            ) -> tuple[Verdict, str | None]:
    """The final verdict from the offline one and a model's ``opinion`` (None: no usable opinion), and a note.

    See the module docstring for the rule. The note (None when there is nothing to say) reports a model's
    refusal that names no policy rule, with its rationale; it does not refuse the request.
    """
    if not offline.allowed or opinion is None or opinion.decision == "allow":
        return offline, None
    rule = rule_by_id(opinion.rule)
    rationale = " ".join(opinion.rationale.split())
    if rule is None or not rationale:
        named = (f" (it named {opinion.rule!r}, which is not a rule of the policy)" if rule is None and opinion.rule
                 else " (it named no rule of the policy)" if rule is None else f" under {rule.id}, without a rationale")
        return offline, (f"{decided_by[:1].upper()}{decided_by[1:]} would refuse this request{named}: "
                         f"{rationale or 'no rationale given'}. The written policy does not forbid it, so the run "
                         "goes on; judge the concern yourself.")
    return Verdict(False, rule, decided_by=decided_by, rationale=rationale,
                   alternative=" ".join((opinion.alternative or "").split())), None


def check(request: str) -> Verdict:
    """Check a request against the policy (offline, deterministic)."""
    text = request.lower()
    for rule in RULES:
        if rule.matches(text):
            return Verdict(False, rule)
    return Verdict(True)
