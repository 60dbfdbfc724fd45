"""Fixtures for the openai instrumentation: a local server, real clients, and the instrumentation on.

Every test talks to ``OpenAIServer`` on 127.0.0.1 through the real ``openai`` client, so the SDK's
own request building, streaming and error mapping run under our wrappers exactly as in production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from openai import AsyncOpenAI, OpenAI
from openai_helpers import SECRET_KEY, Canned
from payload_server import PayloadServer, payload_server

from agentops_otel import config, semconv
from agentops_otel._guard import FaultInjector, reset_reports
from agentops_otel.cost import _unregister_all
from agentops_otel.instrument.openai import instrument_openai, uninstrument_openai
from agentops_otel.testing import OpenAIServer


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as running:
        yield running


@pytest.fixture
def client(server: OpenAIServer) -> Iterator[OpenAI]:
    with OpenAI(base_url=server.base_url, api_key=SECRET_KEY, max_retries=0) as sync_client:
        yield sync_client


@pytest.fixture
async def aclient(server: OpenAIServer) -> AsyncIterator[AsyncOpenAI]:
    async with AsyncOpenAI(base_url=server.base_url, api_key=SECRET_KEY, max_retries=0) as async_client:
        yield async_client


@pytest.fixture(autouse=True)
def instrumented(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """openai instrumented for the test, content on the span (as after ``init()``), no faults armed."""
    monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, "span_only")
    monkeypatch.delenv(semconv.ENV_DISABLED, raising=False)
    monkeypatch.delenv(semconv.ENV_MAX_VALUE_CHARS, raising=False)
    monkeypatch.setattr(config.state, "capture_override", None)
    monkeypatch.setattr(config.state, "max_value_chars", None)
    reset_reports()
    FaultInjector.armed.clear()
    instrument_openai()
    yield
    uninstrument_openai()
    FaultInjector.armed.clear()
    reset_reports()
    _unregister_all()


@pytest.fixture
def gateway() -> Iterator[PayloadServer]:
    """A provider endpoint answering with exact payloads (what the scripted servers never send)."""
    with payload_server() as running:
        yield running


@pytest.fixture
def canned(gateway: PayloadServer) -> Canned:
    return Canned(gateway)
