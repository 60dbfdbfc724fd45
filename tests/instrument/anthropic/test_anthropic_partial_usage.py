"""An Anthropic usage object lacking a token count is no complete, cheap call: its cost is unknown, with why."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from anthropic import Anthropic
from openai_helpers import SECRET_KEY, attrs, only_span
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from payload_server import PayloadServer

import agentops_otel
from agentops_otel import semconv
from agentops_otel.testing import AgentAssertionError, assert_cost_below


@pytest.fixture
def gw_client(gateway: PayloadServer) -> Iterator[Anthropic]:
    with Anthropic(base_url=gateway.url, api_key=SECRET_KEY, max_retries=0) as client:
        yield client


def _message(usage: dict[str, Any]) -> dict[str, Any]:
    return {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
            "content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn", "stop_sequence": None,
            "usage": usage}


def _ask(client: Anthropic) -> None:
    client.messages.create(model="claude-haiku-4-5", max_tokens=10, messages=[{"role": "user", "content": "x"}])


def test_empty_usage_is_usage_missing(gateway: PayloadServer, gw_client: Anthropic,
                                      span_exporter: InMemorySpanExporter) -> None:
    """``usage: {}``: no token counts recorded and the cost unknown, so the cost bound fails."""
    gateway.json(_message({}))
    with agentops_otel.session("gateway-agent") as s:
        _ask(gw_client)
    a = attrs(only_span(span_exporter))
    assert semconv.GEN_AI_USAGE_INPUT_TOKENS not in a and semconv.GEN_AI_USAGE_OUTPUT_TOKENS not in a
    assert a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_USAGE_MISSING
    with pytest.raises(AgentAssertionError, match="cost is incomplete"):
        assert_cost_below(s, 0.01)


def test_usage_without_the_output_count_records_the_input_and_an_unknown_cost(
        gateway: PayloadServer, gw_client: Anthropic, span_exporter: InMemorySpanExporter) -> None:
    """Only input tokens reported: they are recorded, the cost is unknown rather than the input's price."""
    gateway.json(_message({"input_tokens": 1_000}))
    with agentops_otel.session("gateway-agent") as s:
        _ask(gw_client)
    a = attrs(only_span(span_exporter))
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 1_000 and semconv.GEN_AI_USAGE_OUTPUT_TOKENS not in a
    assert semconv.COST_USD not in a and a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_USAGE_PARTIAL
    assert not s.cost_complete
