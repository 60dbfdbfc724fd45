"""Chat completions: the request's messages and tools as content, and the span's end from a
``ChatCompletion`` (the path nearly every instrumented call takes).

Pure functions of the kwargs and the response, like :mod:`._openai_attrs`; inputs may be TypedDicts
or the SDK's own models, read with ``field_of``. Only lists and tuples are read for content: ``messages``
and ``tools`` are typed ``Iterable`` and a generator would be consumed before the SDK could send it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import msgspec

from .. import _cut, _flat, _redact, config, semconv
from .._parts import (
    JSONDict,
    bounded,
    history_content,
    text_part,
    tool_call_part,
    tool_definitions_content,
    tool_response_part,
)
from ..cost import Extras, billed_tier
from ..llm import Content, LLMCall, TokenUsage, is_count, partial_usage, token_attributes
from ._openai_attrs import field_of, media_part, result_of

__all__ = [
    "chat_content",
    "chat_end",
    "chat_message",
    "chat_usage",
    "response_attributes",
    "tool_definitions",
]

# --- content: chat completions ------------------------------------------------------------------

def _chat_parts(content: Any, limit: int) -> list[JSONDict]:
    if content is None:
        return []
    if isinstance(content, str):
        return [text_part(content, limit)]
    parts: list[JSONDict] = []
    if not isinstance(content, (list, tuple)):
        return [text_part(str(content), limit)]
    for part in content:
        kind = field_of(part, "type")
        if kind == "text":
            parts.append(text_part(field_of(part, "text") or "", limit))
        elif kind == "refusal":
            parts.append({"type": "refusal", "content": bounded(field_of(part, "refusal") or "", limit)})
        elif kind == "image_url":
            parts.append(media_part("image", field_of(field_of(part, "image_url"), "url"), "image", limit))
        elif kind == "input_audio":
            fmt = field_of(field_of(part, "input_audio"), "format")
            parts.append({"type": "blob", "modality": "audio", "mime_type": f"audio/{fmt}" if fmt else None,
                          "content": "<inline audio>"})
        elif kind == "file":
            parts.append({"type": "file", "file_id": field_of(field_of(part, "file"), "file_id")})
        elif isinstance(kind, str):
            parts.append({"type": kind})
    return parts


def _chat_tool_call_parts(tool_calls: Any, limit: int) -> list[JSONDict]:
    parts: list[JSONDict] = []
    if not isinstance(tool_calls, (list, tuple)):
        return parts
    for call in tool_calls:
        fn = field_of(call, "function")
        if fn is not None:
            parts.append(tool_call_part(field_of(call, "id"), field_of(fn, "name"), field_of(fn, "arguments"), limit))
            continue
        custom = field_of(call, "custom")
        if custom is not None:
            parts.append(tool_call_part(field_of(call, "id"), field_of(custom, "name"), field_of(custom, "input"),
                                        limit))
    return parts


_PLAIN_KEYS: Final = frozenset({"role", "content"})


def chat_message(msg: Any, limit: int) -> JSONDict:
    if type(msg) is dict and msg.keys() <= _PLAIN_KEYS:
        # The common case, a {"role", "content": str} dict, without the general walk below.
        role = msg.get("role")
        text = msg.get("content")
        if isinstance(text, str) and role in ("user", "system", "developer", "assistant"):
            return {"role": role, "parts": [text_part(text, limit)]}
    role = field_of(msg, "role")
    content = field_of(msg, "content")
    if role == "tool":
        parts = [tool_response_part(field_of(msg, "tool_call_id"), result_of(content, limit), limit)]
    elif role == "function":  # the pre-tools API
        parts = [tool_response_part(field_of(msg, "name"), result_of(content, limit), limit)]
    else:
        parts = _chat_parts(content, limit)
        refusal = field_of(msg, "refusal")
        if isinstance(refusal, str) and refusal:
            parts.append({"type": "refusal", "content": bounded(refusal, limit)})
        parts.extend(_chat_tool_call_parts(field_of(msg, "tool_calls"), limit))
        legacy = field_of(msg, "function_call")
        if legacy is not None:
            parts.append(tool_call_part(None, field_of(legacy, "name"), field_of(legacy, "arguments"), limit))
    out: JSONDict = {"role": role if isinstance(role, str) else "user", "parts": parts}
    name = field_of(msg, "name")
    if isinstance(name, str) and role != "function":
        out["name"] = name
    return out


_RAW_ENCODER: Final = msgspec.json.Encoder()
_tool_texts: dict[tuple[bytes, int, int], str] = {}
"""Recorded tool definitions by the JSON of the plain dicts they were made from (and the limit and budget):
an agent sends the same tools on every call. Only for plain-dict tools and without a redaction hook. The
text kept is the one within the budget, so a hit costs nothing more, whether the tools fit it or not."""
_TOOL_TEXTS_MAX: Final = 128
_TOOL_RAW_MAX: Final = 65_536


def tool_definitions(tools: Any, limit: int, budget: int) -> str | None:
    """Tool schemas flattened to ``{"type", "name", "description", "parameters"}`` (chat nests them),
    within the content ``budget`` (:func:`~agentops_otel._parts.tool_definitions_content`)."""
    if not isinstance(tools, (list, tuple)) or not tools:
        return None
    key: tuple[bytes, int, int] | None = None
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
            key = (raw, limit, budget)
            known = _tool_texts.get(key)
            if known is not None:
                return known
    text = tool_definitions_content(tools, _tool_entry, limit, budget)
    if key is not None:
        if len(_tool_texts) >= _TOOL_TEXTS_MAX:
            _tool_texts.clear()
        _tool_texts[key] = text
    return text


def _tool_entry(tool: Any, limit: int) -> JSONDict:
    kind = field_of(tool, "type")
    inner = field_of(tool, kind) if kind in ("function", "custom") else None
    src = inner if inner is not None else tool
    entry: JSONDict = {"type": kind}
    for key in ("name", "description", "parameters"):
        value = field_of(src, key)
        if value is not None:
            entry[key] = bounded(value, limit) if isinstance(value, str) else _flat.mask_strings(value)
    return entry


def chat_content(kwargs: Mapping[str, Any], limit: int, budget: int | None = None) -> Content:
    """Request content of a chat call; system messages stay in the history, where the model saw them."""
    if budget is None:
        budget = config.max_content_chars()
    messages = kwargs.get("messages")
    history = None
    if isinstance(messages, (list, tuple)):
        history = history_content(messages, chat_message, limit, budget, plain=True)
    tools = kwargs.get("tools")
    return Content(history, None, tool_definitions(tools, limit, budget) if tools else None)


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
        parts.append({"type": "text", "content": _redact.mask_text(text) if len(text) <= limit
                      else _cut.truncate_masked(text, limit)})
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
        parts.append(tool_call_part(None, field_of(legacy, "name"), field_of(legacy, "arguments"), limit))
    return {"role": msg.get("role") or "assistant", "parts": parts, "finish_reason": finish_reason}


def chat_usage(usage: Any, model: str | None = None) -> TokenUsage | None:
    """The counts of a ``CompletionUsage``, and what ``model`` was billed for beside them."""
    if usage is None:
        return None
    prompt = getattr(usage, "prompt_tokens", None)
    completion = getattr(usage, "completion_tokens", None)
    if not (is_count(prompt) and is_count(completion)):  # a count left out is unknown, never 0
        return TokenUsage(prompt, completion, partial=True)
    details = usage.prompt_tokens_details
    out_details = usage.completion_tokens_details
    return TokenUsage(prompt, completion,
                      None if details is None else details.cached_tokens,
                      None if details is None else getattr(details, "cache_write_tokens", None),
                      None,
                      None if out_details is None else out_details.reasoning_tokens,
                      search_extras(model, audio_extras(getattr(details, "audio_tokens", None),
                                                        getattr(out_details, "audio_tokens", None))))


def audio_extras(audio_in: Any, audio_out: Any) -> Extras | None:
    """Audio tokens are billed at their own rates: ``None`` for a call without any (nearly every one)."""
    if not (audio_in or audio_out):
        return None
    return Extras(input_audio_tokens=audio_in if isinstance(audio_in, int) else 0,
                  output_audio_tokens=audio_out if isinstance(audio_out, int) else 0)


_SEARCH_MODELS: Final = ("search-preview", "search-api")
"""What the names of the Chat Completions search models hold (``gpt-4o-mini-search-preview``, ``gpt-5-search-api``,
and their dated names): they search the web before every answer, and each search is billed per call."""


def search_extras(model: str | None, extras: Extras | None) -> Extras | None:
    """``extras`` plus the web search a search model makes on every call. The table has no rate for it (it
    prices ``gpt-4o-mini-search-preview`` as ``gpt-4o-mini``, whose per-search rate is the Responses tool's):
    such a call is unpriced, not priced as its tokens alone."""
    if not model or "search-" not in model or not any(name in model for name in _SEARCH_MODELS):
        return extras
    if extras is None:
        return Extras(unpriced_tools=1)
    return Extras(input_audio_tokens=extras.input_audio_tokens, output_audio_tokens=extras.output_audio_tokens,
                  unpriced_tools=1)


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
    prompt = completion = None
    if counts is not None:
        prompt = counts.get("prompt_tokens")
        completion = counts.get("completion_tokens")
    if counts is None:  # absent, or not a usage object at all: unknown, never free
        attrs[semconv.USAGE_MISSING] = True
        attrs[semconv.COST_INCOMPLETE_REASON] = semconv.GAP_USAGE_MISSING
    elif not (type(prompt) is int and type(completion) is int and prompt >= 0 and completion >= 0):
        partial_usage(attrs, prompt, completion)  # a count left out is unknown, never 0 (is_count, inlined)
    else:  # chat_usage, written out
        details = counts.get("prompt_tokens_details")
        out_details = counts.get("completion_tokens_details")
        cached = cache_write = reasoning = audio_in = audio_out = None
        if details is not None:
            detail_counts = details if type(details) is dict else getattr(details, "__dict__", _NO_FIELDS)
            cached = detail_counts.get("cached_tokens")
            # An attribute read: SDK versions that don't declare it keep it among pydantic's extras.
            cache_write = (detail_counts.get("cache_write_tokens") if type(details) is dict
                           else getattr(details, "cache_write_tokens", None))
            audio_in = detail_counts.get("audio_tokens")
        if out_details is not None:
            out_counts = out_details if type(out_details) is dict else getattr(out_details, "__dict__", _NO_FIELDS)
            reasoning = out_counts.get("reasoning_tokens")
            audio_out = out_counts.get("audio_tokens")
        priced = model or call.request_priced
        extras = audio_extras(audio_in, audio_out) if audio_in or audio_out else None
        token_attributes(attrs, priced, call.provider,
                         tier if call.requested_tier is None else billed_tier(tier, call.requested_tier),
                         call.request_model, prompt, completion, cached, cache_write, None, reasoning,
                         search_extras(priced, extras) if priced and "search-" in priced else extras)
    if isinstance(tier, str) and tier:  # response_attributes, written out
        attrs[semconv.OPENAI_RESPONSE_SERVICE_TIER] = tier
    fingerprint = fields.get("system_fingerprint")
    if isinstance(fingerprint, str) and fingerprint:
        attrs[semconv.OPENAI_RESPONSE_SYSTEM_FINGERPRINT] = fingerprint
    call.finish(attrs, messages)
