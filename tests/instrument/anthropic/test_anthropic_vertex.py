"""Claude through Google Vertex AI (``AnthropicVertex``): a regional or multi-region endpoint costs more than the
global one (10% on Claude Sonnet 4.5 and later), and genai-prices has the global rates only.

The real ``AnthropicVertex`` client (an access token instead of Google credentials) sends to a local endpoint
answering with exact payloads (``canned``).
"""

from __future__ import annotations

from typing import Any

import pytest
from anthropic import AnthropicVertex
from openai_helpers import Canned, attrs, only_span
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import semconv
from agentops_otel.cost import register_price
from agentops_otel.testing import AgentAssertionError, assert_cost_below

MODEL = "claude-sonnet-4-5@20250929"
USAGE = {"input_tokens": 10_000, "output_tokens": 2000}
MESSAGE: dict[str, Any] = {"id": "msg_1", "type": "message", "role": "assistant",
                           "model": "claude-sonnet-4-5-20250929", "stop_reason": "end_turn", "stop_sequence": None,
                           "content": [{"type": "text", "text": "ok"}], "usage": USAGE}


def _vertex(canned: Canned, region: str) -> AnthropicVertex:
    return AnthropicVertex(region=region, project_id="p", access_token="t", base_url=canned.url, max_retries=0)


def test_a_regional_endpoint_leaves_the_cost_unknown(canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """A call sent to a Vertex region is not priced at the global rates: the bound refuses it."""
    canned.answer(MESSAGE)
    with agentops.session("vertex") as s:
        _vertex(canned, "us-east5").messages.create(model=MODEL, max_tokens=10,
                                                    messages=[{"role": "user", "content": "q"}])
    a = attrs(only_span(span_exporter))
    assert semconv.COST_USD not in a
    assert a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_USAGE_UNPRICED
    assert a[semconv.CLOUD_REGION] == "us-east5"
    with pytest.raises(AgentAssertionError, match="cost is incomplete"):
        assert_cost_below(s, 100.0)


def test_a_streamed_call_to_a_multi_region_endpoint_leaves_the_cost_unknown(
        canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """The stream helper on the ``us`` multi-region endpoint: unpriced as well."""
    start = {**MESSAGE, "content": [], "stop_reason": None, "usage": {**USAGE, "output_tokens": 1}}
    canned.answer([
        {"type": "message_start", "message": start},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "ok"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None}, "usage": USAGE},
        {"type": "message_stop"}])
    with _vertex(canned, "us").messages.stream(model=MODEL, max_tokens=10,
                                               messages=[{"role": "user", "content": "q"}]) as stream:
        stream.until_done()
    a = attrs(only_span(span_exporter))
    assert semconv.COST_USD not in a
    assert a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_USAGE_UNPRICED


def test_the_global_endpoint_costs_the_table_rates(canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """Vertex's global endpoint bills Claude at Anthropic's list rates: priced."""
    canned.answer(MESSAGE)
    _vertex(canned, "global").messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "q"}])
    assert attrs(only_span(span_exporter))[semconv.COST_USD] == pytest.approx((10_000 * 3 + 2000 * 15) / 1e6)


def test_a_registered_price_prices_a_regional_call(canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """Your region's rates, registered for the model you request, price its calls."""
    register_price(MODEL, input_per_mtok=3.3, output_per_mtok=16.5)
    canned.answer(MESSAGE)
    _vertex(canned, "europe-west1").messages.create(model=MODEL, max_tokens=10,
                                                    messages=[{"role": "user", "content": "q"}])
    assert attrs(only_span(span_exporter))[semconv.COST_USD] == pytest.approx((10_000 * 3.3 + 2000 * 16.5) / 1e6)
