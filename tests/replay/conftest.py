"""Fixtures for replay: a local server to record against, a dead address to replay against, a small agent.

Recording talks to ``OpenAIServer`` through the real ``openai`` client; replays point the same agent
at a port nobody listens on, with no API key in the environment, so any request that slipped past
the replayer would fail loudly instead of passing unnoticed.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator

import pytest
from openai import AsyncOpenAI, OpenAI
from replay_helpers import Agent

from agentops_otel import config, semconv
from agentops_otel.instrument.openai import instrument_openai, uninstrument_openai
from agentops_otel.testing import AnthropicServer, OpenAIServer, Reply


@pytest.fixture(autouse=True)
def instrumented(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """openai instrumented and content on the span, as after ``init()``."""
    monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, "span_only")
    monkeypatch.delenv(semconv.ENV_MAX_VALUE_CHARS, raising=False)
    monkeypatch.setattr(config.state, "capture_override", None)
    monkeypatch.setattr(config.state, "max_value_chars", None)
    instrument_openai()
    yield
    uninstrument_openai()


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as running:
        yield running


@pytest.fixture
def client(server: OpenAIServer) -> Iterator[OpenAI]:
    with OpenAI(base_url=server.base_url, api_key="sk-test-key-for-the-local-server", max_retries=0) as c:
        yield c


@pytest.fixture
async def aclient(server: OpenAIServer) -> AsyncIterator[AsyncOpenAI]:
    async with AsyncOpenAI(base_url=server.base_url, api_key="sk-test-key-for-the-local-server",
                           max_retries=0) as c:
        yield c


@pytest.fixture
def dead_url() -> str:
    """A base URL nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No API key anywhere: a replay must not need one."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


@pytest.fixture
def agent() -> Agent:
    return Agent()


@pytest.fixture
def claude() -> Iterator[AnthropicServer]:
    """A local Anthropic server answering every call "billing"."""
    with AnthropicServer() as running:
        running.set_responder(lambda request: Reply.text("billing"))
        yield running


@pytest.fixture
def gpt() -> Iterator[OpenAIServer]:
    """A local OpenAI server answering every call "billing"."""
    with OpenAIServer() as running:
        running.set_responder(lambda request: Reply.text("billing"))
        yield running
