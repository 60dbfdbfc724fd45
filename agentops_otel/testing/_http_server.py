"""The HTTP half of the fake provider servers: threads, lifecycle, the reply queue, the request log.

``OpenAIServer`` and ``AnthropicServer`` differ only in the wire: which paths exist, how a reply
becomes a JSON body or a list of server-sent events, and what an error body looks like. Everything
else (binding, shutting down without leaking handler threads, scripting replies, recording requests,
delays and mid-stream cuts) lives here once, so a fix to one server is a fix to both.
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
from typing import Any, ClassVar, Self, cast
from urllib.parse import urlsplit

from .. import _forksafe
from ._form import decode_form
from ._openai_payloads import JSON, Reply, Request
from ._prompt_close import PromptlyClosed

__all__ = ["Responder", "ScriptedServer"]

Responder = Callable[[Request], Reply | None]
"""Decides the reply to a request once the queue is empty; ``None`` means "use the default reply"."""

_STREAMED = frozenset({"text", "tool_calls"})
"""Reply kinds a streamed request gets as server-sent events; the others answer it whole."""

# A test-setup mistake, not a simulated outage: tell the SDK not to retry it into the next reply.
NO_RETRY = (("x-should-retry", "false"),)


class ScriptedServer:
    """A provider-compatible HTTP server on 127.0.0.1, in a daemon thread, scripted by the test.

    Safe to use from several client threads or event loops at once: the reply queue, the responder and
    the request log are guarded by one lock, and the responder itself runs outside it.
    """

    _routes: ClassVar[dict[tuple[str, str], str]] = {}
    """(method, path) → endpoint name; anything else is a 404."""
    _reply_kinds: ClassVar[dict[str, frozenset[str]]] = {}
    """Which ``Reply`` kinds can answer each endpoint."""
    _url_prefix: ClassVar[str] = ""
    """What ``base_url`` ends with (``/v1`` for OpenAI, nothing for Anthropic, whose SDK adds it)."""

    def __init__(self, port: int = 0, *, host: str = "127.0.0.1") -> None:
        self._host = host
        self._port = port
        self._lock = _forksafe.lock()
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
                name=type(self).__name__,
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
            name = type(self).__name__
            raise RuntimeError(f"{name} is not running: call start() or use it as a context manager")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """What to pass as the client's ``base_url``."""
        return f"http://{self._host}:{self.port}{self._url_prefix}"

    def _endpoint(self, method: str, path: str) -> str | None:
        """The endpoint a request names (``None``: a 404); a server whose clients spell one path several
        ways (Azure's deployment paths) maps them here."""
        return self._routes.get((method, path))

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

    # -- the wire, per provider --------------------------------------------------------------------

    def _default_reply(self, request: Request, endpoint: str) -> Reply:
        text = " ".join(request.last_user_text.split())
        return Reply.text(f"ok: {text[:57] + '...' if len(text) > 60 else text}")

    def _error_body(self, status: int, reply: Reply | None, message: str, request_id: str) -> JSON:
        """The error body for ``reply`` (an error reply) or, without one, for a server-side ``message``."""
        raise NotImplementedError

    def _json_body(self, reply: Reply, request: Request, endpoint: str, created: int) -> JSON:
        raise NotImplementedError

    def _sse_frames(self, reply: Reply, request: Request, endpoint: str, created: int) -> list[bytes]:
        raise NotImplementedError

    def _stream_error_frame(self, body: JSON) -> bytes:
        """The server-sent event that reports ``body`` (an error body) inside a stream."""
        raise NotImplementedError

    def _binary_body(self, reply: Reply, request: Request, endpoint: str) -> tuple[bytes, str] | None:
        """``(body, content type)`` for endpoints that answer with bytes rather than JSON (audio)."""
        return None

    def _static(self, request: Request, endpoint: str) -> JSON | None:
        """A body for endpoints that need no reply (model lists); ``None`` for the scripted ones."""
        return None

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

    def _next_reply(self, request: Request, endpoint: str) -> Reply:
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
        return self._default_reply(request, endpoint)


def sse_frame(event: JSON, name: str | None = None) -> bytes:
    """One server-sent event (``event:`` line only when named)."""
    head = b"event: " + name.encode() + b"\n" if name else b""
    return head + b"data: " + dumps(event) + b"\n\n"


def dumps(body: JSON) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


class _HTTPServer(PromptlyClosed, ThreadingHTTPServer):
    daemon_threads = True
    # Don't join handler threads on close: a keep-alive connection or a long delay would block it.
    block_on_close = False

    def __init__(self, address: tuple[str, int], owner: ScriptedServer) -> None:
        self.owner = owner
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 for keep-alive and chunked streams: an SSE body cut short must look truncated to the
    # client (incomplete chunked read), not like a normal end of a read-until-close body.
    protocol_version = "HTTP/1.1"
    server_version = "agentops-otel-test-server"
    # Headers and body go out in separate small writes; with Nagle on, the second waits for the
    # client's delayed ACK (~40 ms per non-streamed reply on a kept-alive connection).
    disable_nagle_algorithm = True
    _request_id = ""

    @property
    def _owner(self) -> ScriptedServer:
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
        owner = self._owner
        self._request_id = owner._new_id("req_")
        request, body_ok = self._read_request()
        owner._record(request)
        endpoint = owner._endpoint(request.method, request.path)
        if not body_ok:
            self._send_error(400, "We could not parse the JSON body of your request.")
        elif endpoint is None:
            self._send_error(404, f"Invalid URL ({request.method} {request.path})")
        elif (static := owner._static(request, endpoint)) is not None:
            self._send_json(200, static)
        else:
            self._answer(request, endpoint)

    def _read_request(self) -> tuple[Request, bool]:
        """The request as recorded, and whether its body was a JSON object or a form (an empty body counts)."""
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        content_type = self.headers.get("content-type") or ""
        try:
            body: Any = (decode_form(content_type, raw) if content_type.startswith("multipart/form-data")
                         else json.loads(raw))
        except ValueError:
            body = None
        headers = {name.lower(): value for name, value in self.headers.items()}
        path = urlsplit(self.path).path.rstrip("/")
        valid = isinstance(body, dict)
        return Request(self.command, path, headers, body if valid else {}), valid

    def _answer(self, request: Request, endpoint: str) -> None:
        owner = self._owner
        name = type(owner).__name__
        try:
            reply = owner._next_reply(request, endpoint)
        except Exception as exc:
            self._send_error(500, f"{name} responder failed: {exc!r}", NO_RETRY)
            return
        if reply.kind not in owner._reply_kinds[endpoint]:
            self._send_error(400, f"{name}: a {reply.kind!r} reply cannot answer {request.method} {request.path}",
                             NO_RETRY)
            return
        if reply.delay > 0 and owner._closing.wait(reply.delay):
            self._drop_connection()
            return
        if reply.kind == "error" and request.stream and reply.fail_after_chunks is not None:
            answer = Reply.text("an answer cut short by an error")
            frames = owner._sse_frames(answer, request, endpoint, int(time.time()))[:reply.fail_after_chunks]
            error = owner._stream_error_frame(owner._error_body(reply.status, reply, "", self._request_id))
            self._send_stream([*frames, error], None)
            return
        if reply.kind == "error":
            self._send_json(reply.status, owner._error_body(reply.status, reply, "", self._request_id),
                            reply.retry_headers())
            return
        # Number missing call ids once, so a stream's deltas and its final object name the same calls.
        calls = tuple(c if c.call_id else replace(c, call_id=owner._new_id("call_")) for c in reply.calls)
        reply = replace(reply, calls=calls)
        created = int(time.time())
        if request.stream and reply.kind in _STREAMED:
            self._send_stream(owner._sse_frames(reply, request, endpoint, created), reply.fail_after_chunks)
        elif reply.fail_after_chunks is not None:
            self._drop_connection()
        elif (raw := owner._binary_body(reply, request, endpoint)) is not None:
            self._send_bytes(*raw)
        else:
            self._send_json(200, owner._json_body(reply, request, endpoint, created))

    # -- writing -----------------------------------------------------------------------------------

    def _send_json(self, status: int, body: JSON, headers: Iterable[tuple[str, str]] = ()) -> None:
        data = dumps(body)
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-request-id", self._request_id)
        self.send_header("request-id", self._request_id)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_bytes(self, data: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        self.send_header("x-request-id", self._request_id)
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, status: int, message: str, headers: Iterable[tuple[str, str]] = ()) -> None:
        self._send_json(status, self._owner._error_body(status, None, message, self._request_id), headers)

    def _send_stream(self, frames: list[bytes], fail_after: int | None) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("transfer-encoding", "chunked")
        self.send_header("cache-control", "no-cache")
        self.send_header("x-request-id", self._request_id)
        self.send_header("request-id", self._request_id)
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
