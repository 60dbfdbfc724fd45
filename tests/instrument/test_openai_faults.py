"""A failure inside our telemetry never changes what an openai call returns or raises; it is logged once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import openai
import pytest
from openai import AsyncOpenAI, OpenAI
from openai.types.chat import ChatCompletionMessageParam
from openai_helpers import llm_spans
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel

from agentops_otel._guard import FaultInjector, reset_reports
from agentops_otel.instrument.openai import instrument_openai, uninstrument_openai
from agentops_otel.testing import OpenAIServer, Reply, Usage

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]
USAGE = Usage(prompt_tokens=9, completion_tokens=3)
VOLATILE = {"id", "created", "created_at", "completed_at", "expires_at", "item_id", "sequence_number"}


class Answer(BaseModel):
    answer: str


def _plain(value: Any) -> Any:
    """A comparable form of an SDK object or a list of stream events, ids and timestamps removed."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, BaseModel):
        return _plain(value.model_dump(mode="json", warnings=False))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k not in VOLATILE}
    return value


Call = Callable[[OpenAI, AsyncOpenAI], Awaitable[Any]]


async def chat_sync(c: OpenAI, a: AsyncOpenAI) -> Any:
    return c.chat.completions.create(model="gpt-4o", messages=USER)


async def chat_async(c: OpenAI, a: AsyncOpenAI) -> Any:
    return await a.chat.completions.create(model="gpt-4o", messages=USER)


async def parse_sync(c: OpenAI, a: AsyncOpenAI) -> Any:
    return c.chat.completions.parse(model="gpt-4o", messages=USER, response_format=Answer)


async def parse_async(c: OpenAI, a: AsyncOpenAI) -> Any:
    return await a.chat.completions.parse(model="gpt-4o", messages=USER, response_format=Answer)


async def chat_stream_sync(c: OpenAI, a: AsyncOpenAI) -> Any:
    with c.chat.completions.create(model="gpt-4o", messages=USER, stream=True,
                                   stream_options={"include_usage": True}) as stream:
        return list(stream)


async def chat_stream_async(c: OpenAI, a: AsyncOpenAI) -> Any:
    stream = await a.chat.completions.create(model="gpt-4o", messages=USER, stream=True,
                                             stream_options={"include_usage": True})
    return [chunk async for chunk in stream]


async def responses_sync(c: OpenAI, a: AsyncOpenAI) -> Any:
    return c.responses.create(model="gpt-4o", input="hi")


async def responses_async(c: OpenAI, a: AsyncOpenAI) -> Any:
    return await a.responses.create(model="gpt-4o", input="hi")


async def responses_stream_sync(c: OpenAI, a: AsyncOpenAI) -> Any:
    return list(c.responses.create(model="gpt-4o", input="hi", stream=True))


async def responses_stream_async(c: OpenAI, a: AsyncOpenAI) -> Any:
    stream = await a.responses.create(model="gpt-4o", input="hi", stream=True)
    return [event async for event in stream]


async def embeddings_sync(c: OpenAI, a: AsyncOpenAI) -> Any:
    return c.embeddings.create(model="text-embedding-3-small", input=["a", "b"])


async def embeddings_async(c: OpenAI, a: AsyncOpenAI) -> Any:
    return await a.embeddings.create(model="text-embedding-3-small", input="a")


async def batch_sync(c: OpenAI, a: AsyncOpenAI) -> Any:
    return c.batches.create(input_file_id="file-abc", endpoint="/v1/chat/completions", completion_window="24h")


async def batch_async(c: OpenAI, a: AsyncOpenAI) -> Any:
    return await a.batches.create(input_file_id="file-abc", endpoint="/v1/responses", completion_window="24h")


CALLS: list[Call] = [chat_sync, chat_async, parse_sync, parse_async, chat_stream_sync, chat_stream_async,
                     responses_sync, responses_async, responses_stream_sync, responses_stream_async,
                     embeddings_sync, embeddings_async, batch_sync, batch_async]
SITES = ["openai.start", "openai.response", "llm.end", "openai.stream.chunk", "openai.stream.finish",
         "cost.price_call", "*"]


def _reply(call: Call) -> Reply:
    if call.__name__.startswith("embeddings"):
        return Reply.embedding()
    if call.__name__.startswith("batch"):
        return Reply.batch()
    if call.__name__.startswith("parse"):
        return Reply.text('{"answer": "yes"}', usage=USAGE)
    return Reply.text("the same answer", usage=USAGE)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "agentops_otel" and r.levelno == logging.WARNING]


@pytest.mark.parametrize("site", SITES)
@pytest.mark.parametrize("call", CALLS, ids=lambda c: c.__name__)
async def test_result_is_unchanged_when_telemetry_fails(
        call: Call, site: str, client: OpenAI, aclient: AsyncOpenAI, server: OpenAIServer,
        span_exporter: InMemorySpanExporter, caplog: pytest.LogCaptureFixture) -> None:
    """With a fault armed at one site, each wrapper returns what the bare SDK returns, and warns at most once."""
    uninstrument_openai()
    server.queue(_reply(call))
    expected = _plain(await call(client, aclient))
    instrument_openai()
    reset_reports()
    caplog.clear()
    FaultInjector.armed[site] = RuntimeError
    server.queue(_reply(call))
    with caplog.at_level(logging.WARNING, logger="agentops_otel"):
        got = _plain(await call(client, aclient))
    FaultInjector.armed.clear()
    assert got == expected
    assert len(_warnings(caplog)) <= 1
    assert len(llm_spans(span_exporter)) <= 1  # never a duplicate or a leaked second span


@pytest.mark.parametrize("site", ["openai.start", "openai.response", "llm.end", "openai.stream.chunk", "*"])
def test_each_armed_site_is_reached_and_logged_once(site: str, client: OpenAI, server: OpenAIServer,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    """The fault points really sit on the call path: arming one logs exactly one warning over two calls."""
    FaultInjector.armed[site] = RuntimeError
    with caplog.at_level(logging.WARNING, logger="agentops_otel"):
        for _ in range(2):
            server.queue(Reply.text("x", usage=USAGE))
            list(client.chat.completions.create(model="gpt-4o", messages=USER, stream=True))
            server.queue(Reply.text("x", usage=USAGE))
            client.chat.completions.create(model="gpt-4o", messages=USER)
    assert len(_warnings(caplog)) == 1
    assert "internal error" in _warnings(caplog)[0].getMessage()


@pytest.mark.parametrize("site", ["openai.start", "llm.fail", "*"])
async def test_api_errors_propagate_unchanged_when_telemetry_fails(
        site: str, client: OpenAI, aclient: AsyncOpenAI, server: OpenAIServer,
        span_exporter: InMemorySpanExporter, caplog: pytest.LogCaptureFixture) -> None:
    """With recording broken, the API's own exception still reaches the user, same class and status."""
    FaultInjector.armed[site] = RuntimeError
    with caplog.at_level(logging.WARNING, logger="agentops_otel"):
        server.queue(Reply.error(429))
        with pytest.raises(openai.RateLimitError) as sync_err:
            client.chat.completions.create(model="gpt-4o", messages=USER)
        server.queue(Reply.error(404))
        with pytest.raises(openai.NotFoundError) as async_err:
            await aclient.responses.create(model="gpt-4o", input="hi")
        server.queue(Reply.error(500))
        with pytest.raises(openai.InternalServerError):
            client.embeddings.create(model="text-embedding-3-small", input="x")
    assert sync_err.value.status_code == 429
    assert async_err.value.status_code == 404
    assert len(_warnings(caplog)) == 1
    assert len(llm_spans(span_exporter)) <= 3


def test_mid_stream_error_propagates_when_finish_fails(client: OpenAI, server: OpenAIServer,
                                                       span_exporter: InMemorySpanExporter) -> None:
    """A stream that breaks still raises the SDK's error when our finish step is broken; the span is ended."""
    FaultInjector.armed["openai.stream.finish"] = RuntimeError
    server.queue(Reply.text("one two three", fail_after_chunks=2))
    with pytest.raises(openai.APIConnectionError):
        list(client.chat.completions.create(model="gpt-4o", messages=USER, stream=True))
    assert len(llm_spans(span_exporter)) == 1


class _TransportGone(Exception):
    """A transport's error whose ``status_code`` is computed, and fails (a lazily parsed status)."""

    @property
    def status_code(self) -> int:
        raise RuntimeError("no status")


def test_a_mid_stream_error_whose_status_cannot_be_read_reaches_the_caller_unchanged() -> None:
    """Reading the error's status for the span must not replace the user's exception with ours."""
    import httpx

    chunk = ('data: {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini", '
             '"choices": [{"index": 0, "delta": {"role": "assistant", "content": "hel"}, "finish_reason": null}]}\n\n')
    gone = _TransportGone("connection went away")

    class Body(httpx.SyncByteStream):
        def __iter__(self) -> Any:
            yield chunk.encode()
            raise gone

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Body())

    client = OpenAI(base_url="http://127.0.0.1:9/v1", api_key="x", max_retries=0,
                    http_client=httpx.Client(transport=httpx.MockTransport(answer)))
    with pytest.raises(_TransportGone) as caught:
        for _ in client.chat.completions.create(model="gpt-4o-mini", messages=USER, stream=True):
            pass
    assert caught.value is gone
