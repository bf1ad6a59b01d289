"""The environment a run notebook was made in: Python and the versions of the public packages its cells use.

Written into the notebook's metadata and its first cell, so a reader can recreate the environment and re-run
it anywhere with public packages only (the cells never import ``trainer_agent_lab``).
"""

from __future__ import annotations

import ast
import platform
import sys
from collections.abc import Iterable
from functools import lru_cache
from importlib import metadata

#: The distributions generated cells import (directly or through the bundle they write): matplotlib draws the
#: static PNG copies of the plots, tqdm the search's progress bar, pyarrow writes the split's Parquet files.
CELL_PACKAGES = ("numpy", "pandas", "scipy", "scikit-learn", "optuna", "plotly", "matplotlib", "tqdm", "skl2onnx",
                 "onnx", "onnxruntime", "fastapi", "uvicorn", "httpx", "prometheus_client", "psutil", "pyarrow",
                 "ipython", "torch")


@lru_cache(maxsize=1)
def _base_packages() -> tuple[tuple[str, str], ...]:
    packages = []
    for name in CELL_PACKAGES:
        try:
            packages.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            continue
    return tuple(packages)


@lru_cache(maxsize=1)
def _distributions_of_modules() -> dict[str, list[str]]:
    """Top-level module -> the distributions that provide it (scanning every installed one: seconds; done once)."""
    return metadata.packages_distributions()


def imported_distributions(sources: Iterable[str]) -> set[str]:
    """The installed distributions that the code of ``sources`` imports at top level of a module name
    (``from PIL import Image`` -> ``pillow``); the standard library and modules the notebook writes itself
    (``text_features``) are left out. Cell magics (``%%writefile``) are files, not notebook code."""
    modules: set[str] = set()
    for source in sources:
        if source.lstrip().startswith("%"):
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules.add(node.module.split(".")[0])
    found = _distributions_of_modules()
    return {dist for m in modules - set(sys.stdlib_module_names) for dist in found.get(m, [])}


def environment(sources: Iterable[str] = ()) -> dict[str, object]:
    """``{"python": "3.11.7", "packages": {"numpy": "1.26.4", ...}}``: the installed cell packages, and every
    distribution the cells in ``sources`` import (so the notebook's install line names all it needs)."""
    packages = dict(_base_packages())
    for dist in sorted(imported_distributions(sources), key=str.lower):
        name = dist.lower()
        if name not in packages:
            try:
                packages[name] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                continue
    return {"python": platform.python_version(), "packages": packages}


def requirements_lines(env: dict[str, object]) -> list[str]:
    """``name==version`` lines, as a ``requirements.txt`` that recreates the environment."""
    packages = env.get("packages", {})
    return [f"{name}=={version}" for name, version in packages.items()] if isinstance(packages, dict) else []
