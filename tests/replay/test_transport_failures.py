"""A model call whose connection failed in the recording fails the same way in its replay, never as success."""

from __future__ import annotations

from pathlib import Path

import anthropic
import openai
import pytest
from openai import AsyncOpenAI, OpenAI
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel.read import records_from_spans
from agentops_otel.reassemble import reassemble
from agentops_otel.testing import (
    AnthropicServer,
    CassetteError,
    OpenAIServer,
    Reply,
    cassette_from_timeline,
    record,
    replay,
)

_ASK = [{"role": "user", "content": "who is 4417?"}]


def answer_or_why(client: OpenAI) -> str:
    """An agent that tells a timeout (a slower model next time) from a dropped connection (retry later)."""
    try:
        return client.chat.completions.create(model="gpt-4o-mini", messages=_ASK).choices[0].message.content or ""
    except openai.APITimeoutError:
        return "timed out"
    except openai.APIConnectionError:
        return "connection failed"


def streamed_or_why(client: OpenAI) -> str:
    """An agent that keeps what a stream sent before it broke, and says that it broke."""
    got: list[str] = []
    try:
        for chunk in client.chat.completions.create(model="gpt-4o-mini", messages=_ASK, stream=True):
            got.extend(c.delta.content or "" for c in chunk.choices)
    except (openai.APIConnectionError, openai.APIError) as exc:
        return f"broken ({type(exc).__name__}) after {''.join(got)!r}"
    return f"whole: {''.join(got)!r}"


async def astreamed_or_why(client: AsyncOpenAI) -> str:
    got: list[str] = []
    try:
        async for chunk in await client.chat.completions.create(model="gpt-4o-mini", messages=_ASK, stream=True):
            got.extend(c.delta.content or "" for c in chunk.choices)
    except (openai.APIConnectionError, openai.APIError) as exc:
        return f"broken ({type(exc).__name__}) after {''.join(got)!r}"
    return f"whole: {''.join(got)!r}"


def test_a_recorded_timeout_replays_as_a_timeout(server: OpenAIServer, dead_url: str, tmp_path: Path,
                                                 offline: None) -> None:
    """A call that timed out in the recording times out in the replay: not a refused connection."""
    server.queue(Reply.text("too late", delay=2.0))
    with OpenAI(base_url=server.base_url, api_key="sk-local", max_retries=0, timeout=0.2) as live, record() as rec:
        recorded = answer_or_why(live)
    assert recorded == "timed out"
    path = rec.save(tmp_path / "c.json")
    with OpenAI(base_url=dead_url, api_key="unused", max_retries=0) as replayed, replay(path):
        assert answer_or_why(replayed) == recorded


def test_a_stream_cut_in_the_recording_breaks_at_the_same_place_in_the_replay(server: OpenAIServer, dead_url: str,
                                                                               tmp_path: Path, offline: None) -> None:
    """A stream whose connection dropped mid-answer replays its pieces, then the same failure: not a clean end."""
    server.queue(Reply.text("one two three four five", fail_after_chunks=3))
    with OpenAI(base_url=server.base_url, api_key="sk-local", max_retries=0) as live, record() as rec:
        recorded = streamed_or_why(live)
    assert recorded.startswith("broken (APIConnectionError) after 'one two'")
    path = rec.save(tmp_path / "c.json")
    with OpenAI(base_url=dead_url, api_key="unused", max_retries=0) as replayed, replay(path):
        assert streamed_or_why(replayed) == recorded


async def test_an_async_stream_cut_in_the_recording_breaks_in_the_replay(server: OpenAIServer, dead_url: str,
                                                                         tmp_path: Path, offline: None) -> None:
    """The async client's stream, cut mid-answer when recorded, breaks at the same piece when replayed."""
    server.queue(Reply.text("one two three four five", fail_after_chunks=3))
    async with AsyncOpenAI(base_url=server.base_url, api_key="sk-local", max_retries=0) as live:
        with record() as rec:
            recorded = await astreamed_or_why(live)
    assert recorded.startswith("broken (APIConnectionError)")
    path = rec.save(tmp_path / "c.json")
    async with AsyncOpenAI(base_url=dead_url, api_key="unused", max_retries=0) as replayed:
        with replay(path):
            assert await astreamed_or_why(replayed) == recorded


def test_a_claude_stream_cut_in_the_recording_breaks_in_the_replay(dead_url: str, tmp_path: Path,
                                                                   offline: None) -> None:
    """anthropic's messages.stream, cut mid-answer when recorded, raises again where it broke when replayed."""
    def agent(client: anthropic.Anthropic) -> str:
        got: list[str] = []
        try:
            with client.messages.stream(model="claude-sonnet-4-5", max_tokens=64, messages=_ASK) as stream:
                got.extend(stream.text_stream)
        except (anthropic.APIConnectionError, anthropic.APIError) as exc:
            return f"broken ({type(exc).__name__}) after {''.join(got)!r}"
        return f"whole: {''.join(got)!r}"

    with AnthropicServer() as server, anthropic.Anthropic(base_url=server.base_url, api_key="sk-ant-local",
                                                          max_retries=0) as live, record() as rec:
        server.queue(Reply.text("one two three four five", fail_after_chunks=4))
        recorded = agent(live)
    assert recorded.startswith("broken (")
    path = rec.save(tmp_path / "c.json")
    with anthropic.Anthropic(base_url=dead_url.removesuffix("/v1"), api_key="unused", max_retries=0) as replayed, \
            replay(path):
        assert agent(replayed) == recorded


def test_a_whole_stream_still_replays_whole(server: OpenAIServer, dead_url: str, tmp_path: Path,
                                            offline: None) -> None:
    """A stream that ended cleanly in the recording ends cleanly in the replay."""
    server.queue(Reply.text("one two three"))
    with OpenAI(base_url=server.base_url, api_key="sk-local", max_retries=0) as live, record() as rec:
        recorded = streamed_or_why(live)
    assert recorded == "whole: 'one two three'"
    with OpenAI(base_url=dead_url, api_key="unused", max_retries=0) as replayed, \
            replay(rec.save(tmp_path / "c.json")):
        assert streamed_or_why(replayed) == recorded


@pytest.mark.parametrize("kind", ["timeout", "cut"])
def test_the_cassette_names_the_recorded_failure(server: OpenAIServer, tmp_path: Path, kind: str) -> None:
    """The cassette says how the connection failed, so a reviewer sees it."""
    server.queue(Reply.text("one two three four", delay=2.0 if kind == "timeout" else 0.0,
                            fail_after_chunks=None if kind == "timeout" else 3))
    with OpenAI(base_url=server.base_url, api_key="sk-local", max_retries=0, timeout=0.2) as live, record() as rec:
        (answer_or_why if kind == "timeout" else streamed_or_why)(live)
    text = rec.save(tmp_path / "c.json").read_text()
    assert ("ReadTimeout" if kind == "timeout" else "RemoteProtocolError") in text


def test_a_failed_connection_needs_a_cassette(server: OpenAIServer) -> None:
    """A session whose model call's connection broke says the trace cannot replay it: a span holds no such failure."""
    server.queue(Reply.text("one two three four", fail_after_chunks=3))
    with OpenAI(base_url=server.base_url, api_key="sk-local", max_retries=0) as live, record() as rec:
        streamed_or_why(live)
    where, why = rec.where()
    assert where == "cassette"
    assert "connection failed (openai /chat/completions (RemoteProtocolError))" in why


@pytest.mark.parametrize("reply", [Reply.text("one two three four five", fail_after_chunks=3),
                                   Reply.error(429, after_chunks=3)], ids=["cut", "error mid-stream"])
def test_a_trace_with_a_failed_model_call_is_refused(server: OpenAIServer, client: OpenAI, reply: Reply,
                                                     span_exporter: InMemorySpanExporter) -> None:
    """A model call that failed mid-stream is not rebuilt from its span as a clean answer: the trace is refused,
    naming the call and its error (a cassette recorded live replays it)."""
    server.queue(reply)
    with agentops.session("broken") as s:
        streamed_or_why(client)
    [timeline] = [t for t in reassemble(records_from_spans(span_exporter.get_finished_spans())).sessions
                  if t.summary.session_id == s.id]
    with pytest.raises(CassetteError, match=r"step 0 \(llm gpt-4o-mini\): the call failed \((APIConnectionError|"
                                            r"APIError|RemoteProtocolError)"):
        cassette_from_timeline(timeline)
