"""A batch submit is recorded like any model call and answered from the recording in a replay: the agent
gets the batch it got live, nothing is sent, and another batch diverges."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import httpx2
import openai
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel
from agentops_otel.instrument.anthropic import instrument_anthropic, uninstrument_anthropic
from agentops_otel.read import records_from_spans
from agentops_otel.reassemble import reassemble
from agentops_otel.testing import (
    AnthropicServer,
    CassetteError,
    DivergenceError,
    LLMStep,
    OpenAIServer,
    cassette_from_timeline,
    record,
    replay,
)


@pytest.fixture(autouse=True)
def anthropic_instrumented() -> Iterator[None]:
    instrument_anthropic()
    yield
    uninstrument_anthropic()


def _requests(*questions: str) -> list[Any]:
    return [{"custom_id": str(i), "params": {"model": "claude-haiku-4-5", "max_tokens": 8,
                                              "messages": [{"role": "user", "content": q}]}}
            for i, q in enumerate(questions)]


def test_an_anthropic_batch_replays_from_its_recording(dead_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The recorded submit answers the replayed one with the same batch, offline; other requests diverge."""
    with AnthropicServer() as server, record() as rec:
        live = anthropic.Anthropic(base_url=server.base_url, api_key="sk-ant-test", max_retries=0) \
            .messages.batches.create(requests=_requests("a", "b"))
    (step,) = rec.steps
    assert isinstance(step, LLMStep) and step.endpoint == "/v1/messages/batches"
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    offline = anthropic.Anthropic(base_url=dead_url.removesuffix("/v1"), api_key="unused", max_retries=0)
    with replay(rec.cassette()):
        assert offline.messages.batches.create(requests=_requests("a", "b")) == live
    with pytest.raises(DivergenceError, match="request differs"), replay(rec.cassette()):
        offline.messages.batches.create(requests=_requests("a", "c"))


async def test_a_batch_through_a_client_of_its_own_is_never_sent_in_a_replay() -> None:
    """Submits through clients with their own HTTP client (sync and async) are answered, not sent."""
    async def submit(server: AnthropicServer) -> list[Any]:
        sync = anthropic.Anthropic(base_url=server.base_url, api_key="k", max_retries=0,
                                   http_client=httpx2.Client(timeout=30))
        async_client = anthropic.AsyncAnthropic(base_url=server.base_url, api_key="k", max_retries=0,
                                                http_client=httpx2.AsyncClient(timeout=30))
        return [sync.messages.batches.create(requests=_requests("a")),
                await async_client.beta.messages.batches.create(requests=_requests("b"))]

    with AnthropicServer() as server:
        with record() as rec:
            live = await submit(server)
        assert len(rec.steps) == 2
        with replay(rec.cassette()):
            assert await submit(server) == live
        assert len(server.requests) == 2


def test_an_openai_batch_replays_from_its_recording(dead_url: str) -> None:
    """batches.create is answered from the recording too, and another input file diverges."""
    def submit(client: openai.OpenAI, file_id: str) -> Any:
        return client.batches.create(input_file_id=file_id, endpoint="/v1/chat/completions", completion_window="24h")

    with OpenAIServer() as server, record() as rec:
        live = submit(openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0), "file-a")
    offline = openai.OpenAI(base_url=dead_url, api_key="unused", max_retries=0)
    with replay(rec.cassette()):
        assert submit(offline, "file-a") == live
    with pytest.raises(DivergenceError), replay(rec.cassette()):
        submit(offline, "file-b")


def test_a_trace_cannot_answer_a_batch_submit(span_exporter: InMemorySpanExporter) -> None:
    """A replay from the trace refuses a session with a batch submit, saying the batch is not in the trace."""
    with OpenAIServer() as server, agentops_otel.session("batch") as s:
        openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0).batches.create(
            input_file_id="file-a", endpoint="/v1/chat/completions", completion_window="24h")
    timeline = reassemble(records_from_spans(span_exporter.get_finished_spans())).timeline_for(s.id)
    assert timeline is not None
    with pytest.raises(CassetteError, match="a batch submit: the batch it created is not in the trace"):
        cassette_from_timeline(timeline)
