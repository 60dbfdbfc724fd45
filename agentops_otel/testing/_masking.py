"""Secrets stay masked in cassettes: the same rules the trace applies, on whole (uncut) values.

The rules themselves (secret key names, credential-shaped strings) live in ``agentops_otel._redact``;
this applies them to plain JSON data, where a two-item tuple, or a two-item list among a list of such
pairs, whose first item is a secret key name is a (name, value) pair whose value is masked, as in the
trace. A replay masks what the agent does now the
same way before comparing it with the recording, so a masked argument still matches.

A provider's answer is masked by shape only (``keys=False``: its schema's ``token`` fields, a logprob's
``token``, are not secrets), except where it holds what the model wrote for a tool: a tool call's
``arguments`` (JSON text) and a ``tool_use`` block's ``input`` are read by their keys too, as the trace
reads them, and so is the ``metadata`` an answer echoes from its request (masked so in the request). A
streamed answer sends its text in pieces a few characters long, so no piece holds a whole key:
:func:`mask_events` joins each stream of pieces, masks the whole, and hands the pieces back with the
masked text in place of the secret (the pieces before and after it unchanged).
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterator
from typing import Any, Final

from .._redact import REDACTED, is_secret_key, mask_text
from .._serialize import free_name

__all__ = ["REDACTED", "mask", "mask_events"]

_ARGUMENTS: Final = "arguments"
"""The field holding a tool call's arguments as JSON text (Chat Completions, Responses, MCP calls)."""
_METADATA: Final = "metadata"
"""The request's own metadata, which a Responses answer echoes: masked by key there as in the request."""


def mask(value: Any, *, keys: bool = True, in_pairs: bool = False) -> Any:
    """A copy of ``value`` with secrets masked: under secret-named keys (when ``keys``) and by shape.
    ``in_pairs``: ``value`` is an item of a list of pairs (see ``agentops_otel._shapes``). Tool-call
    arguments are masked by their keys in either case (see the module docstring)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        tool_use = not keys and str(value.get("type", "")).endswith("tool_use")
        for k, v in value.items():
            by_key = keys or (k == "input" and tool_use) or k == _METADATA
            # A credential used as a key is masked as the trace masks it (two alike stay apart).
            name = free_name(out, mask_text(k)) if isinstance(k, str) else k
            if k == _ARGUMENTS and isinstance(v, str):
                out[name] = masked_arguments(v)
            elif keys and isinstance(k, str) and is_secret_key(k) and v is not None:
                out[name] = REDACTED
            else:
                out[name] = mask(v, keys=by_key)
        return out
    if isinstance(value, (list, tuple)):
        if (keys and len(value) == 2 and (in_pairs or isinstance(value, tuple)) and isinstance(value[0], str)
                and is_secret_key(value[0]) and value[1] is not None):
            return [mask_text(value[0]), REDACTED]  # a (name, value) pair: a header list's ("Authorization", ...)
        pairs = bool(value) and isinstance(value[0], (list, tuple)) and len(value[0]) == 2
        return [mask(v, keys=keys, in_pairs=pairs) for v in value]
    return value


def masked_arguments(text: str) -> str:
    """A tool call's arguments (JSON text) with their secret-named values masked as well as by shape.

    When a key rule masks something the text is written anew, compact and in its order: the same text
    whether it is masked on the way into a cassette or met again in a replayed request (already masked,
    then left as it is), so the two agree."""
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return mask_text(text)
    if not isinstance(parsed, (dict, list)):
        return mask_text(text)
    masked = mask(parsed)
    if masked == parsed:
        return mask_text(text)
    return json.dumps(masked, ensure_ascii=False, separators=(",", ":"))


# --- streamed answers ------------------------------------------------------------------------------

_TEXT_DELTAS: Final = ("content", "refusal", "reasoning_content", "reasoning")
"""The text fields of a Chat Completions chunk's ``delta``."""
_BLOCK_DELTAS: Final = ("text", "partial_json", "thinking")
"""The text fields of an Anthropic ``content_block_delta``'s ``delta`` (``partial_json``: a tool's input)."""


def _key(*parts: Any) -> Hashable:
    """A stream's identity from an event's indexes and ids (JSON scalars; anything else by its repr)."""
    return tuple(p if p is None or isinstance(p, (str, int)) else repr(p) for p in parts)


def _pieces(data: Any) -> Iterator[tuple[Hashable, bool, dict[str, Any], str]]:
    """``(stream, is_json, holder, field)`` for each piece of streamed text in one event's data: the
    pieces of one stream, joined in order, are one text (a message, a tool call's arguments)."""
    if not isinstance(data, dict):
        return
    choices = data.get("choices")
    if isinstance(choices, list):  # Chat Completions (and legacy Completions) chunks
        for choice in choices:
            if not isinstance(choice, dict):
                continue
            at = choice.get("index")
            if isinstance(choice.get("text"), str):
                yield _key("text", at), False, choice, "text"
            delta = choice.get("delta")
            if not isinstance(delta, dict):
                continue
            for field in _TEXT_DELTAS:
                if isinstance(delta.get(field), str):
                    yield _key(field, at), False, delta, field
            calls = delta.get("tool_calls")
            for call in calls if isinstance(calls, list) else ():
                function = call.get("function") if isinstance(call, dict) else None
                if isinstance(function, dict) and isinstance(function.get(_ARGUMENTS), str):
                    yield _key(_ARGUMENTS, at, call.get("index")), True, function, _ARGUMENTS
        return
    kind, delta = data.get("type"), data.get("delta")
    if isinstance(kind, str) and isinstance(delta, str):  # Responses: response.output_text.delta and the like
        yield (_key(kind, data.get("item_id"), data.get("output_index"), data.get("content_index"),
                    data.get("summary_index")), _ARGUMENTS in kind, data, "delta")
    elif kind == "content_block_delta" and isinstance(delta, dict):  # Anthropic
        for field in _BLOCK_DELTAS:
            if isinstance(delta.get(field), str):
                yield _key(field, data.get("index")), field == "partial_json", delta, field


def mask_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A streamed answer's events (``{"event", "data"}``) masked: each stream of text pieces as one text,
    then every event as a non-streamed answer is (:func:`mask` by shape, tool calls by key too)."""
    streams: dict[Hashable, tuple[bool, list[tuple[dict[str, Any], str]]]] = {}
    for event in events:
        for stream, is_json, holder, field in _pieces(event.get("data") if isinstance(event, dict) else None):
            streams.setdefault(stream, (is_json, []))[1].append((holder, field))
    for is_json, pieces in streams.values():
        _mask_joined(pieces, is_json)
    return [mask(event, keys=False) for event in events]


def _mask_joined(pieces: list[tuple[dict[str, Any], str]], is_json: bool) -> None:
    """Mask the text ``pieces`` make together, in place: the masked run goes into the piece where the
    first change starts, the pieces it spanned after that become empty, and the rest stay as they were."""
    texts = [holder[field] for holder, field in pieces]
    whole = "".join(texts)
    masked = masked_arguments(whole) if is_json else mask_text(whole)
    if masked == whole:
        return
    shortest = min(len(whole), len(masked))
    head = 0
    while head < shortest and whole[head] == masked[head]:
        head += 1
    tail = 0
    while tail < shortest - head and whole[-1 - tail] == masked[-1 - tail]:
        tail += 1
    end = len(whole) - tail  # whole[head:end] became the middle of masked
    middle = masked[head:len(masked) - tail]
    out: list[str] = []
    start, placed = 0, False
    for text in texts:
        stop = start + len(text)
        if placed or stop < head or (stop == head and head < end):  # before the change, or after it
            out.append(text if placed is False or start >= end else text[end - start:] if stop > end else "")
        else:  # the piece the change starts in
            out.append(text[:head - start] + middle + (text[end - start:] if stop > end else ""))
            placed = True
        start = stop
    if "".join(out) != masked:  # never expected: then the masked text whole in the first piece
        out = [masked] + [""] * (len(texts) - 1)
    for (holder, field), text in zip(pieces, out, strict=True):
        holder[field] = text
