"""AgentOps 0.3's session fields a ported suite reads: ``event_counts``, ``get_analytics()``, ``token_cost``,
``session_url``, ``is_running``, ``init_timestamp`` and ``end_timestamp``; the counts and cost in them refuse a
test's own read of a session that cannot back a verdict, as ``llm_calls`` and ``cost`` do."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import ActionEvent, LLMEvent, config, record_action, semconv
from agentops_otel.testing import NotJudgeable


@record_action("charge_card")
def charge_card(amount: int) -> None:
    raise ValueError("card declined")


@agentops.tool
def lookup(order: str) -> str:
    return "shipped"


def _agent() -> agentops.Session:
    """One of each step AgentOps 0.3 counted: a model call, a tool, two actions (one failing: an error)."""
    s = agentops.start_session()
    agentops.record(LLMEvent(model="my-model", prompt_tokens=10, completion_tokens=5, cost=0.0001234))
    lookup("42")
    agentops.record(ActionEvent(action_type="classify"))
    with pytest.raises(ValueError):
        charge_card(5)
    return s


def test_event_counts_count_each_kind_of_step_under_agentops_keys(span_exporter: InMemorySpanExporter) -> None:
    """session.event_counts is a dict keyed as AgentOps 0.3's: llms, tools, actions, errors, apis."""
    s = _agent()
    s.end_session("Success")
    assert s.event_counts == {"llms": 1, "tools": 1, "actions": 2, "errors": 1, "apis": 0}
    assert type(s.event_counts) is dict


def test_get_analytics_returns_agentops_keys_counts_as_numbers_duration_and_cost_as_text(
        span_exporter: InMemorySpanExporter) -> None:
    """get_analytics() has 0.3's keys: the counts as ints, Duration as "1h 2m 3.4s" text, Cost as text in USD."""
    s = _agent()
    s.end_session("Success")
    analytics = s.get_analytics()
    assert {k: analytics[k] for k in ("LLM calls", "Tool calls", "Actions", "Errors")} == {
        "LLM calls": 1, "Tool calls": 1, "Actions": 2, "Errors": 1}
    assert re.fullmatch(r"\d+\.\ds", analytics["Duration"])
    assert analytics["Cost"] == "0.000123"


def test_get_analytics_of_a_session_that_cost_nothing_says_cost_with_two_decimals(
        span_exporter: InMemorySpanExporter) -> None:
    """A cost of $0 reads "0.00", as 0.3 formatted it."""
    with agentops.session("s") as s:
        lookup("1")
    assert s.get_analytics()["Cost"] == "0.00"


def test_token_cost_is_the_sessions_cost_in_usd(span_exporter: InMemorySpanExporter) -> None:
    """session.token_cost is session.cost (a float in USD), what end_session() returned."""
    s = _agent()
    returned = s.end_session("Success")
    assert s.token_cost == s.cost == returned == pytest.approx(0.0001234)


def test_session_url_is_the_sessions_link(span_exporter: InMemorySpanExporter) -> None:
    """session.session_url is session.url, the link to the session in the trace UI."""
    with agentops.session("s") as s:
        assert s.session_url == s.url and s.trace_id in s.session_url


def test_is_running_is_true_until_the_session_ends(span_exporter: InMemorySpanExporter) -> None:
    """session.is_running is True while the session runs and False once it ended."""
    s = agentops.start_session()
    assert s.is_running is True
    agentops.end_session("Success", session=s)
    assert s.is_running is False


def test_timestamps_are_iso_8601_text_in_utc(span_exporter: InMemorySpanExporter) -> None:
    """init_timestamp is the start as ISO-8601 text in UTC; end_timestamp is None until the end, then the end."""
    s = agentops.start_session()
    assert s.end_timestamp is None
    s.end_session("Success")
    start, end = datetime.fromisoformat(s.init_timestamp), datetime.fromisoformat(str(s.end_timestamp))
    assert (start, end) == (s.start_time, s.end_time)
    assert s.init_timestamp.endswith("+00:00")


def _unrecorded(monkeypatch: pytest.MonkeyPatch) -> agentops.Session:
    monkeypatch.setenv(semconv.ENV_DISABLED, "true")
    with agentops.session("test") as s:
        lookup("1")
    return s


@pytest.mark.parametrize("key", ["llms", "tools", "actions", "errors", "apis"])
def test_a_tests_read_of_an_event_count_of_an_unrecorded_session_fails(
        monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    """Under the kill switch event_counts["errors"] == 0 fails naming the switch instead of passing on nothing."""
    s = _unrecorded(monkeypatch)
    with pytest.raises(NotJudgeable, match=rf"session\.event_counts\['{key}'\] cannot be judged: .*disabled"):
        assert s.event_counts[key] == 0


def test_comparing_the_event_counts_of_an_unrecorded_session_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole dict compared, or its values summed, fails too: every way to read a count reads one."""
    s = _unrecorded(monkeypatch)
    with pytest.raises(NotJudgeable):
        assert s.event_counts == {"llms": 0, "tools": 0, "actions": 0, "errors": 0, "apis": 0}
    with pytest.raises(NotJudgeable):
        assert sum(s.event_counts.values()) == 0
    assert "errors" in s.event_counts and len(s.event_counts) == 5


@pytest.mark.parametrize("key", ["LLM calls", "Tool calls", "Actions", "Errors", "Cost"])
def test_a_tests_read_of_an_analytics_count_or_cost_of_an_unrecorded_session_fails(
        monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    """Under the kill switch get_analytics()'s counts and cost fail naming the switch."""
    s = _unrecorded(monkeypatch)
    with pytest.raises(NotJudgeable, match="disabled"):
        s.get_analytics()[key]


def test_the_duration_of_an_unrecorded_session_still_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """The duration is the session's own clock, recorded or not: it reads."""
    s = _unrecorded(monkeypatch)
    assert s.get_analytics()["Duration"].endswith("s")


def test_comparing_the_token_cost_of_an_unrecorded_session_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """session.token_cost < 0.01 fails under the kill switch, as session.cost < 0.01 does."""
    s = _unrecorded(monkeypatch)
    with pytest.raises(NotJudgeable, match="disabled"):
        assert s.token_cost < 0.01


def test_without_a_watched_model_client_only_the_model_count_refuses(
        span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    """No init() and no client instrumented: event_counts["llms"] fails naming init(), ["tools"] reads."""
    monkeypatch.setattr(config.state, "init_called", False)
    monkeypatch.setattr(config.state, "instrumented", set())
    with agentops.session("s") as s:
        lookup("1")
    assert s.event_counts["tools"] == 1
    with pytest.raises(NotJudgeable, match=r"event_counts\['llms'\] cannot be judged: .*init\(\)"):
        assert s.event_counts["llms"] == 0
    with pytest.raises(NotJudgeable, match=r"init\(\)"):
        assert s.get_analytics()["LLM calls"] == 0


def test_outside_a_running_test_an_unrecorded_sessions_fields_read_as_numbers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Code outside the running test (PYTEST_CURRENT_TEST unset: no test) reads a plain dict of zeros."""
    s = _unrecorded(monkeypatch)
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    assert s.event_counts == {"llms": 0, "tools": 0, "actions": 0, "errors": 0, "apis": 0}
    assert s.get_analytics()["Errors"] == 0 and s.token_cost == 0.0
