"""Wire shapes of the fake Anthropic server: Messages API bodies, the SSE event stream, error bodies.

The same ``Reply`` that scripts the OpenAI server is translated here: text becomes a ``text`` block,
tool calls ``tool_use`` blocks (after the text the model said first), ``thinking`` a thinking block
ahead of both, and the reply's finish reason its ``stop_reason`` (``tool_calls`` → ``tool_use``,
``length`` → ``max_tokens``; Anthropic's own names pass through). ``Usage.prompt_tokens`` is the
whole prompt, so ``input_tokens`` on the wire is what is left after cache reads and writes, as the
real API reports it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from ._script import JSON, IdFactory, Reply, Request, Usage, _argument_pieces, _pieces, usage_for

__all__ = ["DEFAULT_MODEL", "error_body", "message", "message_batch", "message_events"]

DEFAULT_MODEL = "claude-haiku-4-5"

_STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use", "content_filter": "refusal"}

# Status → (error type, message) as the real API sends them.
_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request."),
    401: ("authentication_error", "invalid x-api-key"),
    403: ("permission_error", "Your API key does not have permission to use the specified resource."),
    404: ("not_found_error", "The requested resource could not be found."),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit."),
    500: ("api_error", "An unexpected error has occurred internal to Anthropic's systems."),
    529: ("overloaded_error", "Overloaded"),
}


def error_body(status: int, reply: Reply | None, message: str, request_id: str) -> JSON:
    default_type, default_message = _ERRORS.get(
        status, ("api_error" if status >= 500 else "invalid_request_error", f"Simulated HTTP {status} error.")
    )
    if reply is not None:
        kind = reply.error_type or default_type
        message = reply.error_message if reply.error_message is not None else default_message
    else:
        kind = default_type
    return {"type": "error", "error": {"type": kind, "message": message}, "request_id": request_id}


def _model(reply: Reply, request: Request) -> str:
    return reply.model or request.model or DEFAULT_MODEL


def _usage(usage: Usage, *, output: int | None = None) -> JSON:
    cached, written, hour = usage.cached_tokens, usage.cache_write_tokens, usage.cache_write_1h_tokens
    body: JSON = {
        "input_tokens": max(usage.prompt_tokens - cached - written, 0),
        "cache_creation_input_tokens": written,
        "cache_read_input_tokens": cached,
        "cache_creation": {"ephemeral_5m_input_tokens": written - hour, "ephemeral_1h_input_tokens": hour},
        "output_tokens": usage.completion_tokens if output is None else output,
        "service_tier": "standard",
    }
    return body


def _stop_reason(reply: Reply) -> str:
    return _STOP_REASONS.get(reply.finish_reason, reply.finish_reason)


def _signature(thinking: str) -> str:
    return f"sig-{len(thinking)}"


def _blocks(reply: Reply) -> list[JSON]:
    blocks: list[JSON] = []
    if reply.thinking:
        blocks.append({"type": "thinking", "thinking": reply.thinking, "signature": _signature(reply.thinking)})
    if reply.content or reply.kind == "text":
        blocks.append({"type": "text", "text": reply.content, "citations": None})
    for call in reply.calls:
        try:
            arguments: Any = json.loads(call.arguments)
        except ValueError:
            arguments = call.arguments  # malformed on purpose: the SDK keeps what it gets
        blocks.append({"type": "tool_use", "id": call.call_id, "name": call.name, "input": arguments})
    return blocks


def message(reply: Reply, request: Request, new_id: IdFactory) -> JSON:
    return {
        "id": new_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": _model(reply, request),
        "content": _blocks(reply),
        "stop_reason": _stop_reason(reply),
        "stop_sequence": None,
        "usage": _usage(usage_for(reply, request)),
    }


def message_events(reply: Reply, request: Request, new_id: IdFactory) -> list[JSON]:
    """``message_start``, each block's start / deltas / stop, ``message_delta``, ``message_stop``.

    Usage arrives twice, as the API sends it: the prompt side (and one output token) in
    ``message_start``, the cumulative totals in ``message_delta``.
    """
    usage = usage_for(reply, request)
    start: JSON = {
        "id": new_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": _model(reply, request),
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": _usage(usage, output=1),
    }
    events: list[JSON] = [{"type": "message_start", "message": start}]
    for index, block in enumerate(_blocks(reply)):
        kind = block["type"]
        deltas: list[JSON]
        if kind == "thinking":
            opening: JSON = {"type": "thinking", "thinking": "", "signature": ""}
            deltas = [{"type": "thinking_delta", "thinking": p} for p in _pieces(block["thinking"], reply.chunk_size)]
            deltas.append({"type": "signature_delta", "signature": block["signature"]})
        elif kind == "text":
            opening = {"type": "text", "text": "", "citations": None}
            deltas = [{"type": "text_delta", "text": p} for p in _pieces(block["text"], reply.chunk_size)]
        else:
            opening = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            arguments = reply.calls[index - _leading(reply)].arguments
            deltas = [{"type": "input_json_delta", "partial_json": p}
                      for p in _argument_pieces(arguments, reply.chunk_size)]
        events.append({"type": "content_block_start", "index": index, "content_block": opening})
        if index == 0:
            events.append({"type": "ping"})
        events += [{"type": "content_block_delta", "index": index, "delta": d} for d in deltas]
        events.append({"type": "content_block_stop", "index": index})
    final = _usage(usage)
    events.append({
        "type": "message_delta",
        "delta": {"stop_reason": _stop_reason(reply), "stop_sequence": None},
        "usage": {key: final[key] for key in
                  ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "output_tokens")},
    })
    events.append({"type": "message_stop"})
    return events


def _leading(reply: Reply) -> int:
    """How many blocks come before the first ``tool_use`` block."""
    return int(bool(reply.thinking)) + int(bool(reply.content) or reply.kind == "text")


_BATCH_HOURS = 24
"""A batch expires (stops processing) this long after it was created."""


def _rfc3339(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def message_batch(request: Request, new_id: IdFactory, created: int) -> JSON:
    """The ``message_batch`` a submit creates: every request still ``processing``, no results yet."""
    requests = request.json.get("requests")
    count = len(requests) if isinstance(requests, list) else 0
    return {
        "id": new_id("msgbatch_"),
        "type": "message_batch",
        "processing_status": "in_progress",
        "request_counts": {"processing": count, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0},
        "created_at": _rfc3339(created),
        "expires_at": _rfc3339(created + _BATCH_HOURS * 3600),
        "ended_at": None,
        "cancel_initiated_at": None,
        "archived_at": None,
        "results_url": None,
    }
