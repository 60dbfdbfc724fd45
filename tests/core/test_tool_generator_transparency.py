"""A generator or async-generator ``@tool`` behaves exactly as undecorated under next/send/throw/close and
asend/athrow/aclose: recording (``enabled``), with the kill switch (``disabled``) and with the tool's telemetry
broken (``start fails``). Each test drives an undecorated and a decorated copy of one body the same way and
compares what each call returned or raised."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

import agentops_otel as agentops
from agentops_otel import semconv
from agentops_otel._guard import FaultInjector, reset_reports

Outcome = tuple[str, Any]


@pytest.fixture(params=["enabled", "disabled", "start fails"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """How the decorated copy runs: recorded, switched off, or with its span failing to start."""
    if request.param == "disabled":
        monkeypatch.setenv(semconv.ENV_DISABLED, "1")
    if request.param == "start fails":
        reset_reports()
        FaultInjector.armed["tool.start"] = RuntimeError
    yield request.param
    FaultInjector.armed.clear()
    reset_reports()


def _outcome(call: Callable[[], Any]) -> Outcome:
    try:
        return "returned", call()
    except BaseException as exc:  # GeneratorExit and StopIteration are outcomes too
        return "raised", (type(exc), exc.args)


async def _aoutcome(call: Callable[[], Awaitable[Any]]) -> Outcome:
    try:
        return "returned", await call()
    except BaseException as exc:
        return "raised", (type(exc), exc.args)


def _both(body: Callable[[], Generator[Any, Any, Any]],
          *steps: Callable[[Generator[Any, Any, Any]], Any]) -> tuple[list[Outcome], list[Outcome]]:
    """Each step's outcome on the undecorated body and on the decorated one."""
    runs = []
    for gen in (body(), agentops.tool(body)()):
        runs.append([_outcome(lambda step=step, gen=gen: step(gen)) for step in steps])  # type: ignore[misc]
    return runs[0], runs[1]


async def _aboth(body: Callable[[], AsyncGenerator[Any, Any]],
                 *steps: Callable[[AsyncGenerator[Any, Any]], Awaitable[Any]]) -> tuple[list[Outcome], list[Outcome]]:
    """The same for an async generator."""
    runs = []
    for agen in (body(), agentops.tool(body)()):
        runs.append([await _aoutcome(lambda step=step, agen=agen: step(agen)) for step in steps])  # type: ignore[misc]
    return runs[0], runs[1]


def _echo() -> Generator[str, Any, str]:
    received: Any = None
    while received != "stop":
        try:
            received = yield f"got {received!r}"
        except ValueError as exc:
            received = f"caught {exc}"
    return "done"


async def _aecho() -> AsyncGenerator[str, Any]:
    received: Any = None
    while received != "stop":
        try:
            received = yield f"got {received!r}"
        except ValueError as exc:
            received = f"caught {exc}"


def _catches_exit() -> Generator[str, None, None]:
    try:
        yield "first"
    except GeneratorExit:
        yield "caught"
    yield "after"


async def _acatches_exit() -> AsyncGenerator[str, None]:
    try:
        yield "first"
    except GeneratorExit:
        yield "caught"
    yield "after"


def _returns_on_exit() -> Generator[str, None, str]:
    try:
        yield "first"
    except GeneratorExit:
        return "cleaned up"
    return "finished"


async def _areturns_on_exit() -> AsyncGenerator[str, None]:
    try:
        yield "first"
    except GeneratorExit:
        return


def test_sent_values_and_thrown_errors_reach_a_generator_body(mode: str) -> None:
    """``send(v)`` and ``throw(exc)`` reach the body, and the value it returns ends the iteration, as undecorated."""
    plain, decorated = _both(_echo, next, lambda g: g.send(1), lambda g: g.throw(ValueError("x")),
                             lambda g: g.send("stop"), next)
    assert decorated == plain
    assert plain[-2] == ("raised", (StopIteration, ("done",)))


async def test_sent_values_reach_an_async_generator_body(mode: str) -> None:
    """``asend(v)`` hands ``v`` to the body, as undecorated (switched off, the body got ``None``)."""
    plain, decorated = await _aboth(_aecho, lambda g: g.__anext__(), lambda g: g.asend(1), lambda g: g.asend(2))
    assert decorated == plain == [("returned", "got None"), ("returned", "got 1"), ("returned", "got 2")]


async def test_thrown_errors_reach_an_async_generator_body(mode: str) -> None:
    """``athrow(exc)`` is thrown into the body, which may catch it and yield again, as undecorated."""
    plain, decorated = await _aboth(_aecho, lambda g: g.__anext__(), lambda g: g.athrow(ValueError("x")),
                                    lambda g: g.asend("stop"))
    assert decorated == plain
    assert plain[1] == ("returned", "got 'caught x'")


def test_generator_exit_thrown_into_a_generator_reaches_its_body(mode: str) -> None:
    """``throw(GeneratorExit)`` into a body that catches it and yields returns that value, as undecorated."""
    plain, decorated = _both(_catches_exit, next, lambda g: g.throw(GeneratorExit()), next, next)
    assert decorated == plain
    assert plain[1:3] == [("returned", "caught"), ("returned", "after")]


async def test_generator_exit_thrown_into_an_async_generator_reaches_its_body(mode: str) -> None:
    """``athrow(GeneratorExit)`` into a body that catches it and yields returns that value, as undecorated."""
    plain, decorated = await _aboth(_acatches_exit, lambda g: g.__anext__(), lambda g: g.athrow(GeneratorExit()),
                                    lambda g: g.__anext__(), lambda g: g.__anext__())
    assert decorated == plain
    assert plain[1:3] == [("returned", "caught"), ("returned", "after")]


def test_generator_exit_a_generator_body_returns_on_ends_it_as_undecorated(mode: str) -> None:
    """``throw(GeneratorExit)`` into a body that returns on it raises ``StopIteration`` with that value."""
    plain, decorated = _both(_returns_on_exit, next, lambda g: g.throw(GeneratorExit()), next)
    assert decorated == plain
    assert plain[1] == ("raised", (StopIteration, ("cleaned up",)))


async def test_generator_exit_an_async_generator_body_returns_on_ends_it_as_undecorated(mode: str) -> None:
    """``athrow(GeneratorExit)`` into a body that returns on it raises ``StopAsyncIteration``."""
    plain, decorated = await _aboth(_areturns_on_exit, lambda g: g.__anext__(), lambda g: g.athrow(GeneratorExit()),
                                    lambda g: g.__anext__())
    assert decorated == plain
    assert plain[1] == ("raised", (StopAsyncIteration, ()))


def test_closing_a_generator_that_ignores_it_raises_and_leaves_the_body_running(mode: str) -> None:
    """``close()`` on a body that yields again raises ``RuntimeError``, and the body goes on, as undecorated."""
    plain, decorated = _both(_catches_exit, next, lambda g: g.close(), next, lambda g: g.close())
    assert decorated == plain
    assert plain[1:3] == [("raised", (RuntimeError, ("generator ignored GeneratorExit",))), ("returned", "after")]


async def test_closing_an_async_generator_that_ignores_it_raises_and_leaves_the_body_running(mode: str) -> None:
    """``aclose()`` on a body that yields again raises ``RuntimeError``, and the body goes on, as undecorated."""
    plain, decorated = await _aboth(_acatches_exit, lambda g: g.__anext__(), lambda g: g.aclose(),
                                    lambda g: g.__anext__(), lambda g: g.__anext__())
    assert decorated == plain
    assert plain[1:3] == [("raised", (RuntimeError, ("async generator ignored GeneratorExit",))),
                          ("returned", "after")]


def _result(exporter: InMemorySpanExporter) -> dict[str, Any]:
    [span] = [s for s in exporter.get_finished_spans() if s.name.startswith("execute_tool")]
    return json.loads(span.attributes[semconv.GEN_AI_TOOL_CALL_RESULT])  # type: ignore[index,arg-type]


def test_a_generator_closed_early_is_recorded_closed_early_when_its_body_returns_on_it(
        span_exporter: InMemorySpanExporter) -> None:
    """A body that returns when closed still has its call recorded as stopped early by the consumer."""
    gen = agentops.tool(_returns_on_exit)()
    next(gen)
    gen.close()
    assert _result(span_exporter)["closed_early"] is True


async def test_an_async_generator_closed_early_is_recorded_closed_early(span_exporter: InMemorySpanExporter) -> None:
    """``aclose()`` after the first item ends the call's span, marked as stopped early, whether or not the body
    returns on it."""

    async def pages() -> AsyncGenerator[int, None]:
        for page in range(3):
            yield page

    for body in (pages, _areturns_on_exit):
        span_exporter.clear()
        agen = agentops.tool(body)()
        await agen.__anext__()
        await agen.aclose()
        assert _result(span_exporter)["closed_early"] is True


async def test_an_async_generator_ignoring_aclose_goes_on_recording(span_exporter: InMemorySpanExporter) -> None:
    """A body that yields again when closed is still running: its call ends when the body does."""
    agen = agentops.tool(_acatches_exit)()
    await agen.__anext__()
    with pytest.raises(RuntimeError):
        await agen.aclose()
    assert not span_exporter.get_finished_spans()
    assert [item async for item in agen] == ["after"]
    assert _result(span_exporter) == {"yielded": 3, "items": ["first", "caught", "after"]}


def test_generator_exit_caught_by_a_generator_body_is_recorded_with_what_it_yielded(
        span_exporter: InMemorySpanExporter) -> None:
    """After a caught ``throw(GeneratorExit)`` the call goes on: what it yields next and returns is recorded."""
    gen = agentops.tool(_catches_exit)()
    next(gen)
    gen.throw(GeneratorExit())
    assert list(gen) == ["after"]
    assert _result(span_exporter) == {"yielded": 3, "items": ["first", "caught", "after"], "return": None}


def test_a_generator_failing_as_it_is_closed_is_recorded_failed(span_exporter: InMemorySpanExporter) -> None:
    """An error the body raises when closed propagates from ``close()`` and fails the call's span."""

    def flushes() -> Iterator[str]:
        try:
            yield "first"
        finally:
            raise OSError("disk gone")

    gen = agentops.tool(flushes)()
    next(gen)
    with pytest.raises(OSError, match="disk gone"):
        gen.close()
    [span] = span_exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR and span.attributes[semconv.ERROR_TYPE] == "OSError"


async def test_an_async_generator_failing_as_it_is_closed_is_recorded_failed(
        span_exporter: InMemorySpanExporter) -> None:
    """The same for ``aclose()``."""

    async def flushes() -> AsyncGenerator[str, None]:
        try:
            yield "first"
        finally:
            raise OSError("disk gone")

    agen = agentops.tool(flushes)()
    await agen.__anext__()
    with pytest.raises(OSError, match="disk gone"):
        await agen.aclose()
    [span] = span_exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR and span.attributes[semconv.ERROR_TYPE] == "OSError"


class _ClassGuarded(Exception):
    """An exception whose ``__class__`` can't be read from Python (a proxy guarding it): ``isinstance()`` reads it."""

    def __getattribute__(self, name: str) -> object:
        if name == "__class__":
            raise RuntimeError("__class__ is guarded")
        return super().__getattribute__(name)


def _returns_on_error() -> Generator[str, None, str]:
    try:
        yield "first"
    except Exception:
        return "handled"
    return "finished"


def test_an_error_with_unreadable_class_a_generator_body_returns_on_ends_it_as_undecorated() -> None:
    """``throw(exc)`` of an exception whose ``__class__`` can't be read, into a recorded body that returns on it,
    raises ``StopIteration`` with the body's value, as undecorated, not the error reading it raised."""
    gen = agentops.tool(_returns_on_error)()
    next(gen)
    with pytest.raises(StopIteration) as stopped:
        gen.throw(_ClassGuarded())
    assert stopped.value.value == "handled"


def test_an_error_with_unreadable_class_an_async_generator_body_returns_on_ends_it_as_undecorated() -> None:
    """The same for ``athrow(exc)`` into an async generator, stepped by hand (asyncio reads ``__class__`` itself)."""

    async def returns_on_error() -> AsyncGenerator[str, None]:
        try:
            yield "first"
        except Exception:
            return

    agen = agentops.tool(returns_on_error)()
    with pytest.raises(StopIteration):
        agen.__anext__().send(None)
    with pytest.raises(StopAsyncIteration):
        agen.athrow(_ClassGuarded()).send(None)
