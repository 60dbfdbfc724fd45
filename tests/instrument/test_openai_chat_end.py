"""The answer of a non-streamed chat call, read straight off the SDK's models (``chat_end``)."""

from __future__ import annotations

import json
from typing import Any

from openai.types.chat import ChatCompletion
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel import config, semconv
from agentops_otel.instrument._openai_attrs import chat_end
from agentops_otel.llm import Content, start_call


def _answer(tool_calls: list[dict[str, Any]]) -> ChatCompletion:
    return ChatCompletion.model_validate({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "finish_reason": "tool_calls",
                     "message": {"role": "assistant", "content": None, "tool_calls": tool_calls}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12},
    })


def _recorded(resp: ChatCompletion) -> dict[str, Any]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    call = start_call(provider.get_tracer("test"), "chat gpt-4o-mini", {}, "gpt-4o-mini", semconv.PROVIDER_OPENAI,
                      config.call_settings(), Content())
    chat_end(call, resp)
    (span,) = exporter.get_finished_spans()
    return dict(span.attributes or {})


def test_function_and_custom_tool_calls_in_the_answer_are_both_recorded() -> None:
    attrs = _recorded(_answer([
        {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": '{"customer_id": "42"}'}},
        {"id": "c2", "type": "custom", "custom": {"name": "grep", "input": "needle"}},
    ]))

    (message,) = json.loads(attrs[semconv.GEN_AI_OUTPUT_MESSAGES])
    assert message["parts"] == [
        {"type": "tool_call", "id": "c1", "name": "lookup", "arguments": {"customer_id": "42"}},
        {"type": "tool_call", "id": "c2", "name": "grep", "arguments": "needle"},
    ]
    assert message["finish_reason"] == "tool_calls"
    assert attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 10
    assert attrs[semconv.COST_USD] > 0


def test_secret_named_tool_arguments_in_the_answer_are_masked() -> None:
    attrs = _recorded(_answer([
        {"id": "c1", "type": "function", "function": {"name": "login", "arguments": '{"password": "hunter2"}'}},
    ]))

    (message,) = json.loads(attrs[semconv.GEN_AI_OUTPUT_MESSAGES])
    assert message["parts"][0]["arguments"] == {"password": "[REDACTED]"}
