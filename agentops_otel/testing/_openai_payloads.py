"""Wire shapes of the fake OpenAI server: Chat Completions, Responses and Embeddings bodies and events.

Kept apart from the HTTP plumbing so the JSON and SSE shaping can be read against the openai
package's types in one place. Everything here is pure and deterministic: the same request and reply
always give the same bodies, apart from the ``created`` timestamp and the ids the caller passes in.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import struct
from dataclasses import dataclass
from typing import Any

from ._script import (
    JSON,
    IdFactory,
    Reply,
    Request,
    ToolCall,
    Usage,
    _argument_pieces,
    _pieces,
    _strings,
    count_tokens,
    usage_for,
)

__all__ = ["JSON", "IdFactory", "Reply", "Request", "ToolCall", "Usage"]

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_EMBEDDING_MODEL = "text-embedding-3-small"
DEFAULT_EMBEDDING_DIM = 8

# Status → (type, code, message) as the real API sends them, so SDK error mapping and any code reading
# ``err.body`` / ``err.code`` behave as in production.
_ERRORS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: ("permission_error", None, "You are not allowed to sample from this model."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist or you lack access to it."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests. Please try again later."),
    500: ("server_error", None, "The server had an error while processing your request. Sorry about that!"),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
}


def error_body(message: str, type: str | None, code: str | None, param: str | None = None) -> JSON:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}



def openai_error(reply: Reply) -> JSON:
    """The body of an error reply; type, code and message default to what the API sends for its status."""
    status = reply.status
    default_type, default_code, default_message = _ERRORS.get(
        status,
        ("server_error" if status >= 500 else "invalid_request_error", None, f"Simulated HTTP {status} error."),
    )
    return error_body(
        reply.error_message if reply.error_message is not None else default_message,
        reply.error_type if reply.error_type is not None else default_type,
        reply.error_code if reply.error_code is not None else default_code,
    )


def _model(reply: Reply, request: Request, default: str = DEFAULT_MODEL) -> str:
    return reply.model or request.model or default

# ---------------------------------------------------------------------------------------------------
# Chat Completions


def _chat_usage(usage: Usage) -> JSON:
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": usage.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _chat_tool_call(call: ToolCall) -> JSON:
    return {
        "id": call.call_id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments},
    }


def chat_completion(reply: Reply, request: Request, new_id: IdFactory, created: int) -> JSON:
    message: JSON = {
        "role": "assistant",
        "content": reply.content if reply.kind == "text" else (reply.content or None),
        "refusal": None,
        "annotations": [],
    }
    if reply.calls:
        message["tool_calls"] = [_chat_tool_call(call) for call in reply.calls]
    return {
        "id": new_id("chatcmpl-"),
        "object": "chat.completion",
        "created": created,
        "model": _model(reply, request),
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": reply.finish_reason}],
        "usage": _chat_usage(usage_for(reply, request)),
        "service_tier": "default",
        "system_fingerprint": "fp_agentops_test",
    }


def chat_chunks(reply: Reply, request: Request, new_id: IdFactory, created: int) -> list[JSON]:
    """The ``chat.completion.chunk`` sequence, without the ``[DONE]`` sentinel."""
    stream_options = request.json.get("stream_options")
    include_usage = isinstance(stream_options, dict) and stream_options.get("include_usage") is True
    chunk_id = new_id("chatcmpl-")
    model = _model(reply, request)

    def chunk(delta: JSON, finish_reason: str | None = None) -> JSON:
        body: JSON = {
            "id": chunk_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "service_tier": "default",
            "system_fingerprint": "fp_agentops_test",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
        }
        if include_usage:
            body["usage"] = None
        return body

    first: JSON = {"role": "assistant", "content": "" if reply.kind == "text" else None, "refusal": None}
    chunks = [chunk(first)]
    chunks += [chunk({"content": piece}) for piece in _pieces(reply.content, reply.chunk_size)]
    for index, call in enumerate(reply.calls):
        opening = {"index": index, "id": call.call_id, "type": "function"}
        chunks.append(chunk({"tool_calls": [{**opening, "function": {"name": call.name, "arguments": ""}}]}))
        chunks += [
            chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
            for piece in _argument_pieces(call.arguments, reply.chunk_size)
        ]
    chunks.append(chunk({}, reply.finish_reason))
    if include_usage:
        last = chunk({})
        last["choices"] = []
        last["usage"] = _chat_usage(usage_for(reply, request))
        chunks.append(last)
    return chunks


# ---------------------------------------------------------------------------------------------------
# Responses


def _responses_usage(usage: Usage) -> JSON:
    return {
        "input_tokens": usage.prompt_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_tokens, "cache_write_tokens": usage.cache_write_tokens},
        "output_tokens": usage.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.total_tokens,
    }


def _output_text(text: str) -> JSON:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def _message_item(item_id: str, text: str, status: str) -> JSON:
    content = [_output_text(text)] if status != "in_progress" else []
    return {"id": item_id, "type": "message", "status": status, "role": "assistant", "content": content}


def _function_item(item_id: str, call: ToolCall, arguments: str, status: str) -> JSON:
    return {
        "id": item_id,
        "type": "function_call",
        "status": status,
        "call_id": call.call_id,
        "name": call.name,
        "arguments": arguments,
    }


@dataclass(frozen=True)
class _ResponseIds:
    """Ids fixed up front so the streamed events and the final object agree, as the SDK checks."""

    response: str
    items: tuple[str, ...]

    @classmethod
    def allocate(cls, reply: Reply, new_id: IdFactory) -> _ResponseIds:
        if reply.kind == "text":
            return cls(new_id("resp_"), (new_id("msg_"),))
        return cls(new_id("resp_"), tuple(new_id("fc_") for _ in reply.calls))


def _final_items(reply: Reply, ids: _ResponseIds) -> list[JSON]:
    if reply.kind == "text":
        return [_message_item(ids.items[0], reply.content, "completed")]
    return [
        _function_item(item_id, call, call.arguments, "completed")
        for item_id, call in zip(ids.items, reply.calls, strict=True)
    ]


def _response_object(reply: Reply, request: Request, ids: _ResponseIds, created: int, *, done: bool) -> JSON:
    body = request.json
    incomplete = reply.kind == "text" and reply.finish_reason == "length"
    status = ("incomplete" if incomplete else "completed") if done else "in_progress"
    return {
        "id": ids.response,
        "object": "response",
        "created_at": created,
        "completed_at": created if done and not incomplete else None,
        "status": status,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if done and incomplete else None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": _model(reply, request),
        "output": _final_items(reply, ids) if done else [],
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "default",
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": body.get("text", {"format": {"type": "text"}}),
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools", []),
        "top_p": body.get("top_p", 1.0),
        "truncation": "disabled",
        "usage": _responses_usage(usage_for(reply, request)) if done else None,
        "metadata": body.get("metadata", {}),
    }


def response(reply: Reply, request: Request, new_id: IdFactory, created: int) -> JSON:
    return _response_object(reply, request, _ResponseIds.allocate(reply, new_id), created, done=True)


def response_events(reply: Reply, request: Request, new_id: IdFactory, created: int) -> list[JSON]:
    """The Responses stream in the order the API sends it; each event carries its ``sequence_number``."""
    ids = _ResponseIds.allocate(reply, new_id)
    events: list[JSON] = [
        {"type": "response.created", "response": _response_object(reply, request, ids, created, done=False)},
        {
            "type": "response.in_progress",
            "response": _response_object(reply, request, ids, created, done=False),
        },
    ]
    if reply.kind == "text":
        item_id = ids.items[0]
        where: JSON = {"item_id": item_id, "output_index": 0, "content_index": 0}
        events += [
            {
                "type": "response.output_item.added",
                "output_index": 0,
                "item": _message_item(item_id, "", "in_progress"),
            },
            {"type": "response.content_part.added", **where, "part": _output_text("")},
        ]
        events += [
            {"type": "response.output_text.delta", **where, "delta": piece, "logprobs": []}
            for piece in _pieces(reply.content, reply.chunk_size)
        ]
        events += [
            {"type": "response.output_text.done", **where, "text": reply.content, "logprobs": []},
            {"type": "response.content_part.done", **where, "part": _output_text(reply.content)},
            {
                "type": "response.output_item.done",
                "output_index": 0,
                "item": _message_item(item_id, reply.content, "completed"),
            },
        ]
    else:
        for index, (item_id, call) in enumerate(zip(ids.items, reply.calls, strict=True)):
            where = {"item_id": item_id, "output_index": index}
            events.append(
                {
                    "type": "response.output_item.added",
                    "output_index": index,
                    "item": _function_item(item_id, call, "", "in_progress"),
                }
            )
            events += [
                {"type": "response.function_call_arguments.delta", **where, "delta": piece}
                for piece in _argument_pieces(call.arguments, reply.chunk_size)
            ]
            events += [
                {"type": "response.function_call_arguments.done", **where, "arguments": call.arguments},
                {
                    "type": "response.output_item.done",
                    "output_index": index,
                    "item": _function_item(item_id, call, call.arguments, "completed"),
                },
            ]
    final = _response_object(reply, request, ids, created, done=True)
    events.append({"type": f"response.{final['status']}", "response": final})
    return [{**event, "sequence_number": number} for number, event in enumerate(events)]


# ---------------------------------------------------------------------------------------------------
# Embeddings


def _vector(item: Any, dim: int) -> list[float]:
    """A unit vector seeded by the input, rounded to float32 so float and base64 answers decode equal."""
    seed = json.dumps(item, sort_keys=True).encode()
    raw: list[float] = []
    counter = 0
    while len(raw) < dim:
        digest = hashlib.sha256(seed + counter.to_bytes(4, "big")).digest()
        raw += [int.from_bytes(digest[i : i + 4], "big") / 2**31 - 1.0 for i in range(0, len(digest), 4)]
        counter += 1
    raw = raw[:dim]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    packed = struct.pack(f"<{dim}f", *(x / norm for x in raw))
    return list(struct.unpack(f"<{dim}f", packed))


def _embedding_inputs(raw: Any) -> list[Any]:
    # A flat list of ints is one tokenised input, not many; a list of strings or of token lists is many.
    if isinstance(raw, list) and raw and not all(isinstance(x, int) for x in raw):
        return list(raw)
    return [raw]


def embeddings(reply: Reply, request: Request) -> JSON:
    requested_dim = request.json.get("dimensions")
    dim = reply.dim or (requested_dim if isinstance(requested_dim, int) and requested_dim > 0 else None)
    dim = dim or DEFAULT_EMBEDDING_DIM
    base64_wanted = request.json.get("encoding_format") == "base64"
    data: list[JSON] = []
    tokens = 0
    for index, item in enumerate(_embedding_inputs(request.input)):
        vector = _vector(item, dim)
        encoded: Any = (
            base64.b64encode(struct.pack(f"<{dim}f", *vector)).decode("ascii") if base64_wanted else vector
        )
        data.append({"object": "embedding", "index": index, "embedding": encoded})
        tokens += len(item) if isinstance(item, list) else sum(map(count_tokens, _strings(item)))
    return {
        "object": "list",
        "data": data,
        "model": _model(reply, request, DEFAULT_EMBEDDING_MODEL),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
