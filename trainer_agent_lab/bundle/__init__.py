"""The deployment bundle: templates of the files the Server agent's cells write into ``bundle/``.

The cells cannot import this package (a generated notebook must re-run without it), so each template is
handed to a cell as text and written out verbatim.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["serve_app_source"]

_HERE = Path(__file__).resolve().parent


def serve_app_source() -> str:
    """The text of the bundle's ``serve.py``: a standalone FastAPI app (see ``serve_app.py`` here)."""
    return (_HERE / "serve_app.py").read_text(encoding="utf-8")
