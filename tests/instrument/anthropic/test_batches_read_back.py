"""A session that submitted batches, read back from its exported spans (what a test reading a backend, the
replay and the gate get): the same refusals as the live session, and the reason named."""

from __future__ import annotations

import pytest
from anthropic import Anthropic
from openai import OpenAI
from openai_helpers import SECRET_KEY
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel
from agentops_otel.gate import evaluate_gate
from agentops_otel.read import records_from_spans
from agentops_otel.reassemble import reassemble
from agentops_otel.render.text import render_text
from agentops_otel.testing import (
    AgentAssertionError,
    AnthropicServer,
    OpenAIServer,
    Reply,
    Usage,
    assert_cost_below,
    assert_llm_calls_at_most,
    assert_tokens_below,
)
from agentops_otel.timeline import Timeline

MODEL = "claude-haiku-4-5"


def _requests(n: int) -> list[object]:
    return [{"custom_id": f"r{i}", "params": {"model": MODEL, "max_tokens": 8,
                                               "messages": [{"role": "user", "content": "hi"}]}} for i in range(n)]


def _read_back(span_exporter: InMemorySpanExporter, session_id: str) -> Timeline:
    timeline = reassemble(records_from_spans(span_exporter.get_finished_spans())).timeline_for(session_id)
    assert timeline is not None
    return timeline


def test_a_batch_read_back_counts_its_requests_and_refuses_cost(client: Anthropic, server: AnthropicServer,
                                                                span_exporter: InMemorySpanExporter) -> None:
    """Read back, a chat call and a batch of three are four model calls with nothing missing, and the cost and
    token bounds refuse, naming the batch; the replay names it too."""
    server.queue(Reply.text("hello", usage=Usage(10, 2)))
    with agentops_otel.session("batch") as s:
        client.messages.create(model=MODEL, max_tokens=8, messages=[{"role": "user", "content": "hi"}])
        client.messages.batches.create(requests=_requests(3))  # type: ignore[arg-type]
    timeline = _read_back(span_exporter, s.id)
    summary = timeline.summary
    assert (summary.llm_calls, summary.complete, summary.cost_complete) == (4, True, False)
    assert summary.issues == ()
    with pytest.raises(AgentAssertionError, match=r"chat batch at .*batch submitted"):
        assert_cost_below(timeline, 1.0)
    with pytest.raises(AgentAssertionError, match=r"chat batch at .*batch submitted"):
        assert_tokens_below(timeline, 1_000_000)
    with pytest.raises(AgentAssertionError, match="made 4"):
        assert_llm_calls_at_most(timeline, 3)
    assert_llm_calls_at_most(timeline, 4)
    replay = render_text(timeline, color=False)
    assert "Cost incomplete: 1 batch submitted" in replay and "LLM calls: 4" in replay


def test_the_gate_refuses_a_cost_bound_over_a_batch(server: AnthropicServer,
                                                    span_exporter: InMemorySpanExporter) -> None:
    """The gate's cost bound does not pass a session whose only spend is an openai batch: it names the batch."""
    with OpenAIServer() as oai_server, OpenAI(base_url=oai_server.base_url, api_key=SECRET_KEY, max_retries=0) as oai:
        with agentops_otel.session("batch") as s:
            oai.batches.create(input_file_id="file-abc", endpoint="/v1/chat/completions", completion_window="24h")
    timeline = _read_back(span_exporter, s.id)
    with pytest.raises(AgentAssertionError, match="cannot count"):
        assert_llm_calls_at_most(timeline, 100)
    result = evaluate_gate([timeline], max_failure_rate=1.0, max_cost=1.0)
    assert not result.ok
    assert result.incomplete_cost == [s.id]
    assert any("batch submitted" in line for line in result.cost_gaps[s.id])
