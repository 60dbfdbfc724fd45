"""Message content in the GenAI "parts" shape, bounded, masked and encoded: what every instrumentation
records as ``gen_ai.input.messages`` / ``gen_ai.output.messages``.

Every string is cut to ``config.max_value_chars()`` and has credential-shaped runs masked *before*
encoding, so the attribute stays valid JSON that readers can parse even when a prompt was cut. The
history of a conversation is resent on every call, so plain messages are shaped once and kept
(:func:`plain_message`), and a call records at most a budget's worth of it (:func:`history_content`), and
of its tool definitions (:func:`tool_definitions_content`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import msgspec

from . import _cut, _flat, _redact, _serialize, config, semconv

__all__ = [
    "JSONDict",
    "block_results",
    "bounded",
    "encode",
    "encode_content",
    "history_content",
    "parts_content",
    "plain_message",
    "structured",
    "text_part",
    "tool_call_part",
    "tool_definitions_content",
    "tool_response_part",
]

JSONDict = dict[str, Any]


ENCODER = msgspec.json.Encoder(enc_hook=_serialize.str_subclass_as_str)
DECODER = msgspec.json.Decoder()


def encode(value: Any) -> str:
    """JSON text for an already-bounded structure (strings inside were cut by :func:`bounded`).

    msgspec rather than ``json``: this runs on every captured call, and it is ten times faster.
    """
    try:
        return ENCODER.encode(value).decode("utf-8")
    except (TypeError, ValueError, msgspec.MsgspecError):
        # Something in it is not plain JSON: walk it within the content budget (a limit of 0 would cut all).
        return _serialize.bounded_json(value, config.max_content_chars())


def encode_content(attribute: str, value: Any) -> str:
    """JSON text of one content attribute, after the user's redaction hook (if any) has seen it."""
    return encode(_redact.apply_hook(attribute, value))


def bounded(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` (with a marker) and with credential-shaped runs masked; a key the cut
    would split is masked whole (:func:`._cut.truncate_masked`)."""
    return _redact.mask_text(text) if len(text) <= limit else _cut.truncate_masked(text, limit)


def text_part(text: str, limit: int) -> JSONDict:
    # ``bounded`` inlined: this runs for every text part of every call.
    return {"type": "text",
            "content": _redact.mask_text(text) if len(text) <= limit else _cut.truncate_masked(text, limit)}


def structured(value: Any, limit: int) -> Any:
    """Arguments / results as JSON values when they are JSON text that fits; else the (cut) string.

    Either way masked like a tool's own arguments (secret-named keys, key-shaped strings).
    """
    if isinstance(value, str):
        if type(value) is not str:
            value = str.__str__(value)  # a subclass's text as a plain str (the decoder takes no other)
        if len(value) <= limit and value[:1] in ("{", "["):
            try:
                decoded = DECODER.decode(value)
            except (msgspec.MsgspecError, ValueError, RecursionError):  # nested past the decoder's depth
                return bounded(value, limit)
            if type(decoded) is dict:  # the usual arguments: a small flat object (bounded's first step)
                flat = _flat.flat_mapping(decoded, limit)
                if flat is not None:
                    return flat
            return _serialize.bounded(decoded, limit)
        return bounded(value, limit)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return _serialize.bounded(value, limit)


def tool_call_part(call_id: str | None, name: str | None, arguments: Any, limit: int) -> JSONDict:
    return {"type": "tool_call", "id": call_id, "name": name, "arguments": structured(arguments, limit)}


def tool_response_part(call_id: str | None, response: Any, limit: int) -> JSONDict:
    return {"type": "tool_call_response", "id": call_id, "response": structured(response, limit)}


def block_results(texts: list[str], limit: int) -> Any:
    """A tool result given as content blocks: one block is the result itself, several a list of their
    values, each read as JSON on its own. Joined, two blocks are no JSON (``found:{"api_key": ...}``),
    and the secret-named keys inside would be recorded unmasked."""
    if len(texts) <= 1:
        return texts[0] if texts else ""
    return [structured(text, limit) for text in texts]


_LEADING_ROLES = ("system", "developer")


def _omitted(count: int) -> JSONDict:
    return {"role": "system", "parts": [{"type": "text", "omitted_messages": count,
                                         "content": _cut.OMITTED_MESSAGES_MARKER.format(n=count)}]}


_PLAIN_ROLES = ("user", "system", "developer", "assistant")
_plain_cache: dict[tuple[str, str, int], tuple[JSONDict, str]] = {}
_PLAIN_CACHE_MAX = 1024
_PLAIN_CACHE_TEXT_MAX = 32_768
"""Longer texts are shaped afresh each time (the cache would keep them alive)."""


def plain_message(msg: Any, limit: int) -> tuple[JSONDict, str] | None:
    """A ``{"role": ..., "content": str}`` dict shaped into parts and encoded; ``None`` for any other shape.

    The whole history is resent on every call of a conversation, so the same message is bounded,
    masked and encoded again and again: the result depends only on (role, text, limit), and is kept.
    The shaped dict is shared between calls, so it is only for callers that never hand it to the
    user's redaction hook (:func:`history_content` uses it only when no hook is installed).
    """
    if type(msg) is not dict or len(msg) != 2:
        return None
    role = msg.get("role")
    text = msg.get("content")
    if type(text) is not str or type(role) is not str:
        return None  # (two keys, both strings: exactly the plain shape)
    key = (role, text, limit)
    hit = _plain_cache.get(key)
    if hit is None and role not in _PLAIN_ROLES:
        return None
    if hit is None:
        shaped: JSONDict = {"role": role, "parts": [text_part(text, limit)]}
        hit = (shaped, encode(shaped))
        if len(text) <= _PLAIN_CACHE_TEXT_MAX:
            if len(_plain_cache) >= _PLAIN_CACHE_MAX:
                _plain_cache.clear()
            _plain_cache[key] = hit
    return hit


def history_content(messages: Sequence[Any], shape: Callable[[Any, int], JSONDict | None], limit: int,
                    budget: int, plain: bool = False) -> str:
    """``gen_ai.input.messages`` of a conversation, kept within ``budget`` characters.

    The whole history is resent on every call, so recording it whole makes the bytes grow with the
    square of the conversation. Messages are shaped (``shape(message, limit)``, every string bounded
    by ``limit``) from the newest backwards and shaping stops where the budget ends: the cost of a
    call does not depend on how long the conversation is, and messages that will be dropped are never
    read. One marker message counts the dropped ones. The newest message is always kept, and so is a
    leading system/developer prompt, which explains the rest.

    With ``plain`` (the provider's plain ``{"role", "content": str}`` messages are shaped as
    :func:`plain_message` does) and no redaction hook installed, those messages come shaped *and
    encoded* from its cache; ``shape`` does the others. ``shape`` takes the limit as an argument so
    that no closure is made per call.
    """
    hooked = _redact.installed_hook is not None
    fast = plain and not hooked
    if fast:
        # The usual conversation: plain messages that fit the budget whole, so all are kept, in order,
        # and no marker is needed (the loop below would reach the same, newest first). Stops at the
        # first other message or once over the budget, having read at most a budget's worth.
        texts: list[str] = []
        total = 0
        for item in messages:
            hit = None
            if type(item) is dict and len(item) == 2:  # the cache probe of plain_message, written out
                role = item.get("role")
                text = item.get("content")
                if type(role) is str and type(text) is str:
                    hit = _plain_cache.get((role, text, limit))
            if hit is None:
                hit = plain_message(item, limit)
                if hit is None:
                    break
            total += len(hit[1]) + 1
            if total > budget:
                break
            texts.append(hit[1])
        else:
            return "[" + ",".join(texts) + "]"
    head: list[JSONDict] = []
    head_text: list[str] = []
    start = 0
    used = 0
    if len(messages) > 1:
        hit = plain_message(messages[0], limit) if fast else None
        first, first_text = hit if hit is not None else (shape(messages[0], limit), None)
        if first is not None and first.get("role") in _LEADING_ROLES:
            head, start = [first], 1
            head_text = [first_text if first_text is not None else encode(first)]
            used = len(head_text[0])
    kept: list[JSONDict] = []
    pieces: list[str] = []
    i = len(messages)
    while i > start:
        item = messages[i - 1]
        hit = plain_message(item, limit) if fast else None
        msg, text = hit if hit is not None else (shape(item, limit), None)
        if msg is not None:
            if text is None:
                text = encode(msg)
            if kept and used + len(text) + 1 > budget:
                break
            kept.append(msg)
            pieces.append(text)
            used += len(text) + 1
        i -= 1
    dropped = i - start
    if hooked:
        marker = [_omitted(dropped)] if dropped else []
        return encode_content(semconv.GEN_AI_INPUT_MESSAGES, [*head, *marker, *reversed(kept)])
    if dropped:
        head_text.append(encode(_omitted(dropped)))
    pieces.reverse()
    return "[" + ",".join(head_text + pieces) + "]"


def parts_content(attribute: str, blocks: Sequence[Any], shape: Callable[[Any, int], JSONDict | None], limit: int,
                  budget: int) -> str:
    """One content attribute made of parts (``gen_ai.system_instructions``) within ``budget`` characters.

    A system prompt can be a list of hundreds of blocks (cached rules, documents), each up to ``limit``:
    whole parts are kept in order while they fit, then one text part counts those left out, and blocks
    past the budget are never shaped. ``shape(block, limit)`` makes one part (``None``: not recorded).
    """
    kept: list[JSONDict] = []
    used = 1  # the brackets; each part adds its text and a comma
    sizes: list[int] = []
    dropped = 0
    for i, block in enumerate(blocks):
        part = shape(block, limit)
        if part is None:
            continue
        size = len(encode(part)) + 1
        if used + size > budget:
            dropped = len(blocks) - i
            break
        kept.append(part)
        sizes.append(size)
        used += size
    if dropped:
        marker: JSONDict = {"type": "text", "content": _cut.OMITTED_PARTS_MARKER.format(n=dropped)}
        marker_size = len(encode(marker)) + 1
        while kept and used + marker_size > budget:  # make room for the marker
            kept.pop()
            used -= sizes.pop()
            dropped += 1
            marker = {"type": "text", "content": _cut.OMITTED_PARTS_MARKER.format(n=dropped)}
            marker_size = len(encode(marker)) + 1
        kept.append(marker)
    return encode_content(attribute, kept)


def _omitted_tools(count: int) -> JSONDict:
    return {"type": "omitted", "omitted_tools": count,
            "description": _cut.OMITTED_TOOLS_MARKER.format(n=count)}


_FEW_TOOLS = 16
"""Up to this many tools are shaped all at once and encoded as one list (the usual case, as cheap as before
there was a budget); more are shaped one at a time, only as far as the budget reaches."""


def tool_definitions_content(tools: Sequence[Any], shape: Callable[[Any, int], JSONDict], limit: int,
                             budget: int) -> str:
    """``gen_ai.tool.definitions`` kept within ``budget`` characters, a budget of its own beside the history's.

    Every call offers the agent's tools again, and an MCP server's can be hundreds of schemas (~1 MB on
    each span). Whole entries are kept in order while they fit; one last entry (``"omitted_tools": N``)
    counts the tools left out, so the attribute stays valid JSON and says it was cut. Past
    :data:`_FEW_TOOLS`, tools beyond the budget are never shaped. ``shape(tool, limit)`` makes one entry
    with every string bounded by ``limit``; a schema whose JSON is still over ``limit`` is kept as cut text.
    """
    if len(tools) <= _FEW_TOOLS:
        entries = [shape(tool, limit) for tool in tools]
        text = encode(entries)
        if len(text) <= limit and len(text) <= budget:  # else a schema may be over the limit, or all over the budget
            if _redact.installed_hook is not None:
                return encode_content(semconv.GEN_AI_TOOL_DEFINITIONS, entries)
            return text
        return _within_budget(entries, len(tools), limit, budget)
    return _within_budget((shape(tool, limit) for tool in tools), len(tools), limit, budget)


def _within_budget(entries: Iterable[JSONDict], total: int, limit: int, budget: int) -> str:
    kept: list[JSONDict] = []
    pieces: list[str] = []
    used = 1  # len("[" + ",".join(pieces) + "]") == 1 + sum(len(piece) + 1)
    for entry in entries:
        text = encode(entry)
        if len(text) > limit:  # else its schema can't be over the limit either
            params = entry.get("parameters")
            if params is not None and not isinstance(params, str):
                schema = encode(params)
                if len(schema) > limit:
                    entry["parameters"] = bounded(schema, limit)  # an oversized schema is kept as cut text
                    text = encode(entry)
        if used + len(text) + 1 > budget:
            break
        kept.append(entry)
        pieces.append(text)
        used += len(text) + 1
    dropped = total - len(kept)
    if dropped:
        marker = _omitted_tools(dropped)
        marker_text = encode(marker)
        while kept and used + len(marker_text) + 1 > budget:  # make room for the marker
            kept.pop()
            used -= len(pieces.pop()) + 1
            dropped += 1
            marker = _omitted_tools(dropped)
            marker_text = encode(marker)
        kept.append(marker)
        pieces.append(marker_text)
    if _redact.installed_hook is not None:
        return encode_content(semconv.GEN_AI_TOOL_DEFINITIONS, kept)
    return "[" + ",".join(pieces) + "]"
