"""Calls whose cost cannot be known say why on their span, and the replay names that reason.

Every test drives the real ``openai`` client against ``OpenAIServer``; the user's request is never
changed to obtain usage (no ``stream_options`` is added).
"""

from __future__ import annotations

import json

import openai
import pytest
from openai import AsyncOpenAI, OpenAI
from openai.types.chat import ChatCompletionMessageParam
from openai_helpers import attrs, only_span
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel
from agentops_otel import semconv
from agentops_otel.read import records_from_spans
from agentops_otel.reassemble import reassemble
from agentops_otel.render.json import render_json
from agentops_otel.render.text import render_text
from agentops_otel.testing import AgentAssertionError, OpenAIServer, Reply, Usage, assert_tokens_below

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Tell me a story"}]
USAGE = Usage(prompt_tokens=20, completion_tokens=5)


def _reason(exporter: InMemorySpanExporter) -> object:
    a = attrs(only_span(exporter))
    assert semconv.COST_USD not in a
    return a.get(semconv.COST_INCOMPLETE_REASON)


def test_stream_without_include_usage_names_the_reason(
        client: OpenAI, server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """A stream read to its end without a usage chunk is marked "stream without usage"; the request is untouched."""
    for _ in client.chat.completions.create(model="gpt-4o", messages=USER, stream=True):
        pass
    assert "stream_options" not in server.requests[-1].json
    assert _reason(span_exporter) == semconv.GAP_STREAM_WITHOUT_USAGE


def test_stream_closed_before_its_usage_chunk_names_the_reason(
        client: OpenAI, server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """A stream closed before the usage chunk arrived is marked "stream not finished"."""
    server.queue(Reply.text("Once upon a time there was", usage=USAGE))
    stream = client.chat.completions.create(model="gpt-4o", messages=USER, stream=True,
                                            stream_options={"include_usage": True})
    next(stream)
    stream.close()
    assert _reason(span_exporter) == semconv.GAP_STREAM_NOT_FINISHED


def test_stream_left_at_its_finish_reason_names_the_reason(
        client: OpenAI, server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """A loop that stops at the finish reason, before the usage chunk it asked for, is "stream not finished":
    not told to request the usage it did request."""
    server.queue(Reply.text("Once upon a time", usage=USAGE))
    stream = client.chat.completions.create(model="gpt-4o", messages=USER, stream=True,
                                            stream_options={"include_usage": True})
    for chunk in stream:
        if chunk.choices and chunk.choices[0].finish_reason:
            break
    stream.close()
    assert _reason(span_exporter) == semconv.GAP_STREAM_NOT_FINISHED


def test_stream_helper_names_the_reason(client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """``chat.completions.stream()`` without include_usage records a span that says why it has no cost."""
    with client.chat.completions.stream(model="gpt-4o", messages=USER) as stream:
        for _ in stream:
            pass
    assert _reason(span_exporter) == semconv.GAP_STREAM_WITHOUT_USAGE


def test_stream_helper_with_include_usage_is_priced(client: OpenAI, server: OpenAIServer,
                                                    span_exporter: InMemorySpanExporter) -> None:
    """``.stream()`` with include_usage gets the real usage and a cost, and no reason."""
    server.queue(Reply.text("Once", usage=USAGE))
    with client.chat.completions.stream(model="gpt-4o", messages=USER,
                                        stream_options={"include_usage": True}) as stream:
        stream.get_final_completion()
    a = attrs(only_span(span_exporter))
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 20
    assert a[semconv.COST_USD] == pytest.approx((20 * 2.5 + 5 * 10) / 1e6)
    assert semconv.COST_INCOMPLETE_REASON not in a


async def test_async_stream_helper_names_the_reason(aclient: AsyncOpenAI,
                                                    span_exporter: InMemorySpanExporter) -> None:
    """The async ``.stream()`` helper behaves the same."""
    async with aclient.chat.completions.stream(model="gpt-4o", messages=USER) as stream:
        async for _ in stream:
            pass
    assert _reason(span_exporter) == semconv.GAP_STREAM_WITHOUT_USAGE


def test_with_raw_response_names_the_reason(client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """``with_raw_response`` hands the body to the caller: the span says so instead of recording $0."""
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o", messages=USER)
    assert raw.parse().choices[0].message.content
    assert _reason(span_exporter) == semconv.GAP_RAW_RESPONSE


def test_with_streaming_response_names_the_reason(client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """``with_streaming_response`` likewise; the caller still reads the whole body."""
    with client.chat.completions.with_streaming_response.create(model="gpt-4o", messages=USER) as resp:
        assert resp.parse().choices[0].message.content
    assert _reason(span_exporter) == semconv.GAP_RAW_RESPONSE


def test_unknown_model_names_the_reason(client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """Usage is recorded, but a model without a price is marked "model unpriced"."""
    client.chat.completions.create(model="acme-llm-9", messages=USER)
    a = attrs(only_span(span_exporter))
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] > 0
    assert _reason(span_exporter) == semconv.GAP_MODEL_UNPRICED


def test_replay_names_each_real_reason(client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """Text and JSON replays say which calls lack usage and which model is unpriced, not "unpriced calls"."""
    with agentops_otel.session("gaps") as s:
        for _ in client.chat.completions.create(model="gpt-4o", messages=USER, stream=True):
            pass
        client.chat.completions.create(model="acme-llm-9", messages=USER)
    timeline = s.timeline()
    text = render_text(timeline, color=False)
    assert "unpriced calls" not in text
    assert "1 call without usage (stream without usage" in text
    assert "1 call to an unpriced model (acme-llm-9)" in text
    doc = json.loads(render_json(timeline))["summary"]
    assert doc["cost_complete"] is False
    assert len(doc["cost_gaps"]) == 2


def test_api_error_response_costs_nothing(client: OpenAI, server: OpenAIServer,
                                          span_exporter: InMemorySpanExporter) -> None:
    """An error response (here a 429) is not billed: the call costs $0 and leaves the cost complete."""
    server.queue(Reply.error(429))
    with agentops_otel.session("limited") as s, pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="gpt-4o", messages=USER)
    a = attrs(only_span(span_exporter))
    assert a[semconv.COST_USD] == 0.0 and semconv.COST_INCOMPLETE_REASON not in a
    assert s.cost_complete and s.timeline().summary.cost_gaps == ()


def test_api_error_response_used_no_tokens(client: OpenAI, server: OpenAIServer,
                                          span_exporter: InMemorySpanExporter) -> None:
    """An error response consumed no tokens it bills, as it cost $0: the token bound counts it as 0, read back too."""
    server.queue(Reply.error(400, "Invalid 'messages'"))
    with agentops_otel.session("rejected") as s, pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="gpt-4o", messages=USER)
    assert_tokens_below(s, 1)
    timeline = reassemble(records_from_spans(span_exporter.get_finished_spans())).timeline_for(s.id)
    assert_tokens_below(timeline, 1)


@pytest.mark.parametrize("status", [408, 504, 524])
def test_a_timeout_answered_by_a_gateway_leaves_the_tokens_unknown(client: OpenAI, server: OpenAIServer,
                                                                  status: int) -> None:
    """A gateway that stopped waiting says nothing of the tokens the model may have used: the bound refuses."""
    server.queue(Reply.error(status))
    with agentops_otel.session("gateway") as s, pytest.raises(openai.APIStatusError):
        client.chat.completions.create(model="gpt-4o", messages=USER)
    with pytest.raises(AgentAssertionError, match="token count is incomplete"):
        assert_tokens_below(s, 1_000_000)


@pytest.mark.parametrize("status", [408, 504, 524])
def test_a_timeout_answered_by_a_gateway_leaves_the_cost_unknown(client: OpenAI, server: OpenAIServer,
                                                                span_exporter: InMemorySpanExporter,
                                                                status: int) -> None:
    """A 504 from a gateway (or a 408, or Cloudflare's 524) says it stopped waiting, not that the model
    never ran: the call may have been billed, so its cost is unknown, not $0."""
    server.queue(Reply.error(status))
    with agentops_otel.session("gateway") as s, pytest.raises(openai.APIStatusError):
        client.chat.completions.create(model="gpt-4o", messages=USER)
    a = attrs(only_span(span_exporter))
    assert semconv.COST_USD not in a and a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_CALL_FAILED
    assert not s.cost_complete


def test_call_that_got_no_response_names_the_reason(client: OpenAI, server: OpenAIServer,
                                                    span_exporter: InMemorySpanExporter) -> None:
    """A timed-out call may have been billed: its cost is unknown, and the span says the call failed."""
    server.queue(Reply.text("too late", delay=2.0))
    with pytest.raises(openai.APITimeoutError):
        client.with_options(timeout=0.2).chat.completions.create(model="gpt-4o", messages=USER)
    assert _reason(span_exporter) == semconv.GAP_CALL_FAILED
