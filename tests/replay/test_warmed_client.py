"""A long-lived client whose ``with_raw_response`` / ``with_streaming_response`` was used before any recording
or replay started (the SDK caches it, holding the methods as they were then) is recorded and answered like
any other: a replay never lets its calls go live."""

from __future__ import annotations

from pathlib import Path

import anthropic
import httpx2
import openai
import pytest
from replay_helpers import claude_client

from agentops_otel.testing import AnthropicServer, DivergenceError, LLMStep, OpenAIServer, record, replay

PROMPT = [{"role": "user", "content": "Classify: charged twice"}]


def _text(reply: anthropic.types.Message) -> str:
    block = reply.content[0]
    assert isinstance(block, anthropic.types.TextBlock)
    return block.text


def _raw(client: anthropic.Anthropic) -> str:
    return _text(client.messages.with_raw_response.create(model="claude-haiku-4-5", max_tokens=10,
                                                          messages=PROMPT).parse())


def _streamed(client: anthropic.Anthropic) -> str:
    with client.messages.with_streaming_response.create(model="claude-haiku-4-5", max_tokens=10,
                                                        messages=PROMPT) as response:
        return _text(response.parse())


def _cassette(server: AnthropicServer, path: Path) -> tuple[Path, str]:
    """A recording of the one call, made on a client of its own (no warmed-up cache)."""
    with record() as rec:
        live = _text(claude_client(server).messages.create(model="claude-haiku-4-5", max_tokens=10, messages=PROMPT))
    return rec.save(path), live


def test_a_warmed_raw_response_is_recorded_as_a_step(claude: AnthropicServer) -> None:
    """messages.with_raw_response used before the recording still makes a recorded LLM step."""
    client = claude_client(claude)
    _raw(client)
    with record() as rec:
        _raw(client)
    assert [type(s) for s in rec.steps] == [LLMStep]


def test_a_warmed_raw_response_replays_offline(claude: AnthropicServer, tmp_path: Path) -> None:
    """messages.with_raw_response used before the replay is answered from the cassette, not sent."""
    client = claude_client(claude)
    _raw(client)
    path, live = _cassette(claude, tmp_path / "c.json")
    sent = len(claude.requests)
    with replay(path):
        assert _raw(client) == live
    assert len(claude.requests) == sent


def test_a_warmed_streaming_response_replays_offline(claude: AnthropicServer, tmp_path: Path) -> None:
    """messages.with_streaming_response used before the replay is answered from the cassette, not sent."""
    client = claude_client(claude)
    _streamed(client)
    path, live = _cassette(claude, tmp_path / "c.json")
    sent = len(claude.requests)
    with replay(path):
        assert _streamed(client) == live
    assert len(claude.requests) == sent


async def test_a_warmed_async_raw_response_replays_offline(claude: AnthropicServer, tmp_path: Path) -> None:
    """AsyncAnthropic's messages.with_raw_response used before the replay is answered, not sent."""
    client = anthropic.AsyncAnthropic(base_url=claude.base_url, api_key="sk-ant-local", max_retries=0,
                                      http_client=httpx2.AsyncClient(timeout=30))

    async def ask() -> str:
        raw = await client.messages.with_raw_response.create(model="claude-haiku-4-5", max_tokens=10,
                                                             messages=PROMPT)
        return _text(await raw.parse())

    await ask()
    path, live = _cassette(claude, tmp_path / "c.json")
    sent = len(claude.requests)
    with replay(path):
        assert await ask() == live
    assert len(claude.requests) == sent


class SignedOpenAI(openai.OpenAI):
    """A user's client subclass that sends each request itself (to sign it, say)."""

    def _send_request(self, request: httpx2.Request, *, stream: bool, **kwargs: object) -> httpx2.Response:
        request.headers["x-signature"] = "signed"
        return self._client.send(request, stream=stream)


def test_a_warmed_openai_raw_response_replays_offline(gpt: OpenAIServer, tmp_path: Path) -> None:
    """chat.completions.with_raw_response of a client subclass, used before the replay, is not sent."""
    def ask(client: openai.OpenAI) -> str | None:
        raw = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=PROMPT)  # type: ignore[arg-type]
        return raw.parse().choices[0].message.content

    client = SignedOpenAI(base_url=gpt.base_url, api_key="sk-local", max_retries=0)
    ask(client)
    with record() as rec:
        live = ask(SignedOpenAI(base_url=gpt.base_url, api_key="sk-local", max_retries=0))
    path = rec.save(tmp_path / "c.json")
    sent = len(gpt.requests)
    with replay(path):
        assert ask(client) == live
    assert len(gpt.requests) == sent


def test_a_warmed_call_the_recording_lacks_fails_the_replay(claude: AnthropicServer, tmp_path: Path) -> None:
    """An extra call through a with_raw_response used before the replay diverges instead of going live."""
    client = claude_client(claude)
    _raw(client)
    path, _ = _cassette(claude, tmp_path / "c.json")
    sent = len(claude.requests)
    with pytest.raises(DivergenceError, match=r"step 1: the agent made an LLM call \(/v1/messages\) after the last"):
        with replay(path):
            _text(claude_client(claude).messages.create(model="claude-haiku-4-5", max_tokens=10, messages=PROMPT))
            _raw(client)
    assert len(claude.requests) == sent
