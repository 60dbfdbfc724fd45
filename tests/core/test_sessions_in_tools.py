"""Sessions started or ended inside @tool / @record_action functions: the caller's session afterwards
is the one it would be without the decorator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import agentops_otel as agentops


@agentops.record_action("after")
def after() -> None:
    pass


def test_generator_tool_ending_the_session_it_started_returns_the_consumer_to_its_session() -> None:
    """A generator tool that starts a session at one yield and ends it at the next leaves the consumer in its own."""

    @agentops.tool
    def steps() -> Iterator[int]:
        s = agentops.start_session("inner")
        yield 1
        s.end("Success")
        yield 2

    with agentops.session("outer") as outer:
        gen = steps()
        next(gen)
        inner = agentops.current_session()
        assert inner is not None and inner.name == "inner"
        next(gen)
        assert agentops.current_session() is outer
        after()  # the consumer's own step, once the tool has ended its session
        for _ in gen:
            pass
        assert agentops.current_session() is outer
        after()
    assert [e.action_type for e in outer.action_events] == ["after", "after"]
    assert inner.steps_outside == 0


def test_async_generator_tool_ending_the_session_it_started_returns_the_consumer_to_its_session() -> None:
    """The same for an async generator tool: the consuming task is back in its session afterwards."""

    @agentops.tool
    async def steps() -> AsyncIterator[int]:
        s = agentops.start_session("inner")
        yield 1
        s.end("Success")
        yield 2

    async def main() -> tuple[agentops.Session, list[str | None]]:
        with agentops.session("outer") as outer:
            seen = []
            async for _ in steps():
                seen.append(agentops.current_session() and agentops.current_session().name)  # type: ignore[union-attr]
            assert agentops.current_session() is outer
            after()
        return outer, seen

    outer, seen = asyncio.run(main())
    assert seen == ["inner", "outer"]
    assert [e.action_type for e in outer.action_events] == ["after"]


def test_ending_the_current_session_inside_a_tool_returns_to_the_enclosing_session() -> None:
    """end_session() inside a tool, for a session started outside it, makes the enclosing session current."""
    inside: list[agentops.Session | None] = []

    @agentops.tool
    def finish() -> None:
        agentops.end_session("Success")
        inside.append(agentops.current_session())

    with agentops.session("outer") as outer:
        inner = agentops.start_session("inner")
        finish()
        assert agentops.current_session() is outer
        after()
    assert inner.end_state == "Success" and inside == [outer]
    # Its spans, not its action_events: the tool, still running as inner ended, is a step outer never saw end,
    # so a test's read of outer's event lists refuses (NotJudgeable).
    assert [s.name for s in outer.spans if s.name.startswith("action")] == ["action after"]


def test_ending_the_session_in_a_nested_tool_returns_every_caller_to_the_enclosing_session() -> None:
    """A tool called by a tool ends the session: the calling tool's body, and its caller, are in the enclosing one."""
    inside: list[agentops.Session | None] = []

    @agentops.tool
    def finish() -> None:
        agentops.end_session("Success")

    @agentops.tool
    def workflow() -> None:
        finish()
        inside.append(agentops.current_session())

    with agentops.session("outer") as outer:
        agentops.start_session("inner")
        workflow()
        assert agentops.current_session() is outer
    assert inside == [outer]


def test_ending_the_current_session_inside_an_async_tool_returns_to_the_enclosing_session() -> None:
    """The same for an async tool: the awaiting task is back in the enclosing session."""

    @agentops.tool
    async def finish() -> None:
        agentops.end_session("Success")

    async def main() -> tuple[agentops.Session, agentops.Session | None]:
        with agentops.session("outer") as outer:
            agentops.start_session("inner")
            await finish()
            return outer, agentops.current_session()

    outer, current = asyncio.run(main())
    assert current is outer


def test_session_started_in_a_tool_after_ending_one_nests_in_the_enclosing_session() -> None:
    """A tool that ends the current session and starts the next: the next one nests in the enclosing one."""

    @agentops.tool
    def handover() -> agentops.Session:
        agentops.end_session("Success")
        return agentops.start_session("next")

    with agentops.session("outer") as outer:
        agentops.start_session("first")
        nxt = handover()
        assert agentops.current_session() is nxt and nxt.parent is outer
        agentops.end_session("Success")
        assert agentops.current_session() is outer
