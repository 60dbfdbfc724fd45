"""A client built with its own ``http_client=`` (the SDKs' way to set a proxy or a timeout) records and
replays like one on the SDK's default, and a replay never lets one of its calls go live."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar
from unittest import mock

import anthropic
import httpx2
import openai
import pytest
from anthropic.resources.messages.messages import Messages
from openai.resources.embeddings import Embeddings
from replay_helpers import claude_client

from agentops_otel import instrument_anthropic, uninstrument_anthropic
from agentops_otel.testing import (
    AnthropicServer,
    CassetteError,
    DivergenceError,
    LLMStep,
    OpenAIServer,
    record,
    replay,
)

T = TypeVar("T")
PROMPT = [{"role": "user", "content": "Classify: charged twice"}]


def _replays_offline(ask: Callable[[], T], server: AnthropicServer | OpenAIServer, tmp_path: Path) -> None:
    """``ask()`` is one recorded LLM step, and its replay gives the same answer without a request reaching
    ``server``."""
    with record() as rec:
        live = ask()
    assert [type(s) for s in rec.steps] == [LLMStep]
    path = rec.save(tmp_path / "c.json")
    sent = len(server.requests)
    with replay(path):
        assert ask() == live
    assert len(server.requests) == sent


async def _replays_offline_async(ask: Callable[[], Awaitable[T]], server: AnthropicServer | OpenAIServer,
                                 tmp_path: Path) -> None:
    """:func:`_replays_offline` for an async ``ask``."""
    with record() as rec:
        live = await ask()
    assert [type(s) for s in rec.steps] == [LLMStep]
    path = rec.save(tmp_path / "c.json")
    sent = len(server.requests)
    with replay(path):
        assert await ask() == live
    assert len(server.requests) == sent


def _ask_claude(client: anthropic.Anthropic) -> str:
    reply = client.messages.create(model="claude-haiku-4-5", max_tokens=10, messages=PROMPT)
    block = reply.content[0]
    assert isinstance(block, anthropic.types.TextBlock)
    return block.text


def test_anthropic_with_its_own_http_client_records_and_replays_offline(claude: AnthropicServer,
                                                                        tmp_path: Path) -> None:
    """messages.create through Anthropic(http_client=httpx2.Client()) is a recorded step, answered on replay."""
    _replays_offline(lambda: _ask_claude(claude_client(claude)), claude, tmp_path)


def test_anthropic_stream_with_its_own_http_client_replays_offline(claude: AnthropicServer, tmp_path: Path) -> None:
    """messages.stream through a client of its own is answered from the recording, not sent."""
    def ask() -> str:
        with claude_client(claude).messages.stream(model="claude-haiku-4-5", max_tokens=10, messages=PROMPT) as stream:
            return "".join(stream.text_stream)

    with record() as rec:
        live = ask()
    path = rec.save(tmp_path / "c.json")
    sent = len(claude.requests)
    with replay(path):
        assert ask() == live
    assert len(claude.requests) == sent


def test_anthropic_count_tokens_with_its_own_http_client_replays_offline(claude: AnthropicServer,
                                                                        tmp_path: Path) -> None:
    """messages.count_tokens through a client of its own is recorded and answered, as on the SDK's default."""
    def ask() -> int:
        return claude_client(claude).messages.count_tokens(model="claude-haiku-4-5", messages=PROMPT).input_tokens

    _replays_offline(ask, claude, tmp_path)


async def test_async_anthropic_with_its_own_http_client_records_and_replays_offline(claude: AnthropicServer,
                                                                                    tmp_path: Path) -> None:
    """AsyncAnthropic(http_client=httpx2.AsyncClient()) records and replays as the default client does."""
    async def ask() -> str:
        client = anthropic.AsyncAnthropic(base_url=claude.base_url, api_key="sk-ant-local", max_retries=0,
                                          http_client=httpx2.AsyncClient(timeout=30))
        reply = await client.messages.create(model="claude-haiku-4-5", max_tokens=10, messages=PROMPT)
        block = reply.content[0]
        assert isinstance(block, anthropic.types.TextBlock)
        return block.text

    await _replays_offline_async(ask, claude, tmp_path)


async def test_async_anthropic_stream_with_its_own_http_client_records_and_replays_offline(
        claude: AnthropicServer, tmp_path: Path) -> None:
    """``async with messages.stream()`` on AsyncAnthropic(http_client=httpx2.AsyncClient()) records and replays."""
    async def ask() -> str:
        client = anthropic.AsyncAnthropic(base_url=claude.base_url, api_key="sk-ant-local", max_retries=0,
                                          http_client=httpx2.AsyncClient(timeout=30))
        async with client.messages.stream(model="claude-haiku-4-5", max_tokens=10, messages=PROMPT) as stream:
            return "".join([text async for text in stream.text_stream])

    with record() as rec:
        live = await ask()
    assert (live, [type(s) for s in rec.steps]) == ("billing", [LLMStep])
    path = rec.save(tmp_path / "c.json")
    sent = len(claude.requests)
    with replay(path):
        assert await ask() == live
    assert len(claude.requests) == sent


def test_openai_with_its_own_http_client_records_and_replays_offline(gpt: OpenAIServer, tmp_path: Path) -> None:
    """chat.completions.create through OpenAI(http_client=httpx2.Client()) is recorded and answered on replay."""
    def ask() -> str | None:
        client = openai.OpenAI(base_url=gpt.base_url, api_key="sk-local", max_retries=0,
                               http_client=httpx2.Client(timeout=30))
        return client.chat.completions.create(model="gpt-4o-mini", messages=PROMPT).choices[0].message.content  # type: ignore[arg-type]

    _replays_offline(ask, gpt, tmp_path)


async def test_async_openai_with_its_own_http_client_records_and_replays_offline(gpt: OpenAIServer,
                                                                                 tmp_path: Path) -> None:
    """AsyncOpenAI(http_client=httpx2.AsyncClient()) is recorded and answered on replay."""
    async def ask() -> str | None:
        client = openai.AsyncOpenAI(base_url=gpt.base_url, api_key="sk-local", max_retries=0,
                                    http_client=httpx2.AsyncClient(timeout=30))
        reply = await client.chat.completions.create(model="gpt-4o-mini", messages=PROMPT)  # type: ignore[arg-type]
        return reply.choices[0].message.content

    await _replays_offline_async(ask, gpt, tmp_path)


class SignedOpenAI(openai.OpenAI):
    """A user's client subclass that sends each request itself (to sign it, say)."""

    def _send_request(self, request: httpx2.Request, *, stream: bool, **kwargs: object) -> httpx2.Response:
        request.headers["x-signature"] = "signed"
        return self._client.send(request, stream=stream)


class RelayedOpenAI(openai.OpenAI):
    """A user's client subclass that sends through a client of its own the SDK does not know."""

    def _send_request(self, request: httpx2.Request, *, stream: bool, **kwargs: object) -> httpx2.Response:
        with httpx2.Client() as relay:
            return relay.send(request, stream=False)


def _ask_gpt(client: openai.OpenAI) -> str | None:
    return client.chat.completions.create(model="gpt-4o-mini", messages=PROMPT).choices[0].message.content  # type: ignore[arg-type]


def test_a_client_subclass_that_sends_itself_replays_offline(gpt: OpenAIServer, tmp_path: Path) -> None:
    """A subclass overriding the SDK's send still has its requests recorded and answered, not sent."""
    with record() as rec:
        live = _ask_gpt(SignedOpenAI(base_url=gpt.base_url, api_key="sk-local", max_retries=0))
    path = rec.save(tmp_path / "c.json")
    sent = len(gpt.requests)
    with replay(path):
        assert _ask_gpt(SignedOpenAI(base_url=gpt.base_url, api_key="sk-local", max_retries=0)) == live
    assert len(gpt.requests) == sent


def test_a_recording_that_missed_a_model_call_is_not_saved(gpt: OpenAIServer, tmp_path: Path) -> None:
    """A call whose request never reached the recorder makes saving fail, naming the call."""
    with record() as rec:
        _ask_gpt(RelayedOpenAI(base_url=gpt.base_url, api_key="sk-local", max_retries=0))
    with pytest.raises(CassetteError, match=r"(?s)missed model calls.*Completions\.create\(model='gpt-4o-mini'\)"):
        rec.save(tmp_path / "c.json")
    assert not (tmp_path / "c.json").exists()


def test_a_model_call_the_replay_did_not_answer_fails_it(gpt: OpenAIServer, tmp_path: Path) -> None:
    """A model call that escaped the replay fails it with a DivergenceError naming the call, never a pass."""
    with record() as rec:
        _ask_gpt(openai.OpenAI(base_url=gpt.base_url, api_key="sk-local", max_retries=0))
    path = rec.save(tmp_path / "c.json")
    with pytest.raises(DivergenceError, match=r"cannot answer, openai Completions\.create\(model='gpt-4o-mini'\)"):
        with replay(path):
            _ask_gpt(RelayedOpenAI(base_url=gpt.base_url, api_key="sk-local", max_retries=0))


def test_a_model_call_the_test_mocked_is_left_to_the_mock(gpt: OpenAIServer, tmp_path: Path) -> None:
    """An SDK method the test mocked sends nothing: the recording saves and replays without it."""
    def agent() -> str | None:
        client = openai.OpenAI(base_url=gpt.base_url, api_key="sk-local", max_retries=0)
        client.embeddings.create(model="text-embedding-3-small", input="charged twice")
        return _ask_gpt(client)

    with mock.patch.object(Embeddings, "create", return_value=mock.Mock(data=[])):
        with record() as rec:
            live = agent()
        assert [type(s) for s in rec.steps] == [LLMStep]
        path = rec.save(tmp_path / "c.json")
        sent = len(gpt.requests)
        with replay(path):
            assert agent() == live
    assert len(gpt.requests) == sent


def test_a_long_lived_client_raw_response_replays_offline_after_a_recording(claude: AnthropicServer,
                                                                             tmp_path: Path) -> None:
    """with_raw_response, cached on the client during a recording, is still answered by a later replay."""
    client = claude_client(claude)

    def ask() -> str:
        reply = client.messages.with_raw_response.create(model="claude-haiku-4-5", max_tokens=10,
                                                         messages=PROMPT).parse()
        block = reply.content[0]
        assert isinstance(block, anthropic.types.TextBlock)
        return block.text

    with record() as rec:
        live = ask()
    path = rec.save(tmp_path / "c.json")
    sent = len(claude.requests)
    with replay(path):
        assert ask() == live
    assert len(claude.requests) == sent


def test_instrumenting_inside_a_recording_keeps_no_recorder_alive() -> None:
    """A recorder whose recording ended is freed, though an instrument call inside it wrapped over its watch."""
    with record() as rec:
        instrument_anthropic()
    recorder = weakref.ref(rec)
    del rec
    gc.collect()
    uninstrument_anthropic()
    assert recorder() is None


def test_uninstrumenting_after_instrumenting_inside_a_recording_restores_the_sdk() -> None:
    """After a recording that instrumented inside it ends, uninstrumenting leaves the SDK's own functions."""
    originals = {name: vars(Messages)[name] for name in ("create", "parse", "stream")}
    with record():
        instrument_anthropic()
    uninstrument_anthropic()
    assert [name for name, sdks in originals.items() if vars(Messages)[name] is not sdks] == []
