"""Fixtures for replay: a local server to record against, a dead address to replay against, a small agent.

Recording talks to ``OpenAIServer`` through the real ``openai`` client; replays point the same agent
at a port nobody listens on, with no API key in the environment, so any request that slipped past
the replayer would fail loudly instead of passing unnoticed.
"""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from openai import AsyncOpenAI, OpenAI

from agentops_otel import config, semconv, tool
from agentops_otel.instrument.openai import instrument_openai, uninstrument_openai
from agentops_otel.testing import OpenAIServer


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


class Agent:
    """A two-step agent: an LLM call picks a customer, a tool reads it, a second (streamed) call answers."""

    def __init__(self) -> None:
        self.tool_runs: list[str] = []

        @tool
        def lookup_customer(customer_id: str, api_key: str = "") -> dict[str, Any]:
            self.tool_runs.append(customer_id)
            if customer_id == "0":
                raise LookupError("no customer 0")
            return {"id": customer_id, "plan": "pro"}

        self.lookup_customer = lookup_customer

    def run(self, client: OpenAI, question: str = "who is 4417?", *, temperature: float = 0.0,
            stream: bool = True) -> str:
        first = client.chat.completions.create(
            model="gpt-4o-mini", temperature=temperature,
            messages=[{"role": "user", "content": question}])
        customer = self.lookup_customer("4417", api_key="sk-live-abcdefghijklmnopqrstuvwx")
        messages: Any = [{"role": "user", "content": f"answer with {json.dumps(customer)}"}]
        if not stream:
            reply = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
            return f"{first.choices[0].message.content}|{reply.choices[0].message.content}"
        chunks = client.chat.completions.create(model="gpt-4o-mini", messages=messages, stream=True,
                                                stream_options={"include_usage": True})
        return f"{first.choices[0].message.content}|" + "".join(
            c.choices[0].delta.content or "" for c in chunks if c.choices)

    async def arun(self, client: AsyncOpenAI) -> str:
        first = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "who is 4417?"}])
        customer = self.lookup_customer("4417")
        stream = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": json.dumps(customer)}], stream=True)
        parts = [c.choices[0].delta.content or "" async for c in stream if c.choices]
        return f"{first.choices[0].message.content}|" + "".join(parts)


@pytest.fixture
def agent() -> Agent:
    return Agent()
