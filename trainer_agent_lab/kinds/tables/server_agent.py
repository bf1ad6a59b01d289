"""The Server agent for tables: the shared steps with the tables' export, parity, serving and document cells."""

from __future__ import annotations

from ...agents.server import ServerAgent
from . import server_cells


class TableServerAgent(ServerAgent):
    """Exports the scikit-learn pipeline (preprocessing included) to ONNX, one input per raw column."""

    cells = server_cells
