"""Assertions on a session whose spans at hand are not all of its steps never pass as if they were.

Two ways a live session's view is partial: past its span cap (``AGENTOPS_OTEL_MAX_SESSION_SPANS``) its
oldest spans are no longer held, and a step it started (a task, a thread) may still be running, or
only start, after it ended. The session's counters stay complete; the held spans do not.

A session read back from a trace is partial when spans were lost on the way: its root missing, fewer
steps than the root counted, a trace the backend cut, values that could not be read.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import config
from agentops_otel._otlp_json import OTLPJsonFileExporter
from agentops_otel.read import read_otlp_file
from agentops_otel.reassemble import reassemble
from agentops_otel.testing import (
    AgentAssertionError,
    assert_called_before,
    assert_called_in_order,
    assert_cost_below,
    assert_error_in_step,
    assert_llm_calls_at_most,
    assert_no_errors,
    assert_tokens_below,
    assert_tool_called,
    assert_tool_not_called,
)
from agentops_otel.timeline import Timeline


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


@pytest.fixture
def running_delete() -> Iterator[agentops.Session]:
    """A live session whose agent handed a tool to a SessionExecutor: the tool is still running."""
    release = threading.Event()
    started = threading.Event()

    @agentops.tool
    def delete_account(customer_id: str) -> None:
        started.set()
        release.wait(5)
        raise PermissionError("deleted the wrong account")

    with ThreadPoolExecutor(1) as pool, agentops.session("agent") as s:
        poll(1)
        future = agentops.SessionExecutor(pool).submit(delete_account, "C-42")
        assert started.wait(5)
        try:
            yield s
        finally:
            release.set()
            with pytest.raises(PermissionError):
                future.result(5)


def test_tool_not_called_refuses_while_a_step_of_the_live_session_runs(running_delete: agentops.Session) -> None:
    """A tool that has started and not finished is not 'never called'."""
    with pytest.raises(AgentAssertionError, match=r"still running.*delete_account"):
        assert_tool_not_called(running_delete, "delete_account")
    with pytest.raises(AgentAssertionError, match=r"still running.*delete_account"):
        assert_tool_called(running_delete, "delete_account", times=0)


def test_no_errors_refuses_while_a_step_of_the_live_session_runs(running_delete: agentops.Session) -> None:
    """A step still running may yet fail: a live session cannot vouch that none did."""
    with pytest.raises(AgentAssertionError, match=r"still running.*delete_account"):
        assert_no_errors(running_delete)


def test_call_and_cost_bounds_refuse_while_a_step_of_the_live_session_runs(
        running_delete: agentops.Session) -> None:
    """Model calls a running step makes are not in the session's totals yet: the bounds do not read them as none."""
    with pytest.raises(AgentAssertionError, match=r"delete_account.*still running"):
        assert_llm_calls_at_most(running_delete, 5)
    with pytest.raises(AgentAssertionError, match=r"delete_account.*still running"):
        assert_cost_below(running_delete, 1.0)


def test_finished_steps_still_prove_a_call_while_others_run(running_delete: agentops.Session) -> None:
    """Finding the call among the finished steps proves it ran, whatever is still running."""
    assert_tool_called(running_delete, "poll")
    assert_tool_called(running_delete, "poll", with_args={"i": 1})


def test_the_step_making_the_assertion_does_not_block_it() -> None:
    """An assertion made inside a step of the session (an action checking its own session) is not
    refused because of the step it is made in."""

    @agentops.record_action("self_check")
    def self_check(s: agentops.Session) -> None:
        assert_tool_not_called(s, "delete_all_data")
        assert_no_errors(s)

    with agentops.session("agent") as s:
        poll(1)
        self_check(s)


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


# --- read back from a trace -------------------------------------------------------------------------

ReadBack = Callable[..., Timeline]


@pytest.fixture
def read_back(span_exporter: InMemorySpanExporter, tmp_path: Path) -> ReadBack:
    """Runs an agent (delete_all_data, boom raising, poll), and reads its session back from the trace
    file with the spans named in ``lose`` lost on the way (``"root"`` for the session's own span)."""
    with agentops.session("agent") as s:
        delete_all_data()
        with pytest.raises(RuntimeError):
            boom()
        poll(1)
    spans = list(span_exporter.get_finished_spans())

    def read(*lose: str, corrupt: str | None = None, copy_as: str | None = None) -> Timeline:
        def lost(span: ReadableSpan) -> bool:
            is_root = span.context is not None and f"{span.context.span_id:016x}" == s.span_id
            return ("root" in lose and is_root) or any(span.name == f"execute_tool {n}" for n in lose)

        path = tmp_path / "traces.jsonl"
        exporter = OTLPJsonFileExporter(path)
        exporter.export([sp for sp in spans if not lost(sp)])
        exporter.shutdown()
        if corrupt is not None:  # a value another writer got wrong: a number that is not one
            doc = json.loads(path.read_text())
            for sp in doc["resourceSpans"][0]["scopeSpans"][0]["spans"]:
                if sp["name"] == f"execute_tool {corrupt}":
                    sp["attributes"].append({"key": "vendor.retries", "value": {"intValue": "abc"}})
            path.write_text(json.dumps(doc) + "\n")
        if copy_as is not None:  # poll's span again, same ids, naming another tool: a copy that contradicts it
            doc = json.loads(path.read_text())
            written = doc["resourceSpans"][0]["scopeSpans"][0]["spans"]
            again = json.loads(json.dumps(next(sp for sp in written if sp["name"] == "execute_tool poll")))
            again["name"] = f"execute_tool {copy_as}"
            for attr in again["attributes"]:
                if attr["key"] == "gen_ai.tool.name":
                    attr["value"] = {"stringValue": copy_as}
            written.append(again)
            path.write_text(json.dumps(doc) + "\n")
        return reassemble(read_otlp_file(path)).timeline_for(s.id)

    return read


def test_read_back_tool_not_called_refuses_when_a_tool_span_was_lost(read_back: ReadBack) -> None:
    """A tool whose span never reached the backend is not reported as never called."""
    timeline = read_back("delete_all_data")
    with pytest.raises(AgentAssertionError, match=r"root reports 3 tool calls, 2 found"):
        assert_tool_not_called(timeline, "delete_all_data")


def test_read_back_exact_times_refuses_when_a_tool_span_was_lost(read_back: ReadBack) -> None:
    """times= cannot be checked on part of the trace: the lost call may be one more."""
    timeline = read_back("poll")
    with pytest.raises(AgentAssertionError, match="Only part of the session can be checked"):
        assert_tool_called(timeline, "poll", times=0)


def test_read_back_no_errors_refuses_when_the_failed_step_was_lost(read_back: ReadBack) -> None:
    """The root counted a failed step that is not in the trace: no_errors cannot pass."""
    timeline = read_back("boom")
    with pytest.raises(AgentAssertionError, match=r"root reports 1 errors, 0 found"):
        assert_no_errors(timeline)


def test_read_back_without_its_root_refuses_verdicts_on_absence_and_bounds(read_back: ReadBack) -> None:
    """Without the root nothing says how many steps there were: absence, call and token bounds refuse."""
    timeline = read_back("root")
    with pytest.raises(AgentAssertionError, match="root span missing"):
        assert_tool_not_called(timeline, "refund")
    with pytest.raises(AgentAssertionError, match="root span missing"):
        assert_llm_calls_at_most(timeline, 5)
    with pytest.raises(AgentAssertionError, match="root span missing"):
        assert_tokens_below(timeline, 10**6)


def test_read_back_positive_evidence_in_the_trace_still_passes(read_back: ReadBack) -> None:
    """Calls and failures found in the trace prove they happened, whatever else was lost."""
    timeline = read_back("delete_all_data")
    assert_tool_called(timeline, "poll")
    assert_called_in_order(timeline, ["boom", "poll"])
    assert_error_in_step(timeline, "boom", RuntimeError)


def test_read_back_unreadable_values_refuse_verdicts_on_names_not_on_errors(read_back: ReadBack) -> None:
    """A span whose attributes could not be read may be any tool; its status still reads, so errors do."""
    timeline = read_back(corrupt="poll")
    with pytest.raises(AgentAssertionError, match="could not be read"):
        assert_tool_not_called(timeline, "refund")
    with pytest.raises(AgentAssertionError, match="1 step"):
        assert_no_errors(timeline)


def test_read_back_copies_of_a_span_that_differ_refuse_verdicts_on_absence(read_back: ReadBack) -> None:
    """One span in two copies naming different tools: the tool not called may be the other copy's."""
    timeline = read_back(copy_as="refund")
    with pytest.raises(AgentAssertionError, match="copies of one span that differ"):
        assert_tool_not_called(timeline, "refund")


def test_read_back_of_a_whole_trace_passes_as_before(read_back: ReadBack) -> None:
    """Nothing lost, nothing refused."""
    timeline = read_back()
    assert timeline.summary.complete
    assert_tool_not_called(timeline, "refund")
    assert_tool_called(timeline, "poll", times=1)
    assert_llm_calls_at_most(timeline, 0)
    assert_called_before(timeline, "delete_all_data", "poll")
