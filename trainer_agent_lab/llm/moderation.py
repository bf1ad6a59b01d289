"""The LLM moderation step: the chat that asks a model whether a request falls under the ethics policy.

The model sees the policy itself (every rule's ``id``, title and rationale from
:mod:`trainer_agent_lab.knowledge.ethics`) and answers one JSON object that
:class:`~trainer_agent_lab.knowledge.ethics.Moderation` validates::

    {"decision": "allow" | "refuse", "rule": "<rule id>" | null, "rationale": "...", "alternative": "..." | null}

How its answer is combined with the offline check (the offline refusal always stands; the model refuses only
under a named rule) is :func:`trainer_agent_lab.knowledge.ethics.combine`.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from ..errors import LLMError
from ..knowledge.ethics import RULES, Moderation

__all__ = ["MODERATION_SCHEMA", "moderation_messages", "read_moderation"]

#: The JSON schema of the answer (sent as structured output where the server supports it).
MODERATION_SCHEMA: dict[str, Any] = Moderation.model_json_schema()

MODERATION_SYSTEM = """\
You are the moderation step of TrainerAgent, a system that trains machine-learning models on request. \
Decide whether building the requested model falls under one of the policy rules below. Reply with one JSON \
object and nothing else:
{{"decision": "allow" or "refuse", "rule": the rule id or null, "rationale": one or two sentences, \
"alternative": a legitimate model that could be built instead, or null}}

Refuse only when the request clearly asks for what a rule forbids, and then name that rule's id. \
Over-refusal is a defect: requests that merely mention health, insurance, weapons, employees or other \
sensitive topics, but ask for a legitimate model (screening to help patients, fraud or default risk for \
review, detecting weapons in scans, attrition to improve retention...), are allowed.

The policy:
{rules}
"""


def moderation_messages(request: str) -> list[dict[str, str]]:
    """The chat that asks a model to moderate ``request`` (the policy goes in the system message)."""
    rules = json.dumps([{"id": r.id, "title": r.title, "rationale": r.rationale} for r in RULES],
                       ensure_ascii=False, indent=1)
    return [{"role": "system", "content": MODERATION_SYSTEM.format(rules=rules)},
            {"role": "user", "content": f"The request:\n{request}"}]


def read_moderation(obj: dict[str, Any]) -> Moderation:
    """A model's JSON answer as a :class:`Moderation`; :class:`LLMError` when it does not fit.

    Keys the schema does not know are dropped, and the decision's case is forgiven ("Refuse").
    """
    cleaned = {k: v for k, v in obj.items() if k in Moderation.model_fields}
    if isinstance(cleaned.get("decision"), str):
        cleaned["decision"] = cleaned["decision"].strip().lower()
    try:
        return Moderation.model_validate(cleaned)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'answer'}: {e['msg']}" for e in exc.errors()[:3])
        raise LLMError(f"the moderation answer does not match its schema ({problems})") from None
