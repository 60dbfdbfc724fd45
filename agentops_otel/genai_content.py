"""An LLM call's messages, whoever instrumented it: the replay shows them as for our own spans.

We record ``gen_ai.input.messages`` / ``gen_ai.output.messages`` (JSON), as the official openai-v2
instrumentation and current OpenLLMetry do. OpenInference flattens each message into indexed
attributes (``llm.input_messages.0.message.content``, a multimodal message's
``.message.contents.0.message_content.text``, tool calls in ``.message.tool_calls.0.tool_call.*``) and
keeps the raw request and response in ``input.value`` / ``output.value``; OpenLLMetry before the 2025
conventions wrote ``gen_ai.prompt.0.content`` / ``gen_ai.completion.0.tool_calls.0.name``. Such messages
are read into the GenAI conventions' shape (``{"role", "parts": [...]}``, with text, uri, tool_call and
tool_call_response parts), so the diff compares every part, not only the text. A field of theirs this
reader does not know is kept under :data:`UNREAD` in its message: two calls that differ there still
differ, and two that agree can't be said to agree on what was not understood (:func:`unread`).

Pure functions of the attributes, used only when a step's content is asked for, so reassembly stays as
fast as before. Model, tokens and cost of such spans are ``genai_spans``' business.

Captured ``event_only``, a step's content is not in its attributes at all but on an event of its span
(:data:`~agentops_otel.semconv.CONTENT_EVENTS`: an LLM call's ``gen_ai.client.inference.operation.details``,
a tool's, action's or recorded error's ``agentops.step.content``), under the names it has on the span:
:func:`content_attribute` and :func:`with_event_content` are the one place every reader (replay, diff,
``with_args``, a live session's views, a cassette built from a trace) looks there too, so none of them takes
content on the event for no content.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

import msgspec

from agentops_otel import semconv as sc

UNREAD = sc.READ_UNREAD_FIELDS
"""Key, in a message read from indexed attributes, of the attributes (full names) this reader did not know."""

_Fields = dict[str, Any]


def _by_index(fields: Mapping[str, Any], prefix: str) -> tuple[dict[int, _Fields], _Fields]:
    """The ``{prefix}{i}.{field}`` entries as ``{i: {field: value}}``, and every other entry as is."""
    indexed: dict[int, _Fields] = {}
    rest: _Fields = {}
    n = len(prefix)
    for key, value in fields.items():
        if key.startswith(prefix):
            index, dot, field = key[n:].partition(".")
            if dot and index.isascii() and index.isdigit():
                indexed.setdefault(int(index), {})[field] = value
                continue
        rest[key] = value
    return indexed, rest


def _arguments(value: Any) -> Any:
    """Tool call arguments as the JSON value they spell (as our recorder keeps them), else as given."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return msgspec.json.decode(value)
        except (msgspec.DecodeError, RecursionError):
            return value
    return value


class _Reader:
    """One message's fields, consumed as they are understood; what is left is unread."""

    def __init__(self, fields: _Fields, where: str) -> None:
        self.fields = fields
        self.where = where
        self.parts: list[dict[str, Any]] = []
        self.unread: _Fields = {}

    def take(self, field: str) -> Any:
        return self.fields.pop(field, None)

    def content(self, content: Any, call_id: Any) -> None:
        """The message's text, or, with the id of the call it answers, a tool result."""
        if call_id is not None:
            self.parts.append({"type": "tool_call_response", "id": call_id, "response": content})
        elif content is not None:
            self.parts.append({"type": "text", "content": content})

    def call(self, call_id: Any, name: Any, arguments: Any) -> None:
        if name is not None or arguments is not None:
            self.parts.append({"type": "tool_call", "id": call_id, "name": name, "arguments": _arguments(arguments)})

    def indexed(self, prefix: str, read: Callable[[_Fields], None]) -> None:
        """Read each ``{prefix}{i}.*`` group in index order; what ``read`` leaves is unread."""
        groups, self.fields = _by_index(self.fields, prefix)
        for i in sorted(groups):
            group = groups[i]
            read(group)
            self.unread.update((f"{self.where}{prefix}{i}.{k}", v) for k, v in group.items())

    def message(self, role: Any) -> dict[str, Any]:
        self.unread.update((f"{self.where}{k}", v) for k, v in self.fields.items())
        message: dict[str, Any] = {"role": role, "parts": self.parts}
        if self.unread:
            message[UNREAD] = self.unread
        return message


def _oi_content(r: _Reader, part: _Fields) -> None:
    kind = part.get(sc.OI_CONTENT_TYPE)
    if kind in (None, "text", "reasoning") and sc.OI_CONTENT_TEXT in part:
        part.pop(sc.OI_CONTENT_TYPE, None)
        r.parts.append({"type": kind or "text", "content": part.pop(sc.OI_CONTENT_TEXT)})
    elif kind == "image" and sc.OI_CONTENT_IMAGE_URL in part:
        part.pop(sc.OI_CONTENT_TYPE)
        r.parts.append({"type": "uri", "modality": "image", "uri": part.pop(sc.OI_CONTENT_IMAGE_URL)})


def _oi_message(fields: _Fields, where: str) -> dict[str, Any]:
    r = _Reader(fields, where)
    role, name = r.take(sc.OI_MESSAGE_ROLE), r.take(sc.OI_MESSAGE_NAME)
    r.content(r.take(sc.OI_MESSAGE_CONTENT), r.take(sc.OI_MESSAGE_TOOL_CALL_ID))
    r.indexed(sc.OI_MESSAGE_CONTENTS, lambda part: _oi_content(r, part))
    r.call(None, r.take(sc.OI_MESSAGE_FUNCTION_CALL_NAME), r.take(sc.OI_MESSAGE_FUNCTION_CALL_ARGUMENTS))
    r.indexed(sc.OI_MESSAGE_TOOL_CALLS, lambda call: r.call(
        call.pop(sc.OI_TOOL_CALL_ID, None), call.pop(sc.OI_TOOL_CALL_NAME, None),
        call.pop(sc.OI_TOOL_CALL_ARGUMENTS, None)))
    message = r.message(role)
    if name is not None:
        message["name"] = name
    return message


def _legacy_message(fields: _Fields, where: str) -> dict[str, Any]:
    r = _Reader(fields, where)
    role, finish_reason = r.take(sc.LEGACY_ROLE), r.take(sc.LEGACY_FINISH_REASON)
    r.content(r.take(sc.LEGACY_CONTENT), r.take(sc.LEGACY_TOOL_CALL_ID))
    refusal = r.take(sc.LEGACY_REFUSAL)
    if refusal is not None:
        r.parts.append({"type": "refusal", "content": refusal})
    r.call(None, r.take(sc.LEGACY_FUNCTION_CALL_NAME), r.take(sc.LEGACY_FUNCTION_CALL_ARGUMENTS))
    r.indexed(sc.LEGACY_TOOL_CALLS, lambda call: r.call(
        call.pop(sc.LEGACY_CALL_ID, None), call.pop(sc.LEGACY_CALL_NAME, None),
        call.pop(sc.LEGACY_CALL_ARGUMENTS, None)))
    message = r.message(role)
    if finish_reason is not None:
        message["finish_reason"] = finish_reason
    return message


def _messages(attrs: Mapping[str, Any], prefix: str,
              shape: Callable[[_Fields, str], dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``{prefix}{i}.*`` attributes as messages in index order (attributes under the prefix without
    an index are unread, kept on the first message)."""
    groups, stray = _by_index({k: v for k, v in attrs.items() if k.startswith(prefix)}, prefix)
    messages = [shape(groups[i], f"{prefix}{i}.") for i in sorted(groups)]
    if messages and stray:
        messages[0].setdefault(UNREAD, {}).update(stray)
    return messages


_CONTENT_EVENTS = sc.CONTENT_EVENTS


class SpanEvent(Protocol):
    """A span event as the SDK (``opentelemetry.sdk.trace.Event``) and our reader (``SpanEventRecord``) hold it."""

    @property
    def name(self) -> str: ...

    @property
    def attributes(self) -> Mapping[str, Any] | None: ...


def content_attribute(attrs: Mapping[str, Any], events: Iterable[SpanEvent], key: str) -> Any:
    """A content attribute of the span (``gen_ai.input.messages``, ``gen_ai.tool.call.arguments``...), else
    of its content event; None when neither has it."""
    value = attrs.get(key)
    if value is None:
        for ev in events:
            if ev.name in _CONTENT_EVENTS and ev.attributes:
                found = ev.attributes.get(key)
                if found is not None:
                    return found
    return value


def with_event_content(attrs: Mapping[str, Any], events: Iterable[SpanEvent]) -> Mapping[str, Any]:
    """The span's attributes plus, where it lacks them, its content events': the step as it reads with
    content captured on the span. ``attrs`` itself when the span has no such event."""
    merged: dict[str, Any] | None = None
    for ev in events:
        if ev.name in _CONTENT_EVENTS and ev.attributes:
            if merged is None:
                merged = dict(attrs)
            for key, value in ev.attributes.items():
                if merged.get(key) is None:
                    merged[key] = value
    return attrs if merged is None else merged


def _json(messages: list[dict[str, Any]]) -> str:
    return msgspec.json.encode(messages, enc_hook=repr).decode()


def input_messages(attrs: Mapping[str, Any]) -> Any:
    """The call's input as recorded: our/official JSON, else OpenInference's or legacy OpenLLMetry's
    messages as JSON, else OpenInference's raw request; None when the span carries no content."""
    value = attrs.get(sc.GEN_AI_INPUT_MESSAGES)
    if value is not None:
        return value
    messages = _messages(attrs, sc.OI_INPUT_MESSAGES, _oi_message) or _messages(attrs, sc.LEGACY_PROMPT,
                                                                                  _legacy_message)
    if messages:
        return _json(messages)
    return attrs.get(sc.OI_INPUT_VALUE)


def output_messages(attrs: Mapping[str, Any]) -> Any:
    """The call's output, in the same order of preference as ``input_messages``."""
    value = attrs.get(sc.GEN_AI_OUTPUT_MESSAGES)
    if value is not None:
        return value
    messages = (_messages(attrs, sc.OI_OUTPUT_MESSAGES, _oi_message)
                or _messages(attrs, sc.LEGACY_COMPLETION, _legacy_message))
    if messages:
        return _json(messages)
    return attrs.get(sc.OI_OUTPUT_VALUE)


def request(attrs: Mapping[str, Any]) -> Any:
    """OpenInference's raw request when the call's messages were read from elsewhere, else None.

    It holds what the messages don't (the tools offered, the parameters): a call that differs only
    there is another call. When it *is* the input (no messages were recorded), it is not repeated.
    """
    value = attrs.get(sc.OI_INPUT_VALUE)
    if value is None or input_messages(attrs) is value:
        return None
    return value


def unread(messages: Any) -> str | None:
    """The first attribute of another instrumentation's messages (decoded) that this reader did not
    know, or None when every field was read."""
    if isinstance(messages, list):
        for message in messages:
            fields = message.get(UNREAD) if isinstance(message, dict) else None
            if isinstance(fields, dict) and fields:
                return str(next(iter(fields)))
    return None


__all__ = ["UNREAD", "SpanEvent", "content_attribute", "input_messages", "output_messages", "request", "unread",
           "with_event_content"]
