"""Cost bounds: a prompt change that multiplies the LLM calls or the tokens fails here first."""

from __future__ import annotations

import pytest

from agentops_otel import Session
from agentops_otel.testing import assert_cost_below, assert_llm_calls_at_most, assert_tokens_below
from examples.support_agent.agent import run_support_agent


@pytest.mark.agent_cost_limit(usd=0.001, llm_calls=3)
def test_billing_question_stays_within_budget() -> None:
    """A billing question: at most three LLM calls and a tenth of a cent, nested sessions included."""
    run_support_agent("I was charged twice for my subscription, account 4417")


def test_billing_tokens_and_calls(agent_session: Session) -> None:
    """Token and call budgets, asserted explicitly on the test's session."""
    run_support_agent("There's a duplicate charge on my account 2093")

    assert_llm_calls_at_most(agent_session, 3)
    assert_tokens_below(agent_session, 2_000)
    assert_cost_below(agent_session, 0.001)
