"""The deployment bundle: templates of the files the Server agent's cells write into ``bundle/``.

The cells cannot import this package (a generated notebook must re-run without it), so each template is
handed to a cell as text and written out by the cell:

===================  ===================  ==========================================================
template             bundle file          how
===================  ===================  ==========================================================
``serve_app.py``     ``serve.py``         verbatim: the FastAPI app (``/predict``, ``/health``, ``/metrics``)
``text_features.py`` ``text_features.py`` verbatim (text models): normalisation + TF-IDF, ``text_vectorizer.json``
``bundle_test.py``   ``test_bundle.py``   verbatim: starts the app in-process and sends the sample request
``Dockerfile.tmpl``  ``Dockerfile``       ``string.Template`` filled with measured figures
``api.md.tmpl``      ``API.md``           ``string.Template``: endpoints, schema, curl and Python examples
``model_card.md.tmpl`` ``model_card.md``  ``string.Template``: use, data, metrics, constraint table, limits
===================  ===================  ==========================================================
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["serve_app_source", "template"]

_HERE = Path(__file__).resolve().parent
TEMPLATES = ("serve_app.py", "text_features.py", "bundle_test.py", "Dockerfile.tmpl", "api.md.tmpl",
             "model_card.md.tmpl")


def template(name: str) -> str:
    """The text of one of :data:`TEMPLATES`."""
    if name not in TEMPLATES:
        raise KeyError(f"no bundle template {name!r}; there are {', '.join(TEMPLATES)}")
    return (_HERE / name).read_text(encoding="utf-8")


def serve_app_source() -> str:
    """The text of the bundle's ``serve.py``: a standalone FastAPI app (see ``serve_app.py`` here)."""
    return template("serve_app.py")
