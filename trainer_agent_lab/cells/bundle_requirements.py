"""The bundle's requirements.txt: what serve.py needs, pinned to the versions this notebook measured."""
# ruff: noqa: E402  (as in the notebook: a cell's parameters come first, its imports after them)

# %% [context]
from .context import BUNDLE_DIR

# %% [parameters]
SERVING_PACKAGES = ["onnxruntime", "numpy", "fastapi", "starlette", "pydantic", "pydantic_core", "uvicorn", "h11",
                    "anyio", "prometheus_client", "pandas"]
OPTIONAL_PACKAGES = {"httptools": "", "uvloop": '; sys_platform != "win32"'}


# %% What serve.py needs (SERVING_PACKAGES), pinned to the versions the capacity cell measured; uvicorn's faster
# HTTP parser and event loop (OPTIONAL_PACKAGES, with their platform markers) where they are installed: uvicorn
# picks them up by itself.
from importlib import metadata


def pinned(dist):
    """``name==version`` for an installed distribution, else just the name."""
    try:
        return f"{dist}=={metadata.version(dist)}"
    except metadata.PackageNotFoundError:
        return dist


requirements = [pinned(d) for d in SERVING_PACKAGES]
requirements += [pinned(d) + marker for d, marker in OPTIONAL_PACKAGES.items() if "==" in pinned(d)]
(BUNDLE_DIR / "requirements.txt").write_text("\n".join(requirements) + "\n")
print("requirements.txt:", ", ".join(requirements))
