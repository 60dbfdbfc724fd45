"""The SDK's stream helpers (``chat.completions.stream()``, ``responses.stream()``) left before the end:
the call's span ends when the helper's stream is closed, not whenever it is garbage collected."""

from __future__ import annotations

from openai import AsyncOpenAI, OpenAI
from openai.types.chat import ChatCompletionMessageParam
from openai_helpers import attrs, llm_spans, only_span
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel import semconv
from agentops_otel.testing import OpenAIServer, Reply

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Tell me a story"}]
LONG = Reply.text("Once upon a time there was a long story that went on and on")


def test_chat_stream_helper_left_early_ends_the_span_at_the_with_blocks_end(
        client: OpenAI, server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """Breaking out of ``chat.completions.stream()`` ends the call there, as not finished, while the
    program still holds the stream."""
    server.queue(LONG)
    with client.chat.completions.stream(model="gpt-4o", messages=USER) as stream:
        for _ in stream:
            break
        assert llm_spans(span_exporter) == []
    assert attrs(only_span(span_exporter))[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_STREAM_NOT_FINISHED
    assert stream is not None  # still referenced: no garbage collection ended it


def test_responses_stream_helper_closed_early_ends_the_span(
        client: OpenAI, server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """``responses.stream()``'s stream closed by hand ends the call at that moment."""
    server.queue(LONG)
    stream = client.responses.stream(model="gpt-4o", input="Tell me a story").__enter__()
    next(iter(stream))
    stream.close()
    assert attrs(only_span(span_exporter))[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_STREAM_NOT_FINISHED


async def test_async_chat_stream_helper_left_early_ends_the_span(
        aclient: AsyncOpenAI, server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """The async helper left early ends the call at the end of its ``async with`` block."""
    server.queue(LONG)
    async with aclient.chat.completions.stream(model="gpt-4o", messages=USER) as stream:
        async for _ in stream:
            break
    assert attrs(only_span(span_exporter))[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_STREAM_NOT_FINISHED
    assert stream is not None


async def test_async_responses_stream_helper_left_early_ends_the_span(
        aclient: AsyncOpenAI, server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """The async ``responses.stream()`` left early ends the call at the end of its block."""
    server.queue(LONG)
    async with aclient.responses.stream(model="gpt-4o", input="Tell me a story") as stream:
        async for _ in stream:
            break
    assert attrs(only_span(span_exporter))[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_STREAM_NOT_FINISHED
    assert stream is not None
