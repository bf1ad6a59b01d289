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
class Concept:
    """What one cue group means, for the semantic judge: phrases that express it and look-alikes that do not."""

    like: tuple[str, ...]
    unlike: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    """One thing the agents will not build."""

    id: str
    title: str
    rationale: str
    alternative: str
    cues: tuple[str, ...]  # regular expressions; every one must match the (lower-cased) request
    #: One per cue group, in the same order: the semantic judge (:mod:`.ethics_judge`) finds a group in a
    #: paraphrase that its regular expression misses.
    concepts: tuple[Concept, ...] = ()
    #: A regular expression for the legitimate use the rule's alternative names ("specimens clearly marked as
    #: such"): where it matches, the rule refuses nothing, by its words or by meaning.
    unless: str | None = None

    def exempt(self, text: str) -> bool:
        """True when ``text`` (lower-cased) asks for the legitimate use :attr:`unless` describes."""
        return self.unless is not None and re.search(self.unless, text) is not None

    def matches(self, text: str) -> bool:
        """True when every cue group appears in ``text`` and the request is not :meth:`exempt`."""
        return all(re.search(cue, text) for cue in self.cues) and not self.exempt(text)


_DENY = (r"\b(deny|denies|denying|reject|refuse|exclude|screen out|filter out|weed out|turn (them )?(down|away)|"
         r"drop|cancel|blacklist|penali[sz]\w*|disadvantage|score( \S+){0,2} lower|favou?r|decide who gets|"
         r"(raise|higher) (their )?premiums?|"
         r"charge (them )?(more|higher)|lower (their )?(credit )?limits?|avoid (hiring|renting|lending|insuring)|"
         r"not (to )?(insure|hire|lend|rent)|declin\w*|worse (rates?|terms|interest|deals?)|never shortlists?|"
         r"pay (out )?less|higher rents?|(bottom|end|back) of the (waiting )?(pile|list|queue|ranking|line)|"
         r"(rank|sort|put|push|move)\w* (them|\w+) (last|lower|down)|(a )?(lower|last|least) priority|"
         r"deprioriti[sz]\w*|(cut|reduc\w*|withh[oe]ld\w*|withdraw\w*|stop\w*) (their )?(benefits|support|"
         r"allowances?|payments?|care|treatment))\b|"
         r"一律不|更高的(租金|利率|保费|价格)|拒绝|拒保|拒贷|拒之门外|排除|提高保费|不予|筛掉|淘汰|打低分|刷掉|"
         r"决定谁(可以|能)")
_SERVICE = (r"\b(insurance|insur\w*|coverage|loans?|lend\w*|credit|mortgages?|housing|rent\w*|tenants?|jobs?|"
            r"hir\w+|recruit\w*|cvs?|résumés?|resumes?|candidates?|employ\w*|applicants?|applications?|benefits|"
            r"admissions?|treatment|care|premiums?|interest rates?|policyholders?|claims?|shortlist\w*|job seekers?|"
            r"screening|surgery|surgical|operations?|waiting lists?|appointments?|transplants?|hospital\w*|welfare|"
            r"allowances?)\b|"
            r"求职者|面试|租客|租金|保险|寿险|保费|贷款|信贷|租房|招聘|雇佣|录用|申请人|福利|入学|治疗|审批")
_BASIS = (r"\b(health|medical|cancer|tumou?r|disease|diagnos\w*|illness|genetic|dna|disabilit\w*|disabled|"
          r"pregnan\w*|race|racial|black|ethnic\w*|minorit\w*|religio\w*|gender|sex|sexual|orientation|women|"
          r"nationality|immigra\w*|foreign\w*|age|elderly|old people|older than \d+|over (sixty|seventy|eighty|"
          r"\d+)|have children|roma|headscarf|hijab|turban|wheelchairs?|mothers?|depression|accents?|"
          r"skin colou?r|migrants?|muslims?|jewish|gay|pensioners?|hiv|aids|autis\w*|blind|deaf|"
          r"mental health)\b|breast[_ ]cancer|"
          r"diabetes|健康|病|癌|基因|残疾|怀孕|"
          r"未育|已婚|种族|少数民族|民族|宗教|伊斯兰|穆斯林|信仰|性别|女性|性取向|国籍|年龄|[\d一二三四五六七八九十]+岁以上|外地|口音")

# the sensitive attribute must be what is inferred: the verb, then the attribute within a few words
_SENSITIVE = (r"(religion|religious (beliefs?|affiliations?)|faith|sexual orientation|sexuality|gay|lesbian|"
              r"transgender|ethnicity|ethnic (origin|background)|race|political (views?|opinions?|leanings?|"
              r"affiliations?|beliefs?)|party (sympathies|preference|affiliation)|union membership|muslim|jewish|"
              r"christian|hindu|atheists?|hiv( status)?|mental illness|(are|is) pregnant|pregnancy status|same-sex|"
              r"expecting a baby|ancestry|kosher|halal|depress\w+|vote for|sexuality)")
_INFER_SENSITIVE = (r"\b(infer\w*|predict\w*|guess\w*|deduc\w*|detect\w*|determin\w*|classify|identify|reveal|"
                    r"estimat\w*|find out|figure out|work out|tell|spot|label|which|who|score\w*|sort|"
                    r"rank\w*|how likely|learn|tag)\W+(\S+\W+){0,6}?"
                    + _SENSITIVE + r"\b"
                    r"|(推断|推测|预测|猜测|猜出|识别|判断|找出|分析出|看出|区分|判定|分辨|标记)[^，,。；;]{0,12}(宗教|信仰|性取向|"
                    r"同性恋|种族|民族|政治倾向|政治立场|反对党|政党|支持.{0,4}党|怀孕|身孕|艾滋|精神疾病|穆斯林|基督徒|"
                    r"犹太|佛教徒|天主教|伊斯兰|信教|跨性别|性倾向|抑郁|精神病|工会)")
_PEOPLE = (r"\b(customers?|clients?|users?|employees?|workers?|staff|applicants?|candidates?|patients?|students?|"
           r"tenants?|voters?|visitors?|members|citizens|people|persons?|individuals?|someone|everyone|shoppers?|"
           r"profiles?)('s|s')?(?=\W|$)"
           r"|客户|顾客|用户|员工|申请人|候选人|病人|患者|学生|租户|选民|访客|会员|公民|个人|每个人|谁")
_WORKERS = (r"\b(employees?|workers?|staff|colleagues?|co-?workers?|team members?|agents?|nurses?|drivers?|"
            r"engineers?|cashiers?|pickers?|protesters?|activists?|journalists?|dissidents?|citizens|students?|"
            r"individuals?|people|persons?|neighbou?rs?|team)\b|员工|同事|职工|抗议者|记者|异见|公民|学生|个人|人员|"
            r"客服|司机|护士|保洁|下属|雇员|店员|骑手|工人")
_SINGLE_OUT = (r"\b(track|monitor|surveil\w*|spy|spying|watch\w*|profile|rank\w*|single out|pick out|point out|"
               r"flag|name|score|find (out )?(who|which|the)|identify|read (their|the team's) private|spot|catch|"
               r"leaderboard|(learn|log|see|check|figure out|work out|tell( me)?|list) (which|who)|"
               r"find the (people|ones|staff))\b|"
               r"统计每个人|监控|监视|跟踪|追踪|找出|揪出|打分|排名|分析员工|列出|挑出|筛出|标记出|点名")
_PUNISH = (r"\b(punish\w*|penali[sz]\w*|sanction\w*|fire them|firing|fired|sack\w*|dismiss\w*|let (them )?go|"
           r"get rid of|dock (their )?pay|cut (their )?(pay|bonus\w*|wages?)|disciplin\w*|arrest|report them|"
           r"secretly|covert\w*|hidden|without (their |them )?(consent|knowledge|knowing|telling)|blacklist|"
           r"retaliat\w*|write (them )?up|take it out of (their )?(wages|pay)|show (them )?the door|"
           r"lose (their )?shifts|cut (their )?hours|never (get )?promot\w*|demot\w*)\b|"
           r"调岗|降薪|降职|记过|惩罚|处罚|处分|开除|辞退|解雇|扣工资|扣.{0,6}(工资|薪|奖金|绩效)|逮捕|秘密|偷偷|悄悄|未经同意|"
           r"停职|劝退|裁掉|炒掉|炒鱿鱼|警告信|书面警告|不(给|予).{0,4}(涨薪|加薪|升职|晋升)|取消.{0,4}(奖金|晋升)")

RULES: tuple[Rule, ...] = (
    Rule("deny_services_protected",
         "Denying people services because of their health or a protected attribute",
         "Using health data or protected attributes (race, religion, sex, age, disability, pregnancy...) to deny "
         "or worsen access to insurance, credit, housing, jobs or care is discriminatory and, in most places, "
         "unlawful.",
         "A model that supports the people concerned instead: e.g. flag cases for earlier diagnosis or "
         "follow-up care, with a human deciding and no effect on their access to services.",
         (_DENY, _SERVICE, _BASIS),
         (Concept((
                   "give them a worse rate", "charge them more", "decline them", "reject their application",
                   "never shortlist them", "push them to the bottom of the pile", "pay them out less",
                   "offer them worse terms", "treat them worse", "keep them out",
                   "score them lower", "avoid hiring them", "filter them out", "turn them down", "deny them",
                   "charge them higher premiums", "give them lower credit limits", "penalise them",
                   "favour the others", "put them at the bottom of the list", "decide who gets insurance"),
                  (
                   "audit approval rates", "compare error rates between groups", "match them to accessible jobs",
                   "recommend plans that cover them", "predict claim costs", "predict late payment",
                   "ignoring name gender and age", "check error rates are similar", "audit for disparate impact",
                   "help them find cheaper plans", "recommend accessible apartments", "predict default",
                   "ask them for documents", "extra follow-up care", "forecast demand", "estimate market rent")),
          Concept((
                   "interest rate", "rents", "policyholders", "insurance claims", "job seekers", "shortlists",
                   "the screening model", "tenancy",
                   "loan applicants", "job candidates", "tenants", "insurance customers", "mortgage applicants",
                   "credit", "hiring", "rental applications"), ("machines", "products")),
          Concept((
                   "the roma community", "a particular ethnic group", "women who wear a headscarf",
                   "people in wheelchairs", "mothers with young kids", "a history of depression", "their accent",
                   "their skin colour", "migrants", "muslims", "gay couples", "single mothers", "pensioners",
                   "a chronic illness",
                   "black people", "ethnic minorities", "women who might have children", "pregnant women",
                   "people with foreign-sounding names", "immigrants", "old people", "customers over seventy",
                   "disabled people", "genetic test results", "their religion"),
                  (
                   "years of experience", "vehicle type and mileage", "certifications", "repayment history",
                   "income and debt", "payment history", "listed skills", "transaction history",
                   "missing documents", "size and floor")))),
    Rule("surveil_or_punish",
         "Covert surveillance or punishment of individuals",
         "Tracking, profiling or ranking identifiable people in order to surveil, discipline or punish them, "
         "without their knowledge, harms them and violates privacy law.",
         "An aggregate, anonymised analysis (trends, not people), or a tool the people concerned consent to.",
         (_SINGLE_OUT, _WORKERS, _PUNISH),
         (Concept((
                   "spot which ones", "catch who", "learn which staff", "log which workers",
                   "a leaderboard of the slowest", "find the people who complain", "keep a list of them",
                   "work out which staff", "check who", "identify the least productive",
                   "single out individuals", "find out who", "rank every worker", "score each employee",
                   "flag the worst ones", "identify the individuals", "pick out the worst", "watch them",
                   "monitor their screens", "read their private messages", "track their location"),
                  (
                   "measure average response times", "predict understaffed shifts", "flag safety incidents",
                   "estimate job durations", "classify tickets by urgency", "aggregate survey answers by office",
                   "forecast demand", "aggregate by department", "predict attrition", "classify tickets",
                   "recommend training", "estimate the average")),
          Concept((
                   "nurses", "drivers", "cashiers", "staff members", "my team", "everyone", "people on my team",
                   "employees", "members of staff", "workers", "colleagues", "individual employees", "the team"),
                  ("machines", "tickets", "orders", "departments")),
          Concept((
                   "write them up", "take it out of their wages", "show them the door", "lose their shifts",
                   "cut their hours", "never get promoted", "demote them", "put them on a warning",
                   "make an example of them", "move them to worse shifts", "report them to management",
                   "punish them", "fire them", "dismiss them", "let them go", "get rid of them", "dock their pay",
                   "cut their bonuses", "discipline them", "sanction them", "penalise them",
                   "without them knowing", "secretly"),
                  (
                   "staff the busy hours", "give realistic schedules", "add quiet rooms",
                   "answer the critical ones first",
                   "support them", "offer them training", "improve retention", "review by hand", "reduce workloads",
                   "help them", "fix them in time", "redesign the layout")))),
    Rule("re_identify",
         "Re-identifying people in anonymised data",
         "Linking anonymised or pseudonymised records back to named people defeats the protection the people "
         "in the data were promised.",
         "Work on the de-identified data as it is, or measure re-identification risk in order to reduce it.",
         (r"\b(re-?identif(y|ies|ying)|de-?anonymi[sz]\w*|unmask\w*|find out who|identify (the )?(real )?(people|"
          r"patients|users|individuals|persons)(?! (at (\w+ )?risk|(most )?likely|who (need|would|are likely|may|"
          r"might)|in need|needing|eligible|with (a )?(high|higher|low|increased|elevated) risk))|"
          r"(match|link)\w*( \S+){0,6} (back )?to (the )?(names|real|people|"
          r"employees|identities)|real (people|identities)|whose genome|put names? (back )?on|learn who each|"
          r"which of (our|the) \w+ (gave|wrote|sent)|name the (individuals|people|persons)|who each \w+( \w+)? is)"
          r"\b|(查出|找出).*(是谁|身份)|人名对上|对上.{0,4}(人名|名字)|"
          r"重新识别(?!风险)|去匿名|反匿名|找出.*(是谁|身份)|匿名.{0,20}(对应|关联)|真实身份",),
         (Concept((
                   "put names back on the anonymous responses", "learn who each account holder is",
                   "which of our staff gave each anonymous answer", "name the individuals in it",
                   "link the hashed emails to customers", "work out who is who", "undo the anonymisation",
                   "match the anonymised records to names", "link the anonymous answers back to the people",
                   "find the real people behind the user ids", "reveal who they are", "whose genome this is",
                   "attach real identities to the accounts"),
                  (
                   "estimate how unique each record is", "tokenised card numbers", "a synthetic version of the data",
                   "remove direct identifiers",
                   "measure the re-identification risk", "reduce the risk", "apply k-anonymity",
                   "predict length of stay", "deduplicate our records", "train a recommender", "redact names",
                   "summarise by department", "compute readmission rates")),)),
    Rule("infer_sensitive_attribute",
         "Inferring people's religion, sexual orientation, ethnicity, political opinions or health",
         "Guessing a special category of personal data (religion, sexual orientation, ethnicity or race, "
         "political opinions, union membership, health or pregnancy) about identifiable people from other data "
         "exposes them to discrimination and persecution, and needs their explicit consent in most privacy law.",
         "Use only what people chose to tell you, aggregated; or build the model for the actual business question "
         "without the sensitive attribute.",
         (_INFER_SENSITIVE, _PEOPLE),
         (Concept((
                   "how likely they are to vote for", "a same-sex relationship", "expecting a baby", "their ancestry",
                   "keep kosher or halal", "have depression", "which party they vote for", "their sexuality",
                   "their immigration status", "their caste", "their faith", "a chronic illness",
                   "which customers are gay", "their sexual orientation", "their ethnic background", "their race",
                   "which users are muslim", "their religion", "their political views", "which party they support",
                   "who is pregnant", "which employees have a mental illness", "who is transgender",
                   "their hiv status"),
                  (
                   "forum posts about religion", "miss their appointments", "self-declared ethnic groups",
                   "dietary preferences users chose", "turnout per district", "the language of each review",
                   "topics like religion and politics", "hate speech against ethnic groups", "ethnic groups",
                   "religious groups", "political parties",
                   "self-reported ethnicity column", "across gender groups", "pregnant patients in our clinic",
                   "dietary preferences they entered", "tweets about political debates",
                   "aggregate census figures", "the language of the review", "the age of the building")),
          Concept((
                   "members", "subscribers", "shoppers", "listeners", "each user", "every applicant",
                   "customers", "users", "employees", "voters", "applicants", "people"), ("documents", "articles"))),
         # a clinician screening the answers patients give to a questionnaire made for it, to offer care
         unless=r"\b(questionnaires?|screening (tools?|tests?|forms?)|phq-?\d+|gad-?7|intake forms?|self-reported "
                r"(symptoms|answers))\b.{0,80}\b(clinicians?|doctors?|nurses?|therap\w+|psychiatr\w+|counsell?\w+|"
                r"treatment|care)\b|(问卷|量表|自评).{0,30}(医生|临床|治疗|心理咨询|干预)"),
    Rule("weapons",
         "Building or improving weapons",
         "Designing, building or optimising weapons (including chemical, biological, radiological or explosive "
         "agents) can cause mass harm.",
         "Defensive or safety uses: detecting weapons or hazardous materials, e.g. in screening images.",
         (r"\b(design|build|make|making|synthesi[sz]\w*|optimi[sz]\w*|improve|develop|engineer|convert|guide|"
          r"increase the (yield|lethality)|more (lethal|toxic)|biggest blast|precursors?|recipes?|turn \w+( \w+)? "
          r"into|drop|tune|dispers\w*|aim\w*|combine\w*|hurt|kill)\b|投放|组合|配方|设计|制造|合成|自制|组装|打印|改装|"
          r"优化|改造|提高.*(杀伤|威力)|威力最大|投掷",
          r"\b(weapons?|bioweapons?|nerve agents?|sarin|vx|explosives?|bombs?|warheads?|grenades?|rifles?|guns?|"
          r"shaped charges?|(biggest|bigger|largest) (blast|explosion)|toxins?|pathogens?|viruse?s? .{0,30}spread|"
          r"payloads?|anthrax|spores|pipe (bombs?|devices?)|rockets?|missiles?|gas that (can|could|will) kill|"
          r"poison gas|nails and powder)\b|爆炸物|毒死|枪|弹药|雷管|毒气|神经毒剂|沙林|炭疽|"
          r"武器|炸弹|炸药|爆炸|毒剂|生物武器|手榴弹|病毒.{0,10}传播"),
         (Concept((
                   "turn it into something that can", "drop a payload on a crowd", "combine into a gas that can kill",
                   "tune the dispersal", "the best mix to hurt the most people", "improve the range and accuracy",
                   "aimed at a town", "so more people breathe them in",
                   "design", "make", "optimise", "improve its range", "engineer it", "make it more lethal",
                   "precursor chemicals", "recipes for", "convert it", "drop them on people", "easy to make at home"),
                  (
                   "detect drones", "dangerous to store together", "classify firearms",
                   "forecast demand for fireworks", "so hospitals can prepare", "detect explosive vapour",
                   "detect", "classify", "forecast", "keep houses safe", "avoid side effects", "store safely",
                   "plan the vaccine supply", "respond faster")),
          Concept((
                   "a payload on a crowd", "a gas that can kill people", "anthrax spores", "nails and powder",
                   "a pipe device", "a homemade rocket", "3d-printable gun", "poison gas", "chemical weapon",
                   "an attack drone",
                   "nerve agent", "more toxic than vx", "sarin", "shaped charge", "explosive device", "bomb",
                   "grenades", "rifle", "toxins to poison", "a virus that spreads faster between humans",
                   "biological weapon", "the biggest blast", "kill the most people"),
                  (
                   "drones near the airport", "household chemicals", "fireworks", "airborne disease",
                   "explosive vapour",
                   "drug toxicity", "explosives residue", "flu spread", "gunshot detection",
                   "mining blast vibration", "fertiliser yield", "landmine detection", "military aircraft photos",
                   "antibiotic resistance", "dangerous storage")))),
    Rule("identify_individuals",
         "Identifying people from their handwriting, voice, gait or face without their consent",
         "Putting names to people from their biometrics (face, voice, gait, handwriting, writing style) strips "
         "them of anonymity they did not give up: whistle-blowers, protesters, passers-by.",
         "Recognition that names no one (digits, speech to text, face detection to blur), or verification that "
         "people enrol in themselves.",
         (r"\b(who (wrote|is speaking|is in|they are|each \w+ is)|which (employee|student|person|member \S+|"
          r"\w+) wrote|put names? to|give me (their|the) names|named people|identity of|identif\w+ (the )?"
          r"(people|person|strangers?|speakers?|writers?|authors?)|finds? their (social media )?profiles|"
          r"recogni[sz]e (the )?(people|strangers?|faces)|which (caller|one) it was|names of (everyone|the people|"
          r"them)|unmask (the )?(author|writer|speaker)|who they are|attach names?)\b|"
          r"((查出|找出|认出).{0,10}(名字|姓名)|哪个人|是谁|哪位|谁打的|谁写的|姓名对应|认出)",
          r"\b(handwriting|hand-?written|writing style|voices?|recordings?|voicemails?|gait|walk|faces?|photos?|"
          r"pictures?|footage|camera|eyes|audio|cctv|stills|doorbell|shape of (their|the) letters)\b|"
          r"文风|文笔|笔迹|声音|录音|步态|走路|人脸|照片|监控|视频"),
         (Concept((
                   "tell me which caller it was", "tell me the names of everyone", "unmask the author",
                   "pull up who they are", "recognise which student", "attach names to them",
                   "find out their identity", "name the person", "who the speaker is", "reveal who wrote it",
                   "find out who", "put names to them", "identify the person", "tell who wrote it", "who is speaking",
                   "match them to named people", "determine their identity", "give me their names",
                   "find their profiles", "unmask them"),
                  (
                   "transcribe it into text", "blur the faces", "enrolled themselves", "count the shoppers",
                   "recognise handwritten letters",
                   "without identifying anyone", "recognise digits", "transcribe the speech", "detect a face",
                   "count the people", "verify their own signature", "their own face unlock",
                   "when the speaker changes", "which script it is", "classify species")),
          Concept((
                   "the voice", "leaked audio", "cctv stills", "doorbell camera", "the shape of their letters",
                   "their faces", "street photos",
                   "handwriting", "voice recordings", "gait", "the way they walk", "face photos", "camera footage",
                   "crowd photos", "writing style"), ("product photos", "sensor readings", "scanned digits"))),
         # naming no one is the rule's alternative
         unless=(r"\b(without|never|not) (identifying|naming|recogni[sz]ing|revealing) (anyone|anybody|who|the "
                 r"(people|speakers?|persons?|writers?))\b|不(去)?(识别|认出|查出|辨认|确认)(出)?(是谁|身份|任何人)")),
    Rule("stalking",
         "Locating, following or watching a particular person",
         "Finding out where a particular person lives, goes or will be, from their posts, photos, phone or car, "
         "is stalking: it puts them in danger and is a crime in most places.",
         "Location models over people who opted in, or aggregates (demand, traffic, foot fall) that follow no one.",
         (r"\b(my (ex|former|neighbou?r|coworker|colleague|boss)\S*|(a|one|that|this) (particular|specific|certain) "
          r"\w+|(the|a|that) ((young|teenage|little|pretty|beautiful|cute|single|local) )?(girl|woman|man|boy|"
          r"streamer|journalist|teenager|actress|actor|influencer|singer)|(ex-?|former )(girlfriend|boyfriend|"
          r"wife|husband|partner)|my (old )?(flatmate|roommate|sister\S*|brother\S*|crush|online match|date)|"
          r"(a|the) famous \w+|the \w+ i (like|fancy))\b|"
          r"前同事|那个\S{0,3}[女男]|前女友|前男友|前妻|前夫|某位|某个|那个女生|她(?!们)|他(?!们)",
          r"\b(where (she|he|they|\S+( \S+)?) (will be|lives?|goes|is)|phone location|location history|"
          r"whereabouts|home address|new address|(her|his) (phone )?location|"
          r"leaves the house|daily routine|which building|geolocat\w*|follow\w* (her|his|them|the car)|"
          r"whenever (she|he) posts|timeline of where|plate reader|gets home|(she|he) is staying|keep tabs|"
          r"movements|lives on|finishes (her|his) shift|wait for (her|him)|which (gym|hotel|street|school)|"
          r"(she|he) goes to|tracker|(is|are) staying( at)?)\b|"
          r"几点下班|哪条路|行程|住在哪|住址|位置|小区|楼栋|去过哪些地方|行踪"),
         (Concept((
                   "my old flatmate", "a famous actress", "my sister-in-law", "my online match", "the barista i like",
                   "my ex", "a girl i met", "one person", "my crush",
                   "my ex-girlfriend", "my former wife", "my ex-husband", "my neighbour", "one specific coworker",
                   "a particular journalist", "a certain woman", "that girl"),
                  (
                   "users who chose to share", "the buses", "docking stations", "park visitors", "delivery addresses",
                   "the nearest pharmacy",
                   "the couriers", "users who opted in", "customers", "wolves", "the accounts", "stations")),
          Concept((
                   "what time she gets home", "the hotel she is staying at", "keep tabs on her movements",
                   "the street he lives on", "when she finishes her shift", "which gym he goes to",
                   "wait for her outside", "a tracker hidden in her car", "show up where she is",
                   "where she will be", "her home address", "where he lives", "his phone location",
                   "when he leaves the house", "where she goes", "her daily routine", "follow his car"),
                  (
                   "bike-share demand", "live location with friends they choose", "visitor numbers",
                   "arrival time of buses", "plan van routes",
                   "delivery arrival times", "demand at each station", "unusual login locations",
                   "traffic congestion", "nearby restaurants", "foot traffic per shop", "the fastest route")))),
    Rule("manipulate_vulnerable",
         "Manipulating or exploiting vulnerable people",
         "Singling out people made vulnerable by addiction, age, illness, grief, debt or youth in order to push "
         "them into spending, borrowing or betting exploits the very weakness that should protect them.",
         "The protective version: detect the vulnerable situation to offer support, limits or a human check.",
         (r"\b(gambl\w*|addict\w*|alcoholics?|memory problems|dementia|cognitive decline|elderly|lonely|"
          r"grieving|widows?|financial distress|desperate|debt|emotionally (low|vulnerable)|impulsive|children|"
          r"teenagers?|vulnerable|stay up \w+ all night|pensioners?|confused|kids|hooked|lost a (family member|"
          r"loved one|partner|child)|behind on (their )?(bills|payments|rent)|feel(ing)? down|bereaved)\b|"
          r"独居|老人|欠债|负债|赌瘾|成瘾|记忆力衰退|老年|孤独|情绪低落|经济困难|绝望|未成年",
          r"\b(keep (them )?(betting|playing|spending)|(sell|push|pressure|target)\w* (them|.{0,60}(ads?|loans?|"
          r"policies|offers))|bonus offers|loot boxes|fall for|purchase prompts|costlier|buying .{0,20}again|"
          r"high-interest|payday|exploit\w*|take advantage|deposit bonus\w*|auto-?renew\w*|paid \w+ offers|"
          r"pricey|countdown timers?|(high|\d+%) apr|impulse\W\w+|upsell\w*|nudge \w+ to spend)\b|"
          r"推送.{0,10}(广告|提示)|高利贷|保健品|继续下注|推销|诱导|充值|高息|高价"),
         (Concept((
                   "stay up gambling all night", "pensioners who get confused", "kids hooked on the game",
                   "people who just lost a family member", "behind on their bills", "feel down late at night",
                   "people in debt", "problem gamblers", "people with dementia",
                   "gambling addicts", "elderly people with memory problems", "lonely teenagers",
                   "people in financial distress", "grieving widows", "emotionally low users", "impulsive children",
                   "recovering alcoholics"), ("adults aged 25 to 40", "donors", "subscribers")),
          Concept((
                   "time our deposit bonuses", "auto-renew them onto the premium plan", "show them paid offers",
                   "send them pricey packages", "show them high-interest loans first",
                   "push impulse-buy notifications", "countdown timers", "upsell them", "nudge them to spend more",
                   "make them deposit more",
                   "keep them betting", "sell them things they don't need", "push loans on them",
                   "fall for our pitch", "move them to costlier plans", "show them more loot boxes",
                   "pressure them into borrowing", "take advantage of them"),
                  (
                   "offer a payment plan", "alert a carer they named", "let them set spending limits",
                   "age-appropriate games", "block misleading ads", "forecast renewals",
                   "offer them support", "offer self-exclusion", "nurses visit them", "call to check",
                   "offer a payment holiday", "show them the helpline", "offer them extra help",
                   "screen for depression", "forecast revenue"))),
         # limits and support for the vulnerable person are the rule's alternative
         unless=(r"\b(set|offer|suggest|enforce|apply)\w* (\w+ ){0,3}(spending|deposit|betting|time|loss) limits?\b|"
                 r"\bself-exclusion\b|(提醒|帮助|建议|允许|让).{0,12}(设置|设定).{0,6}(上限|限额)")),
    Rule("forge_documents",
         "Forging identity documents",
         "Fake or altered passports, ID cards, licences, permits and certificates enable fraud and identity "
         "theft, and making them is a crime.",
         "Document security: detect forged or tampered documents, read genuine ones, or train detectors on "
         "specimens clearly marked as such.",
         (r"\b(generat\w*|produc\w*|creat\w*|mak\w*|fabricat\w*|forg(e|ing)|fake|counterfeit|edit|synthetic|"
          r"fool|pass|get past|print\w*|alter\w*|mass-produc\w*|swap|doctor\w*|convincing|authentic)\b|"
          r"做一张|用别人|修改|生成|(?<!检测)(?<!识别)伪造|合成|批量|假(?!钞)",
          r"\b(passports?|driver'?s licen[cs]es?|id cards?|national ids?|identity (documents?|checks?|"
          r"verification)|utility bills?|payslips?|birth certificates?|residence permits?|diplomas?|id badges?|"
          r"kyc|driving licen[cs]es?|identity cards?|student (cards?|ids?)|visas?|bank statements?|"
          r"work permits?)\b|驾驶证|签证|身份证|驾照|护照|证件|实名认证|银行流水|工资单|收入证明|学历|"
          r"毕业证|学位证|文凭|房产证|户口本|出生证明|营业执照|结婚证|居住证|学生证|社保卡"),
         (Concept((
                   "make me a", "turn a photo into a convincing", "print convincing", "alter the date of birth",
                   "mass-produce", "swap my face onto", "so they look authentic", "for non-existent people",
                   "with someone else's details", "doctor the document",
                   "generate fake", "produce counterfeit", "forge", "fabricate", "make a fake",
                   "pass identity checks", "fool the checks", "replace the face", "under someone else's name",
                   "for people who don't exist", "with a stolen identity"),
                  (
                   "detect altered dates", "extract the expiry date", "meets the official photo rules",
                   "spot tampered statements", "predict renewal times", "recognise the issuing country",
                   "detect forged", "spot counterfeit", "classify documents", "extract the name",
                   "read the machine-readable zone", "predict processing time", "detect deepfakes",
                   "clearly marked specimen", "check the photo matches", "detect tampering")),
          Concept((
                   "driving licence", "identity card", "student cards", "visas", "bank statements", "passport page",
                   "work permit",
                   "passport", "driver's licence", "id card", "birth certificate", "residence permit",
                   "identity verification"), ("invoices", "banknotes", "customer records"))),
         # the alternative itself: detectors trained on specimens that say so on their face
         unless=(r"\b((clearly |visibly )?(marked|stamped|labell?ed|watermarked|printed)( with| as)? (a |the )?"
                 r"[\"'“]?(specimen|sample|void)\b|specimen (documents?|images?|cards?|passports?|licen[cs]es?)\b)|"
                 r"(印有|标有|标注).{0,4}(样本|样张|specimen)|"
                 r"\b(detect|spot|flag|catch|check for|classify)\w*\s+(\w+\s+){0,2}(altered|forged|fake|counterfeit|"
                 r"tampered|doctored|fraudulent|manipulated)\b|(检测|鉴别|识别出?)[^，,。；;]{0,4}(伪造|篡改|假)")),
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
    #: Something a person should know about how the verdict was reached (e.g. the semantic judge could not run).
    note: str = ""

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


#: Who refuses when the semantic judge finds every cue group of a rule in a paraphrase.
JUDGE = "the offline policy's semantic judge (MiniLM)"


def check(request: str, *, semantic: bool = True) -> Verdict:
    """Check a request against the policy (offline, deterministic).

    The rules' regular expressions decide first; where several rules match, the most specific one (the most cue
    groups: an action, a target and a basis say more than an action alone) names the refusal, the first in
    :data:`RULES` among equals. When they allow an English request, or when a rule with more cue groups than
    the one they matched has some of its words in it, the semantic judge (:mod:`.ethics_judge`, loaded on first
    use) looks for every cue group of a rule by meaning and refuses under the most specific rule it finds, naming
    the spans that matched. Without the encoder (the ``text`` extra), or with ``semantic=False``, the regular
    expressions alone decide; the verdict's ``note`` says so.
    """
    text = request.lower()
    matched = max((r for r in RULES if r.matches(text)), key=lambda r: len(r.cues), default=None)
    if matched is not None and (not semantic or not any(
            len(r.cues) > len(matched.cues) and not r.exempt(text) and any(re.search(c, text) for c in r.cues)
            for r in RULES)):
        return Verdict(False, matched)
    if not semantic:
        return Verdict(True)
    from .ethics_judge import is_english, judge

    if not is_english(request):
        return Verdict(False, matched) if matched else Verdict(True)
    judge_, unavailable = judge(RULES)
    if judge_ is None:
        if matched:
            return Verdict(False, matched)
        return Verdict(True, note=f"The ethics policy's semantic judge could not run ({unavailable}); its "
                                  "written rules alone checked the request.")
    finding = judge_.find(request, min_groups=len(matched.cues) + 1 if matched else 1,
                          against=matched.id if matched else None)
    if finding is None:
        return Verdict(False, matched) if matched else Verdict(True)
    return Verdict(False, rule_by_id(finding.rule_id), decided_by=JUDGE, rationale=finding.rationale)
