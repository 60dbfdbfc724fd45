"""Happy paths: each kind of message takes its own route through the agent."""

from __future__ import annotations

from agentops_otel import Session
from agentops_otel.testing import (
    assert_called_in_order,
    assert_ended_with,
    assert_no_errors,
    assert_tool_called,
    assert_tool_not_called,
    sessions_in,
)
from examples.support_agent.agent import run_support_agent


def test_billing_question_is_answered_from_the_invoices(agent_session: Session) -> None:
    """A double charge is classified billing, the customer and invoices are read, and the reply says so."""
    response = run_support_agent("I was billed twice for my subscription, account 4417")

    assert "duplicate charge" in response
    assert_called_in_order(agent_session, ["classify_intent", "fetch_customer_data", "session_complete"])
    assert_tool_called(agent_session, "lookup_invoices", with_args={"customer_id": "4417"})
    assert_no_errors(agent_session)
    [agent] = sessions_in(agent_session)
    assert_ended_with(agent, "Success")
    assert agent.summary.tags == ("support", "v2.1")


def test_technical_question_gets_the_general_reply(agent_session: Session) -> None:
    """A login problem never touches billing data."""
    response = run_support_agent("How do I reset my password? The login page keeps saying error.")

    assert "reset your password" in response
    assert_tool_not_called(agent_session, "fetch_customer_data")
    assert_tool_not_called(agent_session, "lookup_invoices")
    assert_called_in_order(agent_session, ["classify_intent", "session_complete"])


def test_ambiguous_input_still_gets_an_answer(agent_session: Session) -> None:
    """"hello" is not an error: the agent answers and its session succeeds."""
    response = run_support_agent("hello")

    assert len(response) > 10
    assert_no_errors(agent_session)
    assert_ended_with(sessions_in(agent_session)[0], "Success")
