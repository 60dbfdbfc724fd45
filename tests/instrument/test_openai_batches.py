"""A batch submitted in a session is billed later, outside it: cost and token bounds refuse to read it as
$0, and call bounds refuse to count it as one call or none."""

from __future__ import annotations

import openai
import pytest
from openai import AsyncOpenAI, OpenAI
from openai_helpers import attrs, llm_spans, only_span
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel
from agentops_otel import semconv
from agentops_otel.instrument.openai import instrument_openai, uninstrument_openai
from agentops_otel.testing import (
    AgentAssertionError,
    OpenAIServer,
    Reply,
    assert_cost_below,
    assert_llm_calls_at_most,
    assert_tokens_below,
)

CHAT = "/v1/chat/completions"


def _submit(client: OpenAI, endpoint: str = CHAT) -> openai.types.Batch:
    return client.batches.create(input_file_id="file-abc", endpoint=endpoint,  # type: ignore[arg-type]
                                 completion_window="24h")


def test_cost_bound_refuses_a_session_that_only_submitted_a_batch(client: OpenAI, server: OpenAIServer) -> None:
    """A session whose agent only submits a batch has no known cost: a cost bound fails, naming the batch."""
    with agentops_otel.session("batch") as s:
        _submit(client)
    with pytest.raises(AgentAssertionError, match="batch"):
        assert_cost_below(s, 0.01)


def test_token_bound_refuses_a_batch(client: OpenAI, server: OpenAIServer) -> None:
    """The tokens a batch's requests will use are unknown at submit time: a token bound fails, naming the batch."""
    with agentops_otel.session("batch") as s:
        _submit(client)
    with pytest.raises(AgentAssertionError, match=r"(?s)token count is incomplete.*batch submitted"):
        assert_tokens_below(s, 1_000_000)


def test_call_bound_refuses_a_batch_whose_file_is_not_counted_yet(client: OpenAI, server: OpenAIServer) -> None:
    """Its requests are in a file the API counts only after the submit: no call bound passes, however large."""
    with agentops_otel.session("batch") as s:
        _submit(client)
    with pytest.raises(AgentAssertionError, match=r"(?s)cannot count.*number of requests is unknown"):
        assert_llm_calls_at_most(s, 1000)


def test_submit_is_one_span_with_its_endpoint_id_and_reason(client: OpenAI, server: OpenAIServer,
                                                            span_exporter: InMemorySpanExporter) -> None:
    """The submit is a span named by its requests' operation, with the endpoint, the batch's id and no cost,
    saying why; the user gets the SDK's Batch itself."""
    batch = _submit(client)
    assert type(batch) is openai.types.Batch and batch.status == "validating"
    span = only_span(span_exporter)
    a = attrs(span)
    assert span.name == "chat batch" and a[semconv.GEN_AI_OPERATION_NAME] == semconv.OP_CHAT
    assert (a[semconv.BATCH_ENDPOINT], a[semconv.BATCH_ID]) == (CHAT, batch.id)
    assert semconv.BATCH_REQUESTS not in a  # 0 while validating: not known yet
    assert a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_BATCH_QUEUED and a[semconv.USAGE_MISSING] is True
    assert semconv.COST_USD not in a


async def test_async_submit_is_named_by_its_endpoint(aclient: AsyncOpenAI, server: OpenAIServer,
                                                     span_exporter: InMemorySpanExporter) -> None:
    """AsyncBatches.create is recorded too; an embeddings batch is an `embeddings batch`."""
    await aclient.batches.create(input_file_id="file-abc", endpoint="/v1/embeddings", completion_window="24h")
    a = attrs(only_span(span_exporter))
    assert a[semconv.GEN_AI_OPERATION_NAME] == semconv.OP_EMBEDDINGS
    assert a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_BATCH_QUEUED


async def test_a_moderations_batch_is_free(client: OpenAI, aclient: AsyncOpenAI, server: OpenAIServer,
                                           span_exporter: InMemorySpanExporter) -> None:
    """Moderations bill nothing: a batch of them is no model call, and leaves the session's cost complete."""
    with agentops_otel.session("moderate") as s:
        _submit(client, "/v1/moderations")
        await aclient.batches.create(input_file_id="f", endpoint="/v1/moderations", completion_window="24h")
    assert llm_spans(span_exporter) == [] and s.cost_complete
    assert len(server.requests) == 2


def test_a_refused_submit_is_not_billed(client: OpenAI, server: OpenAIServer,
                                        span_exporter: InMemorySpanExporter) -> None:
    """A submit the API refuses queued nothing: its error reaches the user unchanged, it costs $0 and is one call."""
    server.queue(Reply.error(400))
    with agentops_otel.session("batch") as s, pytest.raises(openai.BadRequestError):
        _submit(client)
    a = attrs(only_span(span_exporter))
    assert a[semconv.ERROR_TYPE] == "400" and a[semconv.COST_USD] == 0.0
    assert_cost_below(s, 0.01)
    assert_llm_calls_at_most(s, 1)


def test_kill_switch_uninstrument_and_a_second_instrument(client: OpenAI, server: OpenAIServer,
                                                          span_exporter: InMemorySpanExporter,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Under the kill switch or after uninstrument a submit makes no span; instrumenting twice makes one per call."""
    monkeypatch.setenv(semconv.ENV_DISABLED, "true")
    _submit(client)
    monkeypatch.delenv(semconv.ENV_DISABLED)
    uninstrument_openai()
    _submit(client)
    assert llm_spans(span_exporter) == []
    assert instrument_openai() and instrument_openai()
    _submit(client)
    assert len(llm_spans(span_exporter)) == 1


def test_replay_shows_the_call_count_of_an_unsized_batch_as_a_lower_bound(
        client: OpenAI, server: OpenAIServer) -> None:
    """A batch whose requests are not counted yet is at least one call: the replay says ``≥ 1``, never a bare 1."""
    from agentops_otel.render import render_json, render_text

    with agentops_otel.session("batch") as s:
        _submit(client)
    timeline = s.timeline()
    assert timeline.summary.llm_calls == 1 and not timeline.summary.llm_calls_complete
    assert "LLM calls: ≥ 1" in render_text(timeline, color=False)
    assert '"llm_calls_complete": false' in render_json(timeline)


@pytest.mark.parametrize("is_async", [False, True])
def test_an_endpoint_the_sdk_takes_as_given_reaches_it_unchanged(server: OpenAIServer, is_async: bool) -> None:
    """An endpoint that is no string (a list, unhashable) is the SDK's to send or refuse: the wrapper never raises."""
    import asyncio

    kwargs = {"input_file_id": "file-1", "endpoint": ["/v1/chat/completions"], "completion_window": "24h"}
    if is_async:
        async def submit() -> object:
            async with AsyncOpenAI(base_url=server.base_url, api_key="sk-local", max_retries=0) as client:
                return await client.batches.create(**kwargs)  # type: ignore[arg-type]

        batch = asyncio.run(submit())
    else:
        with OpenAI(base_url=server.base_url, api_key="sk-local", max_retries=0) as client:
            batch = client.batches.create(**kwargs)  # type: ignore[arg-type]
    assert type(batch).__name__ == "Batch"
