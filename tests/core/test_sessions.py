"""Sessions as root spans: lifecycle, end states, nesting, context propagation."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import warnings
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

import agentops_otel as agentops
from agentops_otel import semconv
from agentops_otel.testing import replay_text


def _by_name(exporter: InMemorySpanExporter) -> dict[str, object]:
    return {s.name: s for s in exporter.get_finished_spans()}


def test_context_manager_makes_one_root_span_with_children(span_exporter: InMemorySpanExporter) -> None:
    """A session is one trace: root `invoke_agent {name}` and its tool spans as children."""

    @agentops.tool
    def lookup(x: int) -> int:
        return x + 1

    with agentops.session("support", tags=["a", "b"]) as s:
        lookup(1)
        lookup(2)
    spans = span_exporter.get_finished_spans()
    root = next(sp for sp in spans if sp.name == "invoke_agent support")
    children = [sp for sp in spans if sp.name == "execute_tool lookup"]
    assert len(children) == 2
    assert root.parent is None
    assert all(c.parent is not None and c.parent.span_id == root.context.span_id for c in children)
    assert {c.context.trace_id for c in spans} == {root.context.trace_id}
    assert root.attributes[semconv.SESSION_END_STATE] == "Success"
    assert root.status.status_code is StatusCode.OK
    assert tuple(root.attributes[semconv.TAGS]) == ("a", "b")
    assert root.attributes[semconv.SESSION_TOOL_CALLS] == 2
    assert s.end_state == "Success"
    assert [c.attributes[semconv.SEQ] for c in children] == [2, 3]
    assert all(sp.attributes[semconv.SESSION_ID] == s.id for sp in spans)


def test_exception_escaping_session_ends_it_fail(span_exporter: InMemorySpanExporter) -> None:
    """An exception leaving the block ends the session Fail, records it, and propagates unchanged."""
    err = KeyError("nope")
    with pytest.raises(KeyError) as caught, agentops.session("x"):
        raise err
    assert caught.value is err
    root = span_exporter.get_finished_spans()[-1]
    assert root.attributes[semconv.SESSION_END_STATE] == "Fail"
    assert root.attributes[semconv.ERROR_TYPE] == "KeyError"
    assert root.status.status_code is StatusCode.ERROR
    assert any(e.name == "exception" for e in root.events)


@pytest.mark.parametrize(("exit_with", "state"), [
    (SystemExit(0), "Success"), (SystemExit(None), "Success"), (SystemExit(2), "Fail"),
    (SystemExit("usage: agent ID"), "Fail"), (KeyboardInterrupt(), "Indeterminate"),
])
def test_leaving_a_session_by_exiting_ends_it_as_the_exit_says(span_exporter: InMemorySpanExporter,
                                                                exit_with: BaseException, state: str) -> None:
    """sys.exit(0) inside a session is the program finishing well, not a failure; Ctrl-C is an interruption,
    neither success nor failure; either way the exception propagates unchanged."""
    with pytest.raises(type(exit_with)) as caught, agentops.session("cli"):
        raise exit_with
    assert caught.value is exit_with
    root = span_exporter.get_finished_spans()[-1]
    assert root.attributes[semconv.SESSION_END_STATE] == state


def test_an_exit_status_that_cannot_be_compared_still_leaves_the_session_unchanged(
        span_exporter: InMemorySpanExporter) -> None:
    """sys.exit(status) whose status raises on ==: the program's SystemExit reaches it, the session ends Fail."""
    class Status:
        def __eq__(self, other: object) -> bool:
            raise TypeError("no comparisons")

        __hash__ = object.__hash__

    exit_with = SystemExit(Status())
    with pytest.raises(SystemExit) as caught, agentops.session("cli"):
        raise exit_with
    assert caught.value is exit_with
    assert span_exporter.get_finished_spans()[-1].attributes[semconv.SESSION_END_STATE] == "Fail"


def test_end_states_map_to_span_status(span_exporter: InMemorySpanExporter) -> None:
    """Success → OK, Fail → ERROR with reason, Indeterminate → UNSET; case-insensitive names accepted."""
    for state, status in (("success", StatusCode.OK), ("FAIL", StatusCode.ERROR),
                          ("Indeterminate", StatusCode.UNSET)):
        s = agentops.start_session("states")
        agentops.end_session(state, end_state_reason="why")
        root = span_exporter.get_finished_spans()[-1]
        assert root.status.status_code is status
        assert root.attributes[semconv.SESSION_END_REASON] == "why"
        assert s.end_state == state.capitalize()


_ENDERS = {
    "end_session": lambda s, reason: agentops.end_session("Fail", end_state_reason=reason),
    "end_all_sessions": lambda s, reason: agentops.end_all_sessions("Fail", end_state_reason=reason),
    "Session.end": lambda s, reason: s.end("Fail", reason),
}


@pytest.mark.parametrize("ender", list(_ENDERS))
@pytest.mark.parametrize(("reason", "text"), [
    (ValueError("card declined"), "ValueError: card declined"),
    (402, "402"),
    (PermissionError("rejected key sk-proj-Abcdefghijklmnop0123456789XYZ"), "PermissionError: rejected key [REDACTED]"),
])
def test_a_reason_that_is_not_a_string_is_recorded_as_text_beside_the_whole_summary(
        span_exporter: InMemorySpanExporter, caplog: pytest.LogCaptureFixture,
        ender: str, reason: object, text: str) -> None:
    """end_session("Fail", end_state_reason=exc or 402) records the reason as text and keeps cost and counts."""

    @agentops.tool
    def charge_card() -> None:
        raise ValueError("card declined")

    s = agentops.start_session("checkout")
    agentops.record(agentops.LLMEvent(model="gpt-4o", prompt_tokens=10, completion_tokens=5, cost=0.5))
    with pytest.raises(ValueError):
        charge_card()
    _ENDERS[ender](s, reason)
    root = next(sp for sp in span_exporter.get_finished_spans() if sp.name == "invoke_agent checkout")
    assert s.end_state == "Fail" and s.end_state_reason == text
    assert root.attributes is not None and root.attributes[semconv.SESSION_END_REASON] == text
    assert (root.attributes[semconv.SESSION_COST_USD], root.attributes[semconv.SESSION_COST_COMPLETE],
            root.attributes[semconv.SESSION_TOOL_CALLS]) == (0.5, True, 1)
    assert root.status.description == text
    assert "internal error" not in caplog.text


def test_bad_end_state_ends_session_and_raises_clearly(span_exporter: InMemorySpanExporter) -> None:
    """A typo in the end state still ends (and exports) the session, then raises a clear ValueError."""
    s = agentops.start_session("typo")
    with pytest.raises(ValueError, match="end state must be one of Success, Fail, Indeterminate"):
        agentops.end_session("Sucess")
    assert s.end_state == "Indeterminate"
    assert "invalid end state" in (s.end_state_reason or "")
    assert span_exporter.get_finished_spans()[-1].name == "invoke_agent typo"


def test_end_is_idempotent(span_exporter: InMemorySpanExporter) -> None:
    """Ending twice exports one root span and keeps the first end state."""
    s = agentops.start_session("twice")
    s.end("Fail", "first")
    s.end("Success")
    assert s.end_state == "Fail"
    assert [sp.name for sp in span_exporter.get_finished_spans()] == ["invoke_agent twice"]


def test_nested_session_is_child_span_and_rolls_up(span_exporter: InMemorySpanExporter) -> None:
    """A session inside another is a child span; the outer counts the inner's steps."""

    @agentops.tool
    def t() -> None:
        return None

    with agentops.session("outer") as outer:
        t()
        with agentops.session("inner") as inner:
            t()
            t()
        assert agentops.get_session() is outer
    spans = _by_name(span_exporter)
    outer_root, inner_root = spans["invoke_agent outer"], spans["invoke_agent inner"]
    assert inner_root.parent.span_id == outer_root.context.span_id  # type: ignore[attr-defined]
    assert inner_root.attributes[semconv.SESSION_PARENT_ID] == outer.id  # type: ignore[attr-defined]
    assert inner.tool_calls == 2 and outer.tool_calls == 3
    assert outer_root.attributes[semconv.SESSION_TOOL_CALLS] == 3  # type: ignore[attr-defined]
    assert len(outer.tool_events) == 3 and len(inner.tool_events) == 2
    assert inner.url != outer.url and inner.span_id in inner.url


def test_new_trace_forces_separate_root(span_exporter: InMemorySpanExporter) -> None:
    """new_trace=True starts a new trace, linked to the outer session's span."""
    with agentops.session("outer") as outer, agentops.session("detached", new_trace=True) as inner:
        pass
    assert inner.trace_id != outer.trace_id
    detached = _by_name(span_exporter)["invoke_agent detached"]
    assert detached.parent is None  # type: ignore[attr-defined]
    assert detached.links[0].context.span_id == int(outer.span_id or "0", 16)  # type: ignore[attr-defined]


def test_foreign_spans_get_session_id_and_seq(span_exporter: InMemorySpanExporter) -> None:
    """Spans from any other instrumentation inside a session are stamped with session.id and seq."""
    other = trace.get_tracer("someone.else")
    with agentops.session("s") as s, other.start_as_current_span("db.query"):
        pass
    foreign = _by_name(span_exporter)["db.query"]
    assert foreign.attributes[semconv.SESSION_ID] == s.id  # type: ignore[attr-defined]
    assert foreign.attributes[semconv.SEQ] == 2  # type: ignore[attr-defined]


def test_context_follows_threads_tasks_and_executors(span_exporter: InMemorySpanExporter) -> None:
    """copy_context threads, asyncio tasks and work through SessionExecutor land in the session."""

    @agentops.tool
    def work(tag: str) -> str:
        return tag

    async def in_task() -> None:
        await asyncio.gather(asyncio.to_thread(work, "to_thread"), asyncio.create_task(awork()))

    @agentops.tool
    async def awork() -> str:
        return "task"

    with agentops.session("fanout") as s:
        ctx = contextvars.copy_context()
        t = threading.Thread(target=ctx.run, args=(work, "thread"))
        t.start()
        t.join()
        with agentops.SessionExecutor(ThreadPoolExecutor(2)) as pool:
            list(pool.map(work, ["pool1", "pool2"]))
            pool.submit(work, "submit").result()
        asyncio.run(in_task())
    tools = [sp for sp in span_exporter.get_finished_spans() if sp.name.startswith("execute_tool")]
    assert len(tools) == 6
    assert all(sp.attributes[semconv.SESSION_ID] == s.id for sp in tools)
    assert all(sp.parent.span_id == int(s.span_id or "0", 16) for sp in tools)  # type: ignore[union-attr]


def test_get_session_returns_innermost_then_last_ended() -> None:
    """get_session(): the innermost live session, and after it ended, that same session."""
    assert agentops.current_session() is None
    outer = agentops.start_session("o")
    inner = agentops.start_session("i")
    assert agentops.get_session() is inner
    agentops.end_session("Success")
    assert agentops.get_session() is outer
    agentops.end_session("Success")
    assert agentops.get_session() is outer
    assert agentops.current_session() is None


def test_ending_outer_first_ends_open_inner_indeterminate(span_exporter: InMemorySpanExporter) -> None:
    """Ending a session with a nested one still open ends the inner first, Indeterminate."""
    outer = agentops.start_session("o")
    inner = agentops.start_session("i")
    outer.end("Success")
    assert inner.end_state == "Indeterminate"
    assert [sp.name for sp in span_exporter.get_finished_spans()] == ["invoke_agent i", "invoke_agent o"]
    assert agentops.current_session() is None


def test_a_with_session_in_a_generator_its_consumer_stops_early_is_no_failure() -> None:
    """``with session()`` around a ``yield`` in the program's generator, closed early by its consumer (``close()``,
    ``break``): the session ends Indeterminate, stopped early (it neither failed nor finished), not Fail."""

    def answers() -> Iterator[agentops.Session]:
        with agentops.session("stream") as s:
            yield s
            yield s

    it = answers()
    s = next(it)
    it.close()
    assert (s.end_state, s.end_state_reason) == (
        semconv.END_INDETERMINATE, "stopped early: closed before it finished (GeneratorExit)")


def test_an_async_with_session_in_an_async_generator_its_consumer_stops_early_is_no_failure() -> None:
    """The same for ``async with session()`` in an async generator closed by ``aclose()``."""

    async def answers() -> AsyncIterator[agentops.Session]:
        async with agentops.session("stream") as s:
            yield s
            yield s

    async def consume() -> agentops.Session:
        it = answers()
        s = await it.__anext__()
        await it.aclose()
        return s

    assert asyncio.run(consume()).end_state == semconv.END_INDETERMINATE


def test_session_decorator_sync_and_async(span_exporter: InMemorySpanExporter) -> None:
    """@session wraps sync and async functions in a session named after them."""

    @agentops.session()
    def handle() -> str:
        return agentops.get_session().name  # type: ignore[union-attr]

    @agentops.session("named", tags=["x"])
    async def ahandle() -> str:
        return agentops.get_session().name  # type: ignore[union-attr]

    assert handle() == "handle"
    assert asyncio.run(ahandle()) == "named"
    assert [sp.name for sp in span_exporter.get_finished_spans()] == ["invoke_agent handle",
                                                                      "invoke_agent named"]


def test_session_memory_is_bounded(span_exporter: InMemorySpanExporter) -> None:
    """A session keeps at most max_session_spans spans for get_session() but counts them all."""
    agentops.init(instrument_llm_calls=False)
    from agentops_otel import config

    config.state.max_session_spans = 5
    try:

        @agentops.tool
        def t() -> None:
            return None

        with agentops.session("big") as s:
            for _ in range(20):
                t()
        assert len(s.spans) == 5
        assert s.tool_calls == 20 and s.spans_dropped == 15
    finally:
        config.state.max_session_spans = None


def test_ended_sessions_are_not_retained() -> None:
    """Thousands of sessions leave nothing behind in the live registry."""
    import gc

    from agentops_otel import processor

    for _ in range(2000):
        with agentops.session("many"):
            pass
    gc.collect()
    assert len(processor._live) == 0


def test_session_started_inside_a_decorated_helper_stays_current(span_exporter: InMemorySpanExporter) -> None:
    """A session a @record_action helper starts is current once it returns, as without the decorator."""

    @agentops.record_action("begin")
    def begin_run() -> agentops.Session:
        return agentops.start_session("run")

    @agentops.tool
    def lookup() -> None:
        pass

    s = begin_run()
    assert agentops.get_session() is s
    lookup()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert agentops.end_session("Success") is s
    assert s.end_state == "Success" and len(s.tool_events) == 1
    assert agentops.current_session() is None
    lookup()  # after the session: not a child of the helper's ended span
    assert span_exporter.get_finished_spans()[-1].parent is None


def test_session_started_inside_an_async_tool_stays_current() -> None:
    """A session an async @tool starts is current in the awaiting task once the tool returns."""

    @agentops.tool
    async def begin_run() -> agentops.Session:
        return agentops.start_session("run")

    async def main() -> tuple[agentops.Session, agentops.Session | None]:
        s = await begin_run()
        return s, agentops.end_session()

    s, ended = asyncio.run(main())
    assert ended is s and s.end_state == "Success"


def test_session_over_staticmethod_works_through_an_instance() -> None:
    """@session stacked over @staticmethod calls like the undecorated method, in a session of its name."""

    class Agent:
        @agentops.session
        @staticmethod
        def run(task: str) -> str:
            return f"{agentops.get_session().name}: {task}"  # type: ignore[union-attr]

    assert Agent().run("x") == Agent.run("x") == "run: x"


def test_sys_exit_with_an_int_enum_zero_ends_the_session_success(span_exporter: InMemorySpanExporter) -> None:
    """sys.exit(pytest.ExitCode.OK) exits with status 0 like sys.exit(0): the session ends Success."""
    with pytest.raises(SystemExit), agentops.session("cli"):
        raise SystemExit(pytest.ExitCode.OK)
    assert span_exporter.get_finished_spans()[-1].attributes[semconv.SESSION_END_STATE] == "Success"


def test_a_running_sessions_timeline_says_running_without_issues(span_exporter: InMemorySpanExporter) -> None:
    """A session not yet ended has no end state to miss: its timeline says Running and lists no issue."""
    with agentops.session("support") as s:
        timeline = s.timeline()
    assert (timeline.summary.end_state, timeline.summary.issues, timeline.summary.issue_kinds) == (None, (), ())
    assert "Status: Running" in replay_text(timeline)
