"""The answer of a non-streamed chat call, read straight off the SDK's models (``chat_end``)."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest
from openai.types import CompletionUsage
from openai.types.chat import ChatCompletion, ChatCompletionMessage
from openai.types.chat.chat_completion import Choice
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from agentops_otel import config, semconv
from agentops_otel._guard import FaultInjector, reset_reports
from agentops_otel._parts import structured
from agentops_otel.instrument._openai_chat import chat_end
from agentops_otel.llm import Content, Outcome, start_call


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


@pytest.mark.parametrize("arguments", [
    '{"customer_id": "42"}', "{}", '{"order": {"id": 7, "items": [1, 2]}}', '{"auth": {"api_key": "x"}}',
    '{"note": "use sk-abcdefghijklmnopqrstuvwx"}', "{not json", '["a", "b"]', "null", "plain text",
    '{"text": "' + "x" * 5000 + '"}', '{"n": 1e400}', '{"big": 123456789012345678901234567890}',
])
def test_tool_call_arguments_in_the_answer_are_recorded_as_tool_arguments_are_everywhere(arguments: str) -> None:
    """The answer's arguments take the fast path when they are a small flat object; whatever their
    shape, what is recorded is what the general rule for tool-call arguments makes of them."""
    attrs = _recorded(_answer([{"id": "c1", "type": "function", "function": {"name": "f", "arguments": arguments}}]))

    (message,) = json.loads(attrs[semconv.GEN_AI_OUTPUT_MESSAGES])
    expected = structured(arguments, config.call_settings().limit)
    assert message["parts"][0]["arguments"] == json.loads(json.dumps(expected))


def test_arguments_nested_past_the_decoders_depth_are_kept_as_text_and_the_answer_recorded() -> None:
    """A model's runaway nesting (valid JSON, deeper than the decoder goes) loses nothing else."""
    deep = "[" * 2000 + "]" * 2000
    attrs = _recorded(_answer([{"id": "c1", "type": "function", "function": {"name": "f", "arguments": deep}}]))

    (message,) = json.loads(attrs[semconv.GEN_AI_OUTPUT_MESSAGES])
    assert message["parts"][0]["arguments"] == deep
    assert message["parts"][0]["name"] == "f"
    assert attrs[semconv.GEN_AI_RESPONSE_ID] == "chatcmpl-1"


def _constructed(**overrides: Any) -> ChatCompletion:
    """A ChatCompletion as the SDK's lax parsing may leave it: fields not validated."""
    fields: dict[str, Any] = {
        "id": "chatcmpl-2", "object": "chat.completion", "created": 0, "model": "gpt-4o-mini",
        "choices": [Choice.model_construct(index=0, finish_reason="stop",
                                           message=ChatCompletionMessage.model_construct(role="assistant",
                                                                                         content="hi"))],
        "usage": CompletionUsage(prompt_tokens=10, completion_tokens=2, total_tokens=12),
    }
    fields.update(overrides)
    return ChatCompletion.model_construct(**fields)


@pytest.mark.parametrize("usage", ["x", [1, 2], 7])
def test_usage_that_is_not_a_usage_object_is_missing_not_free(usage: Any) -> None:
    attrs = _recorded(_constructed(usage=usage))

    assert attrs[semconv.USAGE_MISSING] is True
    assert attrs[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_USAGE_MISSING
    assert semconv.COST_USD not in attrs
    assert semconv.GEN_AI_USAGE_INPUT_TOKENS not in attrs


def test_tool_calls_that_are_not_a_list_leave_the_rest_of_the_answer_recorded() -> None:
    message = ChatCompletionMessage.model_construct(role="assistant", content="hi", tool_calls=5)
    attrs = _recorded(_constructed(choices=[Choice.model_construct(index=0, finish_reason="stop", message=message)]))

    assert attrs[semconv.GEN_AI_RESPONSE_ID] == "chatcmpl-2"
    assert attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 10
    (recorded,) = json.loads(attrs[semconv.GEN_AI_OUTPUT_MESSAGES])
    assert recorded["parts"] == [{"type": "text", "content": "hi"}]


class _OlderDetails(openai.BaseModel):
    """Prompt token details of an SDK version that doesn't declare ``cache_write_tokens`` (kept as an extra)."""

    cached_tokens: int | None = None


def test_a_cache_write_count_kept_among_the_models_extras_is_still_read() -> None:
    details = _OlderDetails.model_validate({"cached_tokens": 4, "cache_write_tokens": 100})
    usage = CompletionUsage.model_construct(prompt_tokens=200, completion_tokens=2, total_tokens=202,
                                            prompt_tokens_details=details)
    attrs = _recorded(_constructed(usage=usage))

    assert attrs[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 4
    assert attrs[semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] == 100


def test_a_fault_while_ending_records_no_error_status_from_the_outcome() -> None:
    """A failure in our end step ends the span with nothing from the outcome, its error status included."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    call = start_call(provider.get_tracer("test"), "chat m", {}, "m", semconv.PROVIDER_OPENAI, config.call_settings(),
                      None)
    FaultInjector.armed["llm.end"] = RuntimeError
    try:
        call.end(Outcome(error="stream cut"))
        call.end(Outcome(response_id="late"))  # a second end, e.g. a racing close: does nothing
    finally:
        FaultInjector.armed.clear()
        reset_reports()

    (span,) = exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.UNSET
    assert semconv.GEN_AI_RESPONSE_ID not in (span.attributes or {})
