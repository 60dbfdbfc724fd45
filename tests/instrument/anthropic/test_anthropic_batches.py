"""A message batch submitted in a session is billed later, outside it: cost and token bounds refuse to
read it as $0, and call bounds count its requests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import anthropic
import pytest
import wrapt
from anthropic import Anthropic, AsyncAnthropic
from openai_helpers import SECRET_KEY, attrs, llm_spans, only_span
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

import agentops_otel
from agentops_otel import semconv
from agentops_otel._guard import FaultInjector
from agentops_otel.instrument.anthropic import instrument_anthropic, uninstrument_anthropic
from agentops_otel.testing import (
    AgentAssertionError,
    AnthropicServer,
    Reply,
    assert_cost_below,
    assert_llm_calls_at_most,
    assert_tokens_below,
)

MODEL = "claude-haiku-4-5"


def _requests(n: int) -> list[Any]:
    return [{"custom_id": f"r{i}", "params": {"model": MODEL, "max_tokens": 64,
                                               "messages": [{"role": "user", "content": f"question {i}"}]}}
            for i in range(n)]


def _generated(n: int) -> Iterator[Any]:
    yield from _requests(n)


def test_cost_bound_refuses_a_session_that_only_submitted_a_batch(client: Anthropic, server: AnthropicServer) -> None:
    """A session whose agent only submits a batch has no known cost: a cost bound fails, naming the batch."""
    with agentops_otel.session("batch") as s:
        client.messages.batches.create(requests=_requests(3))
    with pytest.raises(AgentAssertionError, match="batch"):
        assert_cost_below(s, 0.01)


def test_token_bound_refuses_a_batch(client: Anthropic, server: AnthropicServer) -> None:
    """The tokens a batch's requests will use are unknown at submit time: a token bound fails, naming the batch."""
    with agentops_otel.session("batch") as s:
        client.messages.batches.create(requests=_requests(1))
    assert not s.cost_complete
    with pytest.raises(AgentAssertionError, match=r"(?s)token count is incomplete.*batch submitted"):
        assert_tokens_below(s, 1_000_000)


def test_submit_is_one_span_with_its_size_id_and_reason(client: Anthropic, server: AnthropicServer,
                                                        span_exporter: InMemorySpanExporter) -> None:
    """The submit is a `chat batch` CLIENT span: its number of requests, the batch's id, and no cost, saying why;
    the user gets the SDK's MessageBatch itself."""
    batch = client.messages.batches.create(requests=_requests(3))
    assert type(batch) is anthropic.types.messages.MessageBatch and batch.request_counts.processing == 3
    span = only_span(span_exporter)
    a = attrs(span)
    assert (span.name, span.kind) == ("chat batch", SpanKind.CLIENT)
    assert a[semconv.GEN_AI_PROVIDER_NAME] == semconv.PROVIDER_ANTHROPIC
    assert a[semconv.BATCH_ENDPOINT] == "/v1/messages"
    assert (a[semconv.BATCH_REQUESTS], a[semconv.BATCH_ID]) == (3, batch.id)
    assert a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_BATCH_QUEUED and a[semconv.USAGE_MISSING] is True
    assert semconv.COST_USD not in a and semconv.GEN_AI_USAGE_INPUT_TOKENS not in a
    assert a[semconv.ANTHROPIC_REQUEST_ID].startswith("req_")


def test_call_bound_counts_the_requests_of_a_batch(client: Anthropic, server: AnthropicServer) -> None:
    """A batch of three requests is three model calls: at most two fails, at most three holds."""
    with agentops_otel.session("batch") as s:
        client.messages.batches.create(requests=_requests(3))
    assert s.llm_calls == 3
    with pytest.raises(AgentAssertionError, match="made 3"):
        assert_llm_calls_at_most(s, 2)
    assert_llm_calls_at_most(s, 3)


def test_a_generator_of_requests_is_sent_whole_and_counted_from_the_answer(
        client: Anthropic, server: AnthropicServer, span_exporter: InMemorySpanExporter) -> None:
    """Requests given as a generator reach the API untouched; their number comes from the batch created."""
    client.messages.batches.create(requests=_generated(4))
    assert len(server.requests[0].json["requests"]) == 4
    assert attrs(only_span(span_exporter))[semconv.BATCH_REQUESTS] == 4


def test_call_bound_refuses_a_batch_of_unknown_size(client: Anthropic, server: AnthropicServer) -> None:
    """A generator submitted with with_raw_response says nothing of its size: even a large call bound fails."""
    with agentops_otel.session("batch") as s:
        client.messages.batches.with_raw_response.create(requests=_generated(2)).parse()
    with pytest.raises(AgentAssertionError, match=r"(?s)cannot count.*number of requests is unknown"):
        assert_llm_calls_at_most(s, 1000)


async def test_async_and_beta_submits_are_recorded(client: Anthropic, aclient: AsyncAnthropic,
                                                   server: AnthropicServer,
                                                   span_exporter: InMemorySpanExporter) -> None:
    """AsyncBatches.create and the beta surface's batches (sync and async) are batch spans too."""
    await aclient.messages.batches.create(requests=_requests(1))
    client.beta.messages.batches.create(requests=_requests(2))
    await aclient.beta.messages.batches.create(requests=_requests(3))
    spans = llm_spans(span_exporter)
    assert [(sp.name, attrs(sp)[semconv.BATCH_REQUESTS]) for sp in spans] == [
        ("chat batch", 1), ("chat batch", 2), ("chat batch", 3)]


def test_a_refused_submit_is_not_billed(client: Anthropic, server: AnthropicServer,
                                        span_exporter: InMemorySpanExporter) -> None:
    """A submit the API refuses queued nothing: its error reaches the user unchanged, and it costs $0."""
    server.queue(Reply.error(400))
    with agentops_otel.session("batch") as s, pytest.raises(anthropic.BadRequestError):
        client.messages.batches.create(requests=_requests(3))
    a = attrs(only_span(span_exporter))
    assert a[semconv.ERROR_TYPE] == "400" and a[semconv.COST_USD] == 0.0
    assert s.llm_calls == 1 and s.cost_complete
    assert_cost_below(s, 0.01)


def test_a_submit_left_unanswered_may_have_queued_its_requests(client: Anthropic, server: AnthropicServer) -> None:
    """A gateway timeout says nothing of the batch: its cost is unknown and its requests are counted."""
    server.queue(Reply.error(504))
    with agentops_otel.session("batch") as s, pytest.raises(anthropic.APIStatusError):
        client.messages.batches.create(requests=_requests(3))
    with pytest.raises(AgentAssertionError, match="cost is incomplete"):
        assert_cost_below(s, 1.0)
    with pytest.raises(AgentAssertionError, match="made 3"):
        assert_llm_calls_at_most(s, 2)


def test_kill_switch_uninstrument_and_a_second_instrument(client: Anthropic, server: AnthropicServer,
                                                          span_exporter: InMemorySpanExporter,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Under the kill switch or after uninstrument a submit makes no span; instrumenting twice makes one per call."""
    monkeypatch.setenv(semconv.ENV_DISABLED, "true")
    client.messages.batches.create(requests=_requests(1))
    monkeypatch.delenv(semconv.ENV_DISABLED)
    uninstrument_anthropic()
    client.messages.batches.create(requests=_requests(1))
    assert llm_spans(span_exporter) == []
    assert instrument_anthropic() and instrument_anthropic()
    client.messages.batches.create(requests=_requests(1))
    assert len(llm_spans(span_exporter)) == 1


def test_an_sdk_without_batches_has_its_other_calls_instrumented(client: Anthropic, server: AnthropicServer,
                                                                 span_exporter: InMemorySpanExporter,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """An older SDK lacking the batches modules is instrumented without them: nothing of theirs is wrapped."""
    uninstrument_anthropic()
    for module in ("anthropic.resources.messages.batches", "anthropic.resources.beta.messages.batches"):
        monkeypatch.setitem(sys.modules, module, None)  # importing it raises ImportError
    assert instrument_anthropic()
    batches = vars(anthropic.resources.messages.Batches)["create"]
    assert not isinstance(batches, wrapt.FunctionWrapper)
    client.messages.create(model=MODEL, max_tokens=16, messages=[{"role": "user", "content": "hi"}])
    client.messages.batches.create(requests=_requests(1))
    assert [sp.name for sp in llm_spans(span_exporter)] == [f"chat {MODEL}"]


def test_the_sdks_own_span_is_replaced(server: AnthropicServer, span_exporter: InMemorySpanExporter) -> None:
    """With the SDK's own tracing on, a submit is still one span: ours."""
    with Anthropic(base_url=server.base_url, api_key=SECRET_KEY, max_retries=0) as c:
        c.messages.batches.create(requests=_requests(1))
    names = [sp.name for sp in span_exporter.get_finished_spans()]
    assert names == ["chat batch"], names


@pytest.mark.parametrize("site", ["anthropic.start", "anthropic.response", "llm.end", "*"])
async def test_a_submit_returns_the_batch_unchanged_when_telemetry_fails(
        site: str, client: Anthropic, aclient: AsyncAnthropic, server: AnthropicServer) -> None:
    """With a fault armed in our code, sync and async submits still return the SDK's batch, and raise nothing."""
    FaultInjector.armed[site] = RuntimeError
    batches = [client.messages.batches.create(requests=_requests(2)),
               await aclient.messages.batches.create(requests=_requests(2))]
    FaultInjector.armed.clear()
    assert [(type(b).__name__, b.request_counts.processing, b.processing_status) for b in batches] == [
        ("MessageBatch", 2, "in_progress")] * 2
