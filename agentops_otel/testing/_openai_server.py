"""A local, scriptable stand-in for the OpenAI HTTP API, so agent tests run deterministic and offline.

Tests point the *real* ``openai`` client at it, which keeps the SDK's request building, response
parsing, streaming and error mapping (and any instrumentation wrapped around them) in the loop::

    from openai import OpenAI
    from agentops_otel.testing import OpenAIServer, Reply

    with OpenAIServer() as server:
        client = OpenAI(base_url=server.base_url, api_key="test", max_retries=0)
        server.queue(Reply.tool_calls(("fetch_customer_data", {"customer_id": "42"})), Reply.text("billing"))
        ...  # run the agent
        assert server.requests[1].messages[-1]["role"] == "tool"

Each request takes the first queued reply (FIFO); with the queue empty the responder set by
``set_responder`` decides, and when there is none (or it returns ``None``) the server answers with a
deterministic ``"ok: <last user message>"`` (or hash-seeded vectors for embeddings).

Pass ``max_retries=0`` to the client when a test expects an error. The SDK retries 408/409/429/5xx
and dropped connections twice by default, and each retry consumes the next reply, so a queued
``Reply.error(429)`` would be followed by the default "ok" answer and the test would see success.
With retries on, ``Reply.error(..., retry_after=0.001)`` keeps the retry fast (the SDK otherwise
waits about a second); that is the way to test retry handling itself.

Served under ``/v1``: ``POST /chat/completions`` (JSON and SSE), ``POST /responses`` (JSON and SSE),
``POST /embeddings`` (float and base64), ``GET /models``. Anything else is a 404 with an OpenAI error
body. One choice per completion (``n`` is ignored). Every request, including 404s, is recorded.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, Self, cast
from urllib.parse import urlsplit

from . import _openai_payloads as payloads
from ._openai_payloads import Reply, Request, ToolCall, Usage

__all__ = ["OpenAIServer", "Reply", "Request", "Responder", "ToolCall", "Usage"]

Responder = Callable[[Request], Reply | None]
"""Decides the reply to a request once the queue is empty; ``None`` means "use the default reply"."""

Endpoint = Literal["chat", "responses", "embeddings", "models"]

_ROUTES: dict[tuple[str, str], Endpoint] = {
    ("POST", "/v1/chat/completions"): "chat",
    ("POST", "/v1/responses"): "responses",
    ("POST", "/v1/embeddings"): "embeddings",
    ("GET", "/v1/models"): "models",
}
_REPLY_KINDS: dict[Endpoint, frozenset[str]] = {
    "chat": frozenset({"text", "tool_calls", "error"}),
    "responses": frozenset({"text", "tool_calls", "error"}),
    "embeddings": frozenset({"embedding", "error"}),
    "models": frozenset(),
}
_MODELS = (payloads.DEFAULT_MODEL, "gpt-4o", payloads.DEFAULT_EMBEDDING_MODEL)
# A test-setup mistake, not a simulated outage: tell the SDK not to retry it into the next reply.
_NO_RETRY = (("x-should-retry", "false"),)


class OpenAIServer:
    """An OpenAI-compatible HTTP server on 127.0.0.1, in a daemon thread, scripted by the test.

    Safe to use from several client threads or event loops at once: the reply queue, the responder and
    the request log are guarded by one lock, and the responder itself runs outside it.
    """

    def __init__(self, port: int = 0, *, host: str = "127.0.0.1") -> None:
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._queue: deque[Reply] = deque()
        self._responder: Responder | None = None
        self._requests: list[Request] = []
        self._id_counters: dict[str, int] = {}
        self._connections: set[socket.socket] = set()
        # Set while closing so delayed replies stop waiting instead of holding the shutdown up.
        self._closing = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind and serve; a no-op when already running. ``port=0`` picks a free port."""
        if self._httpd is None:
            self._closing.clear()
            self._httpd = _HTTPServer((self._host, self._port), self)
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="OpenAIServer",
                daemon=True,
            )
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and cut open connections, so no handler thread outlives the test."""
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._closing.set()
        httpd.shutdown()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        if thread is not None:
            thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("OpenAIServer is not running: call start() or use it as a context manager")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """What to pass as ``OpenAI(base_url=...)``, ``/v1`` included."""
        return f"http://{self._host}:{self.port}/v1"

    # -- scripting ---------------------------------------------------------------------------------

    def queue(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order, before the responder is asked."""
        for reply in replies:
            if not isinstance(reply, Reply):
                raise TypeError(f"queue() takes Reply objects (Reply.text(...) etc.), got {reply!r}")
        with self._lock:
            self._queue.extend(replies)

    def set_responder(self, responder: Responder | None) -> None:
        """Compute replies from the request once the queue is empty; ``None`` removes the responder."""
        with self._lock:
            self._responder = responder

    @property
    def requests(self) -> list[Request]:
        """A snapshot of every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    @property
    def pending(self) -> int:
        """Queued replies not yet used, to assert that the agent made every call the test scripted."""
        with self._lock:
            return len(self._queue)

    def reset(self) -> None:
        """Forget queued replies, the responder, recorded requests and id numbering, between tests."""
        with self._lock:
            self._queue.clear()
            self._responder = None
            self._requests.clear()
            self._id_counters.clear()

    # -- used by the request handler ---------------------------------------------------------------

    def _record(self, request: Request) -> None:
        with self._lock:
            self._requests.append(request)

    def _new_id(self, prefix: str) -> str:
        """Sequential per prefix, so ids are stable across runs and unique within one server."""
        with self._lock:
            number = self._id_counters.get(prefix, 0) + 1
            self._id_counters[prefix] = number
        return f"{prefix}{number:06d}"

    def _track(self, connection: socket.socket, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def _next_reply(self, request: Request, endpoint: Endpoint) -> Reply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            responder = self._responder
        if responder is not None:
            reply = responder(request)
            if reply is not None:
                if not isinstance(reply, Reply):
                    raise TypeError(f"the responder must return a Reply or None, got {reply!r}")
                return reply
        return _default_reply(request, endpoint)


def _default_reply(request: Request, endpoint: Endpoint) -> Reply:
    if endpoint == "embeddings":
        return Reply.embedding()
    text = " ".join(request.last_user_text.split())
    return Reply.text(f"ok: {text[:57] + '...' if len(text) > 60 else text}")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # Don't join handler threads on close: a keep-alive connection or a long delay would block it.
    block_on_close = False

    def __init__(self, address: tuple[str, int], owner: OpenAIServer) -> None:
        self.owner = owner
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 for keep-alive and chunked streams: an SSE body cut short must look truncated to the
    # client (incomplete chunked read), not like a normal end of a read-until-close body.
    protocol_version = "HTTP/1.1"
    server_version = "agentops-otel-openai-test-server"
    # Headers and body go out in separate small writes; with Nagle on, the second waits for the
    # client's delayed ACK (~40 ms per non-streamed reply on a kept-alive connection).
    disable_nagle_algorithm = True
    _request_id = ""

    @property
    def _owner(self) -> OpenAIServer:
        return cast(_HTTPServer, self.server).owner

    def setup(self) -> None:
        super().setup()
        self._owner._track(self.connection, True)

    def finish(self) -> None:
        try:
            with suppress(OSError):
                super().finish()
        finally:
            self._owner._track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: the request log is ``server.requests``, and stderr noise hides test output."""

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def handle(self) -> None:
        try:
            super().handle()
        except OSError:
            # The client went away (timeout, stream closed early, pooled connection reset) or close()
            # cut the socket: nothing is left to answer, and a traceback on stderr would only be noise.
            self.close_connection = True

    def _handle(self) -> None:
        self._request_id = self._owner._new_id("req_")
        request, body_ok = self._read_request()
        self._owner._record(request)
        endpoint = _ROUTES.get((request.method, request.path))
        if not body_ok:
            self._send_error(
                400, "We could not parse the JSON body of your request.", "invalid_request_error"
            )
        elif endpoint is None:
            self._send_error(404, f"Invalid URL ({request.method} {request.path})", "invalid_request_error")
        elif endpoint == "models":
            models = [
                {"id": m, "object": "model", "created": 1_700_000_000, "owned_by": "system"} for m in _MODELS
            ]
            self._send_json(200, {"object": "list", "data": models})
        else:
            self._answer(request, endpoint)

    def _read_request(self) -> tuple[Request, bool]:
        """The request as recorded, and whether its body was a JSON object (an empty body counts)."""
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = None
        headers = {name.lower(): value for name, value in self.headers.items()}
        path = urlsplit(self.path).path.rstrip("/")
        valid = isinstance(body, dict)
        return Request(self.command, path, headers, body if valid else {}), valid

    def _answer(self, request: Request, endpoint: Endpoint) -> None:
        owner = self._owner
        try:
            reply = owner._next_reply(request, endpoint)
        except Exception as exc:
            self._send_error(500, f"OpenAIServer responder failed: {exc!r}", "server_error", _NO_RETRY)
            return
        if reply.kind not in _REPLY_KINDS[endpoint]:
            message = f"OpenAIServer: a {reply.kind!r} reply cannot answer {request.method} {request.path}"
            self._send_error(400, message, "invalid_request_error", _NO_RETRY)
            return
        if reply.delay > 0 and owner._closing.wait(reply.delay):
            self._drop_connection()
            return
        if reply.kind == "error":
            retry = [] if reply.retry_after is None else [("retry-after-ms", f"{reply.retry_after * 1000:g}")]
            self._send_error(
                reply.status, reply.error_message or "", reply.error_type, retry, reply.error_code
            )
            return
        # Number missing call ids once, so a stream's deltas and its final object name the same calls.
        calls = tuple(c if c.call_id else replace(c, call_id=owner._new_id("call_")) for c in reply.calls)
        reply = replace(reply, calls=calls)
        created = int(time.time())
        if request.stream and endpoint != "embeddings":
            self._send_stream(self._sse_frames(reply, request, endpoint, created), reply.fail_after_chunks)
        elif reply.fail_after_chunks is not None:
            self._drop_connection()
        elif endpoint == "chat":
            self._send_json(200, payloads.chat_completion(reply, request, owner._new_id, created))
        elif endpoint == "responses":
            self._send_json(200, payloads.response(reply, request, owner._new_id, created))
        else:
            self._send_json(200, payloads.embeddings(reply, request))

    def _sse_frames(self, reply: Reply, request: Request, endpoint: Endpoint, created: int) -> list[bytes]:
        new_id = self._owner._new_id
        if endpoint == "chat":
            chunks = payloads.chat_chunks(reply, request, new_id, created)
            return [b"data: " + _dumps(chunk) + b"\n\n" for chunk in chunks] + [b"data: [DONE]\n\n"]
        events = payloads.response_events(reply, request, new_id, created)
        return [
            b"event: " + str(event["type"]).encode() + b"\ndata: " + _dumps(event) + b"\n\n"
            for event in events
        ]

    # -- writing -----------------------------------------------------------------------------------

    def _send_json(self, status: int, body: dict[str, Any], headers: Iterable[tuple[str, str]] = ()) -> None:
        data = _dumps(body)
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-request-id", self._request_id)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_error(
        self,
        status: int,
        message: str,
        type: str | None,
        headers: Iterable[tuple[str, str]] = (),
        code: str | None = None,
    ) -> None:
        self._send_json(status, payloads.error_body(message, type, code), headers)

    def _send_stream(self, frames: list[bytes], fail_after: int | None) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("transfer-encoding", "chunked")
        self.send_header("cache-control", "no-cache")
        self.send_header("x-request-id", self._request_id)
        self.end_headers()
        for frame in frames if fail_after is None else frames[:fail_after]:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(frame), frame))
        if fail_after is not None:
            self._drop_connection()
            return
        self.wfile.write(b"0\r\n\r\n")

    def _drop_connection(self) -> None:
        """Close mid-message, like a network failure: the client sees a truncated response."""
        self.close_connection = True
        with suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def _dumps(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
