"""``@session`` on each kind of function: the decorated function is still that kind of function, as
frameworks that look (pytest-asyncio, FastAPI, LangChain) see it, and the session covers its run."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import pytest_asyncio

import agentops_otel as agentops

STOPPED_EARLY = ("Indeterminate", "stopped early: closed before it finished (GeneratorExit)")


def plain(x: int, *, y: str = "y") -> int:
    return x


async def coroutine(x: int, *, y: str = "y") -> int:
    return x


def generator(x: int, *, y: str = "y") -> Iterator[int]:
    yield x


async def async_generator(x: int, *, y: str = "y") -> AsyncIterator[int]:
    yield x


_KINDS = (inspect.isasyncgenfunction, inspect.isgeneratorfunction, inspect.iscoroutinefunction)


@pytest.mark.parametrize("fn", [plain, coroutine, generator, async_generator], ids=lambda f: f.__name__)
def test_session_decorator_keeps_the_kind_and_signature_of_the_function(fn: Callable[..., Any]) -> None:
    """Code that inspects a decorated function sees what it would see on the undecorated one."""
    decorated = agentops.session("kind")(fn)
    assert [kind(decorated) for kind in _KINDS] == [kind(fn) for kind in _KINDS]
    assert inspect.signature(decorated) == inspect.signature(fn)


_fixture_sessions: list[agentops.Session | None] = []


@pytest_asyncio.fixture
@agentops.session("fixture agent")
async def agent_resource() -> AsyncIterator[dict[str, bool]]:
    _fixture_sessions.append(agentops.current_session())
    yield {"ready": True}


async def test_an_async_generator_session_works_as_a_pytest_asyncio_fixture(agent_resource: dict[str, bool]) -> None:
    """pytest-asyncio runs a session-decorated async generator fixture and hands the test what it yields."""
    assert agent_resource == {"ready": True}
    s = _fixture_sessions[-1]
    assert s is not None and s.name == "fixture agent" and s.end_state is None


async def test_asend_and_athrow_reach_the_decorated_async_generator() -> None:
    """Values sent and exceptions thrown into the generator reach its body, inside the session."""
    seen: list[object] = []

    @agentops.session("echo")
    async def echo() -> AsyncIterator[int]:
        got = yield 0
        while True:
            try:
                got = yield got
            except KeyError as exc:
                seen.append((exc.args[0], agentops.current_session()))
                got = -1

    gen = echo()
    assert await gen.asend(None) == 0
    assert await gen.asend(5) == 5
    assert await gen.athrow(KeyError("k")) == -1
    s = seen[0][1]
    assert seen[0][0] == "k" and s is not None and s.name == "echo"
    await gen.aclose()
    assert s.end_state == "Indeterminate"  # closed while running: see the stopped-early tests below


async def test_an_async_generator_session_ends_with_the_generator() -> None:
    """Finished, closed early, or failed: the session ends when the generator does, Success only when it
    finished, Fail only for a failure."""
    sessions: list[agentops.Session | None] = []

    @agentops.session("gen")
    async def produce(fail: bool) -> AsyncIterator[int]:
        sessions.append(agentops.current_session())
        yield 1
        yield 2
        if fail:
            raise LookupError("gone")

    assert [x async for x in produce(False)] == [1, 2]
    closed = produce(False)
    assert await closed.__anext__() == 1
    await closed.aclose()
    with pytest.raises(LookupError, match="gone"):
        _ = [x async for x in produce(True)]
    assert [(s.end_state, s.end_state_reason) for s in sessions if s is not None] == [
        ("Success", None), STOPPED_EARLY, ("Fail", "LookupError: gone")]


async def test_calling_a_decorated_generator_with_wrong_arguments_starts_no_session() -> None:
    """The TypeError for a bad call reaches the caller and leaves no session open behind it."""

    @agentops.session("sync")
    def produce(x: int) -> Iterator[int]:
        yield x

    @agentops.session("async")
    async def aproduce(x: int) -> AsyncIterator[int]:
        yield x

    with pytest.raises(TypeError):
        next(produce())  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        await aproduce().__anext__()  # type: ignore[call-arg]
    assert [s.name for s in agentops.end_all_sessions()] == []


def test_a_decorated_generator_its_consumer_stops_early_ends_indeterminate_as_a_with_block_does() -> None:
    """A consumer that stops reading (``break``, ``close()``, a client gone) leaves the run unfinished: the
    session neither passed nor failed, as for ``with session()`` around the same ``yield``s."""
    sessions: list[agentops.Session | None] = []

    @agentops.session("chunks")
    def chunks() -> Iterator[int]:
        sessions.append(agentops.current_session())
        yield from range(4)

    for chunk in chunks():
        if chunk == 1:
            break
    s = sessions[0]
    assert s is not None and (s.end_state, s.end_state_reason) == STOPPED_EARLY


async def test_a_decorated_async_generator_its_consumer_stops_early_ends_indeterminate() -> None:
    """``aclose()`` before the end leaves the async generator's run unfinished: Indeterminate, stopped early."""
    sessions: list[agentops.Session | None] = []

    @agentops.session("chunks")
    async def chunks() -> AsyncIterator[int]:
        sessions.append(agentops.current_session())
        for i in range(4):
            yield i

    gen = chunks()
    assert await gen.__anext__() == 0
    await gen.aclose()
    s = sessions[0]
    assert s is not None and (s.end_state, s.end_state_reason) == STOPPED_EARLY


def test_a_decorated_generator_whose_body_returns_when_closed_still_ends_indeterminate() -> None:
    """A body that catches ``GeneratorExit`` and returns was still stopped by its consumer before it finished: the
    session ends Indeterminate, stopped early, not Success, and ``close()`` returns as undecorated."""
    sessions: list[agentops.Session | None] = []

    @agentops.session("chunks")
    def chunks() -> Iterator[int]:
        sessions.append(agentops.current_session())
        try:
            yield 1
            yield 2
        except GeneratorExit:
            return

    gen = chunks()
    next(gen)
    assert gen.close() is None
    s = sessions[0]
    assert s is not None and (s.end_state, s.end_state_reason) == STOPPED_EARLY


async def test_a_decorated_async_generator_whose_body_returns_when_closed_still_ends_indeterminate() -> None:
    """The same for ``aclose()`` on an async generator whose body returns on ``GeneratorExit``."""
    sessions: list[agentops.Session | None] = []

    @agentops.session("chunks")
    async def chunks() -> AsyncIterator[int]:
        sessions.append(agentops.current_session())
        try:
            yield 1
            yield 2
        except GeneratorExit:
            return

    gen = chunks()
    await gen.__anext__()
    await gen.aclose()
    s = sessions[0]
    assert s is not None and (s.end_state, s.end_state_reason) == STOPPED_EARLY


def test_a_decorated_generator_failing_as_it_is_closed_ends_fail_and_the_error_reaches_the_consumer() -> None:
    """A cleanup that raises as the generator is closed ends the session Fail, and ``close()`` raises it."""
    sessions: list[agentops.Session | None] = []

    @agentops.session("cleanup")
    def cleanup() -> Iterator[int]:
        sessions.append(agentops.current_session())
        try:
            yield 1
            yield 2
        finally:
            raise OSError("disk gone")

    gen = cleanup()
    next(gen)
    with pytest.raises(OSError, match="disk gone"):
        gen.close()
    s = sessions[0]
    assert s is not None and (s.end_state, s.end_state_reason) == ("Fail", "OSError: disk gone")


async def test_a_decorated_async_generator_failing_as_it_is_closed_ends_fail() -> None:
    """A cleanup that raises as the async generator is closed ends the session Fail, and ``aclose()`` raises it."""
    sessions: list[agentops.Session | None] = []

    @agentops.session("cleanup")
    async def cleanup() -> AsyncIterator[int]:
        sessions.append(agentops.current_session())
        try:
            yield 1
            yield 2
        finally:
            raise OSError("disk gone")

    gen = cleanup()
    await gen.__anext__()
    with pytest.raises(OSError, match="disk gone"):
        await gen.aclose()
    s = sessions[0]
    assert s is not None and (s.end_state, s.end_state_reason) == ("Fail", "OSError: disk gone")


def _catches_generator_exit() -> Iterator[str]:
    try:
        yield "first"
    except GeneratorExit:
        yield "caught"


def test_generator_exit_thrown_into_a_decorated_generator_reaches_its_body_as_undecorated() -> None:
    """``throw(GeneratorExit)`` is an exception like any other to a generator that catches it: decorated, the body
    sees it and its next value is returned, as undecorated, rather than the body being closed."""
    plain_gen = _catches_generator_exit()
    next(plain_gen)
    decorated = agentops.session("catcher")(_catches_generator_exit)()
    next(decorated)
    assert decorated.throw(GeneratorExit()) == plain_gen.throw(GeneratorExit()) == "caught"


async def test_generator_exit_thrown_into_a_decorated_async_generator_reaches_its_body_as_undecorated() -> None:
    """The same for ``athrow(GeneratorExit)`` into an async generator."""

    async def catcher() -> AsyncIterator[str]:
        try:
            yield "first"
        except GeneratorExit:
            yield "caught"

    plain_gen = catcher()
    await plain_gen.__anext__()
    decorated = agentops.session("catcher")(catcher)()
    await decorated.__anext__()
    assert await decorated.athrow(GeneratorExit()) == await plain_gen.athrow(GeneratorExit()) == "caught"
