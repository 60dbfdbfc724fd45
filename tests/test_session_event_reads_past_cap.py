"""A test's own read of a session's event lists fails once the session dropped spans past its cap
(``AGENTOPS_OTEL_MAX_SESSION_SPANS``): the lists are built from the spans it still holds, so ``len(s.tool_events)``
would be the cap, not the calls. Its counts count every step, and read as they are.
"""

from __future__ import annotations

import pytest

import agentops_otel as agentops
from agentops_otel import semconv
from agentops_otel.testing import NotJudgeable

EVENT_LISTS = ("errors", "tool_events", "llm_events", "action_events", "events")


@agentops.tool
def refund_tool(order: int) -> str:
    return f"refunded {order}"


@agentops.tool
def charge_card(order: int) -> str:
    raise RuntimeError("card declined")


@pytest.fixture
def capped(monkeypatch: pytest.MonkeyPatch) -> agentops.Session:
    """A session of five tool calls (the first one fails) that holds two spans."""
    monkeypatch.setenv(semconv.ENV_MAX_SESSION_SPANS, "2")
    with agentops.session("a") as s:
        with pytest.raises(RuntimeError):
            charge_card(0)
        for i in range(4):
            refund_tool(i)
    return s


def test_the_tool_events_past_the_cap_fail_the_tests_count_of_them(capped: agentops.Session) -> None:
    """``len(s.tool_events) == 2`` of five calls fails naming the cap, as does ``not s.errors`` (its error dropped)."""
    cap = semconv.ENV_MAX_SESSION_SPANS
    with pytest.raises(NotJudgeable, match=r"^session\.tool_events cannot be judged: 3 steps of this session were "
                                           rf"not kept: it holds only its last 2 spans.*{cap}"):
        assert len(capped.tool_events) == 5
    with pytest.raises(NotJudgeable, match=r"^session\.errors cannot be judged: .*not kept"):
        assert not capped.errors


@pytest.mark.parametrize("name", EVENT_LISTS)
def test_each_event_list_refuses_past_the_cap(capped: agentops.Session, name: str) -> None:
    """Each event list, read by the test, fails the same way."""
    with pytest.raises(NotJudgeable, match=rf"^session\.{name} cannot be judged: .*not kept"):
        getattr(capped, name)


def test_the_counts_past_the_cap_still_read(capped: agentops.Session) -> None:
    """The counters count every step whatever the cap: they read as they are."""
    assert (capped.tool_calls, capped.error_count, capped.llm_calls, capped.spans_dropped) == (5, 1, 0, 3)


def test_event_lists_within_the_cap_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """A session that holds every span reads its event lists as usual."""
    monkeypatch.setenv(semconv.ENV_MAX_SESSION_SPANS, "5")
    with agentops.session("a") as s:
        for i in range(5):
            refund_tool(i)
    assert len(s.tool_events) == 5 and not s.errors and s.spans_dropped == 0


def test_outside_a_running_test_the_event_lists_past_the_cap_are_plain(
        capped: agentops.Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no pytest test running, the event lists hold the kept spans, as before."""
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    assert len(capped.tool_events) == 2 and capped.errors == []
