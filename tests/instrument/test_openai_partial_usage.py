"""A usage object that lacks a token count is not a complete, cheap call: the counts it has are recorded,
its cost is unknown and says why, and the bounds fail on it (some gateways and OpenAI-compatible servers
send ``usage: {}`` or only the completion count)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletionMessageParam
from openai_helpers import SECRET_KEY, attrs, only_span
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from payload_server import PayloadServer

import agentops_otel
from agentops_otel import semconv
from agentops_otel.testing import AgentAssertionError, assert_cost_below, assert_tokens_below

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Where is my refund?"}]


@pytest.fixture
def gw_client(gateway: PayloadServer) -> Iterator[OpenAI]:
    with OpenAI(base_url=gateway.url + "/v1", api_key=SECRET_KEY, max_retries=0) as client:
        yield client


def _completion(usage: dict[str, Any]) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o-2024-08-06",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
            "usage": usage}


def test_usage_without_the_prompt_count_records_the_output_and_an_unknown_cost(
        gateway: PayloadServer, gw_client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """Only completion tokens reported: 50 out is recorded, no input count, and the cost is not $0.0005."""
    gateway.json(_completion({"completion_tokens": 50, "total_tokens": 200_050}))
    with agentops_otel.session("gateway-agent") as s:
        gw_client.chat.completions.create(model="gpt-4o", messages=USER)
    a = attrs(only_span(span_exporter))
    assert a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 50 and semconv.GEN_AI_USAGE_INPUT_TOKENS not in a
    assert semconv.COST_USD not in a and a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_USAGE_PARTIAL
    assert not s.cost_complete
    with pytest.raises(AgentAssertionError, match="cost is incomplete"):
        assert_cost_below(s, 0.01)
    with pytest.raises(AgentAssertionError, match="token count is incomplete"):
        assert_tokens_below(s, 1_000)


def test_empty_usage_is_usage_missing(gateway: PayloadServer, gw_client: OpenAI,
                                      span_exporter: InMemorySpanExporter) -> None:
    """``usage: {}`` carries no counts at all: no tokens recorded, the cost unknown, never $0."""
    gateway.json(_completion({}))
    with agentops_otel.session("gateway-agent") as s:
        gw_client.chat.completions.create(model="gpt-4o", messages=USER)
    a = attrs(only_span(span_exporter))
    assert semconv.GEN_AI_USAGE_INPUT_TOKENS not in a and semconv.GEN_AI_USAGE_OUTPUT_TOKENS not in a
    assert semconv.COST_USD not in a and a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_USAGE_MISSING
    with pytest.raises(AgentAssertionError, match="cost is incomplete"):
        assert_cost_below(s, 0.01)


def test_a_stream_usage_chunk_without_the_completion_count_leaves_the_cost_unknown(
        gateway: PayloadServer, gw_client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """A streamed call whose usage chunk lacks completion_tokens records its prompt count, cost unknown."""
    chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-2024-08-06"}
    gateway.sse({**chunk, "choices": [{"index": 0, "delta": {"role": "assistant", "content": "hi"},
                                       "finish_reason": "stop"}]},
                {**chunk, "choices": [], "usage": {"prompt_tokens": 1_000, "total_tokens": 1_200}})
    with agentops_otel.session("streamer") as s:
        for _ in gw_client.chat.completions.create(model="gpt-4o", messages=USER, stream=True,
                                                   stream_options={"include_usage": True}):
            pass
    a = attrs(only_span(span_exporter))
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 1_000 and semconv.GEN_AI_USAGE_OUTPUT_TOKENS not in a
    assert a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_USAGE_PARTIAL and not s.cost_complete


def test_responses_usage_without_the_output_count_leaves_the_cost_unknown(
        gateway: PayloadServer, gw_client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """The Responses API: usage lacking output_tokens records the input count, cost unknown."""
    gateway.json({"id": "resp_1", "object": "response", "created_at": 1, "model": "gpt-4o-2024-08-06",
                  "status": "completed", "output": [], "parallel_tool_calls": True, "tool_choice": "auto",
                  "tools": [], "usage": {"input_tokens": 1_000, "total_tokens": 1_200}})
    with agentops_otel.session("responder") as s:
        gw_client.responses.create(model="gpt-4o", input="Where is my refund?")
    a = attrs(only_span(span_exporter))
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 1_000 and semconv.GEN_AI_USAGE_OUTPUT_TOKENS not in a
    assert a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_USAGE_PARTIAL and not s.cost_complete

