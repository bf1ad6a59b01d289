"""The environment a run notebook was made in: Python and the versions of the public packages its cells use.

Written into the notebook's metadata and its first cell, so a reader can recreate the environment and re-run
it anywhere with public packages only (the cells never import ``trainer_agent_lab``).
"""

from __future__ import annotations

import platform
from functools import lru_cache
from importlib import metadata

#: The distributions generated cells import (directly or through the bundle they write): matplotlib draws the
#: static PNG copies of the plots, tqdm the search's progress bar, pyarrow writes the split's Parquet files.
CELL_PACKAGES = ("numpy", "pandas", "scipy", "scikit-learn", "optuna", "plotly", "matplotlib", "tqdm", "skl2onnx",
                 "onnx", "onnxruntime", "fastapi", "uvicorn", "httpx", "prometheus_client", "psutil", "pyarrow",
                 "ipython", "torch")


@lru_cache(maxsize=1)
def environment() -> dict[str, object]:
    """``{"python": "3.11.7", "packages": {"numpy": "1.26.4", ...}}`` for the installed cell packages."""
    packages = {}
    for name in CELL_PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {"python": platform.python_version(), "packages": packages}


def requirements_lines(env: dict[str, object]) -> list[str]:
    """``name==version`` lines, as a ``requirements.txt`` that recreates the environment."""
    packages = env.get("packages", {})
    return [f"{name}=={version}" for name, version in packages.items()] if isinstance(packages, dict) else []
