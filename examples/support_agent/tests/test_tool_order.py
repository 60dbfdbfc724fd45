"""Tool call sequence: the customer is fetched and validated before any of their billing data is read."""

from __future__ import annotations

from agentops_otel import Session
from agentops_otel.testing import assert_called_before, assert_called_in_order, assert_tool_called
from examples.support_agent.agent import run_support_agent


def test_billing_fetches_the_customer_before_reading_invoices(agent_session: Session) -> None:
    """classify → fetch_customer_data → lookup_invoices → session_complete, invoices read once."""
    run_support_agent("There's a duplicate charge on account 2093")

    assert_called_in_order(agent_session, ["classify_intent", "fetch_customer_data", "lookup_invoices",
                                           "session_complete"])
    assert_called_before(agent_session, "fetch_customer_data", "lookup_invoices")
    assert_tool_called(agent_session, "lookup_invoices", times=1, with_args={"customer_id": "2093"})


def test_invoices_are_read_for_the_customer_in_the_message(agent_session: Session) -> None:
    """The model's tool call asks for the invoices of exactly the customer the message names."""
    run_support_agent("Refund the second charge on customer 7781")

    assert_tool_called(agent_session, "lookup_invoices",
                       with_args=lambda args: args == {"customer_id": "7781"})
