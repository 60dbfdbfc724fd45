"""Assertions on a live session whose held spans are not all of its steps never pass as if they were.

Two ways a live session's view is partial: past its span cap (``AGENTOPS_OTEL_MAX_SESSION_SPANS``) its
oldest spans are no longer held, and a step it started (a task, a thread) may still be running, or
only start, after it ended. The session's counters stay complete; the held spans do not.
"""

from __future__ import annotations

import asyncio

import pytest

import agentops_otel as agentops
from agentops_otel import config
from agentops_otel.testing import (
    AgentAssertionError,
    assert_called_before,
    assert_called_in_order,
    assert_cost_below,
    assert_error_in_step,
    assert_llm_calls_at_most,
    assert_no_errors,
    assert_tool_called,
    assert_tool_not_called,
)


@agentops.tool
def delete_all_data() -> str:
    return "deleted"


@agentops.tool
def poll(i: int) -> int:
    return i


@agentops.tool
def boom() -> None:
    raise RuntimeError("disk full")


@agentops.tool
async def send_email(to: str) -> str:
    await asyncio.sleep(0.01)
    return "sent"


@pytest.fixture
def capped() -> agentops.Session:
    """A session of 12 tool calls (the first deletes everything, the second raises) that holds 5 spans."""
    config.state.max_session_spans = 5
    try:
        with agentops.session("agent") as s:
            delete_all_data()
            with pytest.raises(RuntimeError):
                boom()
            for i in range(10):
                poll(i)
    finally:
        config.state.max_session_spans = None
    assert s.spans_dropped > 0 and s.tool_calls == 12
    return s


def test_tool_not_called_refuses_when_early_steps_were_not_kept(capped: agentops.Session) -> None:
    """A tool that ran among the steps no longer held is not reported as never called."""
    with pytest.raises(AgentAssertionError, match=r"steps of this session were not kept.*"
                                                  r"AGENTOPS_OTEL_MAX_SESSION_SPANS"):
        assert_tool_not_called(capped, "delete_all_data")


def test_no_errors_reads_the_sessions_error_count_past_the_cap(capped: agentops.Session) -> None:
    """An error among the steps no longer held still fails assert_no_errors."""
    with pytest.raises(AgentAssertionError, match="1 step"):
        assert_no_errors(capped)


def test_exact_times_refuses_past_the_cap(capped: agentops.Session) -> None:
    """times= cannot be checked on part of the session: the message says so instead of a wrong count."""
    with pytest.raises(AgentAssertionError, match="not kept") as excinfo:
        assert_tool_called(capped, "poll", times=10)
    assert "AGENTOPS_OTEL_MAX_SESSION_SPANS" in str(excinfo.value)


def test_positive_evidence_in_the_kept_steps_still_passes(capped: agentops.Session) -> None:
    """A call found among the held steps proves it ran, whatever was not kept."""
    assert_tool_called(capped, "poll")
    assert_called_in_order(capped, ["poll", "poll"])
    assert_llm_calls_at_most(capped, 0)


def test_called_before_and_error_in_step_name_the_missing_steps(capped: agentops.Session) -> None:
    """Order and failures that may lie among the steps not kept fail naming the cap."""
    with pytest.raises(AgentAssertionError, match="not kept"):
        assert_called_before(capped, "delete_all_data", "poll")
    with pytest.raises(AgentAssertionError, match="not kept"):
        assert_error_in_step(capped, "boom", RuntimeError)


def _run_with_background_task() -> agentops.Session:
    async def main() -> agentops.Session:
        with agentops.session("agent") as s:
            bg = asyncio.create_task(send_email("bob@example.com"))  # outlives the session
        await bg
        return s

    return asyncio.run(main())


def test_tool_not_called_refuses_a_step_that_outlived_the_session() -> None:
    """A tool run by a task the session started, finishing after it ended, is not 'never called'."""
    s = _run_with_background_task()
    with pytest.raises(AgentAssertionError, match=r"send_email.*after the session ended"):
        assert_tool_not_called(s, "send_email")
    with pytest.raises(AgentAssertionError, match="after the session ended"):
        assert_no_errors(s)


def test_a_step_still_running_at_the_end_is_named() -> None:
    """A step started in the session and still running when it ends blocks verdicts on absence."""

    async def main() -> agentops.Session:
        with agentops.session("agent") as s:
            bg = asyncio.create_task(send_email("bob@example.com"))
            await asyncio.sleep(0)  # the tool has started
        await bg
        return s

    s = asyncio.run(main())
    with pytest.raises(AgentAssertionError, match=r"still running when the session ended"):
        assert_tool_not_called(s, "send_email")
    with pytest.raises(AgentAssertionError, match=r"still running when the session ended"):
        assert_tool_called(s, "send_email", times=0)


def test_call_and_cost_bounds_refuse_a_step_that_outlived_the_session() -> None:
    """Model calls a late step made are not in the session's totals: the bounds do not read them as none."""
    s = _run_with_background_task()
    with pytest.raises(AgentAssertionError, match="after the session ended"):
        assert_llm_calls_at_most(s, 5)
    with pytest.raises(AgentAssertionError, match="after the session ended"):
        assert_cost_below(s, 1.0)


def test_a_session_whose_steps_all_ended_passes_as_before() -> None:
    """Steps awaited inside the session leave nothing outside it: verdicts on absence still pass."""

    async def main() -> agentops.Session:
        with agentops.session("agent") as s:
            await send_email("bob@example.com")
        return s

    s = asyncio.run(main())
    assert_tool_not_called(s, "delete_all_data")
    assert_tool_called(s, "send_email", times=1)
    assert_no_errors(s)


def test_a_span_the_program_drops_unended_is_not_kept_alive_by_its_session() -> None:
    """The session notes what is still running by name only: a span dropped unended can still be freed."""
    import gc
    import weakref

    from agentops_otel import export

    with agentops.session("keeps-nothing-alive"):
        span = export.tracer().start_span("dropped")
        ref = weakref.ref(span)
        del span
        gc.collect()
        assert ref() is None
