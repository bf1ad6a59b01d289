"""The deployment bundle: templates of the files the Server agent's cells write into ``bundle/``.

A generated notebook must re-run without this package, so the cells carry each file: collapsed ``%%writefile``
cells (made by :func:`trainer_agent_lab.cells.render.writefile_cells`) write it into ``bundle/``, verbatim or as a
``string.Template`` that a short visible cell then fills in with what the notebook measured.

======================  =====================  ==========================================================
template                bundle file            how
======================  =====================  ==========================================================
``model_server.py``     ``serve.py``           verbatim: the FastAPI app (``/predict``, ``/health``, ``/metrics``)
``table_features.py``   ``table_features.py``  verbatim (tables): raw columns -> the model's (dates, "$12.50",
                                               yes/no, capped categories) by ``feature_schema.json``'s recipe;
                                               written beside the notebook by the column types step, which
                                               trains on it, and copied into ``bundle/`` by the serving cell
``text_features.py``    ``text_features.py``   verbatim (text models): normalisation + TF-IDF, ``text_vectorizer.json``
``bundle_test.py``      ``test_bundle.py``     verbatim: starts the app in-process and sends the sample request
``predict.py``          ``predict.py``         verbatim: batch scoring of a table file (``trainer-agent predict``
                                               runs it)
``Dockerfile.tmpl``     ``Dockerfile``         filled in with measured figures
``api.md.tmpl``         ``API.md``             filled in: endpoints, schema, curl and Python examples
``model_card.md.tmpl``  ``model_card.md``      filled in: use, data, metrics, constraint table, limits
``deploy/*``            ``deploy/*``           ``ray_serve_app.py`` verbatim (reads ``capacity.json``); the Kubernetes
                                               and KServe manifests and ``README.md`` filled in with the capacity
``memory_probe.py``     (none)                 scratch (tables): run once to measure a serving process's peak
                                               memory, then deleted; not part of the bundle
======================  =====================  ==========================================================
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["TEMPLATES", "model_server_source", "template"]

_HERE = Path(__file__).resolve().parent
TEMPLATES = ("model_server.py", "text_features.py", "bundle_test.py", "Dockerfile.tmpl", "api.md.tmpl",
             "model_card.md.tmpl", "memory_probe.py", "predict.py", "table_files.py", "deploy/ray_serve_app.py",
             "deploy/kubernetes.yaml.tmpl", "deploy/kserve.yaml.tmpl", "deploy/README.md.tmpl")

def template(name: str) -> str:
    """The text of one of :data:`TEMPLATES`."""
    if name not in TEMPLATES:
        raise KeyError(f"no bundle template {name!r}; there are {', '.join(TEMPLATES)}")
    return (_HERE / name).read_text(encoding="utf-8")

def model_server_source() -> str:
    """The text of the bundle's ``serve.py``: a standalone FastAPI app (``model_server.py`` here)."""
    return template("model_server.py")
