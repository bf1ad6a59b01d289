"""The agents' language model: the protocol, the offline (rule-based) planner and OpenAI-compatible clients.

``make_llm("offline")`` (the default) needs nothing; ``make_llm("openai")`` talks to any OpenAI-compatible
endpoint and falls back to the offline parser whenever the model fails. The ``openai`` package is imported
only when such a client is made.
"""

from .base import ChatPlanner, LLMClient, OfflinePlanner, make_llm
from .offline import parse_request

__all__ = ["ChatPlanner", "LLMClient", "OfflinePlanner", "make_llm", "parse_request"]
