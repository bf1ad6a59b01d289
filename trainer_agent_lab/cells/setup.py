"""Set up a notebook: the libraries every cell uses, the seed, the request's measurable parts, and ``_report``."""

# %% [context]
from .context import SEED

# isort: split
# %% Set up: the libraries every cell uses, the seed for every random step, and the request's measurable parts.
# Later cells import what they first need where they need it, as notebooks do (hence E402 is off):
# ruff: noqa: E402
import json
import math
import random
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import plotly.io as pio
from IPython.display import Markdown, display

random.seed(SEED)
np.random.seed(SEED)
pio.renderers.default = "plotly_mimetype"
pd.set_option("display.max_columns", 40)
warnings.filterwarnings("ignore", category=FutureWarning)


# %% [hidden] Hand results back to the agents: `_report(**results)` displays them as one output of their own
# MIME type, made JSON-able by `_plain` (plain IPython, no extra package).
def _plain(value):
    """JSON-able copy of a value: numpy scalars and arrays to Python, NaN to None."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _report(**results):
    """Hand results back to the agents as a structured display output."""
    display({"application/vnd.trainer-agent.result+json": _plain(results)}, raw=True)


# %% [parameters]
SEED = 0
REQUIREMENTS = {"constraints": []}

# %% [context]
# Names later cells use: re-exported so that ruff sees them used.
__all__ = ["json", "re", "Path", "pd", "px", "go", "Markdown"]
