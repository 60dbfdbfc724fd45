"""Per-provider knowledge for recording and replay: where the client sends, what a request means.

Both the recorder and the replayer sit on the provider SDK's own send method (for openai,
``OpenAI._send_request`` / ``AsyncOpenAI._send_request``): below our instrumentation and the SDK's
request building, above the network. So the agent gets the real client objects it expects —
``ChatCompletion``, ``Stream`` that streams, ``.parse()`` results, raw responses — built by the SDK
itself from the recorded bytes, the LLM span is still created with its usage and cost, and no
socket is opened. A provider only says which classes to patch, and how a request body reads as a
step (the GenAI attributes the trace would carry, so live and trace-derived recordings compare
equal). Anthropic plugs in with one more entry in :data:`PROVIDERS`.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from .. import semconv
from .._redact import mask_text
from ..llm import content_attributes
from ._masking import mask

__all__ = ["BETA_HEADERS", "CONTENT_DIGEST", "PROVIDERS", "RETRY_HEADERS", "TRACE_ANSWERS", "TRACE_SDKS", "Provider",
           "answer_headers", "content_fields", "plain_endpoint", "request_extra", "request_headers", "request_view",
           "sse_bytes", "sse_events"]

TRACE_ANSWERS: Final = (semconv.PROVIDER_OPENAI, "/chat/completions")
"""The only calls a replay built from a trace answers (:mod:`._from_trace`): any other needs a cassette."""
TRACE_SDKS: Final = {semconv.PROVIDER_OPENAI: "openai", semconv.PROVIDER_AZURE_OPENAI: "openai"}
"""The SDK (a :class:`Provider`'s name) whose client made a call a span names by ``gen_ai.provider.name``: Azure
OpenAI's calls are the ``openai`` SDK's (``AzureOpenAI``), answered as OpenAI's are."""
_DEPLOYMENTS: Final = "/deployments/"


def plain_endpoint(endpoint: str) -> str:
    """The endpoint a request path names past the client's base URL: an ``AzureOpenAI`` client not bound to a
    deployment sends to ``/deployments/<name>/chat/completions``, the chat endpoint (the deployment is the
    request's ``model``, compared as such); one bound to it, or an ``OpenAI`` client, sends to ``/chat/completions``."""
    if endpoint.startswith(_DEPLOYMENTS):
        _, slash, rest = endpoint[len(_DEPLOYMENTS):].partition("/")
        return slash + rest if slash else endpoint
    return endpoint
_UNBOUNDED: Final = 1 << 62
"""No bound and no budget: a recording keeps each request whole (the history and the tools the trace cuts)."""
_PARAM_PREFIX: Final = semconv.GEN_AI_REQUEST_PREFIX
_CONTENT_KEYS: Final = {
    semconv.GEN_AI_INPUT_MESSAGES: "messages",
    semconv.GEN_AI_SYSTEM_INSTRUCTIONS: "system",
    semconv.GEN_AI_TOOL_DEFINITIONS: "tools",
}


@dataclass(frozen=True)
class Provider:
    """One provider SDK: the classes whose send method is patched and how to read a request."""

    name: str
    targets: tuple[tuple[str, str, bool], ...]
    """``(module, class, is_async)`` of the clients whose ``send_method`` is patched: openai's client
    classes (their ``_send_request``), anthropic's default HTTP client (``send``). A client these do not
    cover (its own ``http_client=``, openai 1.x) is routed to the handler by :mod:`._seam_calls`."""
    send_method: str
    attributes: Callable[[str, Mapping[str, Any]], dict[str, Any]]
    """endpoint, request body -> the GenAI request attributes the trace would carry."""
    carried: Callable[[str], frozenset[str] | None]
    """endpoint -> the body fields those attributes carry as they are (None: the whole body)."""

    def classes(self) -> list[tuple[type, bool]]:
        found: list[tuple[type, bool]] = []
        for module, cls, is_async in self.targets:
            try:
                found.append((getattr(importlib.import_module(module), cls), is_async))
            except (ImportError, AttributeError):
                continue
        return found


def _openai_attributes(endpoint: str, body: Mapping[str, Any]) -> dict[str, Any]:
    from ..instrument import _openai_attrs as attrs
    from ..instrument import _openai_chat as chat
    from ..instrument import _openai_responses as responses

    streaming = body.get("stream") is True
    if endpoint.endswith("/chat/completions"):
        _, out = attrs.request_attributes(semconv.OP_CHAT, attrs.CHAT_PARAMS, body, streaming)
        out.update(content_attributes(chat.chat_content(body, _UNBOUNDED, _UNBOUNDED)))
    elif endpoint.endswith("/responses"):
        _, out = attrs.request_attributes(semconv.OP_CHAT, attrs.RESPONSES_PARAMS, body, streaming)
        out.update(content_attributes(responses.responses_content(body, _UNBOUNDED, _UNBOUNDED)))
    elif endpoint.endswith("/embeddings"):
        _, out = attrs.request_attributes(semconv.OP_EMBEDDINGS, attrs.EMBEDDINGS_PARAMS, body, False)
        out["input"] = body.get("input")
    else:
        out = {"body": dict(body)}
    return out


def _anthropic_attributes(endpoint: str, body: Mapping[str, Any]) -> dict[str, Any]:
    from ..instrument import _anthropic_attrs as attrs

    if not endpoint.endswith("/messages"):
        return {"body": dict(body)}
    _, out = attrs.request_attributes(body, body.get("stream") is True)
    out.update(content_attributes(attrs.message_content(body, _UNBOUNDED, _UNBOUNDED)))
    return out


def _openai_carried(endpoint: str) -> frozenset[str] | None:
    from ..instrument import _openai_attrs as attrs

    if endpoint.endswith("/chat/completions"):
        return _exact(attrs.CHAT_PARAMS, "model", "stream", "messages", "tools")
    if endpoint.endswith("/responses"):
        return _exact(attrs.RESPONSES_PARAMS, "model", "stream", "input", "instructions", "tools")
    if endpoint.endswith("/embeddings"):
        return _exact(attrs.EMBEDDINGS_PARAMS, "model", "input")
    return None


def _anthropic_carried(endpoint: str) -> frozenset[str] | None:
    from ..instrument import _anthropic_attrs as attrs

    if not endpoint.endswith("/messages"):
        return None
    return frozenset({"model", "stream", "messages", "system", "tools", "stop_sequences",
                      *attrs._FLOAT_PARAMS, *attrs._INT_PARAMS})


def _exact(params: Mapping[str, tuple[str, int]], *content: str) -> frozenset[str]:
    """The content fields and the parameters an attribute keeps whole (not ``response_format``: only its kind)."""
    return frozenset({*content, *(name for name, (key, _) in params.items() if key != semconv.GEN_AI_OUTPUT_TYPE)})


CONTENT_DIGEST: Final = "content_sha256"
"""Key of :func:`request_extra` holding a digest of each content field as it was sent, under the name the
request view gives it (``messages``, ``system``, ``tools``). The view keeps what the GenAI conventions have
a place for and drops the rest (a tool's ``strict``, an image's ``detail``, Anthropic's ``cache_control``, a
thinking block's signature, where one tool result's text blocks split): the digest makes a change there
diverge too, while the cassette stays readable."""

_CONTENT_FIELDS: Final = (
    ("/chat/completions", {"messages": "messages", "tools": "tools"}),
    ("/responses", {"input": "messages", "instructions": "system", "tools": "tools"}),
    ("/messages", {"messages": "messages", "system": "system", "tools": "tools"}),
)


def request_extra(provider: Provider, endpoint: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """The request's fields the trace does not carry (``tool_choice``, ``response_format``'s schema,
    ``stream_options``, ``reasoning_effort``, ``thinking``, ``user``, ...) and the :data:`CONTENT_DIGEST` of
    those it carries only in part: a recording keeps them, so a replay compares the whole request, not
    only what a span shows."""
    carried = provider.carried(endpoint)
    if carried is None:
        return {}
    extra = {key: value for key, value in body.items() if key not in carried}
    digests = {view: _digest(value) for view, value in content_fields(endpoint, body).items()}
    if digests:
        extra[CONTENT_DIGEST] = digests
    return extra


def content_fields(endpoint: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """The request's content fields as sent, by the name the request view gives them."""
    fields = next((names for suffix, names in _CONTENT_FIELDS if endpoint.endswith(suffix)), {})
    return {view: body[field] for field, view in fields.items() if body.get(field) is not None}


def _digest(value: Any) -> str:
    """Of the value as masked (a rotated key in a prompt is not a change), key order aside."""
    text = json.dumps(mask(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=repr)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


BETA_HEADERS: Final = ("anthropic-beta", "openai-beta")
"""Request headers that change what the provider does (``betas=[...]``, ``extra_headers``): part of the step."""


def request_headers(request: Any) -> dict[str, str]:
    """The :data:`BETA_HEADERS` the request sends, by their lower-case names (credential-shaped text masked)."""
    headers = getattr(request, "headers", None)
    if headers is None:
        return {}
    return {name: mask_text(str(headers[name])) for name in BETA_HEADERS if name in headers}


RETRY_HEADERS: Final = ("x-should-retry", "retry-after-ms", "retry-after")
"""Answer headers the openai and anthropic SDKs decide by whether, and how soon, to send a call again
(``_should_retry`` / ``_calculate_retry_timeout``): ``x-should-retry`` overrides the status rule, the other two
the backoff. Part of the answer, so a replay retries where the recording did, after the same wait. The SDKs read
others only to show them (``x-request-id``, ``request-id``, ``anthropic-workspace-id``): those stay out."""


def answer_headers(response: Any) -> dict[str, str]:
    """The :data:`RETRY_HEADERS` an answer carries, by their lower-case names (credential-shaped text masked)."""
    headers = getattr(response, "headers", None)
    if headers is None:
        return {}
    return {name: mask_text(str(headers[name])) for name in RETRY_HEADERS if name in headers}


def request_view(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The comparable request of an LLM step from its GenAI attributes (live or read from a trace)."""
    view: dict[str, Any] = {}
    params: dict[str, Any] = {}
    for key, value in attributes.items():
        if key == semconv.GEN_AI_REQUEST_MODEL:
            view["model"] = value
        elif key in _CONTENT_KEYS:
            view[_CONTENT_KEYS[key]] = _parsed(value)
        elif key.startswith(_PARAM_PREFIX):
            params[key[len(_PARAM_PREFIX):]] = list(value) if isinstance(value, tuple) else value
        elif key == semconv.GEN_AI_OUTPUT_TYPE:
            params["output_type"] = value
        elif key in ("input", "body"):
            view[key] = value
    if params:
        view["params"] = params
    return view


def _parsed(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value


PROVIDERS: Final = (
    Provider(
        "openai",
        (("openai", "OpenAI", False), ("openai", "AsyncOpenAI", True)),
        "_send_request",
        _openai_attributes,
        _openai_carried,
    ),
    Provider(
        "anthropic",
        (("anthropic._base_client", "SyncHttpxClientWrapper", False),
         ("anthropic._base_client", "AsyncHttpxClientWrapper", True)),
        "send",
        _anthropic_attributes,
        _anthropic_carried,
    ),
)


# --- server-sent events ------------------------------------------------------------------------

def sse_events(raw: bytes) -> list[dict[str, Any]]:
    """Split an SSE body into ``{"event", "data"}`` items; JSON data is parsed for readable cassettes."""
    out: list[dict[str, Any]] = []
    text = raw.decode("utf-8", errors="replace").replace("\r\n", "\n")
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        event: str | None = None
        data: list[str] = []
        for line in block.split("\n"):
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
        item: dict[str, Any] = {"data": _parsed("\n".join(data))}
        if event is not None:
            item["event"] = event
        out.append(item)
    return out


def sse_bytes(events: list[dict[str, Any]]) -> bytes:
    """The stream a server would have sent for these events."""
    chunks: list[str] = []
    for item in events:
        data = item.get("data")
        text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        event = item.get("event")
        chunks.append((f"event: {event}\n" if event else "") + f"data: {text}\n\n")
    return "".join(chunks).encode("utf-8")
