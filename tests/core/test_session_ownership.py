"""Sessions belong to the thread or task that started them; ``session(...)`` covers exactly its body."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import semconv


@agentops.tool
def step(x: int) -> int:
    return x


def test_thread_without_session_sees_none_and_cannot_end_another_threads() -> None:
    """Thread B, which started nothing, gets None and its end_session() leaves A's session alone."""
    started, checked = threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def request_a() -> None:
        s = agentops.start_session(tags=["user-a"])
        seen["a"] = s
        started.set()
        checked.wait(30)
        step(1)
        agentops.end_session("Success")

    def request_b() -> None:
        started.wait(30)
        seen["b_get"] = agentops.get_session()
        with pytest.warns(RuntimeWarning, match="no session is open in this thread or task"):
            seen["b_end"] = agentops.end_session("Fail", "request B failed")
        checked.set()

    threads = [threading.Thread(target=request_a), threading.Thread(target=request_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    a = seen["a"]
    assert isinstance(a, agentops.Session)
    assert seen["b_get"] is None and seen["b_end"] is None
    assert (a.end_state, a.end_state_reason, a.tool_calls) == ("Success", None, 1)


def test_task_without_session_sees_none_and_cannot_end_another_tasks() -> None:
    """Task B, which started nothing, gets None and its end_session() leaves task A's session alone."""

    async def main() -> tuple[agentops.Session, object, object]:
        started, checked = asyncio.Event(), asyncio.Event()

        async def request_a() -> agentops.Session:
            s = agentops.start_session(tags=["user-a"])
            started.set()
            await checked.wait()
            step(1)
            agentops.end_session("Success")
            return s

        async def request_b() -> tuple[object, object]:
            await started.wait()
            got = agentops.get_session()
            with pytest.warns(RuntimeWarning):
                ended = agentops.end_session("Fail", "request B failed")
            checked.set()
            return got, ended

        a, (got, ended) = await asyncio.gather(request_a(), request_b())
        return a, got, ended

    a, got, ended = asyncio.run(main())
    assert got is None and ended is None
    assert (a.end_state, a.end_state_reason, a.tool_calls) == ("Success", None, 1)


def test_get_session_after_end_is_this_contexts_last_session_only() -> None:
    """After end_session(), get_session() here returns that session; another thread still gets None."""
    s = agentops.start_session("mine")
    agentops.end_session("Success")
    other: list[object] = []
    t = threading.Thread(target=lambda: other.append(agentops.get_session()))
    t.start()
    t.join(30)
    assert agentops.get_session() is s
    assert other == [None]


def test_one_session_object_entered_by_two_tasks_gives_each_its_own() -> None:
    """A shared session(...) object entered by two concurrent tasks starts two sessions, each ended by its task."""
    shared = agentops.session("handler")

    async def handle(n: int, delay: float) -> tuple[agentops.Session, str | None]:
        async with shared as s:
            await asyncio.sleep(delay)
            step(n)
            state_inside = s.end_state
        return s, state_inside

    async def main() -> list[tuple[agentops.Session, str | None]]:
        return list(await asyncio.gather(handle(1, 0.0), handle(2, 0.2)))

    (fast, fast_inside), (slow, slow_inside) = asyncio.run(main())
    assert slow is not fast
    assert slow_inside is None and fast_inside is None
    assert (slow.end_state, slow.tool_calls, fast.end_state, fast.tool_calls) == ("Success", 1, "Success", 1)


def test_bare_session_decorator_runs_the_body_in_a_session(span_exporter: InMemorySpanExporter) -> None:
    """@agentops.session without parentheses wraps the function in a session named after it."""

    @agentops.session
    def handle(x: int) -> str:
        step(x)
        return agentops.get_session().name  # type: ignore[union-attr]

    assert handle(3) == "handle"
    assert [sp.name for sp in span_exporter.get_finished_spans()] == ["execute_tool step", "invoke_agent handle"]


def test_session_decorator_covers_a_generators_body(span_exporter: InMemorySpanExporter) -> None:
    """@session on a generator function: every step of the body is in the session, the caller is not."""

    @agentops.session("stream")
    def produce() -> Iterator[int]:
        for i in range(3):
            yield step(i)

    outside: list[object] = []
    got = []
    for value in produce():
        got.append(value)
        outside.append(agentops.current_session())
    spans = span_exporter.get_finished_spans()
    root = spans[-1]
    assert got == [0, 1, 2] and outside == [None, None, None]
    assert root.name == "invoke_agent stream" and root.attributes[semconv.SESSION_TOOL_CALLS] == 3
    assert all(sp.attributes[semconv.SESSION_ID] == root.attributes[semconv.SESSION_ID] for sp in spans)


def test_session_decorator_covers_an_async_generators_body(span_exporter: InMemorySpanExporter) -> None:
    """@session on an async generator function: every step of the body is in the session, the caller is not."""

    @agentops.session("astream")
    async def produce() -> AsyncIterator[int]:
        for i in range(3):
            await asyncio.sleep(0)
            yield step(i)

    async def consume() -> tuple[list[int], list[object]]:
        got, outside = [], []
        async for value in produce():
            got.append(value)
            outside.append(agentops.current_session())
        return got, outside

    got, outside = asyncio.run(consume())
    root = span_exporter.get_finished_spans()[-1]
    assert got == [0, 1, 2] and outside == [None, None, None]
    assert root.name == "invoke_agent astream" and root.attributes[semconv.SESSION_TOOL_CALLS] == 3


def test_generator_failure_ends_its_session_fail_and_propagates() -> None:
    """An exception raised in a decorated generator's body ends the session Fail and reaches the caller."""

    inside: list[agentops.Session | None] = []

    @agentops.session("broken")
    def produce() -> Iterator[int]:
        inside.append(agentops.current_session())
        yield 1
        raise LookupError("gone")

    gen = produce()
    assert next(gen) == 1
    with pytest.raises(LookupError, match="gone"):
        next(gen)
    s = inside[0]
    assert s is not None and (s.name, s.end_state, s.end_state_reason) == ("broken", "Fail", "LookupError: gone")


class _Unprintable(Exception):
    """An exception whose text cannot be computed (a broken ``__str__`` and ``__repr__``)."""

    def __str__(self) -> str:
        raise RuntimeError("__str__ is broken")

    def __repr__(self) -> str:
        raise RuntimeError("__repr__ is broken")


def test_unprintable_exception_escapes_a_session_unchanged(span_exporter: InMemorySpanExporter) -> None:
    """An exception whose __str__/__repr__ raise leaves a session as itself; the session ends Fail."""
    err = _Unprintable()
    with pytest.raises(_Unprintable) as caught, agentops.session("x") as s:
        raise err
    assert caught.value is err
    assert s.end_state == "Fail" and s.end_state_reason is not None and "_Unprintable" in s.end_state_reason
    root = span_exporter.get_finished_spans()[-1]
    assert root.attributes[semconv.ERROR_TYPE] == "_Unprintable"


def test_unprintable_exception_escapes_a_tool_unchanged(span_exporter: InMemorySpanExporter) -> None:
    """An exception whose __str__/__repr__ raise leaves a tool as itself, and the tool span says it failed."""
    err = _Unprintable()

    @agentops.tool
    def broken() -> None:
        raise err

    with pytest.raises(_Unprintable) as caught, agentops.session("x"):
        broken()
    assert caught.value is err
    tool = next(sp for sp in span_exporter.get_finished_spans() if sp.name == "execute_tool broken")
    assert tool.attributes[semconv.ERROR_TYPE] == "_Unprintable"
    assert tool.status.status_code.name == "ERROR"


class _Guarded(Exception):
    """An exception some of whose attributes cannot be read from Python (a proxy guarding them), while a
    test runs the code under test (pytest reads them to report a failure)."""

    unreadable: tuple[str, ...] = ()

    def __getattribute__(self, name: str) -> object:
        if name in _Guarded.unreadable:
            raise RuntimeError(f"{name} is guarded")
        return super().__getattribute__(name)


def _escaping(run: Callable[[], object], *unreadable: str) -> BaseException | None:
    """What ``run`` raised, run with those attributes of a ``_Guarded`` unreadable."""
    _Guarded.unreadable = unreadable
    try:
        run()
    except BaseException as exc:
        return exc
    finally:
        _Guarded.unreadable = ()
    return None


def test_exception_with_unreadable_traceback_escapes_a_decorated_generator_unchanged() -> None:
    """A @session generator's body raising an exception whose __traceback__ can't be read hands the consumer
    that exception, as undecorated, and the session ends Fail."""
    err = _Guarded("gone")
    inside: list[agentops.Session | None] = []

    @agentops.session("producer")
    def produce() -> Iterator[int]:
        inside.append(agentops.current_session())
        yield 1
        raise err

    assert _escaping(lambda: list(produce()), "__traceback__") is err
    s = inside[0]
    assert s is not None and s.end_state == "Fail"


def test_exception_with_unreadable_traceback_escapes_a_decorated_async_generator_unchanged() -> None:
    """The same from a @session async generator, stepped by hand (asyncio itself reads the traceback)."""
    err = _Guarded("gone")
    inside: list[agentops.Session | None] = []

    @agentops.session("producer")
    async def produce() -> AsyncIterator[int]:
        inside.append(agentops.current_session())
        yield 1
        raise err

    agen = produce()
    with pytest.raises(StopIteration):
        agen.__anext__().send(None)
    assert _escaping(lambda: agen.__anext__().send(None), "__traceback__") is err
    s = inside[0]
    assert s is not None and s.end_state == "Fail"


def test_exception_with_unreadable_class_attribute_escapes_a_session_unchanged() -> None:
    """An exception whose ``__class__`` attribute can't be read (isinstance() reads it) leaves a ``with`` block,
    a decorated function and an ``async with`` block as itself; each session ends Fail."""
    err = _Guarded("gone")
    seen: list[agentops.Session] = []

    def in_with() -> None:
        with agentops.session("w") as s:
            seen.append(s)
            raise err

    @agentops.session("d")
    def decorated() -> None:
        s = agentops.current_session()
        assert s is not None
        seen.append(s)
        raise err

    async def in_async_with() -> None:
        async with agentops.session("a") as s:
            seen.append(s)
            raise err

    assert _escaping(in_with, "__class__") is err
    assert _escaping(decorated, "__class__") is err
    assert _escaping(lambda: in_async_with().send(None), "__class__") is err  # asyncio reads it itself
    assert [s.end_state for s in seen] == ["Fail", "Fail", "Fail"]


class _StrInterrupts(Exception):
    """An exception whose ``__str__`` and ``__repr__`` raise something that is not an ``Exception``."""

    def __str__(self) -> str:
        raise KeyboardInterrupt("raised inside __str__")

    __repr__ = __str__


def test_exception_whose_str_raises_keyboardinterrupt_escapes_a_session_unchanged(
        span_exporter: InMemorySpanExporter) -> None:
    """Rendering the exception's text raising KeyboardInterrupt neither replaces it nor leaves the session open."""
    err = _StrInterrupts()
    try:
        with agentops.session("checkout") as s:
            raise err
    except BaseException as exc:  # what reached the caller; pytest.raises would let a KeyboardInterrupt stop the run
        caught = exc
    assert type(caught).__name__ == "_StrInterrupts"
    assert caught is err
    assert s.end_state == "Fail"
    root = next(sp for sp in span_exporter.get_finished_spans() if sp.name == "invoke_agent checkout")
    assert root.attributes[semconv.ERROR_TYPE] == "_StrInterrupts"


def test_exception_whose_str_raises_keyboardinterrupt_escapes_a_tool_unchanged(
        span_exporter: InMemorySpanExporter) -> None:
    """A tool's exception whose __str__ raises KeyboardInterrupt reaches the caller as itself; both spans fail."""
    err = _StrInterrupts()

    @agentops.tool
    def charge() -> None:
        raise err

    try:
        with agentops.session("checkout") as s:
            charge()
    except BaseException as exc:  # what reached the caller; pytest.raises would let a KeyboardInterrupt stop the run
        caught = exc
    assert type(caught).__name__ == "_StrInterrupts"
    assert caught is err
    assert s.end_state == "Fail"
    tool = next(sp for sp in span_exporter.get_finished_spans() if sp.name == "execute_tool charge")
    assert tool.status.status_code.name == "ERROR"


def _nameless_error() -> Exception:
    """An exception whose class has no readable ``__name__`` (made per test: pytest's collection reads
    the names of module-level classes)."""

    class Meta(type):
        @property
        def __name__(cls) -> str:  # type: ignore[override]
            raise RuntimeError("__name__ is broken")

    class Nameless(Exception, metaclass=Meta):
        pass

    return Nameless("gone")


def test_exception_of_a_nameless_class_escapes_a_session_unchanged(span_exporter: InMemorySpanExporter) -> None:
    """Even the exception's class name is the user's code: failing to read it doesn't replace the exception."""
    err = _nameless_error()
    with pytest.raises(type(err)) as caught, agentops.session("x") as s:
        raise err
    assert caught.value is err
    assert s.end_state == "Fail"


def test_exception_of_a_nameless_class_escapes_a_tool_unchanged(span_exporter: InMemorySpanExporter) -> None:
    """A tool raising an exception whose class name can't be read hands the caller that same exception."""
    err = _nameless_error()

    @agentops.tool
    def broken() -> None:
        raise err

    with pytest.raises(type(err)) as caught, agentops.session("x"):
        broken()
    assert caught.value is err
    tool = next(sp for sp in span_exporter.get_finished_spans() if sp.name == "execute_tool broken")
    assert tool.status.status_code.name == "ERROR"


@pytest.mark.parametrize("tags", [123, b"abc", 4.5])
def test_tags_that_are_not_strings_get_a_clear_error(tags: object) -> None:
    """start_session(tags=123) / tags=b"abc" raise a TypeError that names tags= and what was given."""
    with pytest.raises(TypeError, match=rf"start_session\(tags=\.\.\.\) takes a string or a list of strings, "
                                        rf"got {type(tags).__name__}"):
        agentops.start_session(tags=tags)  # type: ignore[arg-type]
    assert agentops.current_session() is None


@pytest.mark.parametrize("tags", [[b"billing"], ["ok", None], [["nested"]]])
def test_a_tag_that_is_not_text_is_left_out_and_named(tags: list[object], caplog: pytest.LogCaptureFixture) -> None:
    """tags=["ok", None] (an unset environment variable) / [b"billing"] / a nested list: the session
    starts, the tag is left out rather than recorded as "None" or "b'billing'", and a warning names its type."""
    s = agentops.start_session(tags=tags)  # type: ignore[arg-type]
    agentops.end_session("Success")
    assert s.end_state == "Success" and s.tags == [t for t in tags if isinstance(t, str)]
    assert "start_session(tags=...)" in caplog.text and "not a string: such tags are left out" in caplog.text


def test_numbers_and_enums_as_tags_are_recorded_as_their_text() -> None:
    """tags=["v2", 3] keeps working: a number or an enum is a tag by its text."""
    import enum

    class Tier(enum.StrEnum):
        GOLD = "gold"

    s = agentops.start_session(tags=["v2", 3, Tier.GOLD])
    agentops.end_session("Success")
    assert s.tags == ["v2", "3", "gold"]


def test_bad_end_state_message_names_the_mistake_and_the_choices() -> None:
    """end_session("Bogus") says what was wrong, what is accepted, and that the session still ended."""
    s = agentops.start_session("x")
    with pytest.raises(ValueError, match=r"end_session\('Bogus'\): end state must be one of Success, Fail, "
                                         r"Indeterminate .*; the session was ended Indeterminate"):
        agentops.end_session("Bogus")
    assert s.end_state == "Indeterminate"


def test_tags_that_are_not_text_are_warned_about_once_per_type(caplog: pytest.LogCaptureFixture) -> None:
    """A server tagging each request with a different bytes value gets one warning, not one kept per value."""
    for i in range(3):
        agentops.start_session(tags=[bytearray(f"user-{i}".encode())])  # type: ignore[list-item]
        agentops.end_session("Success")
    assert caplog.text.count("bytearray") == 1


def test_a_session_started_after_the_current_one_was_ended_elsewhere_is_a_trace_of_its_own(
        span_exporter: InMemorySpanExporter) -> None:
    """A session ended from another thread stays in this context; the next one here is not hung under its root."""
    first = agentops.start_session("first")
    ender = threading.Thread(target=lambda: agentops.end_session("Success", session=first))
    ender.start()
    ender.join()
    second = agentops.start_session("second")
    agentops.end_session("Success", session=second)
    assert second.parent is None
    roots = {(s.attributes or {}).get(semconv.SESSION_NAME): s for s in span_exporter.get_finished_spans()
             if s.name.startswith(semconv.SPAN_SESSION)}
    assert roots["second"].parent is None
    assert roots["second"].context.trace_id != roots["first"].context.trace_id


def test_a_session_started_after_a_nested_one_was_ended_elsewhere_nests_in_the_live_outer_one(
        span_exporter: InMemorySpanExporter) -> None:
    """With the inner session ended from another thread, the next one here is the outer session's child again."""
    with agentops.session("outer") as outer:
        inner = agentops.start_session("inner")
        ender = threading.Thread(target=lambda: agentops.end_session("Success", session=inner))
        ender.start()
        ender.join()
        second = agentops.start_session("second")
        agentops.end_session("Success", session=second)
    assert second.parent is outer
    roots = {(s.attributes or {}).get(semconv.SESSION_NAME): s for s in span_exporter.get_finished_spans()
             if s.name.startswith(semconv.SPAN_SESSION)}
    assert roots["second"].parent is not None
    assert roots["second"].parent.span_id == roots["outer"].context.span_id


def test_a_session_ended_from_two_threads_at_once_ends_once_as_the_first_said(
        span_exporter: InMemorySpanExporter) -> None:
    """Two threads ending one session at once: it ends once, and the root says the state the session object says."""
    from agentops_otel import _redact

    second_may_end, second_done = threading.Event(), threading.Event()
    seen: list[str | None] = []

    def hook(key: str, value: object) -> object:
        if value == "parent session ended first" and not second_may_end.is_set():
            second_may_end.set()  # the first end is under way (ending the nested session)
            second_done.wait(0.5)  # the second end runs meanwhile (it takes milliseconds)
        return value

    started_in = contextvars.copy_context()  # this test's own context stays as it was
    outer = started_in.run(agentops.start_session, "outer")
    started_in.run(agentops.start_session, "inner")
    agentops.init(redact=hook, instrument_llm_calls=False)
    try:
        first = threading.Thread(target=outer.end, args=("Success",))
        first.start()
        assert second_may_end.wait(5)
        second = threading.Thread(target=lambda: (outer.end("Fail", "ended elsewhere"), seen.append(outer.end_state),
                                                  second_done.set()))
        second.start()
        first.join(5)
        second.join(5)
    finally:
        _redact.set_hook(None)
    roots = [s for s in span_exporter.get_finished_spans() if s.name == "invoke_agent outer"]
    assert len(roots) == 1
    assert (roots[0].attributes or {})[semconv.SESSION_END_STATE] == outer.end_state == "Success"
    assert seen == ["Success"]  # the second caller found it ended on return
