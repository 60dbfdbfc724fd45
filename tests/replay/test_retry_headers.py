"""The answer headers the SDKs retry by (x-should-retry, retry-after-ms) replay as recorded."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import anthropic
import openai
import pytest
from openai import OpenAI

from agentops_otel.testing import AnthropicServer, OpenAIServer, Reply, record, replay

_ASK = [{"role": "user", "content": "who is 4417?"}]


def answer_or_give_up(client: OpenAI, *, stream: bool = False) -> str:
    """An agent that gives up politely when the model is down (its client retries as by default)."""
    try:
        if stream:
            return "".join(c.choices[0].delta.content or "" for c in
                           client.chat.completions.create(model="gpt-4o-mini", messages=_ASK, stream=True)
                           if c.choices)
        return client.chat.completions.create(model="gpt-4o-mini", messages=_ASK).choices[0].message.content or ""
    except openai.InternalServerError as exc:
        return f"gave up after {exc.status_code}"


def claude_or_give_up(client: anthropic.Anthropic) -> str:
    try:
        reply = client.messages.create(model="claude-haiku-4-5", max_tokens=16, messages=[
            {"role": "user", "content": "who is 4417?"}])
    except anthropic.InternalServerError as exc:
        return f"gave up after {exc.status_code}"
    return "".join(b.text for b in reply.content if isinstance(b, anthropic.types.TextBlock))


@pytest.mark.parametrize("stream", [False, True])
def test_an_error_recorded_as_not_to_retry_is_not_retried_in_the_replay(server: OpenAIServer, dead_url: str,
                                                                        tmp_path: Path, offline: None,
                                                                        stream: bool) -> None:
    """A 503 the API said not to retry gives up at once in the replay too: no retry the recording never made."""
    server.queue(Reply.error(503, retry=False), Reply.text("a retry would get this"))
    with OpenAI(base_url=server.base_url, api_key="sk-local") as live, record() as rec:
        recorded = answer_or_give_up(live, stream=stream)
    assert recorded == "gave up after 503" and len(server.requests) == 1
    with OpenAI(base_url=dead_url, api_key="unused") as replayed, replay(rec.save(tmp_path / "c.json")):
        assert answer_or_give_up(replayed, stream=stream) == recorded


def test_a_claude_error_recorded_as_not_to_retry_is_not_retried_in_the_replay(dead_url: str, tmp_path: Path,
                                                                              offline: None) -> None:
    """anthropic's client, told by a 529 not to retry, gives up at once in the replay as it did live."""
    with AnthropicServer() as server, anthropic.Anthropic(base_url=server.base_url, api_key="sk-ant-local") as live, \
            record() as rec:
        server.queue(Reply.error(529, retry=False), Reply.text("a retry would get this"))
        recorded = claude_or_give_up(live)
    assert recorded == "gave up after 529" and len(server.requests) == 1
    with anthropic.Anthropic(base_url=dead_url.removesuffix("/v1"), api_key="unused") as replayed, \
            replay(rec.save(tmp_path / "c.json")):
        assert claude_or_give_up(replayed) == recorded


def test_a_recorded_retry_delay_is_the_replays_retry_delay(server: OpenAIServer, dead_url: str, tmp_path: Path,
                                                           offline: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 429 that said retry-after-ms: 1 is retried after 1 ms in the replay too, not after the SDK's own backoff."""
    waits: list[float] = []
    me, real_sleep = threading.get_ident(), time.sleep

    def sleep(seconds: float) -> None:
        if threading.get_ident() == me:  # the agent's client, not the server's threads
            waits.append(seconds)
        real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", sleep)
    server.queue(Reply.error(429, retry_after=0.001), Reply.text("after the wait"))
    with OpenAI(base_url=server.base_url, api_key="sk-local") as live, record() as rec:
        recorded = live.chat.completions.create(model="gpt-4o-mini", messages=_ASK).choices[0].message.content
    assert recorded == "after the wait" and waits == [0.001]
    waits.clear()
    with OpenAI(base_url=dead_url, api_key="unused") as replayed, replay(rec.save(tmp_path / "c.json")):
        assert replayed.chat.completions.create(model="gpt-4o-mini", messages=_ASK).choices[0].message.content \
            == recorded
    assert waits == [0.001]


def test_a_replay_does_not_wait_out_a_long_recorded_retry_delay(
        server: OpenAIServer, dead_url: str, tmp_path: Path, offline: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 429 that asked for half a second is retried in the replay as in the recording, but at once: a replay
    runs offline and the delay changes nothing the agent does."""
    waits: list[float] = []
    me, real_sleep = threading.get_ident(), time.sleep

    def sleep(seconds: float) -> None:
        if threading.get_ident() == me:
            waits.append(seconds)
        real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", sleep)
    server.queue(Reply.error(429, retry_after=0.5), Reply.text("after the wait"))
    with OpenAI(base_url=server.base_url, api_key="sk-local") as live, record() as rec:
        recorded = live.chat.completions.create(model="gpt-4o-mini", messages=_ASK).choices[0].message.content
    assert waits == [0.5]
    waits.clear()
    with OpenAI(base_url=dead_url, api_key="unused") as replayed, replay(rec.save(tmp_path / "c.json")):
        assert replayed.chat.completions.create(model="gpt-4o-mini", messages=_ASK).choices[0].message.content \
            == recorded
    assert len(waits) == 1 and waits[0] <= 0.001


def test_the_cassette_keeps_the_retry_headers_and_no_other(server: OpenAIServer, tmp_path: Path) -> None:
    """The step keeps x-should-retry and retry-after-ms, not the request ids the server also sent."""
    server.queue(Reply.error(503, retry=False, retry_after=0.001))
    with OpenAI(base_url=server.base_url, api_key="sk-local") as live, record() as rec:
        answer_or_give_up(live)
    doc = json.loads(rec.save(tmp_path / "c.json").read_text())
    assert doc["steps"][0]["answer_headers"] == {"retry-after-ms": "1", "x-should-retry": "false"}


def test_a_cassette_recorded_before_answer_headers_were_kept_still_replays(server: OpenAIServer, dead_url: str,
                                                                          tmp_path: Path, offline: None) -> None:
    """A cassette without answer_headers loads and replays as it did: the SDK retries after its own backoff."""
    server.queue(Reply.error(429, retry_after=0.001), Reply.text("after the wait"))
    with OpenAI(base_url=server.base_url, api_key="sk-local") as live, record() as rec:
        recorded = live.chat.completions.create(model="gpt-4o-mini", messages=_ASK).choices[0].message.content
    path = rec.save(tmp_path / "c.json")
    doc = json.loads(path.read_text())
    assert doc["steps"][0].pop("answer_headers") == {"retry-after-ms": "1"}
    assert "answer_headers" not in doc["steps"][1]  # an answer without them omits the field
    path.write_text(json.dumps(doc))
    with OpenAI(base_url=dead_url, api_key="unused") as replayed, replay(path):
        assert replayed.chat.completions.create(model="gpt-4o-mini", messages=_ASK).choices[0].message.content \
            == recorded
