"""Issue 18, item 1's last door: the chat panel's settings carry the engine of the model search (local, ray or
ray=ADDRESS), the panel sends it with each run, and the server extension refuses an unknown one with a clear error."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

# pytest-jupyter's fixtures for this module only (as a plugin its autouse fixtures would reach every test)
from pytest_jupyter.jupyter_core import *  # noqa: E402, F403
from pytest_jupyter.jupyter_server import *  # noqa: E402, F403
from tornado.httpclient import HTTPClientError

from trainer_agent_lab.spec import parse_engine

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def jp_server_config():
    return {"ServerApp": {"jpserver_extensions": {"trainer_agent_lab.jupyter_extension": True}}}


def test_the_settings_schema_has_the_engine_and_the_panel_sends_it() -> None:
    setting = json.loads((ROOT / "labextension/schema/plugin.json").read_text())["properties"]["engine"]
    assert setting["default"] == "local"
    for value in ("local", "ray", "ray=10.0.0.5:6379", "ray=ray://head:10001"):  # what the settings editor lets by
        assert re.fullmatch(setting["pattern"], value) and parse_engine(value)
    assert not re.fullmatch(setting["pattern"], "spark") and not re.fullmatch(setting["pattern"], "ray=")
    panel = (ROOT / "labextension/src/panel.tsx").read_text()
    assert "engine: string;" in panel and "engine: s.engine || 'local'" in panel  # in every run's POST body
    assert "engine: 'local'" in (ROOT / "labextension/src/index.ts").read_text()  # the default without settings


def test_an_unknown_engine_is_refused_with_what_to_do(jp_asyncio_loop, jp_fetch) -> None:
    async def start(engine: str) -> HTTPClientError:
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch("trainer-agent-lab", "runs", method="POST", body=json.dumps(
                {"request": "classify wine", "notebook_path": "a.ipynb", "data": "sklearn:wine", "engine": engine}))
        return info.value

    error = jp_asyncio_loop.run_until_complete(start("spark"))
    assert error.code == 400
    body = json.loads(error.response.body)
    assert "Unknown engine 'spark'" in body["error"] and "ray" in body["hint"]
