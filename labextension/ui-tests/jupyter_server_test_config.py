"""`jupyter lab` for the Galata test: galata's helpers, on 127.0.0.1, with a token, in a temporary root."""

import os

from jupyterlab.galata import configure_jupyter_server

c = get_config()  # noqa: F821 - provided by traitlets when the file is loaded
configure_jupyter_server(c)
c.ServerApp.ip = "127.0.0.1"
c.ServerApp.port = int(os.environ["TAL_PORT"])
c.ServerApp.root_dir = os.environ["TAL_ROOT"]
c.IdentityProvider.token = os.environ["TAL_TOKEN"]
c.ServerApp.open_browser = False
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
c.ServerApp.allow_root = True  # CI and this machine run as root
