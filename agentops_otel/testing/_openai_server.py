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
waits about a second); that is the way to test retry handling itself. ``Reply.error(..., retry=False)``
sends ``x-should-retry: false``, as the API does for an error a retry cannot cure: the SDK raises at once.

Served under ``/v1``: ``POST /chat/completions`` (JSON and SSE), ``POST /responses`` (JSON and SSE),
``POST /embeddings`` (float and base64), the legacy ``POST /completions`` (JSON and SSE; ``Reply.text``),
``POST /images/generations``, ``/images/edits`` and ``/images/variations`` (``Reply.image``),
``POST /audio/speech`` (bytes; ``Reply.speech``), ``POST /audio/transcriptions`` and ``/audio/translations``
(``Reply.text``; token usage when the reply has it, else a duration), ``POST /batches`` (the batch as
created, still validating its input file; ``Reply.batch``, the default there), ``GET /models``. A form upload
(``multipart/form-data``) is recorded as its fields, a file as ``{"filename", "size"}``. Anything else is a
404 with an OpenAI error body. One choice per completion (``n`` is ignored). Every request, including 404s, is recorded.

The same endpoints answer the ``AzureOpenAI`` / ``AsyncAzureOpenAI`` clients, made with
``azure_endpoint=server.azure_endpoint``: they send to ``/openai/deployments/<deployment>/...`` (chat, embeddings,
completions, images, audio) or ``/openai/...`` (responses), with ``?api-version=``; Azure's v1 paths
(``/openai/v1/...``) answer too. Requests are logged with the path as sent. Like any request, one to a deployment
is answered as the model its body names (the deployment's name, for Azure clients) unless the reply names one:
Azure answers with the deployed model's own name (``Reply.text(..., model="gpt-4o-2024-08-06")``).
"""

from __future__ import annotations

from typing import ClassVar

from . import _openai_more_payloads as more
from . import _openai_payloads as payloads
from ._http_server import Responder, ScriptedServer, sse_frame
from ._openai_payloads import JSON, Reply, Request, ToolCall, Usage

__all__ = ["OpenAIServer", "Reply", "Request", "Responder", "ToolCall", "Usage"]

_MODELS = (payloads.DEFAULT_MODEL, "gpt-4o", payloads.DEFAULT_EMBEDDING_MODEL)
_AZURE_PREFIX = "/openai/"
_AZURE_DEPLOYMENTS = "/openai/deployments/"


class OpenAIServer(ScriptedServer):
    """An OpenAI-compatible HTTP server on 127.0.0.1, in a daemon thread, scripted by the test.

    Safe to use from several client threads or event loops at once: the reply queue, the responder and
    the request log are guarded by one lock, and the responder itself runs outside it.
    """

    _routes: ClassVar[dict[tuple[str, str], str]] = {
        ("POST", "/v1/chat/completions"): "chat",
        ("POST", "/v1/responses"): "responses",
        ("POST", "/v1/embeddings"): "embeddings",
        ("POST", "/v1/completions"): "completions",
        ("POST", "/v1/images/generations"): "images",
        ("POST", "/v1/images/edits"): "images",
        ("POST", "/v1/images/variations"): "images",
        ("POST", "/v1/audio/transcriptions"): "transcriptions",
        ("POST", "/v1/audio/translations"): "transcriptions",
        ("POST", "/v1/audio/speech"): "speech",
        ("POST", "/v1/batches"): "batches",
        ("GET", "/v1/models"): "models",
    }
    _reply_kinds: ClassVar[dict[str, frozenset[str]]] = {
        "chat": frozenset({"text", "tool_calls", "error"}),
        "responses": frozenset({"text", "tool_calls", "error"}),
        "embeddings": frozenset({"embedding", "error"}),
        "completions": frozenset({"text", "error"}),
        "images": frozenset({"image", "error"}),
        "speech": frozenset({"speech", "error"}),
        "transcriptions": frozenset({"text", "error"}),
        "batches": frozenset({"batch", "error"}),
        "models": frozenset(),
    }
    _url_prefix = "/v1"

    @property
    def base_url(self) -> str:
        """What to pass as ``OpenAI(base_url=...)``, ``/v1`` included."""
        return super().base_url

    @property
    def azure_endpoint(self) -> str:
        """What to pass as ``AzureOpenAI(azure_endpoint=...)``: the server's origin (the client adds ``/openai``)."""
        return super().base_url.removesuffix(self._url_prefix)

    def _endpoint(self, method: str, path: str) -> str | None:
        """Azure's paths name the same endpoints: ``/openai/deployments/<name>/chat/completions``,
        ``/openai/responses`` and ``/openai/v1/chat/completions`` are ``/v1/chat/completions`` and ``/v1/responses``."""
        if path.startswith(_AZURE_PREFIX):
            if path.startswith(_AZURE_DEPLOYMENTS):
                _, slash, rest = path[len(_AZURE_DEPLOYMENTS):].partition("/")
                path = self._url_prefix + slash + rest
            else:
                path = self._url_prefix + "/" + path[len(_AZURE_PREFIX):].removeprefix("v1/")
        return super()._endpoint(method, path)

    def _default_reply(self, request: Request, endpoint: str) -> Reply:
        if endpoint == "embeddings":
            return Reply.embedding()
        if endpoint == "images":
            return Reply.image()
        if endpoint == "speech":
            return Reply.speech()
        if endpoint == "batches":
            return Reply.batch()
        return super()._default_reply(request, endpoint)

    def _static(self, request: Request, endpoint: str) -> JSON | None:
        if endpoint != "models":
            return None
        models = [{"id": m, "object": "model", "created": 1_700_000_000, "owned_by": "system"} for m in _MODELS]
        return {"object": "list", "data": models}

    def _error_body(self, status: int, reply: Reply | None, message: str, request_id: str) -> JSON:
        if reply is not None:
            return payloads.openai_error(reply)
        return payloads.error_body(message, "server_error" if status >= 500 else "invalid_request_error", None)

    def _json_body(self, reply: Reply, request: Request, endpoint: str, created: int) -> JSON:
        if endpoint == "chat":
            return payloads.chat_completion(reply, request, self._new_id, created)
        if endpoint == "responses":
            return payloads.response(reply, request, self._new_id, created)
        if endpoint == "completions":
            return more.completion(reply, request, self._new_id, created)
        if endpoint == "images":
            return more.images(reply, request, created)
        if endpoint == "transcriptions":
            return more.transcription(reply)
        if endpoint == "batches":
            return more.batch(request, self._new_id, created)
        return payloads.embeddings(reply, request)

    def _binary_body(self, reply: Reply, request: Request, endpoint: str) -> tuple[bytes, str] | None:
        if endpoint == "speech":
            return more.speech(reply, request), "audio/mpeg"
        if endpoint == "transcriptions" and request.json.get("response_format") in more.PLAIN_TRANSCRIPTS:
            return reply.content.encode(), "text/plain; charset=utf-8"
        return None

    def _stream_error_frame(self, body: JSON) -> bytes:
        return sse_frame(body)

    def _sse_frames(self, reply: Reply, request: Request, endpoint: str, created: int) -> list[bytes]:
        if endpoint == "chat":
            chunks = payloads.chat_chunks(reply, request, self._new_id, created)
            return [sse_frame(chunk) for chunk in chunks] + [b"data: [DONE]\n\n"]
        if endpoint == "completions":
            chunks = more.completion_chunks(reply, request, self._new_id, created)
            return [sse_frame(chunk) for chunk in chunks] + [b"data: [DONE]\n\n"]
        events = payloads.response_events(reply, request, self._new_id, created)
        return [sse_frame(event, str(event["type"])) for event in events]
