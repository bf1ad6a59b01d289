"""REST and websocket routes under ``/trainer-agent-lab/``; every one needs an authenticated user.

==========================================  =====================================================================
``GET  /trainer-agent-lab/runs``             the runs (summaries); ``?notebook_path=P``: that notebook's, this
                                             server's and those kept in its run folders (``chat.jsonl``)
``POST /trainer-agent-lab/runs``             start one: ``{request, notebook_path, data?, time_budget_s?, llm?,
                                             engine?}`` (engine: local, ray or ray=HOST:PORT)
``GET  /trainer-agent-lab/runs/ID``          one run: state, latest report
``GET  /trainer-agent-lab/runs/ID/events``   its events after ``?after=N`` (what a socket would replay)
``POST /trainer-agent-lab/runs/ID/messages`` a later message ``{text}``: an answer, or a change of requirements
                                             (queued while the run works: 202 with ``queued``)
``POST /trainer-agent-lab/runs/ID/stop``     interrupt the kernel and halt the run
``POST /trainer-agent-lab/runs/ID/kernel``   after the kernel died: ``{action: "resume" | "stop"}``
``GET  /trainer-agent-lab/runs/ID/bundle.zip`` the deployment bundle (``application/zip``; the panel fetches it
                                             with its Authorization header, never a token in the URL)
``POST /trainer-agent-lab/plan``             what a run would do, without training: ``{request, notebook_path?,
                                             data?, time_budget_s?}`` -> the plan JSON (``verdict``, ``reason``, ...)
``GET  /trainer-agent-lab/ws``               the websocket (see :mod:`.bridge` and below)
==========================================  =====================================================================

Websocket messages, browser to server: ``{"type": "hello", "client_id", "notebooks": [...], "resume":
{run_id: last_seq}}``, ``{"type": "notebooks", "notebooks": [...]}``, ``{"type": "reply", "request_id", "ok",
...}``. Server to browser: ``{"type": "event", "run_id", "seq", ...}`` and ``{"type": "op", "request_id",
"notebook_path", "cell_id", "op", ...}``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from jupyter_server.auth.decorator import authorized, ws_authenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from tornado import web, websocket

from ..errors import UsageError
from .runs import LLMSettings, RunManager

#: The authorization resource our handlers check (``jupyter_server``'s authorizer sees it).
AUTH_RESOURCE = "trainer_agent_lab"
SETTINGS_KEY = "trainer_agent_lab"


class _Base(APIHandler):
    auth_resource = AUTH_RESOURCE

    @property
    def manager(self) -> RunManager:
        return self.settings[SETTINGS_KEY]["runs"]

    def body(self) -> dict[str, Any]:
        try:
            data = json.loads(self.request.body or b"{}")
        except ValueError as exc:
            raise web.HTTPError(400, f"The body is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise web.HTTPError(400, "The body must be a JSON object.")
        return data

    def run_or_404(self, run_id: str) -> Any:
        try:
            return self.manager.get(run_id)
        except UsageError as exc:
            raise web.HTTPError(404, str(exc)) from exc

    def usage(self, exc: UsageError, status: int = 400) -> None:
        self.set_status(status)
        self.finish(json.dumps({"error": exc.message, "hint": exc.hint}))


class RunsHandler(_Base):
    """List runs, or start one."""

    @web.authenticated
    @authorized
    def get(self) -> None:
        notebook = self.get_query_argument("notebook_path", "")
        if not notebook:
            self.finish(json.dumps({"runs": [r.summary() for r in self.manager.runs.values()]}))
            return
        try:
            self.finish(json.dumps({"runs": self.manager.runs_for(notebook)}))
        except UsageError as exc:
            self.usage(exc)

    @web.authenticated
    @authorized
    def post(self) -> None:
        body = self.body()
        try:
            llm = LLMSettings.from_json(body.get("llm"))
            run = self.manager.start(str(body.get("request", "")), str(body.get("notebook_path", "")),
                                     data=body.get("data") or None, time_budget_s=body.get("time_budget_s"),
                                     llm=llm, engine=body.get("engine") or None)
        except UsageError as exc:
            return self.usage(exc)
        except (TypeError, ValueError) as exc:
            return self.usage(UsageError(f"Bad request: {exc}"))
        self.set_status(201)
        self.finish(json.dumps(run.summary()))


class RunHandler(_Base):
    """One run's state."""

    @web.authenticated
    @authorized
    def get(self, run_id: str) -> None:
        self.finish(json.dumps(self.run_or_404(run_id).summary()))


class EventsHandler(_Base):
    """A run's events after ``?after=N``."""

    @web.authenticated
    @authorized
    def get(self, run_id: str) -> None:
        self.run_or_404(run_id)
        try:
            after = int(self.get_query_argument("after", "0"))
        except ValueError as exc:
            raise web.HTTPError(400, "after must be an integer") from exc
        self.finish(json.dumps({"events": self.manager.events_after(run_id, after)}))


class MessagesHandler(_Base):
    """A later message in a run's conversation."""

    @web.authenticated
    @authorized
    def post(self, run_id: str) -> None:
        self.run_or_404(run_id)
        try:
            run = self.manager.message(run_id, str(self.body().get("text", "")))
        except UsageError as exc:
            return self.usage(exc, 409 if "still working" in exc.message else 400)
        self.set_status(202)
        self.finish(json.dumps(run.summary()))


class StopHandler(_Base):
    """Stop a run."""

    @web.authenticated
    @authorized
    def post(self, run_id: str) -> None:
        self.run_or_404(run_id)
        self.finish(json.dumps(self.manager.stop(run_id).summary()))


class KernelHandler(_Base):
    """The person's choice after the kernel died."""

    @web.authenticated
    @authorized
    def post(self, run_id: str) -> None:
        self.run_or_404(run_id)
        try:
            run = self.manager.kernel_choice(run_id, str(self.body().get("action", "")))
        except UsageError as exc:
            return self.usage(exc, 409)
        self.finish(json.dumps(run.summary()))


class PlanHandler(_Base):
    """The plan of a request (as ``trainer-agent plan --json``): relative data paths from the notebook's folder."""

    @web.authenticated
    @authorized
    def post(self) -> None:
        from ..session import Session  # the plan's modules load with the first plan asked for

        body = self.body()
        try:
            notebook = str(body.get("notebook_path") or "")
            base = self.manager.local_path(notebook).parent if notebook else self.manager.root_dir
            session = Session(data=body.get("data") or None, base=base, time_budget_s=body.get("time_budget_s"))
            plan = session.plan_for(str(body.get("request", "")))
        except UsageError as exc:
            return self.usage(exc)
        except (TypeError, ValueError) as exc:
            return self.usage(UsageError(f"Bad request: {exc}"))
        self.finish(json.dumps(plan.to_json(), ensure_ascii=False))


class BundleHandler(_Base):
    """Download a run's ``bundle.zip``."""

    @web.authenticated
    @authorized
    def get(self, run_id: str) -> None:
        run = self.run_or_404(run_id)
        report = run.report
        path = Path(report.paths.get("bundle_zip", "")) if report else None
        if path is None or not path.is_file():
            raise web.HTTPError(404, "This run has no bundle yet.")
        stem = re.sub(r"[^\w.-]+", "_", Path(run.notebook_path).stem) or "run"
        self.set_header("Content-Disposition", f'attachment; filename="{stem}-{run.run_id}-bundle.zip"')
        self.finish(path.read_bytes(), set_content_type="application/zip")


class BridgeSocket(WebSocketMixin, JupyterHandler, websocket.WebSocketHandler):
    """The panel's websocket: events out, live-driver operations out, answers in."""

    auth_resource = AUTH_RESOURCE

    async def pre_get(self) -> None:
        """Only users allowed to execute code may drive the notebooks."""
        user = self.current_user
        allowed = self.authorizer.is_authorized(self, user, "execute", AUTH_RESOURCE)
        if hasattr(allowed, "__await__"):
            allowed = await allowed
        if not allowed:
            raise web.HTTPError(403)

    @ws_authenticated
    async def get(self, *args: Any, **kwargs: Any) -> None:
        """Open the socket (after authentication and authorization)."""
        await self.pre_get()
        result = super().get(*args, **kwargs)
        if result is not None:
            await result

    @property
    def state(self) -> dict[str, Any]:
        return self.settings[SETTINGS_KEY]

    def open(self, *args: Any, **kwargs: Any) -> None:
        """Register for event broadcasts; the tab's hello follows."""
        super().open(*args, **kwargs)
        self.client_id: str | None = None
        self.state["sockets"].add(self)

    def on_message(self, message: str | bytes) -> None:
        """Handle one message from the tab."""
        try:
            data = json.loads(message)
        except ValueError:
            self.log.warning("trainer-agent-lab: a websocket message that is not JSON was ignored")
            return
        bridge = self.state["bridge"]
        kind = data.get("type")
        if kind == "hello":
            self.client_id = str(data.get("client_id") or id(self))
            bridge.connect(self.client_id, self, list(data.get("notebooks") or []))
            manager: RunManager = self.state["runs"]
            for run_id, last in (data.get("resume") or {}).items():
                if run_id in manager.runs:
                    for record in manager.events_after(run_id, int(last or 0)):
                        self.write_message(json.dumps(record))
            self.write_message(json.dumps({"type": "welcome", "runs": [r.summary() for r in manager.runs.values()]}))
        elif kind == "notebooks" and self.client_id:
            bridge.set_notebooks(self.client_id, list(data.get("notebooks") or []))
        elif kind == "reply" and self.client_id:
            bridge.answer(self.client_id, data)

    def on_close(self) -> None:
        """Forget the socket; operations out with it wait for a reconnect."""
        self.state["sockets"].discard(self)
        if getattr(self, "client_id", None):
            self.state["bridge"].disconnect(self.client_id, self)
        super().on_close()


def handlers(base_url: str) -> list[tuple[str, type]]:
    """The routes, under ``base_url``."""
    prefix = base_url.rstrip("/") + "/trainer-agent-lab"
    run = r"/runs/(?P<run_id>[0-9a-f]{12})"
    return [
        (prefix + r"/runs/?", RunsHandler),
        (prefix + run + r"/?", RunHandler),
        (prefix + run + r"/events", EventsHandler),
        (prefix + run + r"/messages", MessagesHandler),
        (prefix + run + r"/stop", StopHandler),
        (prefix + run + r"/kernel", KernelHandler),
        (prefix + run + r"/bundle\.zip", BundleHandler),
        (prefix + r"/plan", PlanHandler),
        (prefix + r"/ws", BridgeSocket),
    ]
