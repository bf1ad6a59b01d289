"""Names the shared cells define, for the context blocks of cell files (see :mod:`.render`).

Cell files import what earlier cells defined from here (or from their kind's own ``context`` module) so that
ruff and editors know the names; the renderer leaves those imports out of the notebook. Nothing here exists
at run time: the generated notebook defines every name itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: Defined by the set-up cell (``cells/setup.py``).
SEED: int
#: The request's measurable parts (``constraints`` as ``[{"name", "op", "value"}]``, ``qps``,
#: ``container_memory_mb``, ``quantize_int8``, ``time_budget_s``).
REQUIREMENTS: dict[str, Any]
#: Hands a JSON-able dict back to the agents as a display output of the result MIME type.
_report: Callable[..., None]


def __getattr__(name: str) -> Any:
    raise AttributeError(f"{name} is defined by an earlier cell of the generated notebook; render the cell "
                         "with trainer_agent_lab.cells.render instead of importing it.")
