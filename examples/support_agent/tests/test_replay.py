"""Replay: the demo's five sessions, recorded once as cassettes, re-run offline and checked step by step.

Each test runs the real agent code; its LLM calls are answered from ``cassettes/`` (no server, no
key) and every step — each LLM request, each tool and action call with its arguments — must match
the recording. ``pytest --agent-record-mode=record`` re-records them after an intended change.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agentops_otel import Session
from agentops_otel.testing import DivergenceError, Fork, assert_ended_with, replay, sessions_in
from examples.support_agent import broken
from examples.support_agent.agent import provider, run_support_agent

CASSETTES = Path(__file__).parent / "cassettes"
SESSIONS = {
    "billing_4417": ("I was charged twice for my subscription, account 4417", "Success"),
    "duplicate_2093": ("There's a duplicate charge on account 2093", "Success"),
    "no_account": ("I was charged twice for my subscription", "Fail"),
    "password_reset": ("How do I reset my password? The login page keeps saying error.", "Success"),
    "double_billing_7781": ("Double billing issue on customer 7781", "Success"),
}
pytestmark = pytest.mark.skipif(provider() != "openai",
                                reason="the cassettes hold the agent's OpenAI calls; on Claude it makes other requests")
plants_its_own_bug = pytest.mark.skipif(bool(os.environ.get(broken.ENV_VAR)),
                                        reason="plants its own change; under SUPPORT_AGENT_BUG the replays show it")


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.agent_replay(f"cassettes/{n}.json"))
                                  for n in SESSIONS])
def test_demo_session_replays(name: str, agent_session: Session) -> None:
    """The recorded session re-runs step for step: same calls, same requests, same end state."""
    message, end_state = SESSIONS[name]
    if end_state == "Fail":
        with pytest.raises(ValueError):
            run_support_agent(message)
    else:
        run_support_agent(message)
    [agent] = sessions_in(agent_session)
    assert_ended_with(agent, end_state)


@plants_its_own_bug
def test_replay_catches_a_planted_behaviour_change() -> None:
    """Reading invoices before the customer is checked diverges from the recording at that very step."""
    with pytest.raises(DivergenceError) as caught:
        with replay(CASSETTES / "duplicate_2093.json"), broken.planted("tool_order"):
            run_support_agent("There's a duplicate charge on account 2093")
    assert caught.value.index == 2
    assert "the recording has action fetch_customer_data here, the agent called tool lookup_invoices" in str(
        caught.value)
    assert "  2  tool lookup_invoices  {\"customer_id\": \"2093\"}" in caught.value.render()


@plants_its_own_bug
@pytest.mark.agent_replay("cassettes/billing_4417.json", fork=Fork(at="fetch_customer_data", tool_result=None))
def test_fork_what_if_the_customer_lookup_returned_none(agent_session: Session) -> None:
    """A real session forked at fetch_customer_data returning None: the agent does not check it and crashes."""
    with pytest.raises(TypeError):
        run_support_agent("I was charged twice for my subscription, account 4417")
    [agent] = sessions_in(agent_session)
    assert_ended_with(agent, "Fail")
    assert agent.summary.end_reason == "'NoneType' object is not subscriptable"
