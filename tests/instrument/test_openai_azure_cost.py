"""What an Azure OpenAI call costs: the model its response names, at Azure's rates, only when they are the bill.

An Azure request names a deployment (a label the user chose), and Azure answers with the model served. Global,
Data Zone and Regional deployments of one model are billed at different rates (Data Zone and Regional about 10%
above Global, the rates genai-prices holds) and nothing in the response says which one served the call. The real
``AzureOpenAI`` client talks to ``OpenAIServer``; the expected USD comes from ``genai_prices.calc_price``.
"""

from __future__ import annotations

from typing import Any

import pytest
from genai_prices import Usage as Tokens
from genai_prices import calc_price
from openai import AzureOpenAI
from openai_helpers import SECRET_KEY, attrs, only_span
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel
from agentops_otel.testing import AgentAssertionError, OpenAIServer, Reply, Usage, assert_cost_below

USER: list[Any] = [{"role": "user", "content": "hi"}]
ENV = "AGENTOPS_OTEL_AZURE_DEPLOYMENT"


def _call(server: OpenAIServer, served: str | None, deployment: str = "prod-chat") -> None:
    server.queue(Reply.text("hello", model=served, usage=Usage(prompt_tokens=1000, completion_tokens=200)))
    with AzureOpenAI(azure_endpoint=server.azure_endpoint, api_version="2024-10-21", api_key=SECRET_KEY,
                     max_retries=0) as client:
        client.chat.completions.create(model=deployment, messages=USER)


@pytest.fixture
def global_deployments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "global")


def test_an_azure_call_of_unknown_deployment_type_is_unpriced(
        server: OpenAIServer, span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    """Untold which deployment type serves it, an Azure call keeps its tokens and no cost (deployment_type_unknown)."""
    monkeypatch.delenv(ENV, raising=False)
    _call(server, "gpt-4o-2024-08-06")
    a = attrs(only_span(span_exporter))
    assert "agentops.cost.usd" not in a
    assert a["agentops.cost.incomplete_reason"] == "deployment_type_unknown"
    assert (a["gen_ai.usage.input_tokens"], a["gen_ai.usage.output_tokens"]) == (1000, 200)


@pytest.mark.usefixtures("global_deployments")
def test_a_global_deployment_costs_azures_rates_for_the_model_served(
        server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """With AGENTOPS_OTEL_AZURE_DEPLOYMENT=global a call costs Azure's (Global) rates for the response's model."""
    _call(server, "gpt-4o-mini-2024-07-18", deployment="prod-chat")
    expected = calc_price(Tokens(input_tokens=1000, output_tokens=200), "gpt-4o-mini-2024-07-18",
                          provider_id="azure").total_price
    assert attrs(only_span(span_exporter))["agentops.cost.usd"] == pytest.approx(float(expected))


@pytest.mark.usefixtures("global_deployments")
def test_a_deployment_named_after_a_model_is_not_priced_as_that_model(
        server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """A deployment called gpt-4o answered by a model the table lacks is model_unpriced, not priced as gpt-4o."""
    _call(server, "contoso-tuned-7", deployment="gpt-4o")
    assert attrs(only_span(span_exporter))["agentops.cost.incomplete_reason"] == "model_unpriced"


@pytest.mark.usefixtures("global_deployments")
def test_a_price_registered_for_any_provider_does_not_price_a_deployment_name(
        server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """register_price("gpt-4o") is a model's price: it does not price a deployment named gpt-4o serving another."""
    agentops_otel.register_price("gpt-4o", input_per_mtok=2.5, output_per_mtok=10)
    _call(server, "contoso-tuned-7", deployment="gpt-4o")
    assert "agentops.cost.usd" not in attrs(only_span(span_exporter))


def test_a_price_registered_for_the_deployment_prices_its_calls(
        server: OpenAIServer, span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    """register_price(deployment, provider="azure.ai.openai") prices that deployment's calls at the rates given."""
    monkeypatch.delenv(ENV, raising=False)
    agentops_otel.register_price("prod-chat", provider="azure.ai.openai", input_per_mtok=2.75, output_per_mtok=11)
    _call(server, "gpt-4o-2024-08-06")
    assert attrs(only_span(span_exporter))["agentops.cost.usd"] == pytest.approx((1000 * 2.75 + 200 * 11) / 1e6)


def test_a_price_registered_for_azure_by_its_short_name_applies(
        server: OpenAIServer, span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    """provider="azure" (genai-prices' and OpenInference's name) is the same provider as azure.ai.openai."""
    monkeypatch.delenv(ENV, raising=False)
    agentops_otel.register_price("gpt-4o-2024-08-06", provider="azure", input_per_mtok=2.75, output_per_mtok=11)
    _call(server, "gpt-4o-2024-08-06")
    assert attrs(only_span(span_exporter))["agentops.cost.usd"] == pytest.approx((1000 * 2.75 + 200 * 11) / 1e6)


def test_a_cost_bound_refuses_an_azure_call_of_unknown_deployment_type(
        server: OpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cost bound over an Azure call of unknown deployment type fails, saying how to price it, never passes on $0."""
    monkeypatch.delenv(ENV, raising=False)
    with agentops_otel.session("azure-agent") as s:
        _call(server, "gpt-4o-2024-08-06")
    with pytest.raises(AgentAssertionError, match=ENV):
        assert_cost_below(s, 100.0)


def test_an_unknown_deployment_type_is_named_once_and_leaves_calls_unpriced(
        server: OpenAIServer, span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """A value other than global, data_zone, regional or provisioned is logged once and prices nothing."""
    monkeypatch.setenv(ENV, "globl")
    _call(server, "gpt-4o-2024-08-06")
    _call(server, "gpt-4o-2024-08-06")
    assert [s for s in span_exporter.get_finished_spans() if "agentops.cost.usd" in (s.attributes or {})] == []
    assert [r.getMessage() for r in caplog.records].count(
        next(r.getMessage() for r in caplog.records if ENV in r.getMessage())) == 1
