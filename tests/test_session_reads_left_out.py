"""A test's own read of a session's counts and event lists fails where they leave steps out, rather than pass a
check on the steps the session did see: steps that ran outside any session while it ran (a pool worker its context
did not reach).

``assert s.tool_calls == 0 and not s.tool_events`` or ``assert not s.errors`` in a test would pass while the agent's
own tool ran (or failed) next door. The assertions of ``agentops_otel.testing`` refuse these already.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import agentops_otel as agentops
from agentops_otel.testing import NotJudgeable

COUNTS = ("llm_calls", "tool_calls", "actions", "error_count", "input_tokens", "output_tokens", "cache_read_tokens",
          "cache_write_tokens", "reasoning_tokens")
EVENT_LISTS = ("errors", "tool_events", "llm_events", "action_events", "events")


@agentops.tool
def refund_tool(order: int) -> str:
    return f"refunded {order}"


@agentops.tool
def charge_card(order: int) -> str:
    raise RuntimeError("card declined")


def test_a_tool_in_a_pool_worker_fails_the_tests_check_that_none_ran() -> None:
    """A tool run in a ThreadPoolExecutor worker during the session fails ``assert s.tool_calls == 0``, naming it
    and SessionExecutor."""
    with agentops.session("a") as s, ThreadPoolExecutor(1) as pool:
        pool.submit(refund_tool, 1).result()
    with pytest.raises(NotJudgeable, match=r"^session\.tool_calls cannot be judged: .*outside any session"
                                           r".*SessionExecutor.*execute_tool refund_tool"):
        assert s.tool_calls == 0
    with pytest.raises(NotJudgeable, match=r"^session\.tool_events cannot be judged: .*refund_tool"):
        assert not s.tool_events


def test_a_tool_failing_in_a_thread_fails_the_tests_check_of_no_errors() -> None:
    """A @tool that raised in a threading.Thread during the session fails ``assert not s.errors``, naming it."""

    def run() -> None:
        try:
            charge_card(7)
        except RuntimeError:
            pass

    with agentops.session("a") as s:
        worker = threading.Thread(target=run)
        worker.start()
        worker.join()
    with pytest.raises(NotJudgeable, match=r"^session\.errors cannot be judged: .*charge_card"):
        assert not s.errors
    with pytest.raises(NotJudgeable, match="charge_card"):
        assert s.error_count == 0


@pytest.mark.parametrize("name", COUNTS + EVENT_LISTS)
def test_each_count_and_event_list_refuses_after_a_step_outside_any_session(name: str) -> None:
    """Every count and event list, read by the test, fails the same way."""
    with agentops.session("a") as s, ThreadPoolExecutor(1) as pool:
        pool.submit(refund_tool, 1).result()
    with pytest.raises(NotJudgeable, match=rf"^session\.{name} cannot be judged: .*refund_tool"):
        getattr(s, name)


def test_a_pool_that_carries_the_session_reads_as_usual() -> None:
    """Submitted through SessionExecutor, the worker's tool is the session's: its counts and events read."""
    with agentops.session("a") as s, agentops.SessionExecutor(ThreadPoolExecutor(1)) as pool:
        pool.submit(refund_tool, 1).result()
    assert s.tool_calls == 1 and [e.name for e in s.tool_events] == ["refund_tool"] and not s.errors


def test_outside_a_running_test_the_reads_after_a_step_outside_any_session_are_plain(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With no pytest test running, the counts and event lists are plain values."""
    with agentops.session("a") as s, ThreadPoolExecutor(1) as pool:
        pool.submit(refund_tool, 1).result()
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    assert (s.tool_calls, s.tool_events, s.errors) == (0, [], [])
