"""The Jupyter server extension: the chat panel's REST + websocket routes and the live-driver bridge.

Not to be confused with the bundle's model server (``bundle/serve.py``, which serves a trained model) or the
Server agent (which exports and packages the model): this is the part of JupyterLab's own server that the
chat panel talks to. Enabled by ``jupyter-config/jupyter_server_config.d/trainer_agent_lab.json`` (installed
with the package); ``jupyter server extension list`` shows ``trainer_agent_lab.jupyter_extension``. Routes are
in :mod:`.routes`, runs (each a :class:`~trainer_agent_lab.session.Session` on a live driver) in :mod:`.runs`.
"""

from __future__ import annotations

import json
from typing import Any

from tornado.ioloop import IOLoop

from .bridge import Bridge
from .routes import SETTINGS_KEY, handlers
from .runs import RunManager


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "trainer_agent_lab.jupyter_extension"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Register the routes and make the bridge and the run manager that the handlers share."""
    web_app = serverapp.web_app
    loop = IOLoop.current()
    sockets: set[Any] = set()

    def broadcast(record: dict[str, Any]) -> None:
        text = json.dumps(record)
        for socket in list(sockets):
            try:
                socket.write_message(text)
            except Exception:  # noqa: BLE001 - a closing socket; its on_close removes it
                sockets.discard(socket)

    def publish(record: dict[str, Any]) -> None:
        loop.add_callback(broadcast, record)

    bridge = Bridge(loop.add_callback)
    runs = RunManager(bridge, serverapp.root_dir, publish)
    bridge.on_wait = runs.paused
    web_app.settings[SETTINGS_KEY] = {"bridge": bridge, "runs": runs, "sockets": sockets}
    web_app.add_handlers(".*$", handlers(web_app.settings["base_url"]))
    serverapp.log.info("trainer-agent-lab: chat panel routes at %strainer-agent-lab/", web_app.settings["base_url"])


# the names jupyter_server < 2 looked for
load_jupyter_server_extension = _load_jupyter_server_extension
