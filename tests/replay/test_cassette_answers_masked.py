"""What the model answered is masked in a cassette as it is in the trace — a key it streamed across many
chunks, a secret-named argument of a tool call it asked for — and the cassette still replays."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anthropic
import pytest
from openai import OpenAI

from agentops_otel import tool
from agentops_otel.testing import AnthropicServer, OpenAIServer, Reply, record, replay

KEY = "sk-proj-Abcdefghijklmnop0123456789XYZ"
PASSWORD = "hunter2-Zq8w"
"""A password the key rules mask (its argument is named ``password``) but no value shape would."""


PASSWORDS: list[str] = []
"""What ``sign_in`` was given, call by call: replayed, what the cassette handed the agent."""


@tool
def sign_in(user: str, password: str) -> str:
    PASSWORDS.append(password)
    return "signed in"


def _openai_agent(client: OpenAI, stream: bool) -> str:
    """Asks which tool to call, calls it, and returns the model's final answer."""
    messages: list[Any] = [{"role": "user", "content": "sign ann in"}]
    if stream:
        with client.chat.completions.stream(model="gpt-4o", messages=messages) as events:
            message = events.get_final_completion().choices[0].message
    else:
        message = client.chat.completions.create(model="gpt-4o", messages=messages).choices[0].message
    call = (message.tool_calls or [])[0]
    result = sign_in(**json.loads(call.function.arguments))  # type: ignore[union-attr]
    messages += [message.model_dump(exclude_none=True), {"role": "tool", "tool_call_id": call.id, "content": result}]
    chunks = client.chat.completions.create(model="gpt-4o", messages=messages, stream=True)
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def _anthropic_agent(client: anthropic.Anthropic, stream: bool) -> str:
    """The same agent on Claude."""
    messages: list[Any] = [{"role": "user", "content": "sign ann in"}]
    tools: Any = [{"name": "sign_in", "input_schema": {"type": "object"}}]
    if stream:
        with client.messages.stream(model="claude-haiku-4-5", max_tokens=100, messages=messages, tools=tools) as s:
            reply = s.get_final_message()
    else:
        reply = client.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=messages, tools=tools)
    use = next(b for b in reply.content if b.type == "tool_use")
    result = sign_in(**use.input)  # type: ignore[arg-type]
    messages += [{"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in reply.content]},
                 {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": result}]}]
    with client.messages.stream(model="claude-haiku-4-5", max_tokens=100, messages=messages) as s:
        return "".join(s.text_stream)


def _script(server: OpenAIServer | AnthropicServer) -> None:
    """A tool call carrying the password, then an answer that echoes a key, streamed three characters at a time."""
    server.queue(Reply.tool_calls(("sign_in", {"user": "ann", "password": PASSWORD}), chunk_size=3),
                 Reply.text(f"done; your key {KEY} works", chunk_size=3))


def _round_trip(tmp_path: Path, server: OpenAIServer | AnthropicServer, live_agent: Callable[[], str],
                replay_agent: Callable[[], str]) -> None:
    """Record the scripted agent against ``server``, check the cassette holds neither secret, replay it and
    check the agent gets both masked: what the cassette streams back, its pieces joined, even split across
    chunks."""
    _script(server)
    with record() as rec:
        live = live_agent()
    saved = rec.save(tmp_path / "c.json")
    assert live == f"done; your key {KEY} works"
    text = saved.read_text(encoding="utf-8")
    assert PASSWORD not in text and KEY not in text
    PASSWORDS.clear()
    with replay(saved):
        replayed = replay_agent()
    assert (replayed, PASSWORDS) == ("done; your key [REDACTED] works", ["[REDACTED]"])


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_openai_answers_reach_the_cassette_masked_and_replay(tmp_path: Path, dead_url: str, stream: bool) -> None:
    """Neither the password the model passed to a tool nor the key it streamed is in the cassette; replayed,
    the agent gets both masked, and the replay agrees with the recording."""
    with OpenAIServer() as server:
        _round_trip(tmp_path, server,
                    lambda: _openai_agent(OpenAI(base_url=server.base_url, api_key="sk-local", max_retries=0), stream),
                    lambda: _openai_agent(OpenAI(base_url=dead_url, api_key="unused", max_retries=0), stream))


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_anthropic_answers_reach_the_cassette_masked_and_replay(tmp_path: Path, dead_url: str, stream: bool) -> None:
    """The same for Claude: a tool_use input's secret-named field and a key streamed in text deltas."""
    with AnthropicServer() as server:
        _round_trip(tmp_path, server,
                    lambda: _anthropic_agent(anthropic.Anthropic(base_url=server.base_url, api_key="sk-ant-local",
                                                                 max_retries=0), stream),
                    lambda: _anthropic_agent(anthropic.Anthropic(base_url=dead_url, api_key="unused", max_retries=0),
                                             stream))


def _responses_agent(client: OpenAI, stream: bool) -> str:
    """The same agent on the Responses API."""
    tools: Any = [{"type": "function", "name": "sign_in", "parameters": {"type": "object"}}]
    if stream:
        with client.responses.stream(model="gpt-4o", input="sign ann in", tools=tools) as events:
            first = events.get_final_response()
    else:
        first = client.responses.create(model="gpt-4o", input="sign ann in", tools=tools)
    call = next(item for item in first.output if item.type == "function_call")
    result = sign_in(**json.loads(call.arguments))  # type: ignore[union-attr]
    follow_up: Any = [{"role": "user", "content": "sign ann in"}, call.model_dump(exclude_none=True),
                      {"type": "function_call_output", "call_id": call.call_id, "output": result}]  # type: ignore[union-attr]
    with client.responses.stream(model="gpt-4o", input=follow_up) as events:
        return "".join(e.delta for e in events if e.type == "response.output_text.delta")


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_responses_answers_reach_the_cassette_masked_and_replay(tmp_path: Path, dead_url: str, stream: bool) -> None:
    """The same on the Responses API: a function call's arguments and a key streamed in output text deltas."""
    with OpenAIServer() as server:
        _round_trip(tmp_path, server,
                    lambda: _responses_agent(OpenAI(base_url=server.base_url, api_key="sk-local", max_retries=0),
                                             stream),
                    lambda: _responses_agent(OpenAI(base_url=dead_url, api_key="unused", max_retries=0), stream))


def test_request_metadata_the_answer_echoes_is_masked_as_in_the_request(tmp_path: Path, dead_url: str) -> None:
    """The Responses API echoes a request's metadata in its answer: a secret-named entry is masked there
    too, not only in the recorded request; the cassette replays."""
    def ask(client: OpenAI) -> str:
        return client.responses.create(model="gpt-4o", input="hi", metadata={"session_token": PASSWORD}).output_text

    with OpenAIServer() as server:
        with record() as rec:
            ask(OpenAI(base_url=server.base_url, api_key="sk-local", max_retries=0))
        saved = rec.save(tmp_path / "c.json")
    assert PASSWORD not in saved.read_text(encoding="utf-8")
    with replay(saved):
        assert ask(OpenAI(base_url=dead_url, api_key="unused", max_retries=0)) == "ok: hi"
