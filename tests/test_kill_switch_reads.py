"""Under the kill switch a test's own checks on the session object fail rather than pass on nothing recorded.

``sessions_in`` refuses as ``timeline()`` does, and the AgentOps-style fields (``errors``, ``tool_events``,
``llm_events``, ``action_events``, ``events``; comparing ``cost``) and the counts (``llm_calls``, ``tool_calls``,
``actions``, ``error_count``, the token totals) refuse where a test's own code reads them. The agent under test,
and any program outside a test, reads them as before: instrumentation never raises into the user's program.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

import agentops_otel as agentops
from agentops_otel import pytest_plugin, semconv
from agentops_otel.testing import NotJudgeable, run_variations, sessions_in

pytest_plugins = ["pytester"]

QUIET = ("-p", "no:hypothesispytest", "-p", "no:cacheprovider")


@agentops.tool
def delete_account(i: int) -> str:
    return "deleted"


def _agent() -> None:
    with agentops.session("agent"):
        delete_account(1)


def _run_under_the_switch(monkeypatch: pytest.MonkeyPatch) -> agentops.Session:
    monkeypatch.setenv(semconv.ENV_DISABLED, "true")
    with agentops.session("test") as outer:
        _agent()
    return outer


def test_sessions_in_refuses_a_session_recorded_under_the_kill_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    """``sessions_in`` of an unrecorded session raises, naming the switch, instead of listing nothing."""
    outer = _run_under_the_switch(monkeypatch)
    with pytest.raises(LookupError, match=r"agentops_otel is disabled \(AGENTOPS_OTEL_DISABLED\)"):
        sessions_in(outer, name="agent")


def test_sessions_in_refuses_a_session_the_switch_went_on_in(monkeypatch: pytest.MonkeyPatch) -> None:
    """A session the switch went on in missed the sessions started meanwhile: ``sessions_in`` raises too."""
    with agentops.session("test") as outer:
        monkeypatch.setenv(semconv.ENV_DISABLED, "true")
        _agent()
        monkeypatch.delenv(semconv.ENV_DISABLED)
    with pytest.raises(LookupError, match=r"was disabled \(AGENTOPS_OTEL_DISABLED\) while this session ran"):
        sessions_in(outer)


def test_sessions_in_of_a_recorded_session_lists_the_agents() -> None:
    """With the switch off, ``sessions_in`` lists the agent's session as before."""
    with agentops.session("test") as outer:
        _agent()
    assert [t.summary.name for t in sessions_in(outer, name="agent")] == ["agent"]


def test_a_variation_run_without_a_check_fails_under_the_kill_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no check a run is judged on the agent's sessions; none recorded, it fails saying so."""
    monkeypatch.setenv(semconv.ENV_DISABLED, "true")
    (result,) = run_variations(lambda _: _agent(), ["refund"]).results
    assert not result.passed
    assert "agentops_otel is disabled (AGENTOPS_OTEL_DISABLED)" in (result.reason or "")


FIELDS: dict[str, Callable[[agentops.Session], Any]] = {
    "errors": lambda s: s.errors,
    "tool_events": lambda s: s.tool_events,
    "llm_events": lambda s: s.llm_events,
    "action_events": lambda s: s.action_events,
    "events": lambda s: s.events,
    "cost": lambda s: s.cost < 0.01,
}


@pytest.mark.parametrize("field", list(FIELDS))
def test_a_tests_read_of_an_unrecorded_sessions_field_fails_naming_the_switch(
        monkeypatch: pytest.MonkeyPatch, field: str) -> None:
    """Read by a test, each AgentOps-style field of an unrecorded session fails (an AssertionError) saying why."""
    outer = _run_under_the_switch(monkeypatch)
    with pytest.raises(NotJudgeable, match=rf"session\.{field} .*agentops_otel is disabled") as info:
        FIELDS[field](outer)
    assert isinstance(info.value, AssertionError)


COUNTS = ("llm_calls", "tool_calls", "actions", "error_count", "input_tokens", "output_tokens", "cache_read_tokens",
          "cache_write_tokens", "reasoning_tokens")


@pytest.mark.parametrize("count", COUNTS)
def test_a_tests_read_of_an_unrecorded_sessions_count_fails_naming_the_switch(
        monkeypatch: pytest.MonkeyPatch, count: str) -> None:
    """Read by a test, each count of an unrecorded session fails (an AssertionError) saying why, not 0."""
    outer = _run_under_the_switch(monkeypatch)
    with pytest.raises(NotJudgeable, match=rf"session\.{count} .*agentops_otel is disabled"):
        getattr(outer, count)


def test_a_recorded_sessions_counts_read_as_before() -> None:
    """With the switch off, the counts read as plain numbers."""
    with agentops.session("test") as outer:
        _agent()
    assert (outer.tool_calls, outer.llm_calls, outer.error_count) == (1, 0, 0)
    assert type(outer.tool_calls) is int


def test_cost_of_an_unrecorded_session_still_formats_and_converts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Printing or converting the cost of an unrecorded session works; only comparing it fails."""
    outer = _run_under_the_switch(monkeypatch)
    assert f"{outer.cost:.2f}" == "0.00" and float(outer.cost) + 1 == 1.0


def test_a_recorded_sessions_fields_read_as_before() -> None:
    """With the switch off, the fields and the cost read and compare as always."""
    with agentops.session("test") as outer:
        _agent()
    assert [e.name for e in outer.tool_events] == ["delete_account"]
    assert not outer.errors and outer.cost < 0.01 and outer.cost == 0.0


TESTS = '''
import agentops_otel as agentops
from agentops_otel.testing import sessions_in, assert_no_errors, assert_tool_not_called
from agent import agent, agent_reads

def test_loop_over_sessions_in(agent_session):
    agent()
    for s in sessions_in(agent_session, name="agent"):
        assert_tool_not_called(s, "delete_account")

def test_agentops_style(agent_session):
    agent()
    s = agentops.get_session()
    assert not s.errors and s.cost < 0.01 and not s.tool_events

def test_the_agent_reads_its_session_as_in_production(agent_session):
    assert agent_reads() == ([], [], [], 0.0, False)
'''

AGENT = '''
import agentops_otel as agentops

@agentops.tool
def delete_account(i):
    return "deleted"

def agent():
    with agentops.session("agent"):
        delete_account(1)

def agent_reads():
    with agentops.session("agent") as s:
        delete_account(1)
        over_budget = s.cost > 1.0  # the agent's own budget check: never refused
    return s.errors, s.tool_events, s.llm_events, s.cost, over_budget
'''


def test_a_test_suite_under_the_kill_switch_fails_its_own_checks_not_the_agents(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under the switch a loop over ``sessions_in`` and a bare ``assert`` on the fields fail the test,
    while the agent under test reads its session (and compares its cost) as in production."""
    for var in [v for v in os.environ if v.startswith(("OTEL_", "AGENTOPS_"))]:
        monkeypatch.delenv(var)
    monkeypatch.setattr(pytest_plugin, "_initialised", True)
    monkeypatch.setenv(semconv.ENV_DISABLED, "true")
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(agent=AGENT, test_agent=TESTS)
    result = pytester.runpytest_inprocess(*QUIET)
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines([
        "*_ test_loop_over_sessions_in _*", "E * session * agentops_otel is disabled (AGENTOPS_OTEL_DISABLED)*",
        "*_ test_agentops_style _*", "E *NotJudgeable: session.errors *agentops_otel is disabled*",
    ])


COUNT_TESTS = '''
import agentops_otel as agentops
from agent import agent

def test_ported_call_bound():
    s = agent()
    assert s.llm_calls <= 3

def test_the_agent_reads_its_counts_as_in_production():
    assert agent().seen == (0, 0, 0)
'''

COUNT_AGENT = '''
import agentops_otel as agentops

@agentops.tool
def delete_account(i):
    return "deleted"

def agent():
    with agentops.session("agent") as s:
        delete_account(1)
        s.seen = (s.llm_calls, s.tool_calls, s.input_tokens + s.output_tokens)  # the agent's own reads
    return s
'''


@pytest.mark.slow
def test_a_ported_count_check_fails_under_the_kill_switch_while_the_agent_reads_numbers(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a pytest run with AGENTOPS_OTEL_DISABLED=1, ``assert s.llm_calls <= 3`` fails naming the switch,
    while the agent module reading the same counts gets numbers."""
    for var in [v for v in os.environ if v.startswith(("OTEL_", "AGENTOPS_"))]:
        monkeypatch.delenv(var)
    monkeypatch.setenv(semconv.ENV_DISABLED, "1")
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(agent=COUNT_AGENT, test_agent=COUNT_TESTS)
    result = pytester.runpytest_subprocess(*QUIET)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*_ test_ported_call_bound _*",
        "E *NotJudgeable: session.llm_calls cannot be judged: agentops_otel is disabled (AGENTOPS_OTEL_DISABLED)*",
    ])
