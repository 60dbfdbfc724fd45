"""A session's calls count for it and no other when work moves between threads, tasks and sessions; calls no
session could claim keep its verdicts from passing."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from openai import AsyncOpenAI, OpenAI
from openai.types.chat import ChatCompletionMessageParam
from openai_helpers import attrs, llm_spans
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import semconv
from agentops_otel.read import records_from_spans
from agentops_otel.reassemble import reassemble
from agentops_otel.testing import (
    AgentAssertionError,
    assert_cost_below,
    assert_llm_calls_at_most,
    assert_tokens_below,
    assert_tool_not_called,
)

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]


def _pages_tool(client: OpenAI) -> Callable[[int], Iterator[int]]:
    """A generator tool that makes one model call per page it yields."""
    @agentops.tool
    def pages(n: int) -> Iterator[int]:
        for i in range(n):
            client.chat.completions.create(model="gpt-4o-mini", messages=USER)
            yield i
    return pages


def test_generator_tool_handed_to_another_threads_session_keeps_its_calls(
        client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """A generator tool started in session A and finished by a thread in session B counts every call for A."""

    pages = _pages_tool(client)

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

    pages = _pages_tool(client)

    with agentops.session("A", new_trace=True) as a:
        gen = pages(2)
        next(gen)
    with agentops.session("B") as b:
        next(gen)
    assert b.llm_calls == 0
    assert a.steps_outside >= 1  # the late call is named for A's verdicts, never counted for B
    assert {attrs(sp)[semconv.SESSION_ID] for sp in llm_spans(span_exporter)} == {a.id}


def _plain_pool_calls(client: OpenAI, n: int) -> None:
    """n model calls from a ThreadPoolExecutor's workers, which do not inherit the caller's session."""
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda _: client.chat.completions.create(model="gpt-4o-mini", messages=USER), range(n)))


def test_calls_in_a_plain_thread_pool_keep_the_sessions_call_bound_from_passing(client: OpenAI) -> None:
    """Model calls made outside any session while a session runs fail its call bound, pointing at SessionExecutor."""
    with agentops.session("agent") as s:
        _plain_pool_calls(client, 2)
    with pytest.raises(AgentAssertionError, match="SessionExecutor") as caught:
        assert_llm_calls_at_most(s, 0)
    assert "2 step(s) ran outside any session" in str(caught.value)
    assert "chat gpt-4o-mini" in str(caught.value)


def test_calls_in_a_plain_thread_pool_keep_the_sessions_cost_and_token_bounds_from_passing(client: OpenAI) -> None:
    """The cost and token bounds of a session refuse to pass while model calls ran outside any session."""
    with agentops.session("agent") as s:
        _plain_pool_calls(client, 1)
    with pytest.raises(AgentAssertionError, match="outside any session"):
        assert_cost_below(s, 1.0)
    with pytest.raises(AgentAssertionError, match="outside any session"):
        assert_tokens_below(s, 1_000_000)


def test_a_tool_in_a_plain_thread_pool_keeps_tool_not_called_from_passing(client: OpenAI) -> None:
    """assert_tool_not_called refuses to pass when that tool may have run outside any session meanwhile."""

    @agentops.tool
    def lookup(item: int) -> int:
        return item

    with agentops.session("agent") as s, ThreadPoolExecutor(1) as pool:
        pool.submit(lookup, 1).result()
    with pytest.raises(AgentAssertionError, match="execute_tool lookup"):
        assert_tool_not_called(s, "lookup")


def test_sessionless_calls_before_and_after_a_session_leave_its_verdicts_alone(client: OpenAI) -> None:
    """Calls outside any session made before a session started or after it ended do not touch its verdicts."""
    _plain_pool_calls(client, 1)
    with agentops.session("agent") as s:
        client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    _plain_pool_calls(client, 1)
    assert_llm_calls_at_most(s, 1)
    assert_cost_below(s, 1.0)
    assert_tool_not_called(s, "lookup")


def test_two_sessions_in_two_threads_judge_their_own_calls(client: OpenAI) -> None:
    """Two agents running at once, each in its own thread's session, each pass their own bounds."""
    started = threading.Barrier(2)
    sessions: dict[str, agentops.Session] = {}

    def agent(name: str, calls: int) -> None:
        with agentops.session(name) as s:
            sessions[name] = s
            started.wait()
            for _ in range(calls):
                client.chat.completions.create(model="gpt-4o-mini", messages=USER)

    workers = [threading.Thread(target=agent, args=("A", 2)), threading.Thread(target=agent, args=("B", 3))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert_llm_calls_at_most(sessions["A"], 2)
    assert_llm_calls_at_most(sessions["B"], 3)
    with pytest.raises(AgentAssertionError, match="made 3"):
        assert_llm_calls_at_most(sessions["B"], 2)
