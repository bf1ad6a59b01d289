"""An OpenAI-compatible chat model as the agents' LLM: OpenAI, Azure OpenAI (v1 endpoint), vLLM, Ollama,
llama.cpp server, LM Studio... anything that serves ``POST {base_url}/chat/completions``.

Configuration, arguments first, then the environment:

==================  ===========================  ==========================================================
what                argument                     environment
==================  ===========================  ==========================================================
endpoint            ``base_url``                 ``OPENAI_BASE_URL`` (unset: https://api.openai.com/v1)
model               ``model``                    ``TRAINER_AGENT_LLM_MODEL`` (unset: ``gpt-4o-mini``)
key                 ``api_key_env`` (the name)   ``OPENAI_API_KEY`` (optional for local servers)
==================  ===========================  ==========================================================

The key is read from the environment at each request and sent as the ``Authorization`` header; it is
never kept on an object, written or logged. The ``openai`` package (the ``llm`` extra) is imported only
when a client is made.

Requests for a spec ask for structured output (``response_format`` ``json_schema`` with the TaskSpec
schema); a server that refuses that (HTTP 400/422) is asked again with ``json_object``, and the client
remembers. The schema is in the system prompt either way.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

from ..errors import LLMError, UsageError
from .base import Message
from .chat_planner import ChatPlanner

__all__ = ["DEFAULT_MODEL", "OpenAIClient"]

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_RETRIES = 1
#: Sent when no key is set: local servers (vLLM, Ollama, llama.cpp) accept any key.
NO_KEY = "sk-no-key-required"


class OpenAIClient(ChatPlanner):
    """A chat planner on an OpenAI-compatible endpoint. See the module docstring for the configuration.

    Raises :class:`UsageError` when neither an endpoint nor a key is configured, or when the ``openai``
    package is missing.
    """

    name = "openai"

    def __init__(self, base_url: str | None = None, model: str | None = None, *,
                 api_key_env: str = "OPENAI_API_KEY", timeout: float = DEFAULT_TIMEOUT_S,
                 max_retries: int = DEFAULT_MAX_RETRIES, temperature: float | None = 0.0,
                 structured: str = "auto", on_note: Callable[[str], None] | None = None) -> None:
        super().__init__(on_note=on_note)
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or "").strip() or None
        self.model = (model or os.environ.get("TRAINER_AGENT_LLM_MODEL") or "").strip() or DEFAULT_MODEL
        self.api_key_env = api_key_env
        if self.base_url is None and not os.environ.get(api_key_env):
            raise UsageError(f"--llm openai needs an endpoint: set {api_key_env} (for api.openai.com) or "
                             "OPENAI_BASE_URL (for a local OpenAI-compatible server such as vLLM, Ollama or "
                             "llama.cpp).", hint="Or leave --llm at its default, offline.")
        if structured not in ("auto", "json_schema", "json_object"):
            raise UsageError(f"Unknown structured output mode {structured!r}.",
                             hint="Use 'auto', 'json_schema' or 'json_object'.")
        try:
            import openai
        except ImportError:
            raise UsageError("--llm openai needs the openai package.",
                             hint="pip install 'trainer-agent-lab[llm]'") from None
        self.timeout, self.max_retries, self.temperature = timeout, max_retries, temperature
        self._schema_mode = structured != "json_object"
        self._schema_fallback = structured == "auto"
        options: dict[str, Any] = {"api_key": NO_KEY, "timeout": timeout, "max_retries": max_retries}
        if self.base_url:
            options["base_url"] = self.base_url
        try:
            self._client = openai.OpenAI(**options)
        except Exception as exc:  # an openai too old for the installed httpx, a malformed URL...
            raise UsageError(f"Could not set up the OpenAI client: {type(exc).__name__}: {exc}",
                             hint="pip install -U 'trainer-agent-lab[llm]'; check --llm-base-url.") from None

    def __repr__(self) -> str:
        return f"OpenAIClient(base_url={self.base_url!r}, model={self.model!r}, api_key_env={self.api_key_env!r})"

    @property
    def description(self) -> str:
        return f"the model {self.model} at {self.base_url or 'api.openai.com'}"

    def _headers(self) -> dict[str, str]:
        key = os.environ.get(self.api_key_env)
        return {"Authorization": f"Bearer {key}"} if key else {}

    def complete(self, messages: list[Message], *, json_schema: dict[str, Any] | None = None) -> str:
        """The model's answer to ``messages``. Raises :class:`LLMError` on HTTP errors, timeouts, refused
        connections and empty answers (after ``max_retries`` retries, which the ``openai`` client makes).

        A request the server refuses (HTTP 400/422) is sent again, and the client remembers, without
        ``temperature`` when the error names it (reasoning models take only their default) or with
        ``json_object`` instead of ``json_schema``.
        """
        import openai

        for _ in range(3):
            request: dict[str, Any] = {"model": self.model, "messages": messages, "extra_headers": self._headers()}
            if self.temperature is not None:
                request["temperature"] = self.temperature
            if json_schema is not None:
                request["response_format"] = self._response_format(json_schema)
            try:
                response = self._client.chat.completions.create(**request)
                break
            except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
                if self.temperature is not None and "temperature" in str(exc).lower():
                    self.temperature = None
                elif json_schema is not None and self._schema_mode and self._schema_fallback:
                    self._schema_mode = False  # this server does not do json_schema: json_object from now on
                else:
                    raise LLMError(f"{self.description} refused the request (HTTP {exc.status_code})") from None
            except openai.APITimeoutError:
                raise LLMError(f"{self.description} did not answer within {self.timeout:g} s") from None
            except openai.APIConnectionError:
                raise LLMError(f"could not connect to {self.description}") from None
            except openai.APIStatusError as exc:
                raise LLMError(f"{self.description} answered HTTP {exc.status_code}") from None
            except openai.OpenAIError as exc:
                raise LLMError(f"{self.description} failed: {type(exc).__name__}") from None
        else:
            raise LLMError(f"{self.description} refused the request")
        choices = getattr(response, "choices", None) or []
        content = choices[0].message.content if choices and choices[0].message else None
        if not isinstance(content, str) or not content.strip():
            raise LLMError(f"{self.description} gave an empty answer")
        return content

    def _response_format(self, schema: dict[str, Any]) -> dict[str, Any]:
        if self._schema_mode:
            name = re.sub(r"[^A-Za-z0-9_-]", "_", str(schema.get("title") or "TaskSpec"))[:64]
            return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": False}}
        return {"type": "json_object"}
