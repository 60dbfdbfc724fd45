"""A session whose agent calls both OpenAI and Anthropic adds both providers' calls, tokens and cost."""

from __future__ import annotations

import pytest
from anthropic import Anthropic
from openai import OpenAI
from openai_helpers import SECRET_KEY, attrs, llm_spans
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import semconv
from agentops_otel.testing import AnthropicServer, OpenAIServer, Reply, Usage

MODEL = "claude-haiku-4-5"  # priced: $1 in, $5 out, $0.10 cache read, $1.25 / $2 5m / 1h write per MTok


def test_mixed_session_totals(server: AnthropicServer, span_exporter: InMemorySpanExporter) -> None:
    """Two providers in one session: calls, input (cache included), output, cache and cost all add up."""
    server.queue(Reply.text("claude", usage=Usage(200, 20, cached_tokens=50, cache_write_tokens=100,
                                                  cache_write_1h_tokens=100)))
    with OpenAIServer() as oai_server:
        oai_server.queue(Reply.text("gpt", usage=Usage(100, 10, cached_tokens=40)))
        with (OpenAI(base_url=oai_server.base_url, api_key=SECRET_KEY, max_retries=0) as oai,
              Anthropic(base_url=server.base_url, api_key=SECRET_KEY, max_retries=0) as claude,
              agentops.session("mixed") as s):
            oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
            claude.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "hi"}])

    providers = sorted(attrs(sp)[semconv.GEN_AI_PROVIDER_NAME] for sp in llm_spans(span_exporter))
    assert providers == ["anthropic", "openai"]
    assert (s.llm_calls, s.input_tokens, s.output_tokens) == (2, 300, 30)
    assert (s.cache_read_tokens, s.cache_write_tokens) == (90, 100)
    gpt = (60 * 2.5 + 40 * 1.25 + 10 * 10) / 1e6
    claude_cost = (50 * 1 + 50 * 0.1 + 100 * 2 + 20 * 5) / 1e6
    assert s.cost == pytest.approx(gpt + claude_cost)
    assert s.cost_complete is True
