"""The LLM protocol the agents use, and the offline planner that answers it without a model.

::

    LLMClient (protocol)            complete · parse_request · moderate · explain · propose_repair · notes
    ├── OfflinePlanner              the rule-based reader (llm/rule_reader.py); no model, no network (the default)
    └── ChatPlanner                 prompts + validation on top of one method, ``complete(messages)``
        └── OpenAIClient            any OpenAI-compatible endpoint (llm/openai_client.py)

:class:`~trainer_agent_lab.llm.chat_planner.ChatPlanner` is in :mod:`.chat_planner`, the choice between them
(``--llm offline|openai``) is :func:`~trainer_agent_lab.llm.factory.make_llm`. Imports go one way only:
``factory -> openai_client -> chat_planner -> base -> rule_reader``.

>>> planner = OfflinePlanner()
>>> planner.parse_request("wine classifier with at least 90% accuracy").constraint("accuracy").target
'>= 0.9'
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ..errors import LLMError
from ..knowledge.ethics import Moderation
from ..spec import TaskSpec
from . import rule_reader

__all__ = ["LLMClient", "Message", "OfflinePlanner"]

#: One chat message: ``{"role": "system" | "user" | "assistant", "content": "..."}``.
Message = dict[str, str]


@runtime_checkable
class LLMClient(Protocol):
    """What the agents ask of a language model. Every method has an offline answer."""

    #: "offline", "openai", ...: shown in messages.
    name: str
    #: What went wrong and was worked around (fallbacks), in order; a run copies them into its report.
    notes: list[str]

    def complete(self, messages: list[Message]) -> str:
        """The model's answer to a chat. Raises :class:`LLMError` when there is no answer."""
        ...

    def parse_request(self, text: str, data: list[str] | None = None,
                      time_budget_s: float | None = None) -> TaskSpec:
        """A request as a :class:`TaskSpec`; never raises for a model failure (falls back to the rules)."""
        ...

    def moderate(self, request: str) -> Moderation | None:
        """The model's reading of ``request`` against the ethics policy; None when no model can give one."""
        ...

    def explain(self, text: str) -> str | None:
        """A short plain-words explanation of ``text``; None when no model can give one."""
        ...

    def propose_repair(self, source: str, traceback: str, step: str = "") -> str | None:
        """A corrected cell source for a cell (of the SOP ``step``) that raised; None when there is no fix."""
        ...

    def annotate(self, task: str, labels: list[str], texts: list[str]) -> list[str | None] | None:
        """The model's label (or None) for each text; None when no model can label (the paper's annotator)."""
        ...


class OfflinePlanner:
    """The default brain: the rule-based request reader. It has no model, so it explains and repairs nothing."""

    name = "offline"

    def __init__(self) -> None:
        self.notes: list[str] = []

    @property
    def description(self) -> str:
        return "the offline rule-based parser"

    def complete(self, messages: list[Message]) -> str:
        raise LLMError("The offline planner has no language model to complete a chat.",
                       hint="Use --llm openai with OPENAI_BASE_URL or OPENAI_API_KEY set.")

    def parse_request(self, text: str, data: list[str] | None = None,
                      time_budget_s: float | None = None) -> TaskSpec:
        return rule_reader.parse_request(text, data=data, time_budget_s=time_budget_s)

    def moderate(self, request: str) -> Moderation | None:
        return None

    def explain(self, text: str) -> str | None:
        return None

    def propose_repair(self, source: str, traceback: str, step: str = "") -> str | None:
        return None

    def annotate(self, task: str, labels: list[str], texts: list[str]) -> list[str | None] | None:
        return None
