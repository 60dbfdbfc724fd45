"""A generator decorated by ``@tool`` or ``@record_action`` answers ``send``/``throw``/``close`` (and their async
twins) exactly as undecorated: with telemetry on, with the kill switch on, and when telemetry failed to start."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import semconv

_DECORATORS: dict[str, Callable[[Any], Any]] = {
    "tool": agentops.tool,
    "action": agentops.record_action("step"),
}
_MODES = ("recorded", "disabled")


def _outcome(call: Callable[[], Any]) -> object:
    try:
        return call()
    except BaseException as exc:  # what the consumer saw, StopIteration and GeneratorExit too
        return (type(exc).__name__, str(exc))


def _catches_exit() -> Iterator[str]:
    try:
        yield "first"
    except GeneratorExit:
        yield "caught exit"
    yield "after"


async def _async_catches_exit() -> AsyncIterator[str]:
    try:
        yield "first"
    except GeneratorExit:
        yield "caught exit"
    yield "after"


def _echo() -> Iterator[str]:
    sent = yield "first"
    try:
        yield f"got {sent}"
    except KeyError as exc:
        yield f"caught {exc}"


async def _async_echo() -> AsyncIterator[str]:
    sent = yield "first"
    try:
        yield f"got {sent}"
    except KeyError as exc:
        yield f"caught {exc}"


def _sync_run(fn: Callable[[], Iterator[str]], how: str) -> list[object]:
    gen = fn()
    seen = [_outcome(lambda: next(gen))]
    if how == "exit":
        seen += [_outcome(lambda: gen.throw(GeneratorExit)), _outcome(lambda: next(gen))]
    else:
        seen += [_outcome(lambda: gen.send("A")), _outcome(lambda: gen.throw(KeyError("k")))]
    return seen


def _async_run(fn: Callable[[], AsyncIterator[str]], how: str) -> list[object]:
    async def drive() -> list[object]:
        agen: Any = fn()
        seen: list[object] = []

        async def step(make: Callable[[], Any]) -> None:
            try:
                seen.append(await make())
            except BaseException as exc:  # what the consumer saw
                seen.append((type(exc).__name__, str(exc)))

        await step(agen.__anext__)
        if how == "exit":
            await step(lambda: agen.athrow(GeneratorExit))
            await step(agen.__anext__)
        else:
            await step(lambda: agen.asend("A"))
            await step(lambda: agen.athrow(KeyError("k")))
        return seen

    return asyncio.run(drive())


_CASES = {
    ("sync", "exit"): (_catches_exit, _sync_run),
    ("sync", "send"): (_echo, _sync_run),
    ("async", "exit"): (_async_catches_exit, _async_run),
    ("async", "send"): (_async_echo, _async_run),
}


@pytest.mark.parametrize("mode", _MODES)
@pytest.mark.parametrize("decorator", sorted(_DECORATORS))
@pytest.mark.parametrize("case", sorted(_CASES), ids="-".join)
def test_a_decorated_generator_answers_send_and_throw_as_undecorated(
        span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch,
        mode: str, decorator: str, case: tuple[str, str]) -> None:
    """Values sent and exceptions thrown in (GeneratorExit too, which the body may catch and yield after)
    reach the body as undecorated, whether recorded or with the kill switch on."""
    body, run = _CASES[case]
    expected = run(body, case[1])  # type: ignore[arg-type]
    if mode == "disabled":
        monkeypatch.setenv("AGENTOPS_OTEL_DISABLED", "true")
    decorated = _DECORATORS[decorator](body)
    with agentops.session("s"):
        assert run(decorated, case[1]) == expected  # type: ignore[arg-type]


def test_a_generator_tool_that_catches_generator_exit_is_recorded_once_when_it_finishes(
        span_exporter: InMemorySpanExporter) -> None:
    """GeneratorExit thrown in and caught by the body: the tool's span ends once, when the body does."""
    with agentops.session("s"):
        gen = agentops.tool(_catches_exit)()
        next(gen)
        assert gen.throw(GeneratorExit) == "caught exit"
        assert list(gen) == ["after"]
    spans = [s for s in span_exporter.get_finished_spans() if s.name == "execute_tool _catches_exit"]
    assert len(spans) == 1
    result = json.loads((spans[0].attributes or {})[semconv.GEN_AI_TOOL_CALL_RESULT])
    assert result["items"] == ["first", "caught exit", "after"]
