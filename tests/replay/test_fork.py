"""Fork: replay up to a step, change it, let the agent continue."""

from __future__ import annotations

import pytest
from openai import OpenAI
from replay_helpers import Agent

import agentops_otel as agentops
from agentops_otel.testing import Cassette, CassetteError, Fork, OpenAIServer, record, replay


@pytest.fixture
def cassette(agent: Agent, client: OpenAI) -> Cassette:
    with record() as rec:
        agent.run(client)
    return rec.cassette()


@pytest.fixture
def dead(dead_url: str) -> OpenAI:
    return OpenAI(base_url=dead_url, api_key="unused", max_retries=0)


def test_fork_substitutes_a_tool_result(cassette: Cassette, dead: OpenAI) -> None:
    """What if lookup_customer had returned another customer? The tool does not run; the agent sees it."""
    agent = Agent()
    with replay(cassette, fork=Fork(at="lookup_customer", tool_result={"id": "4417", "plan": "free"})):
        out = agent.run(dead)
    assert agent.tool_runs == []
    assert out.startswith("ok: who is 4417?|")  # later answers come from the recording


def test_fork_substitutes_a_tool_error(cassette: Cassette, dead: OpenAI) -> None:
    """A fork can make the tool raise at that step, and the agent's own error handling runs."""
    with pytest.raises(TimeoutError), replay(cassette, fork=Fork(at=1, tool_error=TimeoutError("db down"))):
        Agent().run(dead)


def test_fork_substitutes_an_llm_reply(cassette: Cassette, dead: OpenAI) -> None:
    """At an LLM step the fork's reply is what the agent reads."""
    with replay(cassette, fork=Fork(at=0, llm_reply="nobody")):
        out = Agent().run(dead)
    assert out.startswith("nobody|")


def test_fork_substitutes_a_streamed_reply(cassette: Cassette, dead: OpenAI) -> None:
    """A streamed step's substitute streams too."""
    with replay(cassette, fork=Fork(at=2, llm_reply="streamed substitute")):
        out = Agent().run(dead)
    assert out.endswith("|streamed substitute")


def test_fork_can_go_live(cassette: Cassette, client: OpenAI, server: OpenAIServer) -> None:
    """then="live" sends the calls after the fork to the provider (the only way a replay does)."""
    sent = len(server.requests)
    with replay(cassette, fork=Fork(at="lookup_customer", tool_result={"id": "9"}, then="live")):
        out = Agent().run(client)
    assert len(server.requests) == sent + 1
    assert '\\"id\\": \\"9\\"' in out or '"id": "9"' in out


def test_fork_at_an_unknown_tool(cassette: Cassette) -> None:
    """A fork naming a tool the session never called lists the tools it did call."""
    with pytest.raises(CassetteError, match=r"no such tool .*lookup_customer"):
        replay(cassette, fork=Fork(at="fetch_customer_data", tool_result=None))


def test_a_fork_that_makes_its_enclosing_action_fail_runs_the_what_if(client: OpenAI, dead: OpenAI) -> None:
    """An action failing after the fork point, where it succeeded in the recording, is the what-if, not a divergence."""

    def agent(llm: OpenAI) -> str:
        @agentops.record_action("plan")
        def plan(goal: str) -> str:
            reply = llm.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": goal}])
            answer = reply.choices[0].message.content or ""
            if answer == "nope":
                raise ValueError(answer)
            return answer

        try:
            return plan("refund")
        except ValueError:
            return "fallback"

    with record() as rec:
        agent(client)
    with replay(rec.cassette(), fork=Fork(at=1, llm_reply="nope")):
        assert agent(dead) == "fallback"
