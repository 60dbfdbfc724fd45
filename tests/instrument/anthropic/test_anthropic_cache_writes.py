"""Cache writes are priced by their TTL (one-hour ones at 2x the input rate, five-minute ones at 1.25x): a
response that does not say how its writes split is never priced as if they were all five-minute ones.

The real ``anthropic`` client reads each usage shape from a local endpoint (``canned``).
"""

from __future__ import annotations

from typing import Any

import pytest
from anthropic import Anthropic
from openai_helpers import SECRET_KEY, Canned, attrs, only_span
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import Session, semconv
from agentops_otel.cost import register_price
from agentops_otel.testing import AgentAssertionError, assert_cost_below, assert_tokens_below

MODEL = "claude-haiku-4-5"  # $1 input, $5 output, $1.25 / $2 per MTok for 5-minute / one-hour cache writes
WRITES = 1_000_000


def _ask(canned: Canned, usage: dict[str, Any]) -> Session:
    """One call in a session, answered with ``usage``."""
    canned.answer({"id": "msg_1", "type": "message", "role": "assistant", "model": MODEL, "stop_reason": "end_turn",
                   "stop_sequence": None, "content": [{"type": "text", "text": "ok"}], "usage": usage})
    with agentops.session("cache") as s, Anthropic(base_url=canned.url, api_key=SECRET_KEY, max_retries=0) as c:
        c.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "q"}])
    return s


def test_writes_reported_only_by_ttl_are_counted_and_priced(canned: Canned,
                                                            span_exporter: InMemorySpanExporter) -> None:
    """A usage whose ``cache_creation`` split names one-hour writes its total leaves out counts and prices them."""
    s = _ask(canned, {"input_tokens": 1000, "output_tokens": 100,
                      "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": WRITES}})
    a = attrs(only_span(span_exporter))
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 1000 + WRITES
    assert a[semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] == WRITES
    assert (a[semconv.ANTHROPIC_CACHE_WRITE_5M], a[semconv.ANTHROPIC_CACHE_WRITE_1H]) == (0, WRITES)
    assert a[semconv.COST_USD] == pytest.approx((1000 * 1 + WRITES * 2 + 100 * 5) / 1e6)
    with pytest.raises(AgentAssertionError):
        assert_cost_below(s, 1.0)


@pytest.mark.parametrize("split", [{"ephemeral_5m_input_tokens": 0}, {}, None], ids=["no-1h", "empty", "absent"])
def test_writes_without_their_one_hour_share_leave_the_cost_unknown(
        split: dict[str, int] | None, canned: Canned, span_exporter: InMemorySpanExporter) -> None:
    """Writes the response does not place in a TTL may be one-hour ones: the cost is unknown, the tokens are not."""
    usage: dict[str, Any] = {"input_tokens": 1000, "output_tokens": 100, "cache_creation_input_tokens": WRITES}
    if split is not None:
        usage["cache_creation"] = split
    s = _ask(canned, usage)
    a = attrs(only_span(span_exporter))
    assert semconv.COST_USD not in a
    assert a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_CACHE_TTL_UNKNOWN
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 1000 + WRITES
    assert semconv.ANTHROPIC_CACHE_WRITE_5M not in a  # not made up from the total
    with pytest.raises(AgentAssertionError, match="cost is incomplete"):
        assert_cost_below(s, 100.0)
    assert_tokens_below(s, 2 * WRITES)  # the tokens are known: a token bound counts them


def test_a_registered_price_prices_writes_of_unknown_ttl(canned: Canned,
                                                        span_exporter: InMemorySpanExporter) -> None:
    """A registered price has one cache-write rate whatever the TTL: the split does not matter to it."""
    register_price(MODEL, input_per_mtok=1, output_per_mtok=5, cache_write_per_mtok=3)
    _ask(canned, {"input_tokens": 1000, "output_tokens": 100, "cache_creation_input_tokens": WRITES})
    assert attrs(only_span(span_exporter))[semconv.COST_USD] == pytest.approx((1000 + WRITES * 3 + 100 * 5) / 1e6)
