"""Building blocks for cell templates.

A generated code cell is: a one-line comment saying why it is there, the parameters it needs as plain
assignments (rendered with ``repr`` so no value can break the code), then a fixed body. Bodies use only
public libraries and the names earlier cells defined, never ``trainer_agent_lab``.
"""

from __future__ import annotations

import pprint
import textwrap
from typing import Any

#: The MIME type of the structured results a cell hands back to the agents.
RESULT_MIME = "application/vnd.trainer-agent.result+json"


def render_value(value: Any) -> str:
    """A Python literal for ``value``; long containers are pretty-printed over several lines."""
    text = repr(value)
    if len(text) > 100 and isinstance(value, (dict, list, tuple)):
        text = pprint.pformat(value, width=100, sort_dicts=False)
    return text


def code_cell(why: str, body: str, **params: Any) -> str:
    """Source of a code cell: ``# why``, then ``NAME = value`` for each parameter, then ``body``."""
    lines = [f"# {why.strip()}"]
    lines += [f"{name} = {render_value(value)}" for name, value in params.items()]
    text = textwrap.dedent(body).strip("\n")
    if params and text:
        lines.append("")
    if text:
        lines.append(text)
    return "\n".join(lines) + "\n"


class RawText(str):
    """A string rendered as a raw triple-quoted literal, so a whole file reads naturally in a cell."""

    def __repr__(self) -> str:
        text = str(self)
        if "'''" in text or text.endswith("\\"):
            return repr(text)
        return "r'''" + text + "'''"
