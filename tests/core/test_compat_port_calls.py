"""AgentOps calls a port makes that meant something else there: ``end_session(session)`` (AgentOps 0.4's way),
``inherited_session_id=`` (0.3's way to continue a session elsewhere) and ``record(ActionEvent)`` (the class)."""

from __future__ import annotations

import logging

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import ActionEvent, ToolEvent
from agentops_otel._guard import reset_reports


def test_end_session_with_the_session_first_ends_it_success_as_agentops_0_4(
        span_exporter: InMemorySpanExporter) -> None:
    """agentops.end_session(session), AgentOps 0.4's call, ends that session Success and returns it."""
    s = agentops.start_session()
    assert agentops.end_session(s) is s
    assert (s.end_state, s.end_state_reason) == ("Success", None)


def test_end_session_with_the_session_first_takes_the_end_state_by_keyword(
        span_exporter: InMemorySpanExporter) -> None:
    """end_session(session, end_state="Fail", end_state_reason=...) ends it Fail with that reason."""
    s = agentops.start_session()
    agentops.end_session(s, end_state="Fail", end_state_reason="card declined")
    assert (s.end_state, s.end_state_reason) == ("Fail", "card declined")


def test_end_session_with_a_session_first_ends_that_one_not_the_current_one(
        span_exporter: InMemorySpanExporter) -> None:
    """The session passed first is the one ended Fail, not the current one (nested in it, it ends with it)."""
    outer = agentops.start_session("outer")
    inner = agentops.start_session("inner")
    agentops.end_session(outer, end_state="Fail")
    assert (outer.end_state, inner.end_state) == ("Fail", "Indeterminate")
    assert inner.end_state_reason == "parent session ended first"


def test_end_session_with_a_session_then_a_state_by_position_says_how_and_ends_nothing(
        span_exporter: InMemorySpanExporter) -> None:
    """end_session(session, "Fail") is a TypeError saying to pass end_state= by keyword; the session runs on."""
    s = agentops.start_session()
    with pytest.raises(TypeError, match=r"by keyword: end_session\(session, end_state=.*session=session") as info:
        agentops.end_session(s, "Fail")  # type: ignore[arg-type]
    assert "end state must be one of" not in str(info.value)
    assert s.end_state is None and agentops.get_session() is s


def test_end_session_with_two_sessions_says_so_and_ends_nothing(span_exporter: InMemorySpanExporter) -> None:
    """end_session(s1, session=s2) names the conflict and ends neither."""
    s1 = agentops.start_session("one")
    s2 = agentops.start_session("two")
    with pytest.raises(TypeError, match="two sessions"):
        agentops.end_session(s1, session=s2)
    assert s1.end_state is None and s2.end_state is None


def test_end_session_with_the_state_both_by_position_and_keyword_says_so_and_ends_nothing(
        span_exporter: InMemorySpanExporter) -> None:
    """end_session("Fail", end_state="Success") is a TypeError, as Python says of any argument given twice."""
    s = agentops.start_session()
    with pytest.raises(TypeError, match="end state twice"):
        agentops.end_session("Fail", end_state="Success")
    assert s.end_state is None


def test_end_session_takes_the_state_by_keyword_alone(span_exporter: InMemorySpanExporter) -> None:
    """end_session(end_state="Fail"), 0.3's keyword spelling, ends the current session Fail."""
    s = agentops.start_session()
    agentops.end_session(end_state="Fail", end_state_reason="gave up")
    assert (s.end_state, s.end_state_reason) == ("Fail", "gave up")


@pytest.mark.parametrize("start", [
    lambda: agentops.start_session(inherited_session_id="5b8f...") ,
    lambda: agentops.init(inherited_session_id="5b8f...", auto_start_session=True),
], ids=["start_session", "init"])
def test_inherited_session_id_is_said_to_be_unsupported_once_with_what_to_use(
        span_exporter: InMemorySpanExporter, caplog: pytest.LogCaptureFixture, start: object) -> None:
    """inherited_session_id= starts a new session, saying once in the log that it is not continued and how to
    carry a session instead."""
    reset_reports()
    with caplog.at_level(logging.WARNING, logger="agentops_otel"):
        s = start()  # type: ignore[operator]
        agentops.end_session(session=s)
        agentops.end_session(session=agentops.start_session(inherited_session_id="5b8f..."))
    lines = [r.getMessage() for r in caplog.records if "inherited_session_id" in r.getMessage()]
    assert len(lines) == 1
    assert "not supported" in lines[0] and "SessionExecutor" in lines[0] and "carry_context" in lines[0]


@pytest.mark.parametrize("cls", [ActionEvent, ToolEvent])
def test_record_of_an_event_class_says_to_pass_an_instance(span_exporter: InMemorySpanExporter, cls: type) -> None:
    """record(ActionEvent), the class, says to pass an instance: ActionEvent(...)."""
    with agentops.session("s"), pytest.raises(
            TypeError, match=rf"got the class {cls.__name__}: pass an instance: {cls.__name__}\(\.\.\.\)"):
        agentops.record(cls)  # type: ignore[arg-type]
