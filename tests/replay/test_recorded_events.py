"""Replay checks what the AgentOps-compatible API records (model calls, errors) and how each step ended."""

from __future__ import annotations

import pytest

import agentops_otel as agentops
from agentops_otel import ActionEvent, ErrorEvent, LLMEvent
from agentops_otel.testing import Cassette, DivergenceError, record, replay


def refund_agent(model: str = "gpt-4o-mini", prompt: str = "Refund order 1", *, fail: bool = False) -> None:
    """An agent that records its steps by hand, as AgentOps code does."""
    with agentops.session("refund"):
        agentops.record(ActionEvent(action_type="plan", params={"goal": "refund"}))
        agentops.record(LLMEvent(model=model, prompt=prompt, completion="ok", prompt_tokens=5, completion_tokens=1))
        if fail:
            agentops.record(ErrorEvent(error_type="PaymentError", details="card declined"))
        agentops.record(ActionEvent(action_type="refund", params={"usd": 10},
                                    error="PaymentError: declined" if fail else None))


@pytest.fixture
def cassette() -> Cassette:
    with record() as rec:
        refund_agent()
    return rec.cassette()


def test_unchanged_recorded_events_replay(cassette: Cassette) -> None:
    """The same recorded actions, model call and outcomes replay without a divergence."""
    with replay(cassette):
        refund_agent()


def test_a_recorded_model_call_with_another_model_diverges(cassette: Cassette) -> None:
    """record(LLMEvent) naming gpt-4o where the recording has gpt-4o-mini fails the replay at that step."""
    with pytest.raises(DivergenceError) as err, replay(cassette):
        refund_agent(model="gpt-4o")
    assert err.value.index == 1
    assert "the recording has llm gpt-4o-mini here, the agent called llm gpt-4o" in err.value.render()


def test_a_recorded_model_call_with_another_prompt_diverges(cassette: Cassette) -> None:
    """record(LLMEvent) with another prompt fails the replay, showing both prompts."""
    with pytest.raises(DivergenceError) as err, replay(cassette):
        refund_agent(prompt="Refund ALL orders")
    text = err.value.render()
    assert "llm gpt-4o-mini was called with other arguments" in text
    assert '+  "prompt": "Refund ALL orders"' in text


def test_an_extra_recorded_error_diverges(cassette: Cassette) -> None:
    """A record(ErrorEvent) the recording does not have fails the replay where it was recorded."""
    with pytest.raises(DivergenceError, match="the recording has action refund here, the agent called error "
                                              "PaymentError"), replay(cassette):
        with agentops.session("refund"):
            agentops.record(ActionEvent(action_type="plan", params={"goal": "refund"}))
            agentops.record(LLMEvent(model="gpt-4o-mini", prompt="Refund order 1", completion="ok"))
            agentops.record(ErrorEvent(error_type="PaymentError", details="card declined"))


def test_a_recorded_action_that_now_failed_diverges(cassette: Cassette) -> None:
    """record(ActionEvent(error=...)) where the recording's action succeeded fails the replay."""
    with pytest.raises(DivergenceError, match="action refund failed with PaymentError; in the recording it "
                                              "succeeded"), replay(cassette):
        with agentops.session("refund"):
            agentops.record(ActionEvent(action_type="plan", params={"goal": "refund"}))
            agentops.record(LLMEvent(model="gpt-4o-mini", prompt="Refund order 1", completion="ok"))
            agentops.record(ActionEvent(action_type="refund", params={"usd": 10}, error="PaymentError: declined"))


def test_a_tool_that_raises_where_the_recording_succeeded_diverges() -> None:
    """A @tool run for real that raises where it returned in the recording fails the replay, not only the agent."""
    broken = False

    @agentops.tool
    def lookup(customer_id: str) -> str:
        if broken:
            raise LookupError(customer_id)
        return "Ada"

    with record() as rec:
        lookup("4417")
    broken = True
    with pytest.raises(DivergenceError, match="tool lookup failed with LookupError; in the recording it "
                                              "succeeded"), replay(rec.cassette()):
        try:
            lookup("4417")
        except LookupError:
            pass  # the agent handles it: the replay still fails


def test_a_tool_that_returns_where_the_recording_raised_diverges() -> None:
    """A @tool that returns where it raised in the recording fails the replay."""
    broken = True

    @agentops.tool
    def lookup(customer_id: str) -> str:
        if broken:
            raise LookupError(customer_id)
        return "Ada"

    with record() as rec:
        with pytest.raises(LookupError):
            lookup("4417")
    broken = False
    with pytest.raises(DivergenceError, match="tool lookup succeeded; in the recording it failed with "
                                              "LookupError"), replay(rec.cassette()):
        lookup("4417")


def test_an_error_code_of_zero_is_compared() -> None:
    """An ErrorEvent recorded with code 0 and replayed without a code diverges: 0 is a code, not "no code"."""
    def agent(code: int | None) -> None:
        with agentops.session("exit"):
            agentops.record(ErrorEvent(error_type="ExitError", details="tool exited", code=code))  # type: ignore[arg-type]

    with record() as rec:
        agent(0)
    with pytest.raises(DivergenceError, match="other arguments"), replay(rec.cassette()):
        agent(None)


class CardDeclined(Exception):
    """The agent's own error type, which a replay can only raise again by name."""


def test_an_action_passing_on_an_answered_tools_custom_error_replays() -> None:
    """A tool answered with its recorded custom error makes its caller end as recorded, so the replay passes."""

    @agentops.tool
    def charge_card(amount: int) -> str:
        raise CardDeclined(f"declined {amount}")

    @agentops.record_action("checkout")
    def checkout(amount: int) -> str:
        return charge_card(amount)

    def agent() -> str:
        try:
            return checkout(42)
        except Exception as exc:  # the agent expects checkout to fail here, in both runs
            return str(exc)

    with record() as rec:
        agent()
    with replay(rec.cassette(), answer_tools=["charge_card"]):
        assert agent() == "declined 42"


@pytest.mark.parametrize("how", ["error_event", "action_event"])
def test_an_answered_tools_custom_error_recorded_by_hand_replays(how: str) -> None:
    """An agent recording the answered tool's custom error (ErrorEvent / ActionEvent(error=)) records its type."""

    @agentops.tool
    def charge_card(amount: int) -> str:
        raise CardDeclined(f"declined {amount}")

    def agent() -> None:
        with agentops.session("checkout"):
            try:
                charge_card(42)
            except Exception as exc:  # the agent logs every failure, as AgentOps code does
                if how == "error_event":
                    agentops.record(ErrorEvent(exception=exc))
                else:
                    agentops.record(ActionEvent(action_type="charge", error=exc))

    with record() as rec:
        agent()
    with replay(rec.cassette(), answer_tools=["charge_card"]):
        agent()
