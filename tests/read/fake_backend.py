"""A tiny local HTTP server standing in for Jaeger or Tempo in the read tests."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from agentops_otel.testing._prompt_close import PromptlyClosed


class _PromptServer(PromptlyClosed, ThreadingHTTPServer):
    """Closed at once at the end of each test, not at its next poll."""


Handler = Callable[[str, dict[str, list[str]]], tuple[int, bytes | str | dict[str, Any]]]


@dataclass
class FakeBackend:
    """Routes by path prefix; records every request as (path, query)."""

    url: str
    routes: dict[str, Handler | tuple[int, Any]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, list[str]]]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    """The headers of each request, in the order of ``requests`` (names lowercased)."""
    delay: float = 0.0

    def route(self, path: str, answer: Handler | tuple[int, Any]) -> None:
        self.routes[path] = answer


@contextmanager
def serve() -> Iterator[FakeBackend]:
    """Run a server answering from ``routes`` (longest matching path prefix; 404 otherwise)."""
    state = FakeBackend(url="")

    class _Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            state.requests.append((parts.path, query))
            state.headers.append({k.lower(): v for k, v in self.headers.items()})
            if state.delay:
                time.sleep(state.delay)
            match = max((p for p in state.routes if parts.path.startswith(p)), key=len, default=None)
            status, body = (404, {"error": {"httpCode": 404, "message": "not found"}}) if match is None else (
                state.routes[match] if isinstance(state.routes[match], tuple)
                else state.routes[match](parts.path, query))  # type: ignore[operator]
            data = body if isinstance(body, bytes) else body.encode() if isinstance(body, str) else json.dumps(
                body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = _PromptServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


