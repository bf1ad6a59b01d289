"""`jupyter lab` of the jupyter-ai environment for the persona's Galata test (tests/test_persona_lab.py): the
settings of jupyter_server_test_config.py (galata's helpers, 127.0.0.1, a token, a temporary root), without
the extensions jupyter-ai brings that the test does not use and that would listen on fixed ports (the MCP
server on 3001) or start other agents' command-line tools."""

import os

_BASE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "jupyter_server_test_config.py")
exec(compile(open(_BASE).read(), _BASE, "exec"))  # noqa: S102 - our own config file, as traitlets would load it

c = get_config()  # noqa: F821 - provided by traitlets when the file is loaded
c.ServerApp.jpserver_extensions.update({"jupyter_server_mcp": False, "jupyter_ai_acp_client": False,
                                        "jupyter_ai_tools": False, "jupyter_lsp": False})
