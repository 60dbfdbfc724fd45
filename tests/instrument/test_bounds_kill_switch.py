"""Under the kill switch nothing is recorded, so no verdict passes on what it never saw: each one refuses.

The agent is the real ``openai`` client against ``OpenAIServer``; ``AGENTOPS_OTEL_DISABLED`` is read on
every call, so setting it in the test is what setting it for the whole run does.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletionMessageParam

import agentops_otel
from agentops_otel import Session, semconv
from agentops_otel.testing import (
    AgentAssertionError,
    OpenAIServer,
    Reply,
    Usage,
    assert_called_before,
    assert_called_in_order,
    assert_cost_below,
    assert_ended_with,
    assert_error_in_step,
    assert_llm_calls_at_most,
    assert_no_errors,
    assert_tokens_below,
    assert_tool_called,
    assert_tool_not_called,
)

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Refund my order"}]
BIG = Usage(prompt_tokens=1_000_000, completion_tokens=100_000)  # $3.50 on gpt-4o

VERDICTS: dict[str, Callable[[Session], None]] = {
    "assert_cost_below": lambda s: assert_cost_below(s, 0.01),
    "assert_tokens_below": lambda s: assert_tokens_below(s, 1),
    "assert_llm_calls_at_most": lambda s: assert_llm_calls_at_most(s, 0),
    "assert_tool_not_called": lambda s: assert_tool_not_called(s, "refund"),
    "assert_no_errors": assert_no_errors,
    "assert_tool_called": lambda s: assert_tool_called(s, "refund"),
    "assert_called_in_order": lambda s: assert_called_in_order(s, ["lookup", "refund"]),
    "assert_called_before": lambda s: assert_called_before(s, "lookup", "refund"),
    "assert_error_in_step": lambda s: assert_error_in_step(s, "refund"),
}


@agentops_otel.tool
def refund(order: str) -> str:
    return f"refunded {order}"


def _agent(client: OpenAI, server: OpenAIServer) -> Session:
    server.queue(Reply.text("Refunding now", usage=BIG))
    with agentops_otel.session("support-agent") as s:
        client.chat.completions.create(model="gpt-4o", messages=USER)
        refund("A-17")
    return s


@pytest.mark.parametrize("name", list(VERDICTS))
def test_every_verdict_refuses_a_session_run_with_the_kill_switch_on(
        client: OpenAI, server: OpenAIServer, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """A session recorded nothing under the kill switch: each verdict fails saying so, none passes on absence."""
    monkeypatch.setenv(semconv.ENV_DISABLED, "true")
    s = _agent(client, server)
    with pytest.raises(AgentAssertionError) as info:
        VERDICTS[name](s)
    assert str(info.value).startswith(
        f"{name} cannot judge this session: agentops_otel is disabled (AGENTOPS_OTEL_DISABLED)")


def test_the_end_state_is_still_judged_with_the_kill_switch_on(
        client: OpenAI, server: OpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The session object keeps its end state without any span, so ``assert_ended_with`` still judges it."""
    monkeypatch.setenv(semconv.ENV_DISABLED, "true")
    s = _agent(client, server)
    assert_ended_with(s, "Success")
    with pytest.raises(AgentAssertionError, match="ended Success"):
        assert_ended_with(s, "Fail")


def test_a_bound_refuses_when_the_switch_went_on_while_the_session_ran(
        client: OpenAI, server: OpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A call made after the switch went on mid-session was not counted: the session's bounds refuse."""
    server.queue(Reply.text("Refunding now", usage=BIG))
    with agentops_otel.session("support-agent") as s:
        monkeypatch.setenv(semconv.ENV_DISABLED, "true")
        client.chat.completions.create(model="gpt-4o", messages=USER)
        monkeypatch.delenv(semconv.ENV_DISABLED)
    with pytest.raises(AgentAssertionError, match=r"agentops_otel was disabled \(AGENTOPS_OTEL_DISABLED\) "
                                                  "while this session ran"):
        assert_cost_below(s, 0.01)


def test_the_switch_going_on_after_a_session_ended_leaves_its_verdicts_alone(
        client: OpenAI, server: OpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A session fully recorded before the switch went on is judged as usual."""
    s = _agent(client, server)
    monkeypatch.setenv(semconv.ENV_DISABLED, "true")
    client.chat.completions.create(model="gpt-4o", messages=USER)
    assert_llm_calls_at_most(s, 1)
    assert_tool_called(s, "refund", times=1)


def test_the_timeline_of_a_session_run_with_the_kill_switch_on_says_why_it_has_none(
        client: OpenAI, server: OpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """``s.timeline()`` of an unrecorded session is a clear error naming the switch, not a bare KeyError."""
    monkeypatch.setenv(semconv.ENV_DISABLED, "true")
    s = _agent(client, server)
    with pytest.raises(LookupError, match=r"agentops_otel is disabled \(AGENTOPS_OTEL_DISABLED\)"):
        s.timeline()


@pytest.mark.parametrize("name", ["assert_cost_below", "assert_llm_calls_at_most", "assert_tool_not_called"])
def test_a_timeline_of_a_session_the_switch_went_on_in_refuses_too(
        client: OpenAI, server: OpenAIServer, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Judging ``s.timeline()`` instead of ``s`` is no way around the refusal: the timeline says what was missed."""
    server.queue(Reply.text("Refunding now", usage=BIG))
    with agentops_otel.session("support-agent") as s:
        monkeypatch.setenv(semconv.ENV_DISABLED, "true")
        client.chat.completions.create(model="gpt-4o", messages=USER)
        refund("A-17")
        monkeypatch.delenv(semconv.ENV_DISABLED)
    timeline = s.timeline()
    assert any("while this session ran" in issue for issue in timeline.summary.issues)
    with pytest.raises(AgentAssertionError, match="cannot judge this session"):
        VERDICTS[name](timeline)  # type: ignore[arg-type]
