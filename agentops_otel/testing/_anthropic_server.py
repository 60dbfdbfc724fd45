"""A local, scriptable stand-in for the Anthropic Messages API, the twin of ``OpenAIServer``.

Tests point the *real* ``anthropic`` client at it, so the SDK's request building, response parsing,
SSE event handling, stream helpers and error mapping (and any instrumentation around them) stay in
the loop::

    from anthropic import Anthropic
    from agentops_otel.testing import AnthropicServer, Reply

    with AnthropicServer() as server:
        client = Anthropic(base_url=server.base_url, api_key="test", max_retries=0)
        server.queue(Reply.tool_calls(("fetch_customer_data", {"customer_id": "42"})), Reply.text("billing"))
        ...  # run the agent
        assert server.requests[1].messages[-1]["content"][0]["type"] == "tool_result"

It is scripted exactly like ``OpenAIServer`` (same ``Reply``, queue, responder, request log and
defaults), so one scripted conversation plays on either provider. Served: ``POST /v1/messages``
(JSON and SSE; the beta surface posts to the same path), ``POST /v1/messages/batches`` (the batch as
created, every request still processing; ``Reply.batch``, the default there), ``POST
/v1/messages/count_tokens`` and ``GET /v1/models``. Errors carry Anthropic's ``{"type": "error",
"error": {...}}`` body, so the SDK raises its own exception classes. As with the OpenAI server, pass
``max_retries=0`` to the client when a test expects an error: the SDK retries 408/409/429/5xx and each
retry takes the next reply (unless the reply says otherwise: ``Reply.error(..., retry=False)``).

The same endpoint answers the cloud clients made with ``base_url=server.base_url``: ``AnthropicBedrock`` (with an
``api_key``: no AWS credentials) posts to ``/model/<model>/invoke``, ``AnthropicVertex`` (with an
``access_token``) to ``/projects/<p>/locations/<region>/publishers/anthropic/models/<model>:rawPredict`` (or
``:streamRawPredict``, SSE as above). Their bodies leave the model out (it is in the path), so the answer names the
server's default model unless the reply names one: both clouds answer with Anthropic's own id
(``Reply.text(..., model="claude-sonnet-4-5-20250929")``). Bedrock's streams (``invoke-with-response-stream``) are
AWS event-stream frames, not SSE: not served.
"""

from __future__ import annotations

from typing import ClassVar

from . import _anthropic_payloads as payloads
from ._http_server import Responder, ScriptedServer, sse_frame
from ._script import JSON, Reply, Request, ToolCall, Usage, prompt_tokens

__all__ = ["AnthropicServer", "Reply", "Request", "Responder", "ToolCall", "Usage"]

_MODELS = (payloads.DEFAULT_MODEL, "claude-sonnet-4-5", "claude-opus-4-1")
_BEDROCK_PREFIX = "/model/"
_BEDROCK_INVOKE = "/invoke"
_VERTEX_PREFIX = "/projects/"
_VERTEX_MODELS = "/publishers/anthropic/models/"
_VERTEX_METHODS = (":rawPredict", ":streamRawPredict")


class AnthropicServer(ScriptedServer):
    """An Anthropic-compatible HTTP server on 127.0.0.1, in a daemon thread, scripted by the test."""

    _routes: ClassVar[dict[tuple[str, str], str]] = {
        ("POST", "/v1/messages"): "messages",
        ("POST", "/v1/messages/batches"): "batches",
        ("POST", "/v1/messages/count_tokens"): "count_tokens",
        ("GET", "/v1/models"): "models",
    }
    _reply_kinds: ClassVar[dict[str, frozenset[str]]] = {
        "messages": frozenset({"text", "tool_calls", "error"}),
        "batches": frozenset({"batch", "error"}),
        "count_tokens": frozenset(),
        "models": frozenset(),
    }

    @property
    def base_url(self) -> str:
        """What to pass as ``Anthropic(base_url=...)`` (no ``/v1``: the SDK adds it)."""
        return super().base_url

    def _endpoint(self, method: str, path: str) -> str | None:
        """Bedrock's and Vertex AI's paths for a model call name ``/v1/messages`` (the model is in the path)."""
        if method == "POST" and (
                (path.startswith(_BEDROCK_PREFIX) and path.endswith(_BEDROCK_INVOKE))
                or (path.startswith(_VERTEX_PREFIX) and _VERTEX_MODELS in path and path.endswith(_VERTEX_METHODS)
                    and "/count-tokens:" not in path)):
            path = "/v1/messages"
        return super()._endpoint(method, path)

    def _default_reply(self, request: Request, endpoint: str) -> Reply:
        return Reply.batch() if endpoint == "batches" else super()._default_reply(request, endpoint)

    def _static(self, request: Request, endpoint: str) -> JSON | None:
        if endpoint == "count_tokens":
            return {"input_tokens": prompt_tokens(request)}
        if endpoint == "models":
            data = [{"type": "model", "id": m, "display_name": m, "created_at": "2025-10-01T00:00:00Z"}
                    for m in _MODELS]
            return {"data": data, "has_more": False, "first_id": _MODELS[0], "last_id": _MODELS[-1]}
        return None

    def _error_body(self, status: int, reply: Reply | None, message: str, request_id: str) -> JSON:
        return payloads.error_body(status, reply, message, request_id)

    def _json_body(self, reply: Reply, request: Request, endpoint: str, created: int) -> JSON:
        if endpoint == "batches":
            return payloads.message_batch(request, self._new_id, created)
        return payloads.message(reply, request, self._new_id)

    def _sse_frames(self, reply: Reply, request: Request, endpoint: str, created: int) -> list[bytes]:
        return [sse_frame(event, str(event["type"])) for event in payloads.message_events(reply, request, self._new_id)]

    def _stream_error_frame(self, body: JSON) -> bytes:
        return sse_frame({"type": "error", "error": body["error"]}, "error")
