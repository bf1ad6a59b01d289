"""A scripted OpenAI-compatible chat server on 127.0.0.1 for the LLM tests (no network beyond loopback).

The server speaks ``POST /v1/chat/completions`` in the OpenAI response shape and records each request
(headers and JSON body). A test scripts its answers in order (``script``), or per kind of request
(``script_for``): ``parse`` (read a request into a TaskSpec), ``moderation`` (the ethics moderation step),
``repair`` (fix a failing cell), ``explain``, ``annotate`` (label texts); a kind with no script of its own
gets the general one.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

KEY = "sk-test-0123456789"
#: What the system prompt of each kind of request starts with.
KINDS = {"parse": "You turn a request", "moderation": "You are the moderation step",
         "repair": "You fix a Jupyter notebook cell", "explain": "You are the Task agent",
         "annotate": "You are the annotator"}


def kind_of(body: dict[str, Any]) -> str:
    """The kind of a chat request, from its system message."""
    system = next((m.get("content", "") for m in body.get("messages", []) if m.get("role") == "system"), "")
    return next((kind for kind, start in KINDS.items() if system.startswith(start)), "other")


@dataclass
class Answer:
    """One scripted answer: a chat completion whose message is ``content``, or an HTTP error with
    ``message``, after ``delay_s``."""

    content: str = ""
    status: int = 200
    delay_s: float = 0.0
    message: str = "scripted failure"


@dataclass
class FakeLLM:
    """The server's script and what it received."""

    url: str
    answers: list[Answer] = field(default_factory=list)
    by_kind: dict[str, list[Answer]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def script(self, *answers: Answer) -> None:
        """Answer the next requests with ``answers`` in order; the last one repeats."""
        self.answers = list(answers)

    def script_for(self, kind: str, *answers: Answer) -> None:
        """Answer the next requests of ``kind`` (see :data:`KINDS`) with ``answers``; the last one repeats."""
        assert kind in KINDS, kind
        self.by_kind[kind] = list(answers)

    def next_answer(self, body: dict[str, Any]) -> Answer:
        queue = self.by_kind.get(kind_of(body)) or self.answers
        return queue.pop(0) if len(queue) > 1 else queue[0]

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.requests]

    def kinds(self) -> list[str]:
        """The kind of every request received, in order."""
        return [kind_of(b) for b in self.bodies]


def _handler(fake: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            fake.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                  "body": body})
            answer = fake.next_answer(body)
            if answer.delay_s:
                fake.stop.wait(answer.delay_s)  # bounded; the fixture's teardown cuts it short
            if self.path != "/v1/chat/completions":
                payload, status = {"error": {"message": "not found"}}, 404
            elif answer.status != 200:
                payload, status = {"error": {"message": answer.message, "type": "server_error"}}, answer.status
            else:
                payload, status = {
                    "id": f"chatcmpl-{len(fake.requests)}", "object": "chat.completion", "created": 1700000000,
                    "model": body.get("model", "fake"),
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": answer.content}}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}, 200
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client gave up (timeout test)
                pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:  # no tracebacks on stderr
        pass


@contextmanager
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLLM]:
    """A scripted OpenAI-compatible server on 127.0.0.1, configured through the environment (``OPENAI_*``,
    ``TRAINER_AGENT_LLM_MODEL``). Until a test scripts it, it answers "{}" (an empty TaskSpec; an invalid
    moderation answer)."""
    fake = FakeLLM(url="")
    server = _Server(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    fake.script(Answer("{}"))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    monkeypatch.setenv("OPENAI_BASE_URL", fake.url)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("TRAINER_AGENT_LLM_MODEL", "fake-model")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    try:
        yield fake
    finally:
        fake.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
