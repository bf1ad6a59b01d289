"""The bridge between run threads and the browsers: operations out, answers back, events broadcast.

Worker threads (one per run) call :meth:`Bridge.request`, which blocks; the tornado loop owns the sockets.
A browser tab is a *client*: it says hello with a stable ``client_id`` and the notebooks it has open, and says
again whenever that changes. An operation goes to a client that has its notebook open; while none has, it
waits (the run is paused) and goes out as soon as one does. If a socket drops while an operation is out, the
operation is sent again after the reconnect: the frontend answers a repeated ``request_id`` from its cache
(or by waiting for the same execution), so no cell ever runs twice.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

#: Reasons a frontend gives for not being able to do an operation now (it is kept and sent again later).
RETRY_REASONS = ("notebook_closed",)


class Socket(Protocol):
    """What the bridge needs of a websocket handler (called on the loop's thread only)."""

    def write_message(self, message: str) -> Any:
        """Send one text frame."""
        ...


@dataclass
class Client:
    """One browser tab: its socket (``None`` while disconnected) and the notebooks it has open."""

    client_id: str
    socket: Socket | None
    notebooks: set[str] = field(default_factory=set)


@dataclass
class Pending:
    """One operation waiting for its answer."""

    message: dict[str, Any]
    done: threading.Event = field(default_factory=threading.Event)
    reply: dict[str, Any] | None = None
    sent_to: str | None = None  # the client it is out with, if any
    waiting_since: float | None = None  # when it found no client with its notebook open


class Bridge:
    """Routes live-driver operations to the tab that has the notebook open; thread-safe.

    Parameters
    ----------
    call_soon:
        Schedules a callable on the loop that owns the sockets (``IOLoop.add_callback``), from any thread.
    on_wait:
        ``on_wait(message, True)`` when an operation finds no tab with its notebook open (the run pauses),
        ``on_wait(message, False)`` when it could be sent after all (the run goes on). Called on the loop.
    """

    #: Seconds an operation with a timeout (an interrupt, a stopped run's closing cells) waits for a tab to have
    #: its notebook open before giving up: a closed notebook must not hold a stopped run for the whole timeout.
    UNROUTED_WAIT_S = 1.0

    def __init__(self, call_soon: Callable[..., None],
                 on_wait: Callable[[dict[str, Any], bool], None] | None = None) -> None:
        self._call_soon = call_soon
        self.on_wait = on_wait or (lambda message, waiting: None)
        self._lock = threading.RLock()
        self.clients: dict[str, Client] = {}
        self.pending: dict[str, Pending] = {}

    # -- worker threads ----------------------------------------------------------------------------
    def request(self, message: dict[str, Any], *, stop: threading.Event | None = None,
                timeout: float | None = None) -> dict[str, Any]:
        """Send ``message`` to the tab with its notebook open; block until answered (see ``Transport``)."""
        pending = Pending(message)
        with self._lock:
            self.pending[message["request_id"]] = pending
        self._call_soon(self._dispatch, pending)
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while not pending.done.wait(0.05):
                if stop is not None and stop.is_set():
                    return {"ok": False, "reason": "stopped"}
                if deadline is not None and time.monotonic() > deadline:
                    return {"ok": False, "reason": "timeout"}
                waited = pending.waiting_since
                if deadline is not None and waited is not None and time.monotonic() - waited > self.UNROUTED_WAIT_S:
                    return {"ok": False, "reason": "notebook_closed"}  # a short operation: no tab, no wait
            return pending.reply or {"ok": False, "reason": "no answer"}
        finally:
            with self._lock:
                self.pending.pop(message["request_id"], None)

    # -- the loop's thread -------------------------------------------------------------------------
    def connect(self, client_id: str, socket: Socket, notebooks: list[str]) -> None:
        """A tab said hello (first time or after a reconnect)."""
        with self._lock:
            client = self.clients.get(client_id)
            if client is None:
                client = self.clients[client_id] = Client(client_id, socket)
            client.socket = socket
            client.notebooks = set(notebooks)
        self._redispatch()

    def set_notebooks(self, client_id: str, notebooks: list[str]) -> None:
        """A tab opened or closed notebooks."""
        with self._lock:
            client = self.clients.get(client_id)
            if client is None:
                return
            closed = client.notebooks - set(notebooks)
            client.notebooks = set(notebooks)
            for pending in self.pending.values():  # operations out with a notebook that is now closed
                if pending.sent_to == client_id and pending.message.get("notebook_path") in closed:
                    pending.sent_to = None
        self._redispatch()

    def disconnect(self, client_id: str, socket: Socket) -> None:
        """A socket closed: what was out with it waits for the tab (or another) to come back."""
        with self._lock:
            client = self.clients.get(client_id)
            if client is None or client.socket is not socket:
                return  # an older socket of a tab that has already reconnected
            client.socket = None
            for pending in self.pending.values():
                if pending.sent_to == client_id:
                    pending.sent_to = None
        self._redispatch()

    def answer(self, client_id: str, reply: dict[str, Any]) -> None:
        """A tab answered an operation."""
        with self._lock:
            pending = self.pending.get(str(reply.get("request_id")))
            if pending is None or pending.done.is_set():
                return
            if not reply.get("ok") and reply.get("reason") in RETRY_REASONS:
                client = self.clients.get(client_id)
                if client is not None:  # the tab's list was stale: that notebook is not open there
                    client.notebooks.discard(pending.message.get("notebook_path", ""))
                pending.sent_to = None
                retry = True
            else:
                pending.reply = reply
                pending.done.set()
                retry = False
        if retry:
            self._redispatch()

    def open_notebooks(self) -> set[str]:
        """Every notebook some connected tab has open."""
        with self._lock:
            return {path for c in self.clients.values() if c.socket is not None for path in c.notebooks}

    def _target(self, path: str) -> Client | None:
        for client in self.clients.values():
            if client.socket is not None and path in client.notebooks:
                return client
        return None

    def _dispatch(self, pending: Pending) -> None:
        socket: Socket | None = None
        with self._lock:
            if pending.done.is_set() or pending.sent_to is not None:
                return
            if pending.message["request_id"] not in self.pending:
                return
            client = self._target(pending.message.get("notebook_path", ""))
            if client is None:
                if pending.waiting_since is None:
                    pending.waiting_since = time.monotonic()
                    notify: tuple[dict[str, Any], bool] | None = (pending.message, True)
                else:
                    notify = None
            else:
                pending.sent_to = client.client_id
                resumed = pending.waiting_since is not None
                pending.waiting_since = None
                notify = (pending.message, False) if resumed else None
                socket = client.socket
        if notify is not None:
            self.on_wait(*notify)
        if socket is not None:
            try:
                socket.write_message(json.dumps({"type": "op", **pending.message}))
            except Exception:  # the socket closed under us: disconnect() will requeue it
                with self._lock:
                    pending.sent_to = None

    def _redispatch(self) -> None:
        with self._lock:
            waiting = [p for p in self.pending.values() if p.sent_to is None and not p.done.is_set()]
        for pending in waiting:
            self._dispatch(pending)
