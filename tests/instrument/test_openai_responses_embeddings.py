"""Responses API and embeddings calls become spans with the same conventions as chat."""

from __future__ import annotations

import openai
import pytest
from openai import AsyncOpenAI, OpenAI
from openai_helpers import attrs, content, only_span
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from agentops_otel import semconv
from agentops_otel.testing import OpenAIServer, Reply, Usage


def test_responses_create(client: OpenAI, server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """responses.create records params, instructions as system instructions, usage, cost and output."""
    server.queue(Reply.text("Paris.", usage=Usage(prompt_tokens=12, completion_tokens=2, reasoning_tokens=1)))
    result = client.responses.create(model="gpt-4o-mini", input="Capital of France?", instructions="Be terse.",
                                     temperature=0.3, top_p=0.5, max_output_tokens=50,
                                     text={"format": {"type": "text"}})
    assert result.output_text == "Paris."
    span = only_span(span_exporter)
    a = attrs(span)
    assert span.name == "chat gpt-4o-mini"
    assert span.kind is SpanKind.CLIENT
    assert a[semconv.GEN_AI_OPERATION_NAME] == "chat"
    assert a[semconv.GEN_AI_REQUEST_TEMPERATURE] == 0.3
    assert a[semconv.GEN_AI_REQUEST_TOP_P] == 0.5
    assert a[semconv.GEN_AI_REQUEST_MAX_TOKENS] == 50
    assert a[semconv.GEN_AI_OUTPUT_TYPE] == "text"
    assert semconv.GEN_AI_REQUEST_STREAM not in a  # only set when streaming
    assert a[semconv.GEN_AI_RESPONSE_ID] == result.id
    assert a[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 12
    assert a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 2
    assert a[semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] == 1
    assert a[semconv.COST_USD] == pytest.approx((12 * 0.15 + 2 * 0.6) / 1e6)
    assert content(span, semconv.GEN_AI_SYSTEM_INSTRUCTIONS) == [{"type": "text", "content": "Be terse."}]
    assert content(span, semconv.GEN_AI_INPUT_MESSAGES) == [
        {"role": "user", "parts": [{"type": "text", "content": "Capital of France?"}]}]
    assert content(span, semconv.GEN_AI_OUTPUT_MESSAGES) == [
        {"role": "assistant", "parts": [{"type": "text", "content": "Paris."}], "finish_reason": "stop"}]


def test_responses_input_items_with_tool_round_trip(client: OpenAI, server: OpenAIServer,
                                                    span_exporter: InMemorySpanExporter) -> None:
    """Responses input items map to parts: messages, function_call -> tool_call, function_call_output -> response."""
    server.queue(Reply.tool_calls(("lookup", {"q": "a"}, "call_2")))
    client.responses.create(model="gpt-4o", input=[
        {"role": "user", "content": [{"type": "input_text", "text": "look it up"}]},
        {"type": "function_call", "call_id": "call_1", "name": "lookup", "arguments": '{"q": "b"}'},
        {"type": "function_call_output", "call_id": "call_1", "output": "found b"},
    ], tools=[{"type": "function", "name": "lookup", "parameters": {"type": "object"}, "strict": False}])
    span = only_span(span_exporter)
    assert content(span, semconv.GEN_AI_INPUT_MESSAGES) == [
        {"role": "user", "parts": [{"type": "text", "content": "look it up"}]},
        {"role": "assistant", "parts": [{"type": "tool_call", "id": "call_1", "name": "lookup",
                                         "arguments": {"q": "b"}}]},
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1", "response": "found b"}]},
    ]
    assert content(span, semconv.GEN_AI_TOOL_DEFINITIONS) == [
        {"type": "function", "name": "lookup", "parameters": {"type": "object"}}]
    assert attrs(span)[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_calls",)


def test_responses_incomplete_maps_to_length(client: OpenAI, server: OpenAIServer,
                                             span_exporter: InMemorySpanExporter) -> None:
    """An incomplete response (max_output_tokens) reports finish reason "length", like chat."""
    server.queue(Reply.text("cut", finish_reason="length"))
    client.responses.create(model="gpt-4o", input="long please", max_output_tokens=1)
    assert attrs(only_span(span_exporter))[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("length",)


async def test_async_responses_create(aclient: AsyncOpenAI, server: OpenAIServer,
                                      span_exporter: InMemorySpanExporter) -> None:
    """AsyncResponses.create is instrumented."""
    server.queue(Reply.text("async answer"))
    result = await aclient.responses.create(model="gpt-4o", input="q")
    assert result.output_text == "async answer"
    a = attrs(only_span(span_exporter))
    assert a[semconv.GEN_AI_RESPONSE_ID] == result.id
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] > 0


def test_responses_error(client: OpenAI, server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """A 500 from /responses propagates as InternalServerError and is recorded as error.type "500"."""
    server.queue(Reply.error(500))
    with pytest.raises(openai.InternalServerError):
        client.responses.create(model="gpt-4o", input="q")
    span = only_span(span_exporter)
    assert attrs(span)[semconv.ERROR_TYPE] == "500"
    assert span.status.status_code is StatusCode.ERROR


def test_embeddings_create(client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """embeddings.create gives `embeddings {model}` with encoding format, input tokens and cost; no content."""
    result = client.embeddings.create(model="text-embedding-3-small", input=["alpha", "beta"],
                                      encoding_format="float")
    assert len(result.data) == 2
    span = only_span(span_exporter)
    a = attrs(span)
    assert span.name == "embeddings text-embedding-3-small"
    assert span.kind is SpanKind.CLIENT
    assert a[semconv.GEN_AI_OPERATION_NAME] == "embeddings"
    assert a[semconv.GEN_AI_REQUEST_ENCODING_FORMATS] == ("float",)
    assert a[semconv.GEN_AI_RESPONSE_MODEL] == "text-embedding-3-small"
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] == result.usage.prompt_tokens
    assert a[semconv.COST_USD] == pytest.approx(result.usage.prompt_tokens * 0.02 / 1e6)
    assert semconv.GEN_AI_REQUEST_STREAM not in a
    assert semconv.GEN_AI_INPUT_MESSAGES not in a


async def test_async_embeddings_base64(aclient: AsyncOpenAI, span_exporter: InMemorySpanExporter) -> None:
    """AsyncEmbeddings.create with base64 still hands the user decoded vectors and records the format."""
    result = await aclient.embeddings.create(model="text-embedding-3-small", input="x", encoding_format="base64")
    assert result.data[0].embedding
    a = attrs(only_span(span_exporter))
    assert a[semconv.GEN_AI_REQUEST_ENCODING_FORMATS] == ("base64",)


def test_embeddings_error(client: OpenAI, server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """An embeddings 401 propagates unchanged and is recorded."""
    server.queue(Reply.error(401))
    with pytest.raises(openai.AuthenticationError):
        client.embeddings.create(model="text-embedding-3-small", input="x")
    assert attrs(only_span(span_exporter))[semconv.ERROR_TYPE] == "401"
