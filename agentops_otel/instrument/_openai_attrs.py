"""Pure functions from openai request kwargs and response objects to span attributes and content.

Nothing here touches a span or the network, so every shape can be unit-tested from plain dicts and
the openai models. Responses are read attribute by attribute (never ``model_dump()``): this runs on
every call. Inputs may be TypedDicts (what users usually pass) or the SDK's own models (what they
pass back from a previous response), so fields are read with :func:`_get`.

Only lists and tuples are read for content: ``messages`` and ``tools`` are typed ``Iterable`` and a
generator would be consumed before the SDK could send it.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import msgspec

from .. import _guard, _redact, _serialize, config, semconv
from ..llm import (
    Content,
    JSONDict,
    LLMCall,
    Outcome,
    TokenUsage,
    bounded,
    encode,
    encode_content,
    history_content,
    text_part,
    token_attributes,
    tool_call_part,
    tool_response_part,
)

__all__ = [
    "CHAT_PARAMS",
    "EMBEDDINGS_PARAMS",
    "RESPONSES_PARAMS",
    "chat_content",
    "chat_end",
    "chat_usage",
    "embeddings_outcome",
    "request_attributes",
    "response_attributes",
    "responses_content",
    "responses_outcome",
    "server_attributes",
]

# How to read one request kwarg: the attribute key and the kind of value it must be.
_FLOAT: Final = 0
_INT: Final = 1
_STOP: Final = 2
_CHAT_FORMAT: Final = 3
_TEXT_FORMAT: Final = 4
_STR_LIST: Final = 5

ParamTable = Mapping[str, tuple[str, int]]

CHAT_PARAMS: Final[ParamTable] = {
    "temperature": (semconv.GEN_AI_REQUEST_TEMPERATURE, _FLOAT),
    "top_p": (semconv.GEN_AI_REQUEST_TOP_P, _FLOAT),
    "max_tokens": (semconv.GEN_AI_REQUEST_MAX_TOKENS, _INT),
    "max_completion_tokens": (semconv.GEN_AI_REQUEST_MAX_TOKENS, _INT),
    "seed": (semconv.GEN_AI_REQUEST_SEED, _INT),
    "n": (semconv.GEN_AI_REQUEST_CHOICE_COUNT, _INT),
    "frequency_penalty": (semconv.GEN_AI_REQUEST_FREQUENCY_PENALTY, _FLOAT),
    "presence_penalty": (semconv.GEN_AI_REQUEST_PRESENCE_PENALTY, _FLOAT),
    "stop": (semconv.GEN_AI_REQUEST_STOP_SEQUENCES, _STOP),
    "response_format": (semconv.GEN_AI_OUTPUT_TYPE, _CHAT_FORMAT),
}
RESPONSES_PARAMS: Final[ParamTable] = {
    "temperature": (semconv.GEN_AI_REQUEST_TEMPERATURE, _FLOAT),
    "top_p": (semconv.GEN_AI_REQUEST_TOP_P, _FLOAT),
    "max_output_tokens": (semconv.GEN_AI_REQUEST_MAX_TOKENS, _INT),
    "text": (semconv.GEN_AI_OUTPUT_TYPE, _TEXT_FORMAT),
}
EMBEDDINGS_PARAMS: Final[ParamTable] = {
    "encoding_format": (semconv.GEN_AI_REQUEST_ENCODING_FORMATS, _STR_LIST),
}

_FORMAT_TYPES: Final = {"json_schema": "json", "json_object": "json", "text": "text"}


def _get(obj: Any, key: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(key)
    return getattr(obj, key, None)


def _format_type(fmt: Any) -> str | None:
    if isinstance(fmt, type):
        return "json"  # .parse(response_format=SomePydanticModel)
    kind = _get(fmt, "type")
    return _FORMAT_TYPES.get(kind) if isinstance(kind, str) else None


def _convert(kind: int, value: Any) -> Any:
    """The attribute value, or None when the kwarg holds a sentinel (``omit``) or an unexpected type."""
    if kind == _FLOAT:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        return None
    if kind == _INT:
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if kind in (_STOP, _STR_LIST):
        if isinstance(value, str):
            return [value]
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return list(value)
        return None
    if kind == _CHAT_FORMAT:
        return _format_type(value)
    if kind == _TEXT_FORMAT:
        return _format_type(_get(value, "format"))
    return None  # pragma: no cover - every table entry uses a kind above


def request_attributes(operation: str, params: ParamTable, kwargs: Mapping[str, Any],
                       streaming: bool) -> tuple[str | None, dict[str, Any]]:
    """The request model and the attributes known before the call (name, params, stream flag)."""
    model = kwargs.get("model")
    if not isinstance(model, str):
        model = None
    attrs: dict[str, Any] = {
        semconv.GEN_AI_OPERATION_NAME: operation,
        semconv.GEN_AI_PROVIDER_NAME: semconv.PROVIDER_OPENAI,
    }
    if model:
        attrs[semconv.GEN_AI_REQUEST_MODEL] = model
    for name, value in kwargs.items():
        spec = params.get(name)
        if spec is not None and value is not None:
            converted = _convert(spec[1], value)
            if converted is not None:
                attrs[spec[0]] = converted
    if streaming and operation != semconv.OP_EMBEDDINGS:
        attrs[semconv.GEN_AI_REQUEST_STREAM] = True  # the conventions: set only when streaming
    return model, attrs


_DEFAULT_PORTS: Final = {"https": 443, "http": 80}


_servers: dict[int, tuple[Any, str | None, int | None]] = {}
"""``server.*`` per base_url object (by id; the URL is kept, so the id can't be reused): parsing the
URL's host and port took a few µs on every call. URLs are immutable; a client given a new base_url
holds a new object."""
_SERVERS_MAX: Final = 64

_url_fields: dict[int, str | None] = {}
"""Per ``base_url`` property of the openai SDK's own client classes (by id; they are kept in
``_sdk_url_properties``): the instance attribute it returns (``None``: ask the property). That property
is three frames and an import statement per read in current SDKs (``base_url`` →
``_client_auth.syncbase_url``) and it ran on every call; the stored URL is one look-up in the client's
instance dict. The property is looked up on the client's class at each call, so a subclass's own, or
one a test patched in (``PropertyMock``), is asked instead."""
_URL_FIELD_NAMES: Final = ("_configured_base_url", "_base_url")
"""Where the SDK keeps it: ``_configured_base_url`` since openai 3, ``_base_url`` before."""
_sdk_url_properties: tuple[Any, ...] | None = None


def _sdk_properties() -> tuple[Any, ...]:
    """The ``base_url`` properties the openai SDK's own client classes define (none while openai is not
    imported: an anthropic-only program has no openai client, and openai is an optional dependency)."""
    global _sdk_url_properties
    if _sdk_url_properties is None:
        openai = sys.modules.get("openai")
        if openai is None:
            return ()
        found: list[Any] = []
        for name in ("OpenAI", "AsyncOpenAI", "AzureOpenAI", "AsyncAzureOpenAI"):
            for klass in getattr(getattr(openai, name, None), "__mro__", ()):
                prop = vars(klass).get("base_url")
                if isinstance(prop, property) and all(prop is not seen for seen in found):
                    found.append(prop)
        _sdk_url_properties = tuple(found)
    return _sdk_url_properties


def _url_field(prop: Any, client: Any) -> str | None:
    """The field ``prop`` returns on ``client`` (found by identity, and kept), when ``prop`` is the SDK's
    own property; else ``None``."""
    if not any(prop is known for known in _sdk_properties()):
        return None
    fields = getattr(client, "__dict__", None)
    if not isinstance(fields, dict):
        return None
    current = client.base_url
    field = next((name for name in _URL_FIELD_NAMES if fields.get(name) is current), None)
    _url_fields[id(prop)] = field
    return field


def server_attributes(attrs: dict[str, Any], resource: Any) -> None:
    """``server.*`` from the client's base_url (never its headers: those carry the API key); none when
    the client is not one that can say (an odd stand-in), rather than no span at all."""
    client = resource._client
    try:
        prop = None
        for klass in type(client).__mro__:  # the class attribute as it is: a getattr would call a mock's __get__
            prop = klass.__dict__.get("base_url")
            if prop is not None:
                break
        field = _url_fields.get(id(prop), "")
        if field == "":  # not the SDK's own property, or not seen yet
            field = _url_field(prop, client)
        url = client.__dict__.get(field) if field is not None else None
        if url is None:
            url = client.base_url
    except Exception as exc:
        _guard.report("instrument.server_address", exc)
        return
    hit = _servers.get(id(url))
    if hit is None or hit[0] is not url:
        host = url.host or None
        port = (url.port or _DEFAULT_PORTS.get(url.scheme) or None) if host else None
        hit = (url, host, port)
        if len(_servers) >= _SERVERS_MAX:
            _servers.clear()
        _servers[id(url)] = hit
    if hit[1]:
        attrs[semconv.SERVER_ADDRESS] = hit[1]
        if hit[2]:
            attrs[semconv.SERVER_PORT] = hit[2]


# --- content: chat completions ------------------------------------------------------------------

def _text_of(content: Any) -> str:
    """Plain text of a tool result / system prompt given as a string or a list of text parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, (list, tuple)):
        return "".join(t for p in content if isinstance(t := _get(p, "text"), str))
    return "" if content is None else str(content)


def _media_part(kind: str, url: Any, modality: str) -> JSONDict:
    """Images and files by reference; inline (``data:``) payloads are summarised, never copied."""
    if isinstance(url, str):
        if url.startswith("data:"):
            mime = url[5:].split(";", 1)[0].split(",", 1)[0]
            return {"type": "blob", "modality": modality, "mime_type": mime or None,
                    "content": f"<{len(url)} chars inline>"}
        return {"type": "uri", "modality": modality, "uri": url}
    return {"type": kind, "modality": modality}


def _chat_parts(content: Any, limit: int) -> list[JSONDict]:
    if content is None:
        return []
    if isinstance(content, str):
        return [text_part(content, limit)]
    parts: list[JSONDict] = []
    if not isinstance(content, (list, tuple)):
        return [text_part(str(content), limit)]
    for part in content:
        kind = _get(part, "type")
        if kind == "text":
            parts.append(text_part(_get(part, "text") or "", limit))
        elif kind == "refusal":
            parts.append({"type": "refusal", "content": bounded(_get(part, "refusal") or "", limit)})
        elif kind == "image_url":
            parts.append(_media_part("image", _get(_get(part, "image_url"), "url"), "image"))
        elif kind == "input_audio":
            fmt = _get(_get(part, "input_audio"), "format")
            parts.append({"type": "blob", "modality": "audio", "mime_type": f"audio/{fmt}" if fmt else None,
                          "content": "<inline audio>"})
        elif kind == "file":
            parts.append({"type": "file", "file_id": _get(_get(part, "file"), "file_id")})
        elif isinstance(kind, str):
            parts.append({"type": kind})
    return parts


def _chat_tool_call_parts(tool_calls: Any, limit: int) -> list[JSONDict]:
    parts: list[JSONDict] = []
    if not isinstance(tool_calls, (list, tuple)):
        return parts
    for call in tool_calls:
        fn = _get(call, "function")
        if fn is not None:
            parts.append(tool_call_part(_get(call, "id"), _get(fn, "name"), _get(fn, "arguments"), limit))
            continue
        custom = _get(call, "custom")
        if custom is not None:
            parts.append(tool_call_part(_get(call, "id"), _get(custom, "name"), _get(custom, "input"), limit))
    return parts


_PLAIN_KEYS: Final = frozenset({"role", "content"})


def _chat_message(msg: Any, limit: int) -> JSONDict:
    if type(msg) is dict and msg.keys() <= _PLAIN_KEYS:
        # The common case, a {"role", "content": str} dict, without the general walk below.
        role = msg.get("role")
        text = msg.get("content")
        if isinstance(text, str) and role in ("user", "system", "developer", "assistant"):
            return {"role": role, "parts": [text_part(text, limit)]}
    role = _get(msg, "role")
    content = _get(msg, "content")
    if role == "tool":
        parts = [tool_response_part(_get(msg, "tool_call_id"), _text_of(content), limit)]
    elif role == "function":  # the pre-tools API
        parts = [tool_response_part(_get(msg, "name"), _text_of(content), limit)]
    else:
        parts = _chat_parts(content, limit)
        refusal = _get(msg, "refusal")
        if isinstance(refusal, str) and refusal:
            parts.append({"type": "refusal", "content": bounded(refusal, limit)})
        parts.extend(_chat_tool_call_parts(_get(msg, "tool_calls"), limit))
        legacy = _get(msg, "function_call")
        if legacy is not None:
            parts.append(tool_call_part(None, _get(legacy, "name"), _get(legacy, "arguments"), limit))
    out: JSONDict = {"role": role if isinstance(role, str) else "user", "parts": parts}
    name = _get(msg, "name")
    if isinstance(name, str) and role != "function":
        out["name"] = name
    return out


_RAW_ENCODER: Final = msgspec.json.Encoder()
_tool_texts: dict[tuple[bytes, int], str] = {}
"""Recorded tool definitions by the JSON of the plain dicts they were made from (and the limit): an
agent sends the same tools on every call. Only for plain-dict tools and without a redaction hook."""
_TOOL_TEXTS_MAX: Final = 128
_TOOL_RAW_MAX: Final = 65_536


def _tool_definitions(tools: Any, limit: int) -> str | None:
    """Tool schemas flattened to ``{"type", "name", "description", "parameters"}`` (chat nests them)."""
    if not isinstance(tools, (list, tuple)) or not tools:
        return None
    key: tuple[bytes, int] | None = None
    plain = _redact.installed_hook is None
    for tool in tools:
        if type(tool) is not dict:
            plain = False
            break
    if plain:
        try:
            raw = _RAW_ENCODER.encode(tools)
        except (TypeError, ValueError, msgspec.MsgspecError):
            raw = b""
        if 0 < len(raw) <= _TOOL_RAW_MAX:
            key = (raw, limit)
            known = _tool_texts.get(key)
            if known is not None:
                return known
    text = _shape_tool_definitions(tools, limit)
    if key is not None:
        if len(_tool_texts) >= _TOOL_TEXTS_MAX:
            _tool_texts.clear()
        _tool_texts[key] = text
    return text


def _shape_tool_definitions(tools: list[Any] | tuple[Any, ...], limit: int) -> str:
    out: list[JSONDict] = []
    for tool in tools:
        kind = _get(tool, "type")
        inner = _get(tool, kind) if kind in ("function", "custom") else None
        src = inner if inner is not None else tool
        entry: JSONDict = {"type": kind}
        for key in ("name", "description", "parameters"):
            value = _get(src, key)
            if value is not None:
                entry[key] = bounded(value, limit) if isinstance(value, str) else _serialize.mask_strings(value)
        out.append(entry)
    text = encode(out)
    if len(text) > limit:  # else no single schema can be over the limit either
        for entry in out:
            params = entry.get("parameters")
            if params is not None and not isinstance(params, str):
                schema = encode(params)
                if len(schema) > limit:
                    entry["parameters"] = bounded(schema, limit)  # an oversized schema is kept as cut text
        text = encode(out)
    return encode_content(semconv.GEN_AI_TOOL_DEFINITIONS, out) if _redact.hook_installed() else text


def chat_content(kwargs: Mapping[str, Any], limit: int, budget: int | None = None) -> Content:
    """Request content of a chat call; system messages stay in the history, where the model saw them."""
    messages = kwargs.get("messages")
    history = None
    if isinstance(messages, (list, tuple)):
        history = history_content(messages, _chat_message, limit,
                                  config.max_content_chars() if budget is None else budget, plain=True)
    tools = kwargs.get("tools")
    return Content(history, None, _tool_definitions(tools, limit) if tools else None)


_NO_FIELDS: Final[Mapping[str, Any]] = MappingProxyType({})
"""Fields of a response object are read from the model's instance dict, written out at each read as
``x if type(x) is dict else getattr(x, "__dict__", _NO_FIELDS)`` (a raw dict is read as it is).
Reading ``model.field`` looks the name up through the model's classes first (the SDK's and pydantic's
``BaseModel``), and after the SDK's own call that look-up misses the type cache for every field; the
instance dict costs one look-up per object, and no helper frame."""


def _chat_output(msg: Mapping[str, Any], finish_reason: Any, limit: int) -> JSONDict:
    """One choice's message (its fields, see ``_NO_FIELDS``): the hot path when capture is on."""
    parts: list[JSONDict] = []
    text = msg.get("content")
    if isinstance(text, str) and text:  # text_part, written out
        parts.append({"type": "text", "content": _redact.mask_text(
            text if len(text) <= limit else _serialize.truncate(text, limit))})
    refusal = msg.get("refusal")
    if isinstance(refusal, str) and refusal:
        parts.append({"type": "refusal", "content": bounded(refusal, limit)})
    tool_calls = msg.get("tool_calls")
    if tool_calls and isinstance(tool_calls, (list, tuple)):
        for tool_call in tool_calls:
            call = tool_call if type(tool_call) is dict else getattr(tool_call, "__dict__", _NO_FIELDS)
            fn = call.get("function")
            if fn is not None:
                fn_fields = fn if type(fn) is dict else getattr(fn, "__dict__", _NO_FIELDS)
                parts.append(tool_call_part(call.get("id"), fn_fields.get("name"), fn_fields.get("arguments"), limit))
            else:
                parts.extend(_chat_tool_call_parts((tool_call,), limit))  # custom tools
    legacy = msg.get("function_call")
    if legacy is not None:
        parts.append(tool_call_part(None, _get(legacy, "name"), _get(legacy, "arguments"), limit))
    return {"role": msg.get("role") or "assistant", "parts": parts, "finish_reason": finish_reason}


def chat_usage(usage: Any) -> TokenUsage | None:
    if usage is None:
        return None
    details = usage.prompt_tokens_details
    out_details = usage.completion_tokens_details
    return TokenUsage(usage.prompt_tokens or 0, usage.completion_tokens or 0,
                      None if details is None else details.cached_tokens,
                      None if details is None else getattr(details, "cache_write_tokens", None),
                      None,
                      None if out_details is None else out_details.reasoning_tokens)


def response_attributes(service_tier: Any, fingerprint: Any) -> JSONDict | None:
    """``openai.response.service_tier`` / ``.system_fingerprint``, each when the response has it."""
    out: JSONDict = {}
    if isinstance(service_tier, str) and service_tier:
        out[semconv.OPENAI_RESPONSE_SERVICE_TIER] = service_tier
    if isinstance(fingerprint, str) and fingerprint:
        out[semconv.OPENAI_RESPONSE_SYSTEM_FINGERPRINT] = fingerprint
    return out or None


def chat_end(call: LLMCall, resp: Any) -> None:
    """End ``call`` from a ``ChatCompletion``: the attributes ``LLMCall.end`` would record from an
    ``Outcome``, written straight from the response into one dict.

    This is the path nearly every call takes, and it runs after the SDK's own work has evicted our
    code from the CPU caches: each intermediate object and helper frame is paid cold, so the reads
    (off the SDK's models, never ``model_dump()``) are written out here.
    """
    limit = call.limit
    messages: list[JSONDict] | None = [] if call.content is not None else None
    attrs: JSONDict = {}
    fields = getattr(resp, "__dict__", _NO_FIELDS)  # a ChatCompletion (see _NO_FIELDS)
    response_id = fields.get("id")
    if response_id:
        attrs[semconv.GEN_AI_RESPONSE_ID] = response_id
    model = fields.get("model")
    if model:
        attrs[semconv.GEN_AI_RESPONSE_MODEL] = model
    reasons: list[str] = []
    for choice in fields.get("choices") or ():
        choice_fields = choice if type(choice) is dict else getattr(choice, "__dict__", _NO_FIELDS)
        reason = choice_fields.get("finish_reason")
        if isinstance(reason, str):
            reasons.append(reason)
        if messages is not None:
            msg = choice_fields.get("message")
            messages.append(_chat_output(msg if type(msg) is dict else getattr(msg, "__dict__", _NO_FIELDS),
                                         reason, limit))
    if reasons:
        attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = reasons
    tier = fields.get("service_tier")
    usage = fields.get("usage")
    counts = None if usage is None else usage if type(usage) is dict else getattr(usage, "__dict__", None)
    if counts is None:  # absent, or not a usage object at all: unknown, never free
        attrs[semconv.USAGE_MISSING] = True
        attrs[semconv.COST_INCOMPLETE_REASON] = semconv.GAP_USAGE_MISSING
    else:  # chat_usage, written out
        details = counts.get("prompt_tokens_details")
        out_details = counts.get("completion_tokens_details")
        cached = cache_write = reasoning = None
        if details is not None:
            detail_counts = details if type(details) is dict else getattr(details, "__dict__", _NO_FIELDS)
            cached = detail_counts.get("cached_tokens")
            # An attribute read: SDK versions that don't declare it keep it among pydantic's extras.
            cache_write = (detail_counts.get("cache_write_tokens") if type(details) is dict
                           else getattr(details, "cache_write_tokens", None))
        if out_details is not None:
            out_counts = out_details if type(out_details) is dict else getattr(out_details, "__dict__", _NO_FIELDS)
            reasoning = out_counts.get("reasoning_tokens")
        token_attributes(attrs, model or call.request_model, call.provider, tier, call.request_model,
                         counts.get("prompt_tokens") or 0, counts.get("completion_tokens") or 0, cached, cache_write,
                         None, reasoning)
    if isinstance(tier, str) and tier:  # response_attributes, written out
        attrs[semconv.OPENAI_RESPONSE_SERVICE_TIER] = tier
    fingerprint = fields.get("system_fingerprint")
    if isinstance(fingerprint, str) and fingerprint:
        attrs[semconv.OPENAI_RESPONSE_SYSTEM_FINGERPRINT] = fingerprint
    call.finish(attrs, messages)


# --- content: responses API ---------------------------------------------------------------------

def _responses_parts(content: Any, limit: int) -> list[JSONDict]:
    if isinstance(content, str):
        return [text_part(content, limit)]
    parts: list[JSONDict] = []
    if not isinstance(content, (list, tuple)):
        return parts
    for part in content:
        kind = _get(part, "type")
        if kind in ("input_text", "output_text", "text"):
            parts.append(text_part(_get(part, "text") or "", limit))
        elif kind == "refusal":
            parts.append({"type": "refusal", "content": bounded(_get(part, "refusal") or "", limit)})
        elif kind == "input_image":
            url = _get(part, "image_url")
            parts.append(_media_part("image", url, "image") if url else
                         {"type": "file", "modality": "image", "file_id": _get(part, "file_id")})
        elif kind == "input_file":
            parts.append({"type": "file", "file_id": _get(part, "file_id"), "name": _get(part, "filename")})
        elif isinstance(kind, str):
            parts.append({"type": kind})
    return parts


def _responses_item(item: Any, limit: int) -> JSONDict | None:
    kind = _get(item, "type")
    role = _get(item, "role")
    if role is not None and kind in (None, "message"):
        return {"role": role, "parts": _responses_parts(_get(item, "content"), limit)}
    if kind == "function_call":
        return {"role": "assistant", "parts": [
            tool_call_part(_get(item, "call_id"), _get(item, "name"), _get(item, "arguments"), limit)]}
    if kind == "custom_tool_call":
        return {"role": "assistant", "parts": [
            tool_call_part(_get(item, "call_id"), _get(item, "name"), _get(item, "input"), limit)]}
    if kind in ("function_call_output", "custom_tool_call_output"):
        output = _get(item, "output")
        return {"role": "tool", "parts": [
            tool_response_part(_get(item, "call_id"), output if isinstance(output, str) else _text_of(output),
                               limit)]}
    if kind == "reasoning":
        summary = _text_of(_get(item, "summary"))
        return {"role": "assistant", "parts": [{"type": "reasoning", "content": bounded(summary, limit)}]}
    return None


def responses_content(kwargs: Mapping[str, Any], limit: int, budget: int | None = None) -> Content:
    """Request content of a responses call; ``instructions`` is the system prompt, kept apart."""
    content = Content()
    given = kwargs.get("input")
    if isinstance(given, str):
        content.input_messages = encode_content(semconv.GEN_AI_INPUT_MESSAGES,
                                                [{"role": "user", "parts": [text_part(given, limit)]}])
    elif isinstance(given, (list, tuple)):
        content.input_messages = history_content(given, _responses_item, limit,
                                                 config.max_content_chars() if budget is None else budget)
    instructions = kwargs.get("instructions")
    if isinstance(instructions, str):
        content.system_instructions = encode_content(semconv.GEN_AI_SYSTEM_INSTRUCTIONS,
                                                     [text_part(instructions, limit)])
    content.tool_definitions = _tool_definitions(kwargs.get("tools"), limit)
    return content


_INCOMPLETE_REASONS: Final = {"max_output_tokens": "length", "content_filter": "content_filter"}


def _responses_finish_reason(resp: Any) -> str | None:
    """Chat-style finish reasons, so dashboards can group both APIs by one vocabulary."""
    status = resp.status
    if status == "completed":
        for item in resp.output or ():
            if _get(item, "type") in ("function_call", "custom_tool_call"):
                return "tool_calls"
        return "stop"
    if status == "incomplete":
        reason = _get(resp.incomplete_details, "reason")
        return _INCOMPLETE_REASONS.get(reason, reason) if isinstance(reason, str) else "incomplete"
    if status == "failed":
        return "error"
    return status if isinstance(status, str) else None


def _responses_usage(usage: Any) -> TokenUsage | None:
    if usage is None:
        return None
    out = TokenUsage(input=usage.input_tokens or 0, output=usage.output_tokens or 0)
    details = usage.input_tokens_details
    if details is not None:
        out.cache_read = getattr(details, "cached_tokens", None)
        out.cache_write = getattr(details, "cache_write_tokens", None)
    out_details = usage.output_tokens_details
    if out_details is not None:
        out.reasoning = getattr(out_details, "reasoning_tokens", None)
    return out


def responses_outcome(resp: Any, with_content: bool, limit: int) -> Outcome:
    reason = _responses_finish_reason(resp)
    model = resp.model
    tier = resp.service_tier
    outcome = Outcome(resp.id, model if isinstance(model, str) else None, [reason] if reason else [],
                      _responses_usage(resp.usage), tier, provider_attributes=response_attributes(tier, None))
    if with_content:
        parts: list[JSONDict] = []
        for item in resp.output or ():
            msg = _responses_item(item, limit)
            if msg is not None:
                parts.extend(msg["parts"])
        outcome.output_messages = [{"role": "assistant", "parts": parts, "finish_reason": reason}]
    return outcome


# --- embeddings ---------------------------------------------------------------------------------

def embeddings_outcome(resp: Any) -> Outcome:
    usage = resp.usage
    # An embeddings call produces no tokens: output is left out, not recorded as 0.
    tokens = None if usage is None else TokenUsage(input=usage.prompt_tokens or 0, output=None)
    return Outcome(None, resp.model, [], tokens, None)
