"""Calls the agent makes side by side (threads, asyncio.gather) replay in whatever order they arrive, each
answered by its own recorded step; calls that ran one after the other in the recording must still keep order."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from openai import AsyncOpenAI, OpenAI
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel.read import records_from_spans
from agentops_otel.reassemble import reassemble
from agentops_otel.testing import (
    Cassette,
    CassetteError,
    DivergenceError,
    OpenAIServer,
    Reply,
    cassette_from_timeline,
    load_cassette,
    record,
    replay,
)

QUESTIONS = ("refunds?", "invoices?", "plans?", "outages?")


@agentops.tool
def lookup(topic: str) -> str:
    return f"notes on {topic}"


def ask_all(client: OpenAI, order: Sequence[int] | None = None, *, with_tool: bool = False) -> list[str]:
    """The agent: one model call per question, all on a thread pool. ``order`` makes them send one at a time
    in that order (a replay answers at once, so that order is the one the agent arrives in); None sends them
    all at once (recorded against a slow server, they overlap)."""
    turns = [threading.Event() for _ in QUESTIONS]

    def ask(i: int) -> str:
        if order is not None:
            turns[i].wait(5)
        try:
            notes = lookup(QUESTIONS[i]) if with_tool else ""
            reply = client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": QUESTIONS[i] + notes}])
            return reply.choices[0].message.content or ""
        finally:
            if order is not None and (at := list(order).index(i)) + 1 < len(order):
                turns[order[at + 1]].set()

    if order is not None:
        turns[order[0]].set()
    with agentops.SessionExecutor(ThreadPoolExecutor(len(QUESTIONS))) as pool:
        return list(pool.map(ask, range(len(QUESTIONS))))


def recorded_order(cassette: Cassette) -> list[int]:
    """Which question each recorded model call asked, in the cassette's order (other calls left out)."""
    asked = [str(step.request["messages"][0]["parts"][0]["content"]) for step in cassette.llm_calls()]
    return [i for text in asked for i, q in enumerate(QUESTIONS) if text.startswith(q)]


@pytest.fixture
def slow(server: OpenAIServer) -> OpenAIServer:
    """Each answer takes a while, so calls sent at once are all in flight together."""
    server.set_responder(lambda request: Reply.text(f"answer to {request.last_user_text}", delay=0.3))
    return server


def test_calls_made_side_by_side_replay_in_another_order(slow: OpenAIServer, client: OpenAI, dead_url: str,
                                                         offline: None) -> None:
    """Four different model calls in flight together replay in the reverse order, each with its own answer."""
    with record() as rec, agentops.session("ask"):
        live = ask_all(client)
    cassette = rec.cassette()
    with OpenAI(base_url=dead_url, api_key="unused", max_retries=0) as replayed, replay(cassette), \
            agentops.session("ask"):
        assert ask_all(replayed, recorded_order(cassette)[::-1]) == live


def test_tools_and_calls_made_side_by_side_replay_in_another_order(slow: OpenAIServer, client: OpenAI,
                                                                   dead_url: str, offline: None) -> None:
    """Tools run on a pool before each model call replay in another order too, arguments and requests checked."""
    with record() as rec, agentops.session("ask"):
        live = ask_all(client, with_tool=True)
    cassette = rec.cassette()
    with OpenAI(base_url=dead_url, api_key="unused", max_retries=0) as replayed, replay(cassette), \
            agentops.session("ask"):
        assert ask_all(replayed, recorded_order(cassette)[::-1], with_tool=True) == live


def test_a_trace_made_cassette_of_calls_side_by_side_replays_in_another_order(
        slow: OpenAIServer, client: OpenAI, dead_url: str, offline: None, span_exporter: InMemorySpanExporter) -> None:
    """The spans' own times say which calls overlapped: a cassette made from the trace replays them in any order."""
    with agentops.session("ask"):
        live = ask_all(client)
    [timeline] = reassemble(records_from_spans(span_exporter.get_finished_spans())).sessions
    cassette = cassette_from_timeline(timeline)
    with OpenAI(base_url=dead_url, api_key="unused", max_retries=0) as replayed, replay(cassette), \
            agentops.session("ask"):
        assert ask_all(replayed, recorded_order(cassette)[::-1]) == live


def test_calls_made_one_after_the_other_still_diverge_in_another_order(server: OpenAIServer, client: OpenAI,
                                                                       dead_url: str, offline: None) -> None:
    """Calls the recording made one at a time keep their order: the same calls swapped diverge at the first."""
    with record() as rec, agentops.session("ask"):
        ask_all(client, [0, 1, 2, 3])
    with OpenAI(base_url=dead_url, api_key="unused", max_retries=0) as replayed, \
            pytest.raises(DivergenceError, match="request differs from the recording in messages") as err, \
            replay(rec.cassette()), agentops.session("ask"):
        ask_all(replayed, [1, 0, 2, 3])
    assert err.value.index == 0


def test_a_call_cannot_move_before_one_that_ended_before_it_began(slow: OpenAIServer, client: OpenAI,
                                                                  dead_url: str, offline: None) -> None:
    """A call recorded after a first one had returned cannot be answered before it, even beside other calls."""
    def agent(c: OpenAI, first_last: bool) -> None:
        def first() -> None:
            c.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "first"}])
        if not first_last:
            first()
        ask_all(c)
        if first_last:
            first()

    with record() as rec, agentops.session("ask"):
        agent(client, first_last=False)
    with OpenAI(base_url=dead_url, api_key="unused", max_retries=0) as replayed, \
            pytest.raises(DivergenceError, match="request differs from the recording in messages"), \
            replay(rec.cassette()), agentops.session("ask"):
        agent(replayed, first_last=True)


def test_answered_actions_side_by_side_skip_their_own_calls(slow: OpenAIServer, client: OpenAI, dead_url: str,
                                                            offline: None) -> None:
    """Actions run together, each making a model call, answered from the recording: each skips its own call
    (recorded after every action had begun, so no action's call follows it in the cassette)."""
    all_begun = threading.Barrier(len(QUESTIONS))

    @agentops.record_action("summarise")
    def summarise(topic: str) -> str:
        all_begun.wait(5)
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": topic}])
        return reply.choices[0].message.content or ""

    def agent() -> list[str]:
        with agentops.SessionExecutor(ThreadPoolExecutor(len(QUESTIONS))) as pool:
            return list(pool.map(summarise, QUESTIONS))

    with record() as rec, agentops.session("ask"):
        live = agent()
    with pytest.warns(agentops.testing.ReplayWarning), replay(rec.cassette(), answer_tools=True), \
            agentops.session("ask"):
        assert agent() == live


async def test_calls_gathered_replay_in_another_order(slow: OpenAIServer, aclient: AsyncOpenAI, dead_url: str,
                                                      offline: None) -> None:
    """asyncio.gather over different model calls replays with the calls arriving in another order."""
    async def agent(c: AsyncOpenAI, order: Sequence[int] | None) -> list[str]:
        turns = [asyncio.Event() for _ in QUESTIONS]

        async def ask(i: int) -> str:
            if order is not None:
                await turns[i].wait()
            try:
                reply = await c.chat.completions.create(
                    model="gpt-4o-mini", messages=[{"role": "user", "content": QUESTIONS[i]}])
            finally:
                if order is not None and (at := list(order).index(i)) + 1 < len(order):
                    turns[order[at + 1]].set()
            return reply.choices[0].message.content or ""

        if order is not None:
            turns[order[0]].set()
        return list(await asyncio.gather(*(ask(i) for i in range(len(QUESTIONS)))))

    with record() as rec:
        live = await agent(aclient, None)
    cassette = rec.cassette()
    async with AsyncOpenAI(base_url=dead_url, api_key="unused", max_retries=0) as replayed:
        with replay(cassette):
            assert await agent(replayed, recorded_order(cassette)[::-1]) == live


def test_a_call_made_after_the_fan_out_cannot_move_before_it(slow: OpenAIServer, client: OpenAI, dead_url: str,
                                                             offline: None) -> None:
    """A summary call recorded once the pool's calls had all returned diverges when made before them."""
    def agent(c: OpenAI, summary_first: bool) -> None:
        def summary() -> None:
            c.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "summary"}])
        if summary_first:
            summary()
        ask_all(c)
        if not summary_first:
            summary()

    with record() as rec, agentops.session("ask"):
        agent(client, summary_first=False)
    with OpenAI(base_url=dead_url, api_key="unused", max_retries=0) as replayed, \
            pytest.raises(DivergenceError, match="request differs from the recording in messages"), \
            replay(rec.cassette()), agentops.session("ask"):
        agent(replayed, summary_first=True)


async def gather_with_tools(c: AsyncOpenAI, order: Sequence[int] | None, *, summary_first: bool = False) -> list[str]:
    """asyncio.gather over the questions, each task a quick tool then a model call, and a summary call after
    them (or, changed, before them); no step before the gather."""
    turns = [asyncio.Event() for _ in QUESTIONS]

    async def ask(i: int) -> str:
        if order is not None:
            await turns[i].wait()
        try:
            notes = lookup(QUESTIONS[i])
            reply = await c.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": QUESTIONS[i] + notes}])
        finally:
            if order is not None and (at := list(order).index(i)) + 1 < len(order):
                turns[order[at + 1]].set()
        return reply.choices[0].message.content or ""

    async def summary() -> str:
        reply = await c.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "sum"}])
        return reply.choices[0].message.content or ""

    first = [await summary()] if summary_first else []
    if order is not None:
        turns[order[0]].set()
    answers = list(await asyncio.gather(*(ask(i) for i in range(len(QUESTIONS)))))
    return first + answers + ([] if summary_first else [await summary()])


async def test_gathered_tasks_of_a_tool_then_a_call_replay_in_another_order(
        slow: OpenAIServer, aclient: AsyncOpenAI, dead_url: str, offline: None) -> None:
    """Gathered tasks that each run a quick tool, then a slow model call, replay in another order."""
    with record() as rec:
        live = await gather_with_tools(aclient, None)
    cassette = rec.cassette()
    async with AsyncOpenAI(base_url=dead_url, api_key="unused", max_retries=0) as replayed:
        with replay(cassette):
            assert await gather_with_tools(replayed, recorded_order(cassette)[::-1]) == live


async def test_a_call_made_after_a_gather_cannot_move_before_it(slow: OpenAIServer, aclient: AsyncOpenAI,
                                                                dead_url: str, offline: None) -> None:
    """The summary the agent made once the gathered tasks were done diverges when made before them."""
    with record() as rec:
        await gather_with_tools(aclient, None)
    async with AsyncOpenAI(base_url=dead_url, api_key="unused", max_retries=0) as replayed:
        with pytest.raises(DivergenceError, match="the recording has tool lookup here"), replay(rec.cassette()):
            await gather_with_tools(replayed, None, summary_first=True)


def test_the_cassette_names_the_steps_each_ran_alongside(slow: OpenAIServer, client: OpenAI, tmp_path: Path) -> None:
    """Each pooled call lists the earlier calls it ran alongside, on one line; one naming a later step is refused."""
    with record() as rec, agentops.session("ask"):
        ask_all(client)
    path = rec.save(tmp_path / "c.json")
    text = path.read_text()
    assert '"concurrent": [0, 1, 2]' in text
    doc = json.loads(text)
    doc["steps"][1]["concurrent"] = [3]
    path.write_text(json.dumps(doc))
    with pytest.raises(CassetteError, match="step 1 names steps \\[3\\] it ran alongside"):
        load_cassette(path)
