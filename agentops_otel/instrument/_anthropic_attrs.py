"""Pure functions from anthropic ``messages.create`` kwargs, messages and stream events to span data.

Nothing here touches a span or the network. Inputs may be TypedDicts (what users write) or the SDK's
models (``response.content`` passed back as the next assistant turn), so fields are read with
:func:`_get`. Only lists and tuples are read for content: ``messages``, ``system`` and ``tools`` are
typed ``Iterable`` and a generator would be consumed before the SDK could send it.

Two Anthropic conventions differ from the GenAI ones and are translated here:

- ``usage.input_tokens`` excludes cache reads and writes; the convention's input tokens include them,
  so the span's ``gen_ai.usage.input_tokens`` is the sum (and pricing charges each share its rate).
- ``stop_reason`` values are mapped to the convention's finish reasons (``end_turn`` → ``stop``,
  ``tool_use`` → ``tool_call``...), so dashboards group both providers by one vocabulary.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Final

from .. import _flat, _guard, config, semconv
from .._parts import (
    JSONDict,
    block_results,
    bounded,
    encode_content,
    history_content,
    parts_content,
    text_part,
    tool_call_part,
    tool_definitions_content,
    tool_response_part,
)
from ..llm import Content, Outcome
from ._anthropic_usage import billed_tool, tier, usage, with_billed_tools, with_region

__all__ = [
    "MessageAccumulator",
    "finish_reason",
    "message_content",
    "message_outcome",
    "request_attributes",
    "usage",
]

FINISH_REASONS: Final = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_call",
    "refusal": "content_filter",
}
"""Anthropic ``stop_reason`` → the GenAI convention's finish reason; others (``pause_turn``) pass through."""

_FLOAT_PARAMS: Final = {
    "temperature": semconv.GEN_AI_REQUEST_TEMPERATURE,
    "top_p": semconv.GEN_AI_REQUEST_TOP_P,
}
_INT_PARAMS: Final = {
    "max_tokens": semconv.GEN_AI_REQUEST_MAX_TOKENS,
    "top_k": semconv.GEN_AI_REQUEST_TOP_K,
}


def _get(obj: Any, key: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(key)
    return getattr(obj, key, None)


def finish_reason(stop_reason: Any) -> str | None:
    if not isinstance(stop_reason, str):
        return None
    return FINISH_REASONS.get(stop_reason, stop_reason)


def request_attributes(kwargs: Mapping[str, Any], streaming: bool,
                       provider: str = semconv.PROVIDER_ANTHROPIC) -> tuple[str | None, dict[str, Any]]:
    """The request model and the attributes known before the call (operation, params, stream flag); ``provider``:
    the cloud the client sends to (:func:`._anthropic_clouds.client_provider`)."""
    model = kwargs.get("model")
    if not isinstance(model, str):
        model = None
    attrs: dict[str, Any] = {
        semconv.GEN_AI_OPERATION_NAME: semconv.OP_CHAT,
        semconv.GEN_AI_PROVIDER_NAME: provider,
    }
    if streaming:
        attrs[semconv.GEN_AI_REQUEST_STREAM] = True  # the conventions: set only when streaming
    if model:
        attrs[semconv.GEN_AI_REQUEST_MODEL] = model
    for name, key in _FLOAT_PARAMS.items():
        value = kwargs.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            attrs[key] = float(value)
    for name, key in _INT_PARAMS.items():
        value = kwargs.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            attrs[key] = value
    stops = kwargs.get("stop_sequences")
    if isinstance(stops, (list, tuple)) and stops and all(isinstance(s, str) for s in stops):
        attrs[semconv.GEN_AI_REQUEST_STOP_SEQUENCES] = list(stops)
    if isinstance(kwargs.get("output_format"), type) or (
            _get(_get(kwargs.get("output_config"), "format"), "type") == "json_schema"):
        attrs[semconv.GEN_AI_OUTPUT_TYPE] = "json"
    return model, attrs


# --- content ------------------------------------------------------------------------------------

def _image_part(source: Any, limit: int) -> JSONDict:
    """An image by reference (its URL masked: it may carry a password), or a marker of its size: inline
    bytes never reach a span."""
    kind = _get(source, "type")
    if kind == "url":
        url = _get(source, "url")
        return {"type": "uri", "modality": "image", "uri": bounded(url, limit) if isinstance(url, str) else None}
    if kind == "file":
        return {"type": "file", "modality": "image", "file_id": _get(source, "file_id")}
    data = _get(source, "data")
    size = len(data) if isinstance(data, (str, bytes)) else 0
    return {"type": "blob", "modality": "image", "mime_type": _get(source, "media_type"),
            "content": f"<{size} chars inline>"}


def _result_text(content: Any, limit: int) -> Any:
    """A tool result's content: the string, or its blocks' texts (images and documents become markers)."""
    if isinstance(content, str) or content is None:
        return content
    if isinstance(content, (list, tuple)):
        texts = []
        for block in content:
            kind = _get(block, "type")
            if kind == "text":
                texts.append(_get(block, "text") or "")
            elif isinstance(kind, str):
                texts.append(f"<{kind}>")
        return block_results(texts, limit)
    return str(content)


def _part(block: Any, limit: int) -> JSONDict | None:
    kind = _get(block, "type")
    if kind == "text":
        return text_part(_get(block, "text") or "", limit)
    if kind in ("tool_use", "server_tool_use"):
        # The input dict as is: each argument is bounded on its own, so it stays a JSON object.
        return tool_call_part(_get(block, "id"), _get(block, "name"), _get(block, "input"), limit)
    if kind == "tool_result":
        response = _result_text(_get(block, "content"), limit)
        part = tool_response_part(_get(block, "tool_use_id"), response, limit)
        if _get(block, "is_error") is True:
            part["is_error"] = True
        return part
    if kind == "thinking":
        return {"type": "reasoning", "content": bounded(_get(block, "thinking") or "", limit)}
    if kind == "redacted_thinking":
        return {"type": "reasoning", "content": "<redacted>"}
    if kind == "image":
        return _image_part(_get(block, "source"), limit)
    if kind == "document":
        source = _get(block, "source")
        return {"type": "file", "modality": "document", "mime_type": _get(source, "media_type"),
                "file_id": _get(source, "file_id")}
    if isinstance(kind, str):
        return {"type": kind}
    return None


def _parts(content: Any, limit: int) -> list[JSONDict]:
    if isinstance(content, str):
        return [text_part(content, limit)]
    if not isinstance(content, (list, tuple)):
        return []
    return [p for block in content if (p := _part(block, limit)) is not None]


def _message(msg: Any, limit: int) -> JSONDict:
    role = _get(msg, "role")
    content = _get(msg, "content")
    if type(msg) is dict and isinstance(content, str) and role in ("user", "assistant"):
        return {"role": role, "parts": [text_part(content, limit)]}  # the common case, without the walk
    parts = _parts(content, limit)
    if role == "user" and parts and all(p["type"] == "tool_call_response" for p in parts):
        role = "tool"  # Anthropic sends tool results as a user turn; the convention names them apart
    return {"role": role if isinstance(role, str) else "user", "parts": parts}


def _tool_entry(tool: Any, limit: int) -> JSONDict:
    kind = _get(tool, "type")
    entry: JSONDict = {"type": "function" if kind in (None, "custom") else kind}
    for key, name in (("name", "name"), ("description", "description"), ("input_schema", "parameters")):
        value = _get(tool, key)
        if value is not None:
            entry[name] = bounded(value, limit) if isinstance(value, str) else _flat.mask_strings(value)
    return entry


def message_content(kwargs: Mapping[str, Any], limit: int, budget: int | None = None) -> Content:
    """Request content: the ``system`` prompt apart (``gen_ai.system_instructions``), as the API keeps it."""
    content = Content()
    if budget is None:
        budget = config.max_content_chars()
    messages = kwargs.get("messages")
    if isinstance(messages, (list, tuple)):
        content.input_messages = history_content(messages, _message, limit, budget, plain=True)
    system = kwargs.get("system")
    if isinstance(system, str) and system:
        content.system_instructions = encode_content(semconv.GEN_AI_SYSTEM_INSTRUCTIONS, _parts(system, limit))
    elif isinstance(system, (list, tuple)) and system:
        content.system_instructions = parts_content(semconv.GEN_AI_SYSTEM_INSTRUCTIONS, system, _part, limit, budget)
    tools = kwargs.get("tools")
    if isinstance(tools, (list, tuple)) and tools:
        content.tool_definitions = tool_definitions_content(tools, _tool_entry, limit, budget)
    return content


# --- usage and outcome --------------------------------------------------------------------------

def message_outcome(message: Any, with_content: bool, limit: int, region: str | None = None) -> Outcome:
    """``region``: the Vertex AI region the call was sent to (:func:`._anthropic_clouds.vertex_region`)."""
    reason = finish_reason(message.stop_reason)
    raw = message.usage
    billed_tools = sum(1 for block in message.content or () if billed_tool(block))
    found = with_region(with_billed_tools(usage(raw), billed_tools), region)
    outcome = Outcome(message.id, message.model if isinstance(message.model, str) else None,
                      [reason] if reason else [], found, tier(raw))
    if with_content:
        outcome.output_messages = [{"role": "assistant", "parts": _parts(message.content, limit),
                                    "finish_reason": reason}]
    return outcome


_USAGE_FIELDS: Final = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens",
                        "cache_creation", "output_tokens_details", "service_tier", "server_tool_use", "speed",
                        "inference_geo", "iterations")
_PREAMBLE: Final = frozenset({"message_start", "ping"})
_DELTA_TEXT: Final = {"text_delta": "text", "input_json_delta": "partial_json", "thinking_delta": "thinking"}
"""Delta type → the field holding its piece of text (citations and signatures add no text)."""


class MessageAccumulator:
    """Folds raw stream events into the outcome a non-streamed call would have had.

    Usage comes in ``message_start`` and again in ``message_delta``, each time as running totals:
    every field is *assigned* from the latest event that carries it, never added.
    """

    __slots__ = ("billed_tools", "blocks", "first", "model", "reason", "region", "response_id", "usage")

    def __init__(self, with_content: bool, region: str | None = None) -> None:
        self.region = region
        """The Vertex AI region the call was sent to (see :func:`message_outcome`)."""
        self.first: float | None = None
        self.response_id: str | None = None
        self.model: str | None = None
        self.reason: str | None = None
        self.usage: dict[str, Any] | None = None
        self.blocks: dict[int, list[Any]] | None = {} if with_content else None
        self.billed_tools = 0

    def _take_usage(self, raw: Any) -> None:
        if raw is None:
            return
        if self.usage is None:
            self.usage = {}
        for name in _USAGE_FIELDS:
            value = _get(raw, name)
            if value is not None:
                self.usage[name] = value

    def add(self, event: Any) -> None:
        # Runs once per event: the common case (a content delta) first, plain attribute reads.
        kind = event.type
        if kind == "content_block_delta":
            blocks = self.blocks
            if blocks is not None:
                slot = blocks.get(event.index)
                if slot is not None:
                    delta = event.delta
                    piece = _DELTA_TEXT.get(delta.type)
                    if piece is not None:
                        slot[1].append(getattr(delta, piece))
            if self.first is None:
                self._first_output()
            return
        if kind in _PREAMBLE:
            if kind == "message_start":
                message = event.message
                self.response_id = message.id
                self.model = message.model
                self._take_usage(message.usage)
            return
        if self.first is None:
            self._first_output()
        if kind == "message_delta":
            self.reason = event.delta.stop_reason or self.reason
            self._take_usage(event.usage)
        elif kind == "content_block_start":
            if billed_tool(event.content_block):
                self.billed_tools += 1
            if self.blocks is not None:
                self.blocks[event.index] = [event.content_block, []]

    def _first_output(self) -> None:
        # message_start is sent before the model produces anything: the first block is what a user
        # waiting for tokens perceives.
        if _guard.ARMED:
            _guard.fault_point("anthropic.stream.chunk")
        self.first = time.perf_counter()

    def outcome(self, limit: int) -> Outcome:
        reason = finish_reason(self.reason)
        # Before message_delta the counts are message_start's provisional ones (one output token):
        # pricing them would understate the call, so an unfinished stream says so instead.
        finished = self.reason is not None
        outcome = Outcome(self.response_id, self.model, [reason] if reason else [],
                          with_region(with_billed_tools(usage(self.usage), self.billed_tools), self.region)
                          if finished else None,
                          tier(self.usage))
        if not finished:
            outcome.usage_gap = semconv.GAP_STREAM_NOT_FINISHED
        if self.blocks is not None and (self.blocks or self.response_id is not None):
            parts: list[JSONDict] = []
            for index in sorted(self.blocks):
                block, pieces = self.blocks[index]
                text = "".join(pieces)
                kind = _get(block, "type")
                if kind == "text":
                    parts.append(text_part(text, limit))
                elif kind in ("tool_use", "server_tool_use"):
                    parts.append(tool_call_part(_get(block, "id"), _get(block, "name"), text or "{}", limit))
                elif kind == "thinking":
                    parts.append({"type": "reasoning", "content": bounded(text, limit)})
                elif (part := _part(block, limit)) is not None:
                    parts.append(part)
            outcome.output_messages = [{"role": "assistant", "parts": parts, "finish_reason": reason}]
        return outcome

    @property
    def first_chunk(self) -> float | None:
        return self.first
