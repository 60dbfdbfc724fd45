"""An LLM call's messages, whoever instrumented it: the replay shows them as for our own spans.

We record ``gen_ai.input.messages`` / ``gen_ai.output.messages`` (JSON), as the official openai-v2
instrumentation and current OpenLLMetry do. OpenInference flattens each message into indexed
attributes (``llm.input_messages.0.message.content``) and keeps the raw request and response in
``input.value`` / ``output.value``; OpenLLMetry before the 2025 conventions wrote
``gen_ai.prompt.0.content`` / ``gen_ai.completion.0.content``. Pure functions of the attributes,
used only when a step's content is asked for, so reassembly stays as fast as before. Model, tokens
and cost of such spans are ``genai_spans``' business.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from agentops_otel import semconv as sc

_OI_FIELDS = {sc.OI_MESSAGE_ROLE: "role", sc.OI_MESSAGE_CONTENT: "content"}
_LEGACY_FIELDS = {sc.LEGACY_ROLE: "role", sc.LEGACY_CONTENT: "content", sc.LEGACY_FINISH_REASON: "finish_reason"}


def _indexed(attrs: Mapping[str, Any], prefix: str, fields: Mapping[str, str]) -> list[dict[str, Any]]:
    """``{prefix}{i}.{field}`` attributes as a list of messages, in index order."""
    found: dict[int, dict[str, Any]] = {}
    for key, value in attrs.items():
        if not key.startswith(prefix):
            continue
        index, _, field = key[len(prefix):].partition(".")
        name = fields.get(field)
        if name is not None and index.isdigit():
            found.setdefault(int(index), {})[name] = value
    return [found[i] for i in sorted(found)]


def _json(messages: list[dict[str, Any]]) -> str:
    return msgspec.json.encode(messages, enc_hook=repr).decode()


def input_messages(attrs: Mapping[str, Any]) -> Any:
    """The call's input as recorded: our/official JSON, else OpenInference's or legacy OpenLLMetry's
    messages as JSON, else OpenInference's raw request; None when the span carries no content."""
    value = attrs.get(sc.GEN_AI_INPUT_MESSAGES)
    if value is not None:
        return value
    messages = _indexed(attrs, sc.OI_INPUT_MESSAGES, _OI_FIELDS) or _indexed(attrs, sc.LEGACY_PROMPT, _LEGACY_FIELDS)
    if messages:
        return _json(messages)
    return attrs.get(sc.OI_INPUT_VALUE)


def output_messages(attrs: Mapping[str, Any]) -> Any:
    """The call's output, in the same order of preference as ``input_messages``."""
    value = attrs.get(sc.GEN_AI_OUTPUT_MESSAGES)
    if value is not None:
        return value
    messages = (_indexed(attrs, sc.OI_OUTPUT_MESSAGES, _OI_FIELDS)
                or _indexed(attrs, sc.LEGACY_COMPLETION, _LEGACY_FIELDS))
    if messages:
        return _json(messages)
    return attrs.get(sc.OI_OUTPUT_VALUE)


__all__ = ["input_messages", "output_messages"]
