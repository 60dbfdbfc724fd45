"""The anthropic client records and replays through the same provider interface as openai."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import anthropic
import pytest

from agentops_otel.testing import DivergenceError, LLMStep, record, replay

MESSAGE = {"id": "msg_01", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
           "content": [{"type": "text", "text": "billing"}], "stop_reason": "end_turn", "stop_sequence": None,
           "usage": {"input_tokens": 12, "output_tokens": 1}}
EVENTS: list[tuple[str, dict[str, Any]]] = [
    ("message_start", {"type": "message_start", "message": {**MESSAGE, "content": [], "stop_reason": None}}),
    ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0,
                             "delta": {"type": "text_delta", "text": "bill"}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0,
                             "delta": {"type": "text_delta", "text": "ing"}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                       "usage": {"output_tokens": 1}}),
    ("message_stop", {"type": "message_stop"}),
]


class _Messages(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        if body.get("stream"):
            payload = "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in EVENTS).encode()
            kind = "text/event-stream"
        else:
            payload, kind = json.dumps(MESSAGE).encode(), "application/json"
        self.send_response(200)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def messages_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Messages)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _ask(client: anthropic.Anthropic, text: str) -> str:
    reply = client.messages.create(model="claude-haiku-4-5", max_tokens=10,
                                   messages=[{"role": "user", "content": text}])
    with client.messages.stream(model="claude-haiku-4-5", max_tokens=10,
                                messages=[{"role": "user", "content": text}]) as stream:
        streamed = "".join(stream.text_stream)
    block = reply.content[0]
    assert isinstance(block, anthropic.types.TextBlock)
    return f"{block.text}|{streamed}"


def test_anthropic_calls_record_and_replay_offline(messages_url: str, dead_url: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """messages.create and messages.stream are recorded as LLM steps and replayed without the server or a key."""
    with record() as rec:
        live = _ask(anthropic.Anthropic(base_url=messages_url, api_key="sk-ant-test", max_retries=0), "hi")
    first, second = rec.steps
    assert isinstance(first, LLMStep) and first.provider == "anthropic" and first.endpoint == "/v1/messages"
    assert first.request["messages"] == [{"role": "user", "parts": [{"type": "text", "content": "hi"}]}]
    assert isinstance(second, LLMStep) and second.events and second.events[0]["event"] == "message_start"
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with replay(rec.cassette()):
        assert _ask(anthropic.Anthropic(base_url=dead_url, max_retries=0), "hi") == live


def test_anthropic_divergence(messages_url: str, dead_url: str) -> None:
    """Another prompt to Claude diverges at that step like an openai call would."""
    with record() as rec:
        _ask(anthropic.Anthropic(base_url=messages_url, api_key="sk-ant-test", max_retries=0), "hi")
    with pytest.raises(DivergenceError, match="request differs"), replay(rec.cassette()):
        _ask(anthropic.Anthropic(base_url=dead_url, api_key="unused", max_retries=0), "hello")


def test_anthropic_thinking_added_diverges(messages_url: str, dead_url: str) -> None:
    """Turning on extended thinking changes the request even though the span attributes stay the same."""
    def ask(client: anthropic.Anthropic, **more: Any) -> None:
        client.messages.create(model="claude-haiku-4-5", max_tokens=2000,
                               messages=[{"role": "user", "content": "hi"}], **more)

    with record() as rec:
        ask(anthropic.Anthropic(base_url=messages_url, api_key="sk-ant-test", max_retries=0))
    with pytest.raises(DivergenceError, match=r"request differs from the recording in extra\.thinking"), \
            replay(rec.cassette()):
        ask(anthropic.Anthropic(base_url=dead_url, api_key="unused", max_retries=0),
            thinking={"type": "enabled", "budget_tokens": 1024})


def test_anthropic_cache_control_changed_diverges(messages_url: str, dead_url: str) -> None:
    """A prompt-caching marker moved to another block changes what is billed: the replay does not pass it."""
    def ask(client: anthropic.Anthropic, cached: int) -> None:
        blocks: list[Any] = [{"type": "text", "text": "policy"}, {"type": "text", "text": "question"}]
        blocks[cached] = {**blocks[cached], "cache_control": {"type": "ephemeral"}}
        client.messages.create(model="claude-haiku-4-5", max_tokens=10, messages=[{"role": "user", "content": blocks}])

    with record() as rec:
        ask(anthropic.Anthropic(base_url=messages_url, api_key="sk-ant-test", max_retries=0), 0)
    with pytest.raises(DivergenceError, match=r"request differs from the recording in .*messages"), \
            replay(rec.cassette()):
        ask(anthropic.Anthropic(base_url=dead_url, api_key="unused", max_retries=0), 1)


def test_an_anthropic_recording_asks_for_a_cassette(messages_url: str) -> None:
    """A replay from the trace answers OpenAI chat completions only: a session with Claude calls needs its
    cassette, so save_beside() writes one (and says why) rather than leave nothing to replay."""
    with record() as rec:
        _ask(anthropic.Anthropic(base_url=messages_url, api_key="sk-ant-test", max_retries=0), "hi")
    where, why = rec.where()
    assert where == "cassette", why
    assert "anthropic" in why
