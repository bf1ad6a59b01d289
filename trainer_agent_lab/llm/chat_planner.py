"""The chat planner any chat model plugs into: prompts, validation and the merge with the rule-based reading.

A chat planner never makes a run depend on the model: :meth:`ChatPlanner.parse_request` reads the
request with the rule-based reader too, validates the model's JSON against :class:`TaskSpec`, merges the two
(the model's answer wins where it says something, the rules' reading fills the rest, the user's data and
time budget win over both) and falls back to the rules' reading, with a note, when the model fails or
answers nonsense. :meth:`~ChatPlanner.moderate`, :meth:`~ChatPlanner.explain` and
:meth:`~ChatPlanner.propose_repair` return ``None`` then, and callers keep their offline answer (the offline
ethics verdict, their templates, the offline repair rules).
"""

from __future__ import annotations

import ast
import json
import logging
import re
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from ..errors import LLMError
from ..knowledge.datasets import BUNDLED_TARGETS
from ..knowledge.ethics import Moderation
from ..spec import (
    LOWER_IS_BETTER,
    METRICS,
    RESOURCE_CONSTRAINTS,
    Constraint,
    FeatureRequirements,
    TaskSpec,
    spec_json_schema,
)
from . import rule_reader
from .annotation import ANNOTATION_SCHEMA, annotation_messages, read_annotations
from .base import Message
from .moderation import MODERATION_SCHEMA, moderation_messages, read_moderation
from .vocabulary import HINT_PATTERNS

__all__ = ["ChatPlanner", "merge_specs", "parse_messages", "read_spec"]

log = logging.getLogger("trainer_agent_lab.llm")
log.addHandler(logging.NullHandler())  # front doors show the notes themselves; an app may add a handler

#: Hints a model may set (the rule-based reader's vocabulary); ``asked_target:...`` is handled apart.
KNOWN_HINTS = frozenset(hint for hint, _ in HINT_PATTERNS)


# ------------------------------------------------------------------------------------------ prompts
PARSE_SYSTEM = """\
You turn a request for a machine-learning model into one JSON object that matches the JSON schema below \
(the TaskSpec schema). Reply with the JSON object only: no prose, no code fence.

Rules:
- "request": the user's words, verbatim. "language": "zh" if the request is in Chinese, "en" if in English, \
else "other".
- "constraints": one object {{"name", "op", "value"}} per measurable requirement the request states; \
"op" is one of ">=", ">", "<=", "<".
  - metric names: {metrics}. Metric values are fractions: 95% accuracy is 0.95. mae and rmse are in the \
target's units and need "<=" or "<"; the other metrics need ">=" or ">".
  - resource names: "parameters" (count of trainable parameters), "onnx_bytes" (model file size in bytes), \
"p50_ms" / "p99_ms" (median / 99th-percentile prediction latency in milliseconds; a latency with no \
percentile is p99_ms), "replica_memory_mb" (memory one serving replica may use, in MB), "n_inputs" (how \
many input columns the model reads: "at most 3 measurements" is {{"name": "n_inputs", "op": "<=", "value": 3}}).
- "qps": requests per second the deployment must serve. "container_memory_mb": memory of one container, in MB.
- "time_budget_s": training time allowed, in seconds.
- "task_type": classification, regression, text_classification or image_classification; null when the \
request does not say and the data must decide.
- "target": the column to predict, only when the request names a column; "positive_label": the class that \
precision/recall/F1 are about, in the request's words.
- "data": data references the request writes (file or folder paths as written, or sklearn:NAME for the \
bundled sets {bundled}). Do not invent paths.
- "report_metrics": metrics asked for without a target. "optimize": the metric to optimise, if the request \
names one.
- "quantize_int8": true only when the request asks for int8 / 8-bit / quantisation.
- "hints": any of {hints} that the request mentions.
- "features": what the request says about the model's inputs: "max_inputs" (the most input columns, the \
same N as the n_inputs constraint), "only" (the only columns it may read), "never" (columns it must not read; \
"protected attributes" as written when the request names the category), each column as the request writes \
it; "interpretable": true when a person must be able to check the model by hand (linear, a shallow tree); \
"monotonic": column -> "increasing" or "decreasing" when the prediction must move one way with it, \
"from_data" when the request gives no direction. Leave "features" out when the request says nothing about inputs.
- "not_understood": each clause of the request, verbatim, that states a requirement none of the fields above \
can express (for example "it must run on a GPU", "explanations for every prediction"); [] when there is none.
Leave out anything the request does not state; never guess numbers.

JSON schema:
{schema}
"""

EXPLAIN_SYSTEM = ("You are the Task agent of TrainerAgent, explaining a step of a machine-learning notebook to the "
                  "person who asked for the model. Answer in plain words, in at most five sentences, in the "
                  "language of the text you are given.")

REPAIR_SYSTEM = ("You fix a Jupyter notebook cell that raised an error. Reply with the complete corrected cell in "
                 "one ```python code block and nothing else. Keep what the cell is meant to do, its first line "
                 "(the '# why' comment) and its calls that hand results back (_report(...)); names that earlier "
                 "cells defined are available. Use only public libraries (pandas, numpy, scikit-learn, torch, "
                 "onnx, onnxruntime, matplotlib, plotly); never import trainer_agent_lab. If you cannot fix it, "
                 "reply NO_FIX.")

_FENCE_RE = re.compile(r"```[ \t]*(?:json|python|py|ipython|python3)?[ \t]*\n(.*?)```", re.S | re.I)
_ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_MAGIC_RE = re.compile(r"^\s*[%!].*$", re.M)


def parse_messages(text: str, data: list[str] | None = None) -> list[Message]:
    """The chat that asks a model to read ``text`` into a TaskSpec (the schema goes in the system message)."""
    system = PARSE_SYSTEM.format(metrics=", ".join(METRICS), bundled=", ".join(f"sklearn:{n}" for n in BUNDLED_TARGETS),
                                 hints=", ".join(sorted(KNOWN_HINTS)), schema=json.dumps(spec_json_schema()))
    user = text if not data else f"{text}\n\n(The user also passed this data: {', '.join(data)})"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


# -------------------------------------------------------------------------------- reading and merging
def _json_object(raw: str) -> dict[str, Any]:
    """The JSON object in a model's answer (a code fence or text around it is tolerated)."""
    fenced = _FENCE_RE.search(raw)
    candidates = [fenced.group(1)] if fenced else []
    candidates.append(raw)
    start, end = raw.find("{"), raw.rfind("}")
    if 0 <= start < end:
        candidates.append(raw[start:end + 1])
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    raise LLMError(f"The model's answer is not a JSON object: {_excerpt(raw)}")


def _excerpt(text: str, size: int = 80) -> str:
    text = " ".join(str(text).split())
    return repr(text if len(text) <= size else text[:size] + "...")


def read_spec(raw: str, text: str) -> TaskSpec:
    """A model's answer as a :class:`TaskSpec`; :class:`LLMError` when it is not JSON or fails the schema.

    Keys the schema does not know and ``null`` values are dropped (models add them freely); ``request`` is
    set to ``text`` whatever the model wrote.
    """
    obj = _json_object(raw)
    fields = TaskSpec.model_fields
    cleaned = {k: v for k, v in obj.items() if k in fields and v is not None}
    cleaned["request"] = text
    try:
        return TaskSpec.model_validate(cleaned)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
        raise LLMError(f"The model's JSON does not match the TaskSpec schema ({problems}).") from None


def _mentioned(phrase: str, text: str) -> bool:
    """Whether ``phrase`` is written in ``text`` (case, spaces and underscores aside)."""
    def fold(s: str) -> str:
        return re.sub(r"[\s_\-]+", " ", rule_reader.normalize(s).lower()).strip()
    return bool(fold(phrase)) and fold(phrase) in fold(text)


def _fix_constraint(c: Constraint) -> Constraint | None:
    """A model's constraint in the units the agents use (95 -> 0.95 for a metric); None when unusable."""
    if c.name not in METRICS and c.name not in RESOURCE_CONSTRAINTS:
        return None
    if c.name in METRICS and c.name not in LOWER_IS_BETTER and c.value > 1:
        if c.value > 100:
            return None
        return c.model_copy(update={"value": float(f"{c.value / 100:.12g}")})
    return c


def _merge_features(llm: TaskSpec, rules: TaskSpec, text: str, notes: list[str]) -> FeatureRequirements:
    """The feature requirements: per field the model's where it set one, else the rules'; a column the request
    does not write is dropped, with a note (the model may not make up columns)."""
    def written(names: list[str], what: str) -> list[str]:
        kept = [n for n in names if _mentioned(n, text)]
        notes.extend(f"Ignored the model's {what} column {n!r}: the request does not name it."
                     for n in names if n not in kept)
        return kept

    model, ours = llm.features, rules.features
    monotonic = {c: way for c, way in model.monotonic.items() if c in written(list(model.monotonic), "monotonic")}
    return FeatureRequirements(
        max_inputs=model.max_inputs if model.max_inputs and model.max_inputs > 0 else ours.max_inputs,
        only=written(model.only, "only") or ours.only, never=written(model.never, "excluded") or ours.never,
        interpretable=model.interpretable or ours.interpretable, monotonic=monotonic or ours.monotonic)


def _input_constraints(features: FeatureRequirements, constraints: list[Constraint]) -> list[Constraint]:
    """``constraints`` with the rows the feature requirements imply (``n_inputs <= N``, ``excluded_inputs <= 0``),
    as the rule-based reader writes them, so the constraint table checks them against the exported model."""
    out = list(constraints)
    if features.max_inputs and all(c.name != "n_inputs" for c in out):
        out.append(Constraint(name="n_inputs", op="<=", value=float(features.max_inputs)))
    if features.never and "excluded_inputs" in RESOURCE_CONSTRAINTS and all(c.name != "excluded_inputs" for c in out):
        out.append(Constraint(name="excluded_inputs", op="<=", value=0.0))
    return out


def merge_specs(llm: TaskSpec, rules: TaskSpec, text: str, data: list[str] | None = None,
                time_budget_s: float | None = None, *, clauses_read: bool = False) -> tuple[TaskSpec, list[str]]:
    """One spec from the model's reading and the rules' reading of the same request, and notes on what was cut.

    The model's value wins for every field it set (anything but the field's default); the rules fill the
    rest. The user's ``data`` and ``time_budget_s`` win over both; the language is the rules' (the script
    the request is written in). What the model may have made up is checked against the request: unknown
    constraint names and hints are dropped, data references must be written in the request, a bundled set
    or found by the rules, and a target column the request does not name becomes an ``asked_target`` hint.
    The feature requirements (``features``) are merged field by field, the model's columns kept only where the
    request writes them, and imply their constraint rows (``n_inputs``, ``excluded_inputs``) as the rules' do.
    The clauses nobody understood (``not_understood``) are the rules' unless the model wrote that field
    (``clauses_read``), even as ``[]``: then they are the model's, less any the request does not contain.
    """
    notes: list[str] = []
    merged: dict[str, Any] = {}
    for name, field in TaskSpec.model_fields.items():
        value = getattr(llm, name)
        merged[name] = value if value != field.get_default(call_default_factory=True) else getattr(rules, name)
    merged["request"], merged["language"] = text, rules.language

    constraints = []
    for c in merged["constraints"]:
        fixed = _fix_constraint(c)
        if fixed is None:
            notes.append(f"Dropped the model's constraint {c.name} {c.op} {c.value:g}: not a measurable name.")
        elif all(k.name != fixed.name for k in constraints):
            constraints.append(fixed)
    merged["features"] = _merge_features(llm, rules, text, notes)
    limit = next((c for c in constraints if c.name == "n_inputs"), None)
    if limit is not None and merged["features"].max_inputs is None and limit.value >= 1:
        merged["features"] = merged["features"].model_copy(update={"max_inputs": int(limit.value) - (limit.op == "<")})
    merged["constraints"] = _input_constraints(merged["features"], constraints)
    merged["report_metrics"] = [m for m in dict.fromkeys(merged["report_metrics"]) if m in METRICS]
    if merged["optimize"] not in METRICS:
        merged["optimize"] = rules.optimize

    allowed = {r.lower() for r in rules.data} | {f"sklearn:{n}" for n in BUNDLED_TARGETS}
    model_refs = []
    for ref in llm.data:
        if ref.lower() in allowed or _mentioned(ref, text):
            model_refs.append(ref)
        else:
            notes.append(f"Ignored the data reference {ref!r}: the request does not name it.")
    refs: list[str] = []
    for ref in [*(data or []), *model_refs, *rules.data]:
        if ref.lower() not in {r.lower() for r in refs}:
            refs.append(ref)
    merged["data"] = refs

    hints = [h for h in llm.hints if h in KNOWN_HINTS or h.startswith("asked_target:")]
    target = merged["target"]
    if target is not None and target != rules.target and not _mentioned(target, text):
        hints.append(f"asked_target:{target}")
        merged["target"] = None
    merged["hints"] = list(dict.fromkeys([*hints, *rules.hints]))
    if merged["target"] is not None:
        merged["hints"] = [h for h in merged["hints"] if not h.startswith("asked_target:")]
    if time_budget_s is not None:
        merged["time_budget_s"] = time_budget_s
    if clauses_read:
        merged["not_understood"] = [c for c in llm.not_understood if _mentioned(c, text)]
    return TaskSpec.model_validate(merged), notes


def _code(raw: str) -> str | None:
    """The Python code in a model's answer (its first code block, else the whole answer)."""
    fenced = _FENCE_RE.search(raw)
    code = (fenced.group(1) if fenced else raw).strip("\n")
    if not code.strip() or code.strip() == "NO_FIX":
        return None
    try:
        ast.parse(_MAGIC_RE.sub("pass", code))
    except SyntaxError:
        return None
    return code + "\n" if not code.endswith("\n") else code


# ----------------------------------------------------------------------------------------- planners
class ChatPlanner:
    """Parsing, explanations and repairs on top of a chat model. Subclasses implement :meth:`complete`.

    ``on_note`` is called with each fallback note as it happens (a front door shows it); the notes are also
    kept in :attr:`notes` and logged as warnings on the ``trainer_agent_lab.llm`` logger.
    """

    name = "chat"

    def __init__(self, on_note: Callable[[str], None] | None = None) -> None:
        self.notes: list[str] = []
        self.on_note = on_note

    @property
    def description(self) -> str:
        return f"the {self.name} chat model"

    def complete(self, messages: list[Message], *, json_schema: dict[str, Any] | None = None) -> str:
        """The model's answer; with ``json_schema``, a JSON object that should match it. Raises LLMError."""
        raise NotImplementedError

    def _note(self, text: str) -> None:
        log.warning("%s", text)
        self.notes.append(text)
        if self.on_note is not None:
            self.on_note(text)

    def parse_request(self, text: str, data: list[str] | None = None,
                      time_budget_s: float | None = None) -> TaskSpec:
        """The model's reading of ``text`` merged with the rules' (see :func:`merge_specs`); the rules' alone
        when the model fails, times out or answers something that is not a valid TaskSpec."""
        rules = rule_reader.parse_request(text, data=data, time_budget_s=time_budget_s)
        try:
            raw = self.complete(parse_messages(text, data), json_schema=spec_json_schema())
            clauses_read = isinstance(_json_object(raw).get("not_understood"), list)
            spec, notes = merge_specs(read_spec(raw, text), rules, text, data, time_budget_s, clauses_read=clauses_read)
        except LLMError as exc:
            self._note(f"The LLM could not read the request ({exc}); using the offline parser's reading.")
            return rules
        except (ValidationError, ValueError, TypeError) as exc:  # a merge that does not validate
            self._note(f"The LLM's reading could not be used ({type(exc).__name__}); using the offline "
                       "parser's reading.")
            return rules
        for note in notes:
            self._note(note)
        log.info("request read by %s", self.description)
        return spec

    def moderate(self, request: str) -> Moderation | None:
        """The model's verdict on ``request`` under the ethics policy, or None (with a note) when it fails:
        no answer, HTTP errors, text that is not JSON, JSON that fails :class:`Moderation`."""
        try:
            raw = self.complete(moderation_messages(request), json_schema=MODERATION_SCHEMA)
            return read_moderation(_json_object(raw))
        except LLMError as exc:
            self._note(f"The LLM moderation step failed ({exc}); the offline ethics policy alone decided.")
            return None

    def explain(self, text: str) -> str | None:
        """A plain-words explanation from the model, or None when it fails."""
        try:
            answer = self.complete([{"role": "system", "content": EXPLAIN_SYSTEM}, {"role": "user", "content": text}])
        except LLMError as exc:
            self._note(f"The LLM gave no explanation ({exc}).")
            return None
        return answer.strip() or None

    def propose_repair(self, source: str, traceback: str, step: str = "") -> str | None:
        """A corrected version of ``source`` (a cell of the SOP ``step`` that raised ``traceback``), or None.

        None too when the model's answer is not Python that parses, or is the same cell again. (The agents
        check more before running it: :func:`trainer_agent_lab.agents.repairs.vet_proposal`.)
        """
        tb = _ANSI_RE.sub("", traceback)[-4000:]
        prompt = (f"The notebook step: {step}\n\n" if step else "") + (
            f"The cell:\n```python\n{source}\n```\n\nThe error it raised:\n```\n{tb}\n```")
        try:
            answer = self.complete([{"role": "system", "content": REPAIR_SYSTEM}, {"role": "user", "content": prompt}])
        except LLMError as exc:
            self._note(f"The LLM proposed no repair ({exc}).")
            return None
        code = _code(answer)
        if code is None or code.strip() == source.strip():
            return None
        return code

    def annotate(self, task: str, labels: list[str], texts: list[str]) -> list[str | None] | None:
        """The model's label for each of ``texts`` (None where it gave none usable), in batches of 40; None
        (with a note) when it fails: no answer, HTTP errors, text that is not JSON, JSON without labels."""
        out: list[str | None] = []
        try:
            for start in range(0, len(texts), 40):
                batch = texts[start:start + 40]
                raw = self.complete(annotation_messages(task, labels, batch), json_schema=ANNOTATION_SCHEMA)
                out += read_annotations(_json_object(raw), labels, len(batch))
        except LLMError as exc:
            self._note(f"The LLM annotator failed ({exc}); the texts keep the labels they had.")
            return None
        return out
