"""Streamed calls: the user keeps a working openai stream; the span ends exactly once, however the stream ends."""

from __future__ import annotations

import gc

import openai
import pytest
from openai import AsyncOpenAI, AzureOpenAI, OpenAI
from openai.types.chat import ChatCompletionMessageParam
from openai_helpers import SECRET_KEY, attrs, content, llm_spans, only_span
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from payload_server import PayloadServer, payload_server

from agentops_otel import semconv
from agentops_otel.instrument._streams import AsyncStreamProxy, StreamProxy
from agentops_otel.testing import OpenAIServer, Reply, Usage

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Tell me a story"}]
USAGE = Usage(prompt_tokens=20, completion_tokens=5)


def test_stream_with_include_usage_records_usage_cost_and_first_chunk_time(
        client: OpenAI, server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """Reading a stream to the end records usage (from the usage chunk), finish reason, cost and time to first chunk."""
    server.queue(Reply.text("Once upon a time", usage=USAGE))
    stream = client.chat.completions.create(model="gpt-4o", messages=USER, stream=True,
                                            stream_options={"include_usage": True})
    assert llm_spans(span_exporter) == []  # still open while the stream is unread
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == "Once upon a time"
    span = only_span(span_exporter)
    a = attrs(span)
    assert a[semconv.GEN_AI_REQUEST_STREAM] is True
    assert a[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 20
    assert a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 5
    assert a[semconv.COST_USD] == pytest.approx((20 * 2.5 + 5 * 10) / 1e6)
    assert 0 < a[semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] < 10
    assert a[semconv.GEN_AI_RESPONSE_ID].startswith("chatcmpl-")
    assert content(span, semconv.GEN_AI_OUTPUT_MESSAGES) == [
        {"role": "assistant", "parts": [{"type": "text", "content": "Once upon a time"}], "finish_reason": "stop"}]


def test_stream_without_include_usage_is_marked_and_unpriced(
        client: OpenAI, server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """We never add include_usage to the request; a stream without usage says so and carries no cost."""
    for _ in client.chat.completions.create(model="gpt-4o", messages=USER, stream=True):
        pass
    assert "stream_options" not in server.requests[-1].json
    a = attrs(only_span(span_exporter))
    assert a[semconv.USAGE_MISSING] is True
    assert semconv.COST_USD not in a
    assert semconv.GEN_AI_USAGE_INPUT_TOKENS not in a
    assert a[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)


def test_streamed_tool_calls_are_assembled(client: OpenAI, server: OpenAIServer,
                                           span_exporter: InMemorySpanExporter) -> None:
    """Tool-call deltas are joined into whole calls with parsed arguments."""
    server.queue(Reply.tool_calls(("fetch", {"id": 12345, "verbose": True}, "call_9"), usage=USAGE))
    chunks = list(client.chat.completions.create(model="gpt-4o", messages=USER, stream=True,
                                                 stream_options={"include_usage": True}))
    assert len(chunks) > 3
    span = only_span(span_exporter)
    assert attrs(span)[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_calls",)
    assert content(span, semconv.GEN_AI_OUTPUT_MESSAGES) == [{
        "role": "assistant", "finish_reason": "tool_calls",
        "parts": [{"type": "tool_call", "id": "call_9", "name": "fetch",
                   "arguments": {"id": 12345, "verbose": True}}]}]


def test_proxy_behaves_as_the_openai_stream(client: OpenAI) -> None:
    """isinstance, attribute access (response, status) and next() all work on what the user gets back."""
    stream = client.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
    assert isinstance(stream, openai.Stream)
    assert isinstance(stream, StreamProxy)
    assert stream.response.status_code == 200
    first = next(stream)
    assert first.object == "chat.completion.chunk"
    stream.close()


def test_with_block_and_close_end_the_span_once(client: OpenAI, server: OpenAIServer,
                                                span_exporter: InMemorySpanExporter) -> None:
    """Leaving `with` after two chunks ends the span; a later close() and GC add nothing."""
    server.queue(Reply.text("a b c d e f"))
    with client.chat.completions.create(model="gpt-4o", messages=USER, stream=True) as stream:
        assert isinstance(stream, StreamProxy)
        next(stream)
        next(stream)
    assert len(llm_spans(span_exporter)) == 1
    stream.close()
    del stream
    gc.collect()
    span = only_span(span_exporter)
    assert attrs(span)[semconv.USAGE_MISSING] is True
    assert span.status.status_code is StatusCode.UNSET


def test_close_mid_stream_keeps_what_arrived(client: OpenAI, server: OpenAIServer,
                                             span_exporter: InMemorySpanExporter) -> None:
    """close() after a few chunks ends the span with the partial text and response id."""
    server.queue(Reply.text("one two three four", chunk_size=4))
    stream = client.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
    for _ in range(3):
        next(stream)
    stream.close()
    span = only_span(span_exporter)
    a = attrs(span)
    assert a[semconv.GEN_AI_RESPONSE_ID].startswith("chatcmpl-")
    assert semconv.GEN_AI_RESPONSE_FINISH_REASONS not in a
    assert content(span, semconv.GEN_AI_OUTPUT_MESSAGES) == [
        {"role": "assistant", "parts": [{"type": "text", "content": "one two "}], "finish_reason": None}]


def test_abandoned_stream_ends_on_garbage_collection(client: OpenAI, server: OpenAIServer,
                                                     span_exporter: InMemorySpanExporter) -> None:
    """A half-read stream the user drops is finished when it is collected."""
    server.queue(Reply.text("never read to the end"))

    def half_read() -> None:
        stream = client.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
        next(stream)

    half_read()
    gc.collect()
    span = only_span(span_exporter)
    assert attrs(span)[semconv.USAGE_MISSING] is True
    assert semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK in attrs(span)


def test_unread_stream_ends_on_garbage_collection(client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """A stream never iterated at all still ends its span when dropped."""
    client.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
    gc.collect()
    a = attrs(only_span(span_exporter))
    assert semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK not in a
    assert a[semconv.USAGE_MISSING] is True


def test_mid_stream_failure_records_error_and_propagates(client: OpenAI, server: OpenAIServer,
                                                         span_exporter: InMemorySpanExporter) -> None:
    """A connection dropped mid-stream raises to the user as usual and ends the span with ERROR."""
    server.queue(Reply.text("this will break", fail_after_chunks=2))
    stream = client.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
    received = []
    with pytest.raises(openai.APIConnectionError):
        for chunk in stream:
            received.append(chunk)
    assert len(received) == 2
    span = only_span(span_exporter)
    a = attrs(span)
    assert a[semconv.ERROR_TYPE] == "APIConnectionError"
    assert a[semconv.GEN_AI_RESPONSE_ID].startswith("chatcmpl-")
    assert span.status.status_code is StatusCode.ERROR
    assert "exception" in [e.name for e in span.events]


def test_stream_helper_built_on_create(client: OpenAI, server: OpenAIServer,
                                       span_exporter: InMemorySpanExporter) -> None:
    """chat.completions.stream() (which calls create) works and ends the span when read through."""
    server.queue(Reply.text("helper text", usage=USAGE))
    with client.chat.completions.stream(model="gpt-4o", messages=USER,
                                        stream_options={"include_usage": True}) as stream:
        for _ in stream:
            pass
        final = stream.get_final_completion()
    assert final.choices[0].message.content == "helper text"
    a = attrs(only_span(span_exporter))
    assert a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 5


async def test_async_stream(aclient: AsyncOpenAI, server: OpenAIServer,
                            span_exporter: InMemorySpanExporter) -> None:
    """`async for` over an AsyncStream ends the span with usage and finish reason."""
    server.queue(Reply.text("async story", usage=USAGE))
    stream = await aclient.chat.completions.create(model="gpt-4o", messages=USER, stream=True,
                                                   stream_options={"include_usage": True})
    assert isinstance(stream, openai.AsyncStream)
    assert isinstance(stream, AsyncStreamProxy)
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == "async story"
    a = attrs(only_span(span_exporter))
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 20
    assert a[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    assert a[semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] > 0


async def test_async_with_and_aclose(aclient: AsyncOpenAI, server: OpenAIServer,
                                     span_exporter: InMemorySpanExporter) -> None:
    """`async with` and aclose() end the span once."""
    server.queue(Reply.text("a b c d"), Reply.text("e f g h"))
    async with await aclient.chat.completions.create(model="gpt-4o", messages=USER, stream=True) as stream:
        await stream.__anext__()
    assert len(llm_spans(span_exporter)) == 1
    second = await aclient.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
    await second.__anext__()
    await second.aclose()
    await second.close()
    assert len(llm_spans(span_exporter)) == 2


async def test_async_abandoned_stream(aclient: AsyncOpenAI, span_exporter: InMemorySpanExporter) -> None:
    """A dropped AsyncStream ends its span on collection."""
    stream = await aclient.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
    await stream.__anext__()
    del stream
    gc.collect()
    assert attrs(only_span(span_exporter))[semconv.USAGE_MISSING] is True


async def test_async_mid_stream_failure(aclient: AsyncOpenAI, server: OpenAIServer,
                                        span_exporter: InMemorySpanExporter) -> None:
    """An async stream that breaks raises the SDK's error and records it."""
    server.queue(Reply.text("breaks soon enough", fail_after_chunks=2))
    stream = await aclient.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
    with pytest.raises(openai.APIConnectionError):
        async for _ in stream:
            pass
    assert attrs(only_span(span_exporter))[semconv.ERROR_TYPE] == "APIConnectionError"


def test_responses_stream_takes_usage_from_response_completed(
        client: OpenAI, server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """A Responses API stream records usage, id, model and output from the response.completed event."""
    server.queue(Reply.text("streamed answer", usage=Usage(prompt_tokens=30, completion_tokens=4,
                                                           cached_tokens=10)))
    stream = client.responses.create(model="gpt-4o", input="hi", stream=True)
    assert isinstance(stream, openai.Stream)
    types = [event.type for event in stream]
    assert types[-1] == "response.completed"
    span = only_span(span_exporter)
    a = attrs(span)
    assert span.name == "chat gpt-4o"
    assert a[semconv.GEN_AI_REQUEST_STREAM] is True
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 30
    assert a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 4
    assert a[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 10
    assert a[semconv.GEN_AI_RESPONSE_ID].startswith("resp_")
    assert a[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    assert a[semconv.COST_USD] == pytest.approx((20 * 2.5 + 10 * 1.25 + 4 * 10) / 1e6)
    assert a[semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] > 0
    assert content(span, semconv.GEN_AI_OUTPUT_MESSAGES) == [
        {"role": "assistant", "parts": [{"type": "text", "content": "streamed answer"}], "finish_reason": "stop"}]


def test_responses_stream_closed_early_keeps_identity(client: OpenAI, server: OpenAIServer,
                                                      span_exporter: InMemorySpanExporter) -> None:
    """Closing a Responses stream before response.completed keeps the id from response.created, usage unknown."""
    server.queue(Reply.text("a long answer here"))
    with client.responses.create(model="gpt-4o", input="hi", stream=True) as stream:
        next(stream)
    a = attrs(only_span(span_exporter))
    assert a[semconv.GEN_AI_RESPONSE_ID].startswith("resp_")
    assert a[semconv.USAGE_MISSING] is True


async def test_async_responses_stream_with_tool_call(aclient: AsyncOpenAI, server: OpenAIServer,
                                                     span_exporter: InMemorySpanExporter) -> None:
    """An async Responses stream ending in a function call records finish reason tool_calls and the call."""
    server.queue(Reply.tool_calls(("lookup", {"q": "x"}, "call_r")))
    stream = await aclient.responses.create(model="gpt-4o", input="hi", stream=True)
    async for _ in stream:
        pass
    span = only_span(span_exporter)
    assert attrs(span)[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_calls",)
    assert content(span, semconv.GEN_AI_OUTPUT_MESSAGES)[0]["parts"] == [
        {"type": "tool_call", "id": "call_r", "name": "lookup", "arguments": {"q": "x"}}]


def test_an_azure_stream_is_priced_by_the_model_after_its_filter_results_chunk(
        span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    """Azure opens a stream with a prompt_filter_results chunk whose model is "": the call is priced by the
    model the later chunks name, as the same call unstreamed is, not left unpriced under the deployment."""
    monkeypatch.setenv(semconv.ENV_AZURE_DEPLOYMENT, "global")  # Azure's table holds the Global rates
    with payload_server() as gateway:
        _azure_stream(gateway)
    a = attrs(only_span(span_exporter))
    assert a[semconv.GEN_AI_RESPONSE_MODEL] == "gpt-4o-2024-11-20" and a[semconv.GEN_AI_RESPONSE_ID] == "chatcmpl-1"
    assert a[semconv.COST_USD] > 0


def _azure_stream(gateway: PayloadServer) -> None:
    """The chunks Azure OpenAI sends for a streamed chat call, read to the end through the real client."""
    first = {"id": "", "object": "", "created": 0, "model": "", "choices": [],
             "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}]}
    chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-2024-11-20"}
    gateway.sse(first, {**chunk, "choices": [{"index": 0, "delta": {"role": "assistant", "content": "hi"},
                                              "finish_reason": "stop"}]},
                {**chunk, "choices": [], "usage": {"prompt_tokens": 1_000, "completion_tokens": 200,
                                                   "total_tokens": 1_200}})
    with AzureOpenAI(azure_endpoint=gateway.url, api_key=SECRET_KEY, api_version="2024-10-21",
                     azure_deployment="prod-chat", max_retries=0) as azure:
        for _ in azure.chat.completions.create(model="prod-chat", messages=USER, stream=True,
                                               stream_options={"include_usage": True}):
            pass
