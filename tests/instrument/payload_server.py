"""A provider endpoint answering with exact payloads, for what the scripted servers never send (a usage
object lacking a count, Azure's filter-results chunk): the real client still parses every byte."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from agentops_otel.testing._prompt_close import PromptlyClosed


class _PromptServer(PromptlyClosed, ThreadingHTTPServer):
    """Closed at once at the end of each test, not at its next poll."""


_Answer = tuple[str, bytes]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    answers: queue.Queue[_Answer]

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        kind, body = self.answers.get_nowait()
        self.send_response(200)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class PayloadServer:
    """Answers each POST with the next queued payload, whatever the path."""

    def __init__(self, url: str, answers: queue.Queue[_Answer]) -> None:
        self.url = url
        self._answers = answers

    def json(self, payload: dict[str, Any]) -> None:
        self._answers.put(("application/json", json.dumps(payload).encode()))

    def sse(self, *events: dict[str, Any] | tuple[str, dict[str, Any]], done: bool = True) -> None:
        """Server-sent events, each a JSON object or ``(event name, object)``; ``done`` ends with ``[DONE]``."""
        frames = []
        for event in events:
            name, data = event if isinstance(event, tuple) else (None, event)
            frames.append((f"event: {name}\n" if name else "") + f"data: {json.dumps(data)}\n\n")
        if done:
            frames.append("data: [DONE]\n\n")
        self._answers.put(("text/event-stream", "".join(frames).encode()))


@contextmanager
def payload_server() -> Iterator[PayloadServer]:
    answers: queue.Queue[_Answer] = queue.Queue()
    handler = type("Handler", (_Handler,), {"answers": answers})
    server = _PromptServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield PayloadServer(f"http://127.0.0.1:{server.server_address[1]}", answers)
    finally:
        server.shutdown()
        server.server_close()
