"""The service tier a call was served at is the one it is billed at: read from the response, priced at that
tier's rates, and left unpriced (never priced at the standard rates) when the table has none for it.

The real ``openai`` client talks to a local endpoint answering with the tier a test names (``OpenAIServer``
always answers ``default``); the expected USD comes from ``genai_prices.calc_price``.
"""

from __future__ import annotations

from typing import Any

import pytest
from genai_prices import Usage, calc_price
from openai import OpenAI
from openai_helpers import SECRET_KEY, Canned, attrs, llm_spans, only_span
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel
from agentops_otel import semconv
from agentops_otel.testing import AgentAssertionError, assert_cost_below

USAGE = {"prompt_tokens": 10_000, "completion_tokens": 2000, "total_tokens": 12_000}
USER: list[Any] = [{"role": "user", "content": "x"}]


def _completion(model: str, tier: str | None) -> dict[str, Any]:
    body = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": model,
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hi"}}],
            "usage": USAGE}
    if tier is not None:
        body["service_tier"] = tier
    return body


def _chat(canned: Canned, model: str, **kwargs: Any) -> None:
    with OpenAI(base_url=canned.url + "/v1", api_key=SECRET_KEY, max_retries=0) as client:
        client.chat.completions.create(model=model, messages=USER, **kwargs)


def _unpriced(span_attrs: dict[str, Any]) -> bool:
    return semconv.COST_USD not in span_attrs and semconv.COST_INCOMPLETE_REASON in span_attrs


@pytest.mark.parametrize(("model", "tier"), [("gpt-5", "ultrafast"), ("gpt-5", "scale"), ("gpt-3.5-turbo", "fast")])
def test_a_tier_without_rates_in_the_table_leaves_the_cost_unknown(
        canned: Canned, span_exporter: InMemorySpanExporter, model: str, tier: str) -> None:
    """A response served at a tier the table has no rates for is unpriced, not priced at the standard rates."""
    canned.answer(_completion(model, tier))
    _chat(canned, model)
    a = attrs(only_span(span_exporter))
    assert _unpriced(a), a.get(semconv.COST_USD)
    assert a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_USAGE_UNPRICED


def test_a_batch_tier_costs_the_batch_rates(canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """A response served at the ``batch`` tier is priced at genai-prices' batch rates (half), not the standard ones."""
    canned.answer(_completion("gpt-5", "batch"))
    _chat(canned, "gpt-5")
    expected = calc_price(Usage(input_tokens=10_000, output_tokens=2000), "gpt-5", provider_id="openai",
                          price_context={"processing": "batch"}).total_price
    assert attrs(only_span(span_exporter))[semconv.COST_USD] == pytest.approx(float(expected))


def test_a_streamed_call_at_a_tier_without_rates_is_unpriced(
        canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """The tier a stream's chunks name is the one priced: ``ultrafast`` leaves the streamed call unpriced."""
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "gpt-5-2025-08-07",
             "service_tier": "ultrafast"}
    canned.answer([
        {**chunk, "choices": [{"index": 0, "delta": {"role": "assistant", "content": "hi"}, "finish_reason": None}]},
        {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {**chunk, "choices": [], "usage": USAGE}])
    with OpenAI(base_url=canned.url + "/v1", api_key=SECRET_KEY, max_retries=0) as client:
        for _ in client.chat.completions.create(model="gpt-5", messages=USER, stream=True,
                                                stream_options={"include_usage": True}):
            pass
    assert _unpriced(attrs(only_span(span_exporter)))


def test_a_responses_call_at_a_tier_without_rates_is_unpriced(
        canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """The Responses API's ``service_tier`` is read the same way: ``scale`` leaves the call unpriced."""
    canned.answer({"id": "resp_1", "object": "response", "created_at": 1, "status": "completed",
                   "model": "gpt-5-2025-08-07", "output": [], "parallel_tool_calls": True, "tool_choice": "auto",
                   "tools": [], "service_tier": "scale",
                   "usage": {"input_tokens": 10_000, "input_tokens_details": {"cached_tokens": 0},
                             "output_tokens": 2000, "output_tokens_details": {"reasoning_tokens": 0},
                             "total_tokens": 12_000}})
    with OpenAI(base_url=canned.url + "/v1", api_key=SECRET_KEY, max_retries=0) as client:
        client.responses.create(model="gpt-5", input="x", service_tier="scale")
    assert _unpriced(attrs(only_span(span_exporter)))


def test_a_cost_bound_refuses_a_session_with_one_call_at_an_unpriced_tier(
        canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """One ultrafast call among priced ones makes the session's cost incomplete, and a cost bound refuses it."""
    canned.answer(_completion("gpt-5", "default"))
    canned.answer(_completion("gpt-5", "ultrafast"))
    with agentops_otel.session("tiers") as s:
        _chat(canned, "gpt-5")
        _chat(canned, "gpt-5")
    assert len(llm_spans(span_exporter)) == 2
    assert not s.cost_complete
    with pytest.raises(AgentAssertionError, match="chat gpt-5"):
        assert_cost_below(s, 100.0)


@pytest.mark.parametrize("answered", [None, "auto"])
@pytest.mark.parametrize("asked", ["priority", "flex"])
def test_a_requested_tier_the_response_does_not_confirm_leaves_the_cost_unknown(
        canned: Canned, span_exporter: InMemorySpanExporter, asked: str, answered: str | None) -> None:
    """Asked for a tier billed at its own rates, answered with no tier (or only ``auto``): which rates apply is
    unknown, so the call is unpriced rather than priced at the standard ones."""
    canned.answer(_completion("gpt-5", answered))
    _chat(canned, "gpt-5", service_tier=asked)
    a = attrs(only_span(span_exporter))
    assert _unpriced(a), a.get(semconv.COST_USD)
    assert a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_TIER_UNCONFIRMED


def test_a_request_without_a_tier_answered_without_one_costs_the_standard_rates(
        canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """No tier asked, none answered (an OpenAI-compatible server): the standard rates, as before."""
    canned.answer(_completion("gpt-5", None))
    _chat(canned, "gpt-5", service_tier="auto")
    expected = calc_price(Usage(input_tokens=10_000, output_tokens=2000), "gpt-5", provider_id="openai").total_price
    assert attrs(only_span(span_exporter))[semconv.COST_USD] == pytest.approx(float(expected))


def test_the_requested_tier_is_recorded(canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """``openai.request.service_tier`` says what was asked, beside the response's tier that was billed."""
    canned.answer(_completion("gpt-5", "default"))
    _chat(canned, "gpt-5", service_tier="priority")
    a = attrs(only_span(span_exporter))
    assert (a[semconv.OPENAI_REQUEST_SERVICE_TIER], a[semconv.OPENAI_RESPONSE_SERVICE_TIER]) == ("priority", "default")
    assert semconv.COST_USD in a


def test_a_stream_whose_chunks_do_not_confirm_the_requested_tier_is_unpriced(
        canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """A priority stream whose chunks name no tier is unpriced too."""
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "gpt-5-2025-08-07"}
    canned.answer([
        {**chunk, "choices": [{"index": 0, "delta": {"role": "assistant", "content": "hi"}, "finish_reason": None}]},
        {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {**chunk, "choices": [], "usage": USAGE}])
    with OpenAI(base_url=canned.url + "/v1", api_key=SECRET_KEY, max_retries=0) as client:
        for _ in client.chat.completions.create(model="gpt-5", messages=USER, stream=True, service_tier="priority",
                                                stream_options={"include_usage": True}):
            pass
    assert attrs(only_span(span_exporter))[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_TIER_UNCONFIRMED


def test_a_cost_bound_names_an_unconfirmed_tier(canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """The bound's failure says the response did not confirm the tier asked for."""
    canned.answer(_completion("gpt-5", None))
    with agentops_otel.session("tiers") as s:
        _chat(canned, "gpt-5", service_tier="priority")
    with pytest.raises(AgentAssertionError, match="did not say which tier served it"):
        assert_cost_below(s, 100.0)
