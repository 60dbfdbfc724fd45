"""What the model answered (or a tool returned) is replayed as it was, except for a credential's shape: code
holding ``password=None`` or ``token: str`` reaches the replayed agent byte for byte, not rewritten by the rules
that read secret-named pairs in the text the trace records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anthropic
import pytest
from openai import OpenAI

from agentops_otel import tool
from agentops_otel.testing import AnthropicServer, OpenAIServer, Reply, record, replay

CODE = ('def login(user, password=None):\n    return check(user, password="hunter2x")\n\n'
        "def check(user: str, token: str) -> bool:\n    auth: dict = {}\n    return bool(token)\n"
        "# Authorization: Token abc123def456\n")
"""Code a coding agent compiles: every secret-named pair in it is one the text rules read."""
KEY = "sk-proj-Abcdefghijklmnop0123456789XYZ"


def _ask(client: OpenAI, stream: bool) -> str:
    messages: Any = [{"role": "user", "content": "write login()"}]
    if stream:
        chunks = client.chat.completions.create(model="gpt-4o", messages=messages, stream=True)
        return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    return client.chat.completions.create(model="gpt-4o", messages=messages).choices[0].message.content or ""


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_code_answer_is_replayed_byte_for_byte(tmp_path: Path, dead_url: str, stream: bool) -> None:
    """A model's code answer with secret-named parameters, annotations and assignments replays as it was
    recorded (a key-shaped value in it stays masked)."""
    with OpenAIServer() as server, record() as rec:
        server.queue(Reply.text(CODE + f"# key: {KEY}\n", chunk_size=3))
        live = _ask(OpenAI(base_url=server.base_url, api_key="sk-local", max_retries=0), stream)
    saved = rec.save(tmp_path / "c.json")
    assert KEY not in saved.read_text(encoding="utf-8")
    with replay(saved):
        replayed = _ask(OpenAI(base_url=dead_url, api_key="unused", max_retries=0), stream)
    assert live == CODE + f"# key: {KEY}\n"
    assert replayed == CODE + "# key: [REDACTED]\n"
    compile(replayed, "<model>", "exec")


def test_a_claude_code_answer_streamed_is_replayed_byte_for_byte(tmp_path: Path, dead_url: str) -> None:
    """The same for Claude's streamed text deltas."""
    def ask(client: anthropic.Anthropic) -> str:
        with client.messages.stream(model="claude-haiku-4-5", max_tokens=500,
                                    messages=[{"role": "user", "content": "write login()"}]) as s:
            return "".join(s.text_stream)

    with AnthropicServer() as server, record() as rec:
        server.queue(Reply.text(CODE, chunk_size=3))
        assert ask(anthropic.Anthropic(base_url=server.base_url, api_key="sk-ant-local", max_retries=0)) == CODE
    with replay(rec.save(tmp_path / "c.json")):
        assert ask(anthropic.Anthropic(base_url=dead_url, api_key="unused", max_retries=0)) == CODE


WRITTEN: list[str] = []


@tool
def write_file(path: str, content: str) -> str:
    WRITTEN.append(content)
    return "written"


def test_code_in_a_tool_calls_arguments_is_replayed_byte_for_byte(tmp_path: Path, dead_url: str) -> None:
    """Code the model passes to a tool (its call's arguments, JSON text read by their keys) reaches the tool
    in the replay as it did live."""
    def agent(client: OpenAI) -> None:
        message = client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "save login()"}]).choices[0].message
        call = (message.tool_calls or [])[0]
        write_file(**json.loads(call.function.arguments))  # type: ignore[union-attr]

    WRITTEN.clear()
    with OpenAIServer() as server, record() as rec:
        server.queue(Reply.tool_calls(("write_file", {"path": "login.py", "content": CODE})))
        agent(OpenAI(base_url=server.base_url, api_key="sk-local", max_retries=0))
    with replay(rec.save(tmp_path / "c.json")):
        agent(OpenAI(base_url=dead_url, api_key="unused", max_retries=0))
    assert WRITTEN == [CODE, CODE]


@tool
def read_file(path: str) -> str:
    return CODE


def test_code_a_tool_returned_answered_from_the_recording_is_byte_for_byte(tmp_path: Path) -> None:
    """A tool answered from the cassette (``answer_tools``) hands the agent the code it returned live."""
    with record() as rec:
        live = read_file("login.py")
    with replay(rec.save(tmp_path / "c.json"), answer_tools=["read_file"]):
        replayed = read_file("login.py")
    assert live == replayed == CODE
