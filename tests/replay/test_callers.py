"""Replay checks who made each call: a tool or model call moved to another caller diverges there."""

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
from agentops_otel.testing import Cassette, DivergenceError, cassette_from_timeline, record, replay


@agentops.tool
def charge_card(amount: int) -> str:
    return "ok"


def pay(nested: bool) -> None:
    """The agent: charge_card inside verify_and_charge, or (changed) after it returned."""

    @agentops.record_action("verify_and_charge")
    def verify_and_charge(amount: int) -> bool:
        if nested:
            charge_card(amount)
        return True

    verify_and_charge(10)
    if not nested:
        charge_card(10)


def test_a_tool_called_after_the_action_that_called_it_diverges() -> None:
    """charge_card recorded inside verify_and_charge, replayed after it: the replay fails naming both callers."""
    with record() as rec:
        pay(nested=True)
    with pytest.raises(DivergenceError) as err, replay(rec.cassette()):
        pay(nested=False)
    assert err.value.index == 1
    assert ("tool charge_card was called by the agent itself; the recording has it called by action "
            "verify_and_charge") in err.value.render()


def test_a_tool_moved_into_an_action_diverges() -> None:
    """charge_card recorded at the top of the session, replayed inside verify_and_charge: the replay fails."""
    with record() as rec:
        pay(nested=False)
    with pytest.raises(DivergenceError, match="called by action verify_and_charge; the recording has it "
                                              "called by the agent itself"), replay(rec.cassette()):
        pay(nested=True)


def test_a_tool_run_in_a_worker_thread_keeps_its_caller(span_exporter: InMemorySpanExporter) -> None:
    """A tool an action runs through SessionExecutor replays from a live and from a trace-made cassette alike."""

    @agentops.record_action("verify_and_charge")
    def verify_and_charge(amount: int) -> str:
        with agentops.SessionExecutor(ThreadPoolExecutor(2)) as pool:
            return pool.submit(charge_card, amount).result()

    with record() as rec, agentops.session("pay"):
        verify_and_charge(10)
    [timeline] = reassemble(records_from_spans(span_exporter.get_finished_spans())).sessions
    for cassette in (rec.cassette(), cassette_from_timeline(timeline)):
        with replay(cassette), agentops.session("pay"):
            verify_and_charge(10)


def saved_as_before_callers_were_kept(cassette: Cassette, path: Path, *, parents: bool = True) -> Path:
    """The file an older version wrote: no word on callers and, without ``parents``, a tool handed to a worker
    thread saved without its caller (that recorder kept it where executors did not carry it)."""
    doc = json.loads(cassette.save(path).read_text())
    doc.pop("callers", None)
    for step in doc["steps"]:
        if not parents:
            step.pop("parent", None)
    path.write_text(json.dumps(doc))
    return path


def test_a_cassette_recorded_before_callers_were_kept_is_not_checked_for_them(tmp_path: Path) -> None:
    """An older cassette whose tool, run by an action through SessionExecutor, was saved without its caller replays."""

    @agentops.record_action("verify_and_charge")
    def verify_and_charge(amount: int) -> str:
        with agentops.SessionExecutor(ThreadPoolExecutor(2)) as pool:
            return pool.submit(charge_card, amount).result()

    with record() as rec, agentops.session("pay"):
        verify_and_charge(10)
    with replay(saved_as_before_callers_were_kept(rec.cassette(), tmp_path / "c.json", parents=False)), \
            agentops.session("pay"):
        verify_and_charge(10)


def test_a_cassette_made_from_a_trace_is_checked_for_callers(span_exporter: InMemorySpanExporter,
                                                             tmp_path: Path) -> None:
    """A trace's parent ids are real callers, whatever version saved the cassette: a caller moved still diverges."""
    with agentops.session("pay"):
        pay(nested=True)
    [timeline] = reassemble(records_from_spans(span_exporter.get_finished_spans())).sessions
    path = saved_as_before_callers_were_kept(cassette_from_timeline(timeline), tmp_path / "c.json")
    with pytest.raises(DivergenceError, match="tool charge_card was called by the agent itself"), \
            replay(path), agentops.session("pay"):
        pay(nested=False)


def votes(client: OpenAI, order: Sequence[int], *, asked: str = "Classify: billing?") -> list[str]:
    """Three twin ``vote`` actions run through SessionExecutor, their model calls made in ``order`` (vote 0 is
    the first to start): the latency of a lookup before the call decides that order in a real agent."""
    turns = [threading.Event() for _ in order]
    started = threading.Event()
    starts = iter(range(len(order)))

    @agentops.record_action("vote")
    def vote() -> str:
        me = next(starts)  # votes start one at a time (see below), so this is the order they were matched in
        started.set()
        turns[me].wait(5)
        try:
            reply = client.chat.completions.create(model="gpt-4o-mini",
                                                   messages=[{"role": "user", "content": asked}])
        finally:  # the next vote's turn, even when this call diverged
            position = list(order).index(me)
            if position + 1 < len(order):
                turns[order[position + 1]].set()
        return reply.choices[0].message.content or ""

    with agentops.session("votes"), agentops.SessionExecutor(ThreadPoolExecutor(len(order))) as pool:
        futures = []
        for _ in order:
            started.clear()
            futures.append(pool.submit(vote))
            started.wait(5)
        turns[order[0]].set()
        return [f.result(timeout=10) for f in futures]


def test_twin_actions_making_the_same_call_replay_in_another_order(client: OpenAI, dead_url: str,
                                                                   offline: None) -> None:
    """Twin actions whose identical model calls finish in another order than recorded replay: same kind, same name."""
    with record() as rec:
        votes(client, [0, 1, 2])
    with OpenAI(base_url=dead_url, api_key="unused", max_retries=0) as replayed, replay(rec.cassette()):
        votes(replayed, [2, 0, 1])


async def avotes(client: AsyncOpenAI, order: Sequence[int]) -> list[str]:
    """``vote(voter)`` for voters 0-2 under asyncio.gather, their model calls (one same request) made in ``order``."""
    turns = [asyncio.Event() for _ in order]

    @agentops.record_action("vote")
    async def vote(voter: int) -> str:
        await turns[voter].wait()
        try:
            reply = await client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "Classify: billing?"}])
        finally:
            position = list(order).index(voter)
            if position + 1 < len(order):
                turns[order[position + 1]].set()
        return reply.choices[0].message.content or ""

    with agentops.session("votes"):
        turns[order[0]].set()
        return list(await asyncio.gather(*(vote(voter) for voter in range(len(order)))))


async def test_twin_actions_with_other_arguments_making_the_same_call_replay_in_another_order(
        aclient: AsyncOpenAI, dead_url: str, offline: None) -> None:
    """Twins differing only in an argument their same model call does not use replay with the calls in any order."""
    with record() as rec:
        await avotes(aclient, [0, 1, 2])
    async with AsyncOpenAI(base_url=dead_url, api_key="unused", max_retries=0) as replayed:
        with replay(rec.cassette()):
            await avotes(replayed, [1, 2, 0])


async def verify_and_audit(charging: str) -> None:
    """``verify`` and ``audit`` run side by side; the one named ``charging`` charges the card once both started."""
    both_started = asyncio.Barrier(2)

    async def step(name: str) -> None:
        await both_started.wait()
        if name == charging:
            charge_card(10)

    verify = agentops.record_action("verify")(step)
    audit = agentops.record_action("audit")(step)
    with agentops.session("pay"):
        await asyncio.gather(verify("verify"), audit("audit"))


async def test_a_tool_moved_to_a_concurrent_action_of_another_name_diverges() -> None:
    """charge_card recorded inside verify, replayed at its step inside the concurrent audit: diverges, naming both."""
    with record() as rec:
        await verify_and_audit("verify")
    with pytest.raises(DivergenceError) as err, replay(rec.cassette()):
        await verify_and_audit("audit")
    assert err.value.index == 2
    assert ("tool charge_card was called by action audit; the recording has it called by action verify"
            in err.value.render())
