"""``--llm offline|openai``: the one place a planner is chosen (and the only module that knows them all)."""

from __future__ import annotations

from typing import Any

from ..errors import UsageError
from .base import OfflinePlanner
from .chat_planner import ChatPlanner
from .openai_client import OpenAIClient

__all__ = ["make_llm"]


def make_llm(kind: str = "offline", base_url: str | None = None, model: str | None = None,
             api_key_env: str = "OPENAI_API_KEY", **options: Any) -> OfflinePlanner | ChatPlanner:
    """The planner for ``--llm KIND``: ``"offline"`` (rules only) or ``"openai"`` (any OpenAI-compatible
    endpoint; ``base_url``/``model`` default to ``OPENAI_BASE_URL``/``TRAINER_AGENT_LLM_MODEL``, and the key
    is read from the ``api_key_env`` variable at each request). ``options`` go to
    :class:`~trainer_agent_lab.llm.openai_client.OpenAIClient` (``timeout``, ``max_retries``, ...).

    Raises :class:`UsageError` for an unknown kind, or an ``openai`` planner with nothing configured.
    """
    if kind == "offline":
        return OfflinePlanner()
    if kind == "openai":
        return OpenAIClient(base_url=base_url, model=model, api_key_env=api_key_env, **options)
    raise UsageError(f"Unknown LLM kind {kind!r}.", hint="Use 'offline' or 'openai'.")
