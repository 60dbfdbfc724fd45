"""Fixtures for the anthropic instrumentation tests: the local server, real clients, instrumentation on."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from anthropic import Anthropic, AsyncAnthropic
from openai_helpers import SECRET_KEY

from agentops_otel.instrument.anthropic import instrument_anthropic, uninstrument_anthropic
from agentops_otel.testing import AnthropicServer

MODEL = "claude-haiku-4-5"
"""Priced by genai-prices: $1 input, $5 output, $0.10 cache read, $1.25 / $2 5m / 1h cache write per MTok."""


@pytest.fixture
def server() -> Iterator[AnthropicServer]:
    with AnthropicServer() as running:
        yield running


@pytest.fixture
def client(server: AnthropicServer) -> Iterator[Anthropic]:
    with Anthropic(base_url=server.base_url, api_key=SECRET_KEY, max_retries=0) as sync_client:
        yield sync_client


@pytest.fixture
async def aclient(server: AnthropicServer) -> AsyncIterator[AsyncAnthropic]:
    async with AsyncAnthropic(base_url=server.base_url, api_key=SECRET_KEY, max_retries=0) as async_client:
        yield async_client


@pytest.fixture(autouse=True)
def anthropic_instrumented(instrumented: None) -> Iterator[None]:
    """anthropic instrumented for the test, on top of the directory's content / fault settings."""
    instrument_anthropic()
    yield
    uninstrument_anthropic()
