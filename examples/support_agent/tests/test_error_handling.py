"""Error handling: a missing or unknown customer fails the agent's session at the right step."""

from __future__ import annotations

import pytest

from agentops_otel import Session
from agentops_otel.testing import (
    assert_ended_with,
    assert_error_in_step,
    assert_tool_called,
    assert_tool_not_called,
    sessions_in,
)
from examples.support_agent.agent import run_support_agent


def test_missing_customer_id_fails_the_session_at_fetch_customer_data(agent_session: Session) -> None:
    """No account number: fetch_customer_data raises ValueError, the agent's session ends Fail."""
    with pytest.raises(ValueError, match="customer_id cannot be None"):
        run_support_agent("I was charged twice for my subscription")

    [agent] = sessions_in(agent_session, tag="support")
    assert_ended_with(agent, "Fail")
    assert agent.summary.end_reason == "customer_id cannot be None"
    assert_error_in_step(agent, "fetch_customer_data", ValueError)
    assert_tool_called(agent, "fetch_customer_data", with_args={"customer_id": None})
    # An unidentified customer's billing data must not be read.
    assert_tool_not_called(agent, "lookup_invoices")


def test_unknown_customer_fails_with_lookup_error(agent_session: Session) -> None:
    """An account number nobody has: LookupError on fetch_customer_data, no reply is generated."""
    with pytest.raises(LookupError):
        run_support_agent("Refund the duplicate charge on account 9999")

    [agent] = sessions_in(agent_session)
    assert_ended_with(agent, "Fail")
    assert_error_in_step(agent, "fetch_customer_data", "LookupError")
    assert_tool_not_called(agent, "lookup_invoices")
