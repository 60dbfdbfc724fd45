"""Secrets stay masked in cassettes: the rules the trace applies, on whole (uncut) values, except that what a
cassette hands back to a replayed agent (a model's answer, a tool's result) has its text masked by shape only,
so that it replays as it was (see :mod:`agentops_otel._mask_plain`).

The walk over plain data (:func:`agentops_otel._mask_plain.mask`) is shared with the replay of other
instrumentations' content. A replay masks what the agent does now the same way before comparing it with
the recording, so a masked argument still matches. A streamed answer sends its text in pieces a few
characters long, so no piece holds a whole key: :func:`mask_events` joins each stream of pieces, masks
the whole, and hands the pieces back with the masked text in place of the secret (the pieces before and
after it unchanged).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Any, Final

from .._mask_plain import ARGUMENTS, mask, masked_arguments
from .._redact import REDACTED, mask_shapes

__all__ = ["REDACTED", "mask", "mask_events"]


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
                if isinstance(function, dict) and isinstance(function.get(ARGUMENTS), str):
                    yield _key(ARGUMENTS, at, call.get("index")), True, function, ARGUMENTS
        return
    kind, delta = data.get("type"), data.get("delta")
    if isinstance(kind, str) and isinstance(delta, str):  # Responses: response.output_text.delta and the like
        yield (_key(kind, data.get("item_id"), data.get("output_index"), data.get("content_index"),
                    data.get("summary_index")), ARGUMENTS in kind, data, "delta")
    elif kind == "content_block_delta" and isinstance(delta, dict):  # Anthropic
        for field in _BLOCK_DELTAS:
            if isinstance(delta.get(field), str):
                yield _key(field, data.get("index")), field == "partial_json", delta, field


def mask_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A streamed answer's events (``{"event", "data"}``) masked: each stream of text pieces as one text,
    then every event as a non-streamed answer is (:func:`mask` by shape, tool calls by key too; never by the
    secret-named pairs its text writes, see :mod:`agentops_otel._mask_plain`)."""
    streams: dict[Hashable, tuple[bool, list[tuple[dict[str, Any], str]]]] = {}
    for event in events:
        for stream, is_json, holder, field in _pieces(event.get("data") if isinstance(event, dict) else None):
            streams.setdefault(stream, (is_json, []))[1].append((holder, field))
    for is_json, pieces in streams.values():
        _mask_joined(pieces, is_json)
    return [mask(event, keys=False, answer=True) for event in events]


def _mask_joined(pieces: list[tuple[dict[str, Any], str]], is_json: bool) -> None:
    """Mask the text ``pieces`` make together, in place: the masked run goes into the piece where the
    first change starts, the pieces it spanned after that become empty, and the rest stay as they were."""
    texts = [holder[field] for holder, field in pieces]
    whole = "".join(texts)
    masked = masked_arguments(whole, answer=True) if is_json else mask_shapes(whole)
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
