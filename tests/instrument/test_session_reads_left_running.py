"""A test's own read of a session a step outlived refuses only the figures that step could be in.

The AgentOps 0.3 port ``@record_action("main") def main(): ...; end_session("Success")`` ends the session from
inside the action: the action itself is the one step still running as the session ends, and it can only be one
action (and, for all anyone knows, one error). Its model call ended inside the session, so ``s.llm_calls == 1`` is
a whole count; ``s.actions`` is not. A step it starts after the end is in no count at all, and one still running
as the test reads may yet start one: every read refuses on those, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import httpx
import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletionMessageParam
from openai_helpers import SECRET_KEY
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import semconv
from agentops_otel.testing import (
    NotJudgeable,
    OpenAIServer,
    assert_cost_below,
    assert_llm_calls_at_most,
    assert_tokens_below,
)

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]
MODEL_READS = ("llm_calls", "input_tokens", "output_tokens", "llm_events")
ANY_STEP_READS = ("errors", "error_count", "events")
STILL_RUNNING = r"action main: still running when the session ended"


def _ended_inside_its_action(client: OpenAI, *, after: Callable[[], object] | None = None) -> agentops.Session:
    """The port shape: one model call in an action that ends the session, then (``after``) whatever it does next."""

    @agentops.record_action("main")
    def main() -> None:
        client.chat.completions.create(model="gpt-4o", messages=USER)
        agentops.end_session("Success")
        if after is not None:
            after()

    s = agentops.start_session()
    main()
    return s


def test_the_model_count_of_a_session_ended_inside_its_action_reads(client: OpenAI) -> None:
    """``assert s.llm_calls == 1`` holds when the only step left running at the end is the action that ended it."""
    s = _ended_inside_its_action(client)
    assert s.llm_calls == 1
    assert s.input_tokens > 0 and s.output_tokens > 0 and len(s.llm_events) == 1
    assert s.tool_calls == 0 and not s.tool_events


def test_the_action_count_of_a_session_ended_inside_its_action_refuses(client: OpenAI) -> None:
    """The action still running at the end is in neither ``s.actions`` nor ``s.action_events``: both refuse."""
    s = _ended_inside_its_action(client)
    with pytest.raises(NotJudgeable, match=rf"^session\.actions cannot be judged: .*{STILL_RUNNING}"):
        assert s.actions == 1
    with pytest.raises(NotJudgeable, match=rf"^session\.action_events cannot be judged: .*{STILL_RUNNING}"):
        assert len(s.action_events) == 1


@pytest.mark.parametrize("name", ANY_STEP_READS)
def test_the_error_reads_of_a_session_ended_inside_its_action_refuse(client: OpenAI, name: str) -> None:
    """The action could still have failed after the end: the error reads and the full event list refuse."""
    s = _ended_inside_its_action(client)
    with pytest.raises(NotJudgeable, match=rf"^session\.{name} cannot be judged: .*{STILL_RUNNING}"):
        getattr(s, name)


def test_the_cost_of_a_session_ended_inside_its_action_compares(client: OpenAI) -> None:
    """The action has no cost of its own: ``s.cost`` compares, as do the model bounds of agentops_otel.testing."""
    s = _ended_inside_its_action(client)
    assert 0 < s.cost < 1
    assert_llm_calls_at_most(s, 1)
    assert_cost_below(s, 1.0)
    assert_tokens_below(s, 1000)


@pytest.mark.parametrize("name", MODEL_READS)
def test_a_model_call_the_action_makes_after_the_end_fails_the_model_reads(client: OpenAI, name: str) -> None:
    """A model call the action starts after end_session() is in no count of the session: each model read refuses,
    naming it."""
    s = _ended_inside_its_action(client, after=lambda: client.chat.completions.create(model="gpt-4o", messages=USER))
    with pytest.raises(NotJudgeable, match=rf"^session\.{name} cannot be judged: .*chat gpt-4o: started after the "
                                           "session ended"):
        getattr(s, name)


def test_a_model_call_the_action_makes_after_the_end_fails_the_bounds(client: OpenAI) -> None:
    """The same late call fails assert_llm_calls_at_most and s.cost's comparison rather than passing on one call."""
    s = _ended_inside_its_action(client, after=lambda: client.chat.completions.create(model="gpt-4o", messages=USER))
    with pytest.raises(AssertionError, match="started after the session ended"):
        assert_llm_calls_at_most(s, 1)
    with pytest.raises(NotJudgeable, match="started after the session ended"):
        assert s.cost < 1


def test_an_action_still_running_as_the_test_reads_fails_every_count(client: OpenAI) -> None:
    """Until the action left running has ended, what it starts next is in no count: ``s.llm_calls`` refuses, and
    reads once it has ended."""
    go_on, ended = threading.Event(), threading.Event()

    @agentops.record_action("main")
    def main() -> None:
        client.chat.completions.create(model="gpt-4o", messages=USER)
        ended.set()
        go_on.wait(10)

    s = agentops.start_session()
    worker = threading.Thread(target=agentops.carry_context(main))
    worker.start()
    ended.wait(10)
    agentops.end_session("Success", session=s)
    with pytest.raises(NotJudgeable, match=rf"^session\.llm_calls cannot be judged: .*{STILL_RUNNING}"):
        assert s.llm_calls == 1
    go_on.set()
    worker.join()
    assert s.llm_calls == 1


@pytest.fixture
def ending_client(server: OpenAIServer) -> Iterator[OpenAI]:
    """A client whose request ends the current session while the model call is in flight."""
    hooks = {"request": [lambda _: agentops.end_session("Success")]}
    with OpenAI(base_url=server.base_url, api_key=SECRET_KEY, max_retries=0,
                http_client=httpx.Client(event_hooks=hooks)) as made:
        yield made


@pytest.mark.parametrize("name", MODEL_READS)
def test_a_model_call_still_running_at_the_end_fails_the_model_reads(ending_client: OpenAI, name: str) -> None:
    """A model call in flight as the session ended is in no model count: each refuses, naming it."""
    s = agentops.start_session()
    ending_client.chat.completions.create(model="gpt-4o", messages=USER)
    assert s.ended
    with pytest.raises(NotJudgeable, match=rf"^session\.{name} cannot be judged: .*chat gpt-4o: still running when "
                                           "the session ended"):
        getattr(s, name)


def test_a_model_call_still_running_at_the_end_leaves_the_tool_reads_and_fails_the_cost(
        ending_client: OpenAI) -> None:
    """The same call cannot be a tool call: ``s.tool_calls`` reads; the cost, which it would add to, refuses."""
    s = agentops.start_session()
    ending_client.chat.completions.create(model="gpt-4o", messages=USER)
    assert s.tool_calls == 0 and not s.tool_events
    with pytest.raises(NotJudgeable, match="chat gpt-4o: still running when the session ended"):
        assert s.cost < 1
    with pytest.raises(AssertionError, match="chat gpt-4o: still running when the session ended"):
        assert_llm_calls_at_most(s, 5)


def test_a_tool_that_ends_the_session_fails_only_the_tool_reads(client: OpenAI) -> None:
    """A @tool still running at the end leaves ``s.tool_calls`` refusing and ``s.llm_calls`` reading."""

    @agentops.tool
    def finish() -> None:
        client.chat.completions.create(model="gpt-4o", messages=USER)
        agentops.end_session("Success")

    s = agentops.start_session()
    finish()
    assert s.llm_calls == 1
    with pytest.raises(NotJudgeable, match=r"^session\.tool_calls cannot be judged: .*execute_tool finish: still "
                                           "running when the session ended"):
        assert s.tool_calls == 1
    with pytest.raises(NotJudgeable, match=r"^session\.tool_events cannot be judged: .*execute_tool finish"):
        assert s.tool_events


def test_the_root_written_while_the_action_ran_says_its_cost_incomplete(
        client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """The root is written before the action ends, which may yet make calls: it says the cost is incomplete (steps
    outside), while the session, which saw the action end with no call after, says complete."""
    s = _ended_inside_its_action(client)
    (root,) = [sp for sp in span_exporter.get_finished_spans() if sp.name.startswith("invoke_agent")]
    attrs = root.attributes or {}
    assert attrs[semconv.SESSION_COST_COMPLETE] is False
    assert attrs[semconv.SESSION_COST_INCOMPLETE_REASON] == semconv.GAP_STEPS_OUTSIDE
    assert s.cost_complete


def test_agentops_event_counts_of_a_session_ended_inside_its_action_refuse_only_the_actions(client: OpenAI) -> None:
    """AgentOps 0.3's ``event_counts`` follows the counts: ``["llms"]`` and ``["tools"]`` read, ``["actions"]`` and
    ``["errors"]`` refuse naming the action."""
    s = _ended_inside_its_action(client)
    counts = s.event_counts
    assert (counts["llms"], counts["tools"]) == (1, 0)
    for key in ("actions", "errors"):
        with pytest.raises(NotJudgeable, match=STILL_RUNNING):
            counts[key]


def test_a_late_model_call_counted_by_the_enclosing_session_refuses_only_the_nested_ones_count(
        client: OpenAI) -> None:
    """Ended inside its action within an outer session, the nested session's late call is counted by the outer
    session, whose ``llm_calls`` reads 2, and named by the nested one, whose ``llm_calls`` refuses."""
    with agentops.session("outer") as outer:
        inner = _ended_inside_its_action(
            client, after=lambda: client.chat.completions.create(model="gpt-4o", messages=USER))
        assert agentops.current_session() is outer
    assert outer.llm_calls == 2
    with pytest.raises(NotJudgeable, match=r"^session\.llm_calls cannot be judged: .*chat gpt-4o: started after"):
        assert inner.llm_calls == 1
