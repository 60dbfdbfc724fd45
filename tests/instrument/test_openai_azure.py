"""Calls to Azure OpenAI name their provider as the GenAI conventions do: ``gen_ai.provider.name=azure.ai.openai``.

The real ``AzureOpenAI`` / ``AsyncAzureOpenAI`` clients talk to ``OpenAIServer`` at its Azure paths; a plain
``OpenAI`` client sent to an Azure host (Azure's v1 API) reaches it as its HTTP proxy. Wire values are spelled out.
"""

from __future__ import annotations

from typing import Any

import httpx2
from openai import AsyncAzureOpenAI, AzureOpenAI, OpenAI
from openai_helpers import SECRET_KEY, attrs, only_span
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel.testing import OpenAIServer, Reply

USER: list[Any] = [{"role": "user", "content": "hi"}]
API_VERSION = "2024-10-21"


def _azure(server: OpenAIServer, **options: Any) -> AzureOpenAI:
    return AzureOpenAI(azure_endpoint=server.azure_endpoint, api_version=API_VERSION, api_key=SECRET_KEY,
                       max_retries=0, **options)


def test_an_azure_chat_call_names_azure_openai_as_its_provider(
        server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """An AzureOpenAI call is azure.ai.openai, the deployment its request model, the model served its response model."""
    server.queue(Reply.text("hello", model="gpt-4o-2024-08-06"))
    with _azure(server) as client:
        client.chat.completions.create(model="prod-chat", messages=USER)
    a = attrs(only_span(span_exporter))
    assert a["gen_ai.provider.name"] == "azure.ai.openai"
    assert a["gen_ai.request.model"] == "prod-chat"
    assert a["gen_ai.response.model"] == "gpt-4o-2024-08-06"
    assert a["server.address"] == "127.0.0.1"


async def test_an_async_azure_stream_names_azure_openai(
        server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """A streamed AsyncAzureOpenAI call bound to a deployment is provider azure.ai.openai too."""
    async with AsyncAzureOpenAI(azure_endpoint=server.azure_endpoint, azure_deployment="prod-chat",
                                api_version=API_VERSION, api_key=SECRET_KEY, max_retries=0) as client:
        async for _ in await client.chat.completions.create(model="prod-chat", messages=USER, stream=True):
            pass
    assert attrs(only_span(span_exporter))["gen_ai.provider.name"] == "azure.ai.openai"


def test_azure_responses_and_embeddings_name_azure_openai(
        server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """Every endpoint of an Azure client is provider azure.ai.openai, not only chat."""
    with _azure(server) as client:
        client.responses.create(model="prod-chat", input="hi")
        client.embeddings.create(model="prod-embed", input="hi")
    providers = [attrs(s).get("gen_ai.provider.name") for s in span_exporter.get_finished_spans()]
    assert providers == ["azure.ai.openai", "azure.ai.openai"]


def test_an_openai_client_sent_to_an_azure_host_names_azure_openai(
        server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """A plain OpenAI client whose base_url is an Azure OpenAI resource (Azure's v1 API) is azure.ai.openai."""
    with OpenAI(base_url="http://my-resource.openai.azure.com/openai/v1", api_key=SECRET_KEY, max_retries=0,
                http_client=httpx2.Client(proxy=server.azure_endpoint)) as client:
        client.chat.completions.create(model="prod-chat", messages=USER)
    a = attrs(only_span(span_exporter))
    assert a["gen_ai.provider.name"] == "azure.ai.openai"
    assert a["server.address"] == "my-resource.openai.azure.com"


def test_an_openai_client_at_the_same_server_stays_openai(
        client: OpenAI, server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """An OpenAI client is provider openai though an Azure client calls the same host and port beside it."""
    with _azure(server) as azure:
        azure.chat.completions.create(model="prod-chat", messages=USER)
        client.chat.completions.create(model="gpt-4o", messages=USER)
        azure.chat.completions.create(model="prod-chat", messages=USER)
    providers = [attrs(s)["gen_ai.provider.name"] for s in span_exporter.get_finished_spans()]
    assert providers == ["azure.ai.openai", "openai", "azure.ai.openai"]
