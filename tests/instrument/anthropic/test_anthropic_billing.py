"""What a Claude call is billed for beyond its tokens (server-side web searches, fast mode), against genai-prices.

The real ``anthropic`` client talks to a local endpoint answering with the payload shapes the API
sends (``canned``); the expected USD comes from ``genai_prices.calc_price``.
"""

from __future__ import annotations

from typing import Any

import pytest
from anthropic import Anthropic
from genai_prices import Usage as TableUsage
from genai_prices import calc_price
from openai_helpers import SECRET_KEY, Canned, attrs, llm_spans, only_span
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import semconv
from agentops_otel.cost import register_price
from agentops_otel.instrument.anthropic import uninstrument_anthropic
from agentops_otel.testing import (
    AgentAssertionError,
    AnthropicServer,
    Reply,
    Usage,
    assert_cost_below,
    assert_tokens_below,
)

SEARCH_USAGE = {"input_tokens": 20_000, "output_tokens": 1000, "cache_read_input_tokens": 0,
                "cache_creation_input_tokens": 0, "service_tier": "standard",
                "server_tool_use": {"web_search_requests": 25, "web_fetch_requests": 0}}


def _reference(model: str, context: dict[str, str] | None = None, **usage: int) -> float:
    return float(calc_price(TableUsage(**usage), model, provider_id="anthropic", price_context=context).total_price)


def _message(model: str, usage: dict[str, Any]) -> dict[str, Any]:
    return {"id": "msg_1", "type": "message", "role": "assistant", "model": model, "stop_reason": "end_turn",
            "stop_sequence": None, "content": [{"type": "text", "text": "found it"}], "usage": usage}


def _client(canned: Canned) -> Anthropic:
    return Anthropic(base_url=canned.url, api_key=SECRET_KEY, max_retries=0)


def _ask(canned: Canned, model: str = "claude-sonnet-4-5") -> None:
    """One plain call through the real client, answered with what ``canned`` holds."""
    with _client(canned) as client:
        client.messages.create(model=model, max_tokens=1000, messages=[{"role": "user", "content": "q"}])


def _assert_unpriced(span_exporter: InMemorySpanExporter) -> None:
    """The call's cost is unknown because something it was billed for has no rate, not because of its model."""
    a = attrs(only_span(span_exporter))
    assert semconv.COST_USD not in a
    assert a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_USAGE_UNPRICED


def test_web_searches_are_priced(canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """``server_tool_use.web_search_requests`` is billed per search, as genai-prices prices it."""
    canned.answer(_message("claude-sonnet-4-5-20250929", SEARCH_USAGE))
    with _client(canned) as client:
        client.messages.create(model="claude-sonnet-4-5", max_tokens=1000, messages=[{"role": "user", "content": "q"}])
    expected = _reference("claude-sonnet-4-5", input_tokens=20_000, output_tokens=1000, web_searches=25)
    assert attrs(only_span(span_exporter))[semconv.COST_USD] == pytest.approx(expected)


def test_streamed_web_searches_are_priced(canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """The searches a stream reports in its final ``message_delta`` usage are priced too."""
    start = _message("claude-sonnet-4-5-20250929", {**SEARCH_USAGE, "output_tokens": 1,
                                                    "server_tool_use": {"web_search_requests": 0}})
    start["content"] = []
    canned.answer([
        {"type": "message_start", "message": start},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "found it"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None}, "usage": SEARCH_USAGE},
        {"type": "message_stop"}])
    with _client(canned) as client, client.messages.stream(
            model="claude-sonnet-4-5", max_tokens=1000, messages=[{"role": "user", "content": "q"}]) as stream:
        stream.until_done()
    expected = _reference("claude-sonnet-4-5", input_tokens=20_000, output_tokens=1000, web_searches=25)
    assert attrs(only_span(span_exporter))[semconv.COST_USD] == pytest.approx(expected)


def test_fast_mode_costs_the_fast_rates(canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """A call answered with ``usage.speed == "fast"`` is priced at genai-prices' fast-mode rates."""
    usage = {"input_tokens": 10_000, "output_tokens": 2000, "service_tier": "standard", "speed": "fast"}
    canned.answer(_message("claude-opus-4-8", usage))
    with _client(canned) as client:
        client.messages.create(model="claude-opus-4-8", max_tokens=10, messages=[{"role": "user", "content": "x"}],
                               speed="fast")
    expected = _reference("claude-opus-4-8", {"speed": "fast"}, input_tokens=10_000, output_tokens=2000)
    assert attrs(only_span(span_exporter))[semconv.COST_USD] == pytest.approx(expected)


def test_fast_mode_without_a_fast_price_leaves_the_cost_unknown(
        canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """Fast mode on a model the table has no fast rates for is not priced at the standard rates."""
    usage = {"input_tokens": 10_000, "output_tokens": 2000, "service_tier": "standard", "speed": "fast"}
    canned.answer(_message("claude-haiku-4-5", usage))
    _ask(canned, "claude-haiku-4-5")
    _assert_unpriced(span_exporter)


def test_price_registered_without_a_provider_prices_claude_calls(
        client: Anthropic, server: AnthropicServer, span_exporter: InMemorySpanExporter) -> None:
    """A price registered for a Claude model without ``provider=`` wins over the bundled one on a Claude call."""
    register_price("claude-sonnet-4-5", input_per_mtok=1000, output_per_mtok=1000)
    server.queue(Reply.text("x", usage=Usage(prompt_tokens=1000, completion_tokens=1000)))
    client.messages.create(model="claude-sonnet-4-5", max_tokens=10, messages=[{"role": "user", "content": "q"}])
    assert attrs(only_span(span_exporter))[semconv.COST_USD] == pytest.approx(2.0)


def test_custom_claude_model_registered_without_a_provider_is_priced(
        client: Anthropic, server: AnthropicServer, span_exporter: InMemorySpanExporter) -> None:
    """A model the table doesn't know, served through the Anthropic API, is priced once registered by name."""
    register_price("acme-claude-tuned", input_per_mtok=3, output_per_mtok=15)
    server.queue(Reply.text("x", usage=Usage(prompt_tokens=1000, completion_tokens=100)))
    client.messages.create(model="acme-claude-tuned", max_tokens=10, messages=[{"role": "user", "content": "q"}])
    a = attrs(only_span(span_exporter))
    assert a[semconv.COST_USD] == pytest.approx((1000 * 3 + 100 * 15) / 1e6)
    assert semconv.COST_INCOMPLETE_REASON not in a


def test_price_registered_for_the_provider_wins_over_one_for_any_provider(
        client: Anthropic, server: AnthropicServer, span_exporter: InMemorySpanExporter) -> None:
    """With a price for any provider and one for ``provider="anthropic"``, a Claude call costs the latter."""
    register_price("claude-sonnet-4-5", input_per_mtok=1000, output_per_mtok=1000, provider="anthropic")
    register_price("claude-sonnet-4-5", input_per_mtok=1, output_per_mtok=1)
    server.queue(Reply.text("x", usage=Usage(prompt_tokens=1000, completion_tokens=1000)))
    client.messages.create(model="claude-sonnet-4-5", max_tokens=10, messages=[{"role": "user", "content": "q"}])
    assert attrs(only_span(span_exporter))[semconv.COST_USD] == pytest.approx(2.0)


def test_us_only_inference_leaves_the_cost_unknown(canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """A call that ran with ``inference_geo: "us"`` (billed 1.1x, a rate genai-prices lacks) is not priced at 1x."""
    usage = {"input_tokens": 10_000, "output_tokens": 2000, "service_tier": "standard", "inference_geo": "us"}
    canned.answer(_message("claude-opus-4-7", usage))
    with agentops.session("us-only") as s, _client(canned) as client:
        client.messages.create(model="claude-opus-4-7", max_tokens=10, messages=[{"role": "user", "content": "x"}],
                               inference_geo="us")
    a = attrs(only_span(span_exporter))
    assert semconv.COST_USD not in a
    assert a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_USAGE_UNPRICED
    with pytest.raises(AgentAssertionError, match="cost is incomplete"):
        assert_cost_below(s, 100.0)


def _stream(start_usage: dict[str, Any], final_usage: dict[str, Any]) -> list[dict[str, Any]]:
    """The events of a streamed "ok" answer: ``start_usage`` in its ``message_start``, ``final_usage`` at its end."""
    start = _message("claude-opus-4-7", start_usage)
    start["content"] = []
    return [
        {"type": "message_start", "message": start},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "ok"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
         "usage": final_usage},
        {"type": "message_stop"}]


def test_streamed_us_only_inference_leaves_the_cost_unknown(canned: Canned,
                                                            span_exporter: InMemorySpanExporter) -> None:
    """The geography a stream's ``message_start`` reports is kept until its usage is priced."""
    canned.answer(_stream({"input_tokens": 10_000, "output_tokens": 1, "inference_geo": "us"},
                          {"input_tokens": 10_000, "output_tokens": 2000}))
    with _client(canned) as client, client.messages.stream(
            model="claude-opus-4-7", max_tokens=10, messages=[{"role": "user", "content": "x"}]) as stream:
        stream.until_done()
    _assert_unpriced(span_exporter)


@pytest.mark.parametrize("geo", ["global", "not_available"])
def test_global_inference_is_priced_at_the_standard_rates(geo: str, canned: Canned,
                                                          span_exporter: InMemorySpanExporter) -> None:
    """Inference the API reports as global (or without a geography) costs the table's standard rates."""
    usage = {"input_tokens": 10_000, "output_tokens": 2000, "service_tier": "standard", "inference_geo": geo}
    canned.answer(_message("claude-opus-4-7", usage))
    with _client(canned) as client:
        client.messages.create(model="claude-opus-4-7", max_tokens=10, messages=[{"role": "user", "content": "x"}])
    expected = _reference("claude-opus-4-7", input_tokens=10_000, output_tokens=2000)
    assert attrs(only_span(span_exporter))[semconv.COST_USD] == pytest.approx(expected)


COMPACTED_USAGE = {"input_tokens": 2000, "output_tokens": 500, "cache_read_input_tokens": 0,
                   "cache_creation_input_tokens": 0, "service_tier": "standard",
                   "iterations": [
                       {"type": "compaction", "input_tokens": 150_000, "output_tokens": 3000,
                        "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0},
                       {"type": "message", "input_tokens": 2000, "output_tokens": 500,
                        "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}]}


def test_a_compaction_iteration_is_counted_and_priced(canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """The compaction the API ran is billed but left out of the top-level usage: its tokens are added to the call's."""
    canned.answer(_message("claude-opus-4-7", COMPACTED_USAGE))
    with _client(canned) as client:
        client.beta.messages.create(model="claude-opus-4-7", max_tokens=10, messages=[{"role": "user", "content": "x"}])
    a = attrs(only_span(span_exporter))
    assert (a[semconv.GEN_AI_USAGE_INPUT_TOKENS], a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS]) == (152_000, 3500)
    expected = _reference("claude-opus-4-7", input_tokens=152_000, output_tokens=3500)
    assert a[semconv.COST_USD] == pytest.approx(expected)


def test_a_streamed_compaction_iteration_is_counted(canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """The iterations a stream reports in its final ``message_delta`` usage count the same way."""
    canned.answer(_stream({"input_tokens": 2000, "output_tokens": 1}, COMPACTED_USAGE))
    with _client(canned) as client, client.beta.messages.stream(
            model="claude-opus-4-7", max_tokens=10, messages=[{"role": "user", "content": "x"}]) as stream:
        stream.until_done()
    a = attrs(only_span(span_exporter))
    assert (a[semconv.GEN_AI_USAGE_INPUT_TOKENS], a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS]) == (152_000, 3500)


_CODE_EXECUTION = {"type": "server_tool_use", "id": "srvtoolu_1", "name": "code_execution",
                   "input": {"code": "print(1)"}}


def test_a_code_execution_call_leaves_the_cost_unknown(canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """Claude's code execution runs in a container billed by the hour beside the tokens (after free hours the
    response does not count): the call is unpriced, not priced as its tokens alone."""
    message = _message("claude-sonnet-4-5-20250929", {"input_tokens": 1000, "output_tokens": 100})
    message["content"] = [_CODE_EXECUTION, {"type": "text", "text": "1"}]
    canned.answer(message)
    _ask(canned)
    _assert_unpriced(span_exporter)


def test_a_streamed_code_execution_call_leaves_the_cost_unknown(
        canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """The same call streamed: the container's block makes it unpriced."""
    start = _message("claude-sonnet-4-5-20250929", {"input_tokens": 1000, "output_tokens": 1})
    start["content"] = []
    canned.answer([
        {"type": "message_start", "message": start},
        {"type": "content_block_start", "index": 0, "content_block": {**_CODE_EXECUTION, "input": {}}},
        {"type": "content_block_delta", "index": 0,
         "delta": {"type": "input_json_delta", "partial_json": '{"code": "print(1)"}'}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
         "usage": {"input_tokens": 1000, "output_tokens": 100}},
        {"type": "message_stop"}])
    with _client(canned) as client, client.messages.stream(
            model="claude-sonnet-4-5", max_tokens=1000, messages=[{"role": "user", "content": "q"}]) as stream:
        stream.until_done()
    a = attrs(only_span(span_exporter))
    assert semconv.COST_USD not in a
    assert a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_USAGE_UNPRICED


def test_a_web_fetch_is_billed_as_tokens_alone(canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """Web fetch costs only the tokens it brings in: the call stays priced."""
    message = _message("claude-sonnet-4-5-20250929", {"input_tokens": 1000, "output_tokens": 100,
                                                      "server_tool_use": {"web_fetch_requests": 1}})
    message["content"] = [{"type": "server_tool_use", "id": "srvtoolu_2", "name": "web_fetch",
                           "input": {"url": "https://example.com"}}, {"type": "text", "text": "ok"}]
    canned.answer(message)
    _ask(canned)
    assert semconv.COST_USD in attrs(only_span(span_exporter))


def test_a_priority_tier_call_leaves_the_cost_unknown(canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """Priority Tier is billed through a capacity commitment, not at the standard rates: the call is unpriced."""
    canned.answer(_message("claude-opus-4-7", {"input_tokens": 10_000, "output_tokens": 2000,
                                               "service_tier": "priority"}))
    with agentops.session("priority") as s:
        _ask(canned, "claude-opus-4-7")
    _assert_unpriced(span_exporter)
    with pytest.raises(AgentAssertionError, match="cost is incomplete"):
        assert_cost_below(s, 100.0)


def test_a_streamed_priority_tier_call_leaves_the_cost_unknown(
        canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """The tier a stream's ``message_start`` reports is the tier its usage is priced at."""
    canned.answer(_stream({"input_tokens": 10_000, "output_tokens": 1, "service_tier": "priority"},
                          {"input_tokens": 10_000, "output_tokens": 2000}))
    with _client(canned) as client:
        for _ in client.messages.create(model="claude-opus-4-7", max_tokens=10, stream=True,
                                        messages=[{"role": "user", "content": "x"}]):
            pass
    _assert_unpriced(span_exporter)


def test_a_registered_price_prices_a_priority_tier_call(canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """A price you register (your commitment's) prices the model's tokens whatever the tier."""
    register_price("claude-opus-4-7", input_per_mtok=6, output_per_mtok=30)
    canned.answer(_message("claude-opus-4-7", {"input_tokens": 10_000, "output_tokens": 2000,
                                               "service_tier": "priority"}))
    _ask(canned, "claude-opus-4-7")
    assert attrs(only_span(span_exporter))[semconv.COST_USD] == pytest.approx((10_000 * 6 + 2000 * 30) / 1e6)


ADVISED_USAGE = {"input_tokens": 2000, "output_tokens": 500, "cache_read_input_tokens": 0,
                 "cache_creation_input_tokens": 0, "service_tier": "standard",
                 "iterations": [
                     {"type": "message", "input_tokens": 1000, "output_tokens": 20,
                      "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0},
                     {"type": "advisor_message", "model": "claude-opus-4-7", "input_tokens": 40_000,
                      "output_tokens": 1600, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0},
                     {"type": "message", "input_tokens": 1000, "output_tokens": 480,
                      "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}]}
_ADVICE = [{"type": "server_tool_use", "id": "srvtoolu_3", "name": "advisor", "input": {}},
           {"type": "advisor_tool_result", "tool_use_id": "srvtoolu_3",
            "content": {"type": "advisor_result", "text": "plan", "stop_reason": "end_turn"}},
           {"type": "text", "text": "done"}]


def test_an_advisor_iteration_is_counted_and_leaves_the_cost_unknown(
        canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """The advisor's sub-inference runs on another model and is left out of the top-level usage: its tokens are
    the call's too, and the call is not priced as the executor's tokens alone."""
    message = _message("claude-haiku-4-5", ADVISED_USAGE)
    message["content"] = _ADVICE
    canned.answer(message)
    with agentops.session("advised") as s, _client(canned) as client:
        client.beta.messages.create(model="claude-haiku-4-5", max_tokens=10,
                                    messages=[{"role": "user", "content": "x"}])
    a = attrs(only_span(span_exporter))
    assert (a[semconv.GEN_AI_USAGE_INPUT_TOKENS], a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS]) == (42_000, 2100)
    assert a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_USAGE_UNPRICED
    with pytest.raises(AgentAssertionError, match="expected fewer than 10000 tokens"):
        assert_tokens_below(s, 10_000)


def test_a_streamed_advisor_iteration_is_counted(canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """The iterations a stream's final ``message_delta`` reports count the same way, block or no block."""
    canned.answer(_stream({"input_tokens": 2000, "output_tokens": 1}, ADVISED_USAGE))
    with _client(canned) as client, client.beta.messages.stream(
            model="claude-haiku-4-5", max_tokens=10, messages=[{"role": "user", "content": "x"}]) as stream:
        stream.until_done()
    a = attrs(only_span(span_exporter))
    assert (a[semconv.GEN_AI_USAGE_INPUT_TOKENS], a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS]) == (42_000, 2100)
    assert semconv.COST_USD not in a


def test_the_sdks_own_span_of_a_priority_tier_call_leaves_the_cost_unknown(
        canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """A call we did not trace keeps the SDK's own span, which names the tier as ``anthropic.response.service_tier``:
    a priority one is not priced at the standard rates either."""
    uninstrument_anthropic()
    canned.answer(_message("claude-opus-4-7", {"input_tokens": 10_000, "output_tokens": 2000,
                                               "service_tier": "priority"}))
    with agentops.session("sdk-span") as s:
        _ask(canned, "claude-opus-4-7")
    assert [sp.name for sp in llm_spans(span_exporter)] == ["anthropic.messages.create"]
    with pytest.raises(AgentAssertionError, match="cost is incomplete"):
        assert_cost_below(s, 100.0)
