"""Claude through AWS Bedrock (``AnthropicBedrock``) and Google Vertex AI (``AnthropicVertex``): the span names the
cloud the call went to (``aws.bedrock``, ``gcp.vertex_ai``) and the call is priced at that cloud's rates in
genai-prices, or left unpriced; never at Anthropic's own rates for a model the cloud's table does not list.

The real clients (a Bedrock API key, a Vertex access token: no cloud credentials) send to the local
``AnthropicServer``, which answers their paths as ``/v1/messages``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from anthropic import AnthropicBedrock, AnthropicVertex, AsyncAnthropicBedrock, AsyncAnthropicVertex
from openai_helpers import attrs, llm_spans, only_span
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel import semconv
from agentops_otel.testing import AnthropicServer, Reply, Usage

USAGE = Usage(prompt_tokens=10_000, completion_tokens=2000)
ANSWERED = "claude-sonnet-4-5-20250929"
"""The model Bedrock and Vertex name in their answer: Anthropic's own id, whatever the request named."""


def _bedrock(server: AnthropicServer) -> AnthropicBedrock:
    return AnthropicBedrock(api_key="bedrock-key", aws_region="us-east-1", base_url=server.base_url, max_retries=0)


def _vertex(server: AnthropicServer, region: str = "global") -> AnthropicVertex:
    return AnthropicVertex(region=region, project_id="p", access_token="t", base_url=server.base_url, max_retries=0)


def _ask(client: AnthropicBedrock | AnthropicVertex, model: str) -> None:
    client.messages.create(model=model, max_tokens=10, messages=[{"role": "user", "content": "q"}])


@pytest.fixture
def answered(server: AnthropicServer) -> Iterator[AnthropicServer]:
    server.queue(Reply.text("ok", usage=USAGE, model=ANSWERED))
    yield server


def test_a_bedrock_call_names_aws_bedrock(answered: AnthropicServer, span_exporter: InMemorySpanExporter) -> None:
    """An ``AnthropicBedrock`` call's span says ``gen_ai.provider.name=aws.bedrock``."""
    _ask(_bedrock(answered), "us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    assert attrs(only_span(span_exporter))[semconv.GEN_AI_PROVIDER_NAME] == "aws.bedrock"


def test_a_bedrock_call_is_one_span(answered: AnthropicServer, span_exporter: InMemorySpanExporter) -> None:
    """The SDK's own span for the Bedrock call is replaced by ours, as for Anthropic's API: one call, one span."""
    _ask(_bedrock(answered), "us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    assert len(span_exporter.get_finished_spans()) == 1, [s.name for s in span_exporter.get_finished_spans()]


def test_a_bedrock_regional_profile_costs_bedrock_regional_rates(
        answered: AnthropicServer, span_exporter: InMemorySpanExporter) -> None:
    """A ``us.`` inference profile is billed at Bedrock's regional rates ($3.30 / $16.50), not Anthropic's $3 / $15."""
    _ask(_bedrock(answered), "us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    assert attrs(only_span(span_exporter))[semconv.COST_USD] == pytest.approx((10_000 * 3.3 + 2000 * 16.5) / 1e6)


def test_a_bedrock_global_profile_costs_bedrock_global_rates(
        answered: AnthropicServer, span_exporter: InMemorySpanExporter) -> None:
    """A ``global.`` profile is billed at the global rates: priced by the model requested, not the one answered."""
    _ask(_bedrock(answered), "global.anthropic.claude-sonnet-4-5-20250929-v1:0")
    assert attrs(only_span(span_exporter))[semconv.COST_USD] == pytest.approx((10_000 * 3 + 2000 * 15) / 1e6)


def test_a_bedrock_model_the_table_lacks_is_unpriced(
        answered: AnthropicServer, span_exporter: InMemorySpanExporter) -> None:
    """An application inference profile (an ARN that names no model) is unpriced, not priced as the model answered."""
    _ask(_bedrock(answered), "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3")
    a = attrs(only_span(span_exporter))
    assert semconv.COST_USD not in a
    assert a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_MODEL_UNPRICED


async def test_an_async_bedrock_call_names_aws_bedrock(
        answered: AnthropicServer, span_exporter: InMemorySpanExporter) -> None:
    """``AsyncAnthropicBedrock`` too: provider and Bedrock's price."""
    async with AsyncAnthropicBedrock(api_key="bedrock-key", aws_region="us-east-1", base_url=answered.base_url,
                                     max_retries=0) as client:
        await client.messages.create(model="anthropic.claude-sonnet-4-5-20250929-v1:0", max_tokens=10,
                                     messages=[{"role": "user", "content": "q"}])
    a = attrs(only_span(span_exporter))
    assert a[semconv.GEN_AI_PROVIDER_NAME] == "aws.bedrock"
    assert a[semconv.COST_USD] == pytest.approx((10_000 * 3.3 + 2000 * 16.5) / 1e6)


def test_a_vertex_call_names_gcp_vertex_ai(answered: AnthropicServer, span_exporter: InMemorySpanExporter) -> None:
    """An ``AnthropicVertex`` call's span says ``gen_ai.provider.name=gcp.vertex_ai``, and is one span."""
    _ask(_vertex(answered), "claude-sonnet-4-5@20250929")
    assert [attrs(s)[semconv.GEN_AI_PROVIDER_NAME] for s in span_exporter.get_finished_spans()] == ["gcp.vertex_ai"]


def test_a_vertex_global_call_costs_the_vertex_rates(
        answered: AnthropicServer, span_exporter: InMemorySpanExporter) -> None:
    """Vertex's global endpoint, at the rates genai-prices lists for Claude on Google ($3 / $15 for Sonnet 4.5)."""
    _ask(_vertex(answered), "claude-sonnet-4-5@20250929")
    assert attrs(only_span(span_exporter))[semconv.COST_USD] == pytest.approx((10_000 * 3 + 2000 * 15) / 1e6)


def test_a_vertex_model_the_table_lacks_is_unpriced(server: AnthropicServer,
                                                    span_exporter: InMemorySpanExporter) -> None:
    """A Claude model genai-prices prices for Anthropic's API but not for Google (Sonnet 5) is unpriced on Vertex."""
    server.queue(Reply.text("ok", usage=USAGE, model="claude-sonnet-5-20260101"))
    _ask(_vertex(server), "claude-sonnet-5@20260101")
    a = attrs(only_span(span_exporter))
    assert semconv.COST_USD not in a
    assert a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_MODEL_UNPRICED


async def test_an_async_vertex_stream_names_gcp_vertex_ai(
        server: AnthropicServer, span_exporter: InMemorySpanExporter) -> None:
    """``AsyncAnthropicVertex``'s stream helper: the span names Vertex and carries Vertex's price."""
    server.queue(Reply.text("ok", usage=USAGE, model=ANSWERED))
    async with AsyncAnthropicVertex(region="global", project_id="p", access_token="t", base_url=server.base_url,
                                    max_retries=0) as client:
        async with client.messages.stream(model="claude-sonnet-4-5@20250929", max_tokens=10,
                                          messages=[{"role": "user", "content": "q"}]) as stream:
            await stream.until_done()
    a = attrs(only_span(span_exporter))
    assert a[semconv.GEN_AI_PROVIDER_NAME] == "gcp.vertex_ai"
    assert a[semconv.COST_USD] == pytest.approx((10_000 * 3 + 2000 * 15) / 1e6)


def test_a_plain_anthropic_call_still_names_anthropic(
        answered: AnthropicServer, span_exporter: InMemorySpanExporter) -> None:
    """The first-party client is unchanged: ``anthropic``, at Anthropic's rates."""
    from anthropic import Anthropic

    Anthropic(api_key="k", base_url=answered.base_url, max_retries=0).messages.create(
        model="claude-sonnet-4-5", max_tokens=10, messages=[{"role": "user", "content": "q"}])
    a = attrs(only_span(span_exporter))
    assert a[semconv.GEN_AI_PROVIDER_NAME] == "anthropic"
    assert a[semconv.COST_USD] == pytest.approx((10_000 * 3 + 2000 * 15) / 1e6)
    assert len(llm_spans(span_exporter)) == 1


def test_one_hour_cache_writes_without_a_one_hour_rate_are_unpriced(
        server: AnthropicServer, span_exporter: InMemorySpanExporter) -> None:
    """Google's table has no one-hour cache-write rate for Sonnet 4: such writes (2x input) leave the call unpriced."""
    server.queue(Reply.text("ok", model="claude-sonnet-4-20250514", usage=Usage(
        prompt_tokens=10_000, completion_tokens=2000, cache_write_tokens=8000, cache_write_1h_tokens=8000)))
    _ask(_vertex(server), "claude-sonnet-4@20250514")
    a = attrs(only_span(span_exporter))
    assert semconv.COST_USD not in a
    assert a[semconv.COST_INCOMPLETE_REASON] == semconv.GAP_USAGE_UNPRICED
