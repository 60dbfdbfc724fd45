"""AgentOps 0.3 code that runs unchanged after `import agentops_otel as agentops`: decorator arguments,
`session=` on decorated calls, `record_function`, and an end state AgentOps would only warn about."""

from __future__ import annotations

import warnings

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel.testing import AgentAssertionError, assert_ended_with


class CardDeclined(Exception):
    pass


def charge_card(state: object) -> None:
    """The article's pattern: end the session in the except handler, then re-raise the agent's error."""
    agentops.start_session(tags=["support"])
    try:
        raise CardDeclined("card declined")
    except Exception as e:
        agentops.end_session(state, end_state_reason=str(e))
        raise


@pytest.mark.parametrize("state", ["Failed", None, "", 0, True])
def test_an_unknown_end_state_in_the_except_handler_lets_the_agents_error_through(
        span_exporter: InMemorySpanExporter, state: object) -> None:
    """end_session("Failed") while the agent's error propagates warns (naming it) instead of replacing that error."""
    with pytest.warns(RuntimeWarning, match=rf"end_session\({state!r}\): end state must be one of Success, Fail, "
                                            "Indeterminate"), pytest.raises(CardDeclined):
        charge_card(state)


def test_an_unknown_end_state_in_the_except_handler_ends_the_session_indeterminate(
        span_exporter: InMemorySpanExporter) -> None:
    """The session is not left open, and its end reason names the state it was given, so a Fail check fails."""
    with pytest.warns(RuntimeWarning), pytest.raises(CardDeclined):
        charge_card("Failed")
    s = agentops.get_session()
    assert s is not None and s.end_state == "Indeterminate"
    assert s.end_state_reason == "invalid end state 'Failed': card declined"
    with pytest.raises(AgentAssertionError):
        assert_ended_with(s, "Fail")


def test_an_unknown_end_state_in_the_except_handler_under_warnings_as_errors_still_lets_the_error_through(
        span_exporter: InMemorySpanExporter, caplog: pytest.LogCaptureFixture) -> None:
    """With warnings turned into errors, the warning goes to the log rather than replace the agent's error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(CardDeclined):
            charge_card("Failed")
    assert "end_session('Failed'): end state must be one of" in caplog.text


def test_session_end_session_with_an_unknown_state_warns_as_agentops_does(
        span_exporter: InMemorySpanExporter) -> None:
    """AgentOps 0.3's session.end_session("Failed") warns rather than raise; the session ends Indeterminate."""
    s = agentops.start_session()
    with pytest.warns(RuntimeWarning, match=r"end_session\('Failed'\): end state must be one of Success, Fail"):
        s.end_session("Failed", "gave up")
    assert (s.end_state, s.end_state_reason) == ("Indeterminate", "invalid end state 'Failed': gave up")
