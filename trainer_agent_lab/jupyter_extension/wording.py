"""Chat wording: what the engine says for the command line, said as the chat panel's person can act on it.

The engine's hints name CLI flags ("Pass --data PATH or a reference such as sklearn:wine"); in the panel the
data reference is the *data* field above the input, the time budget its *time budget* field, and so on. Only the
words change, never the facts.
"""

from __future__ import annotations

import re
from typing import Any

#: Each CLI flag, and what the panel calls the same thing.
_FIELDS = {"data": "the data field", "time-budget": "the time budget field", "out": "the run folder",
           "llm": "the LLM setting", "yes": "the approval"}

_PASS = re.compile(r"\b[Pp]ass --(?P<flag>[a-z-]+)(?: (?:PATH(?:_OR_REF)?|DIR|SECONDS|[A-Z_]+))?(?P<rest> with| or)?")
_FLAG = re.compile(r"(?<![\w-])--(?P<flag>[a-z][a-z-]*)(?: (?:PATH(?:_OR_REF)?|DIR|SECONDS))?")


def _field(flag: str) -> str:
    return _FIELDS.get(flag, f"the {flag.replace('-', ' ')} setting")


def for_chat(text: str) -> str:
    """``text`` with CLI flags replaced by the panel's names for them."""
    if not text or "--" not in text:
        return text

    def passed(match: re.Match[str]) -> str:
        head = "Fill in" if match.group(0)[0] == "P" else "fill in"
        rest = match.group("rest") or ""
        if rest == " with":
            return f"{head} {_field(match.group('flag'))} with"
        return f"{head} {_field(match.group('flag'))}{' (a path), or give' if rest == ' or' else ''}"

    text = _PASS.sub(passed, text)
    return _FLAG.sub(lambda m: _field(m.group("flag")), text)


def chat_record(value: Any) -> Any:
    """A copy of an event's text, ``reason``, ``hint`` and ``question`` fields (nested too) in chat wording."""
    if isinstance(value, dict):
        return {k: (for_chat(v) if isinstance(v, str) and k in ("text", "reason", "hint", "question")
                    else chat_record(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [chat_record(v) for v in value]
    return value
