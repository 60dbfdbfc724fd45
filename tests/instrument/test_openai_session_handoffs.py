"""A tool's model calls count for the tool's session, wherever its generator is consumed afterwards."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator

from openai import AsyncOpenAI, OpenAI
from openai.types.chat import ChatCompletionMessageParam
from openai_helpers import attrs, llm_spans
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import semconv
from agentops_otel.read import records_from_spans
from agentops_otel.reassemble import reassemble

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]


def test_generator_tool_handed_to_another_threads_session_keeps_its_calls(
        client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """A generator tool started in session A and finished by a thread in session B counts every call for A."""

    @agentops.tool
    def pages(n: int) -> Iterator[int]:
        for i in range(n):
            client.chat.completions.create(model="gpt-4o-mini", messages=USER)
            yield i

    other: list[agentops.Session] = []

    def finish(gen: Iterator[int]) -> None:
        with agentops.session("B") as b:
            other.append(b)
            list(gen)

    with agentops.session("A") as a:
        gen = pages(3)
        next(gen)
        worker = threading.Thread(target=finish, args=(gen,))
        worker.start()
        worker.join()
    b = other[0]
    assert (a.llm_calls, b.llm_calls) == (3, 0)
    assert {attrs(sp)[semconv.SESSION_ID] for sp in llm_spans(span_exporter)} == {a.id}
    read = reassemble(records_from_spans(span_exporter.get_finished_spans()))
    assert len(read.timeline_for(a.id).llm_calls()) == 3
    assert read.timeline_for(b.id).llm_calls() == []


async def test_async_generator_tool_handed_to_another_tasks_session_keeps_its_calls(
        aclient: AsyncOpenAI, span_exporter: InMemorySpanExporter) -> None:
    """An async generator tool started in task A's session and finished by task B's counts every call for A."""

    @agentops.tool
    async def pages(n: int) -> AsyncIterator[int]:
        for i in range(n):
            await aclient.chat.completions.create(model="gpt-4o-mini", messages=USER)
            yield i

    handed: asyncio.Queue[AsyncIterator[int]] = asyncio.Queue()

    async def finish() -> agentops.Session:
        gen = await handed.get()
        with agentops.session("B") as b:
            async for _ in gen:
                pass
        return b

    task = asyncio.create_task(finish())  # before A starts: B is not nested in A
    with agentops.session("A") as a:
        gen = pages(3)
        await anext(gen)
        await handed.put(gen)
        b = await task
    assert (a.llm_calls, b.llm_calls) == (3, 0)
    assert {attrs(sp)[semconv.SESSION_ID] for sp in llm_spans(span_exporter)} == {a.id}


def test_generator_tool_resumed_inside_a_session_the_consumer_opened_keeps_its_calls(
        client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """A generator tool of session A resumed while the consumer runs a session of its own counts its call for A."""

    @agentops.tool
    def pages(n: int) -> Iterator[int]:
        for i in range(n):
            client.chat.completions.create(model="gpt-4o-mini", messages=USER)
            yield i

    with agentops.session("A", new_trace=True) as a:
        gen = pages(2)
        next(gen)
    with agentops.session("B") as b:
        next(gen)
    assert b.llm_calls == 0
    assert a.steps_outside >= 1  # the late call is named for A's verdicts, never counted for B
    assert {attrs(sp)[semconv.SESSION_ID] for sp in llm_spans(span_exporter)} == {a.id}
