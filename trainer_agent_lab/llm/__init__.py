"""The agents' language model: the protocol, the offline planner over the rule-based reader, and
OpenAI-compatible clients.

``make_llm("offline")`` (the default) needs nothing: requests are read by :mod:`.rule_reader`, rules and no
model. ``make_llm("openai")`` talks to any OpenAI-compatible endpoint and falls back to the rule-based reading
whenever the model fails. The ``openai`` package is imported only when such a client is made.

Modules, each importing only those after it: :mod:`.factory` (``make_llm``), :mod:`.openai_client`,
:mod:`.chat_planner`, :mod:`.base` (the protocol and the offline planner), :mod:`.rule_reader`.
"""

from .base import LLMClient, OfflinePlanner
from .chat_planner import ChatPlanner
from .factory import make_llm
from .rule_reader import parse_request

__all__ = ["ChatPlanner", "LLMClient", "OfflinePlanner", "make_llm", "parse_request"]
