"""The fake OpenAI server answers the real ``AzureOpenAI`` / ``AsyncAzureOpenAI`` clients, whose requests go to
``/openai/deployments/<deployment>/...?api-version=...`` (and ``/openai/...`` for the endpoints without one)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from openai import AsyncAzureOpenAI, AzureOpenAI
from openai.types.chat import ChatCompletionMessageParam

from agentops_otel.testing import OpenAIServer, Reply

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Where is my invoice?"}]
API_VERSION = "2024-10-21"


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as running:
        yield running


def test_a_deployment_chat_call_is_answered(server: OpenAIServer) -> None:
    """A chat call to a deployment is answered at its Azure path, which the request log keeps as sent."""
    server.queue(Reply.text("billing", model="gpt-4o-2024-08-06"))
    with AzureOpenAI(azure_endpoint=server.azure_endpoint, api_version=API_VERSION, api_key="test",
                     max_retries=0) as client:
        completion = client.chat.completions.create(model="prod-chat", messages=USER)
    assert completion.choices[0].message.content == "billing"
    assert completion.model == "gpt-4o-2024-08-06"
    assert server.requests[0].path == "/openai/deployments/prod-chat/chat/completions"


def test_a_client_bound_to_a_deployment_streams_and_embeds(server: OpenAIServer) -> None:
    """A client made with ``azure_deployment=`` streams chat and gets embeddings under that deployment's path."""
    with AzureOpenAI(azure_endpoint=server.azure_endpoint, azure_deployment="prod-chat", api_version=API_VERSION,
                     api_key="test", max_retries=0) as client:
        text = "".join(chunk.choices[0].delta.content or "" for chunk in
                       client.chat.completions.create(model="prod-chat", messages=USER, stream=True) if chunk.choices)
        vectors = client.embeddings.create(model="prod-chat", input="hello")
    assert text == "ok: Where is my invoice?"
    assert len(vectors.data) == 1
    assert [r.path for r in server.requests] == ["/openai/deployments/prod-chat/chat/completions",
                                                 "/openai/deployments/prod-chat/embeddings"]


async def test_the_async_client_gets_a_responses_answer(server: OpenAIServer) -> None:
    """``AsyncAzureOpenAI`` reaches the Responses API at ``/openai/responses`` (no deployment in its path)."""
    async with AsyncAzureOpenAI(azure_endpoint=server.azure_endpoint, api_version=API_VERSION, api_key="test",
                                max_retries=0) as client:
        response = await client.responses.create(model="prod-chat", input="hello")
    assert response.output_text == "ok: hello"
    assert server.requests[0].path == "/openai/responses"


def test_an_unknown_azure_path_is_a_404(server: OpenAIServer) -> None:
    """A path under ``/openai`` that names no endpoint is still a 404, as under ``/v1``."""
    with AzureOpenAI(azure_endpoint=server.azure_endpoint, api_version=API_VERSION, api_key="test",
                     max_retries=0) as client, pytest.raises(Exception, match="404"):
        client.post("/deployments/prod-chat/nothing", body={}, cast_to=object)
