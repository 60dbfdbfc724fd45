"""The model-call bounds on a live session past its span cap (``AGENTOPS_OTEL_MAX_SESSION_SPANS``): a call whose
usage or cost is unknown fails the bound, by name, even when its span is no longer held, as a test's read of
``session.input_tokens`` refuses it. The held spans are the session's last ones; its counters have every call.
"""

from __future__ import annotations

import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletionMessageParam

import agentops_otel as agentops
from agentops_otel import semconv
from agentops_otel.testing import (
    AgentAssertionError,
    IncompleteCostWarning,
    NotJudgeable,
    assert_cost_below,
    assert_llm_calls_at_most,
    assert_tokens_below,
)

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]


@agentops.tool
def lookup(order: int) -> str:
    return f"order {order} shipped"


@pytest.fixture
def streamed_then_capped(client: OpenAI, monkeypatch: pytest.MonkeyPatch) -> agentops.Session:
    """A stream read without usage, then a priced call and three tool calls: a session holding two spans."""
    monkeypatch.setenv(semconv.ENV_MAX_SESSION_SPANS, "2")
    with agentops.session("capped") as s:
        for _ in client.chat.completions.create(model="gpt-4o", messages=USER, stream=True):
            pass
        client.chat.completions.create(model="gpt-4o-mini", messages=USER)
        for i in range(3):
            lookup(i)
    assert s.spans_dropped > 0 and s.llm_calls == 2
    return s


def test_tokens_below_fails_on_a_call_without_usage_past_the_cap(streamed_then_capped: agentops.Session) -> None:
    """``assert_tokens_below`` fails naming the stream without usage whose span the session no longer holds."""
    with pytest.raises(NotJudgeable, match=r"input_tokens cannot be judged: .*stream without usage"):
        assert streamed_then_capped.input_tokens < 10**6
    with pytest.raises(AgentAssertionError, match=r"token count is incomplete(.|\n)*chat gpt-4o: stream without usage"):
        assert_tokens_below(streamed_then_capped, 10**6)



def test_tokens_below_with_missing_usage_allowed_warns_naming_the_call_past_the_cap(
        streamed_then_capped: agentops.Session) -> None:
    """``allow_missing_usage=True`` passes on the calls that reported usage, and its warning names the dropped one."""
    with pytest.warns(IncompleteCostWarning, match=r"chat gpt-4o: stream without usage"):
        assert_tokens_below(streamed_then_capped, 10**6, allow_missing_usage=True)


def test_cost_below_names_a_call_without_a_cost_past_the_cap(streamed_then_capped: agentops.Session) -> None:
    """``assert_cost_below`` fails naming the stream without usage (so without a cost) no longer held."""
    with pytest.raises(AgentAssertionError, match=r"cost is incomplete(.|\n)*chat gpt-4o: stream without usage"):
        assert_cost_below(streamed_then_capped, 1.0)


def test_llm_calls_at_most_fails_on_a_batch_of_unknown_size_past_the_cap(
        client: OpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch of unknown size whose span the session no longer holds still fails ``assert_llm_calls_at_most``."""
    monkeypatch.setenv(semconv.ENV_MAX_SESSION_SPANS, "2")
    with agentops.session("capped") as s:
        client.batches.create(input_file_id="file-abc", endpoint="/v1/chat/completions", completion_window="24h")
        for i in range(3):
            lookup(i)
    assert s.spans_dropped > 0
    with pytest.raises(AgentAssertionError, match=r"batches whose requests it cannot count"):
        assert_llm_calls_at_most(s, 5)
