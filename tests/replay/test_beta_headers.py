"""A request's beta features (anthropic's ``betas=``, openai's ``OpenAI-Beta`` header) are part of the step."""

from __future__ import annotations

import json
from pathlib import Path

import anthropic
import pytest
from openai import OpenAI

from agentops_otel.testing import AnthropicServer, DivergenceError, OpenAIServer, record, replay

_ASK = [{"role": "user", "content": "who is 4417?"}]
_LONG = "context-1m-2025-08-07"


def ask_claude(client: anthropic.Anthropic, betas: list[str] | None) -> str:
    """The agent: one Claude call, through the beta resource when it asks for beta features."""
    if betas is None:
        reply = client.messages.create(model="claude-sonnet-4-5", max_tokens=64, messages=_ASK)  # type: ignore[arg-type]
        return str(reply.content[0].text)  # type: ignore[union-attr]
    beta = client.beta.messages.create(model="claude-sonnet-4-5", max_tokens=64, messages=_ASK,  # type: ignore[arg-type]
                                       betas=betas)
    return str(beta.content[0].text)  # type: ignore[union-attr]


def recorded(claude_server: AnthropicServer, tmp_path: Path, betas: list[str] | None) -> Path:
    with anthropic.Anthropic(base_url=claude_server.base_url, api_key="sk-ant-local", max_retries=0) as live, \
            record() as rec:
        ask_claude(live, betas)
    return rec.save(tmp_path / "c.json")


def replayed(dead_url: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=dead_url.removesuffix("/v1"), api_key="unused", max_retries=0)


def test_a_beta_feature_turned_on_diverges(claude: AnthropicServer, dead_url: str, tmp_path: Path,
                                           offline: None) -> None:
    """A Claude call recorded without betas, made with the 1M-token context beta: the replay fails naming it."""
    path = recorded(claude, tmp_path, None)
    with replayed(dead_url) as client, pytest.raises(DivergenceError, match="anthropic-beta") as err, replay(path):
        ask_claude(client, [_LONG])
    assert _LONG in err.value.render()


def test_a_beta_feature_turned_off_diverges(claude: AnthropicServer, dead_url: str, tmp_path: Path,
                                            offline: None) -> None:
    """A Claude call recorded with a beta, made without it: the replay fails."""
    path = recorded(claude, tmp_path, [_LONG])
    with replayed(dead_url) as client, pytest.raises(DivergenceError, match="anthropic-beta"), replay(path):
        ask_claude(client, None)


def test_the_same_betas_replay(claude: AnthropicServer, dead_url: str, tmp_path: Path, offline: None) -> None:
    """The same beta features replay, and the cassette shows them."""
    path = recorded(claude, tmp_path, [_LONG])
    assert _LONG in path.read_text()
    with replayed(dead_url) as client, replay(path):
        assert ask_claude(client, [_LONG]) == "billing"


def test_a_cassette_recorded_before_betas_were_kept_is_not_checked_for_them(claude: AnthropicServer, dead_url: str,
                                                                           tmp_path: Path, offline: None) -> None:
    """An older cassette (no headers kept) replays the agent's beta call as before: it knows no betas to compare."""
    path = recorded(claude, tmp_path, [_LONG])
    doc = json.loads(path.read_text())
    doc.pop("beta_headers")
    for step in doc["steps"]:
        step.pop("headers", None)
    path.write_text(json.dumps(doc))
    with replayed(dead_url) as client, replay(path):
        ask_claude(client, [_LONG])


def test_an_openai_beta_header_added_diverges(server: OpenAIServer, client: OpenAI, dead_url: str, tmp_path: Path,
                                              offline: None) -> None:
    """An OpenAI-Beta header the recording's request did not send diverges."""
    with record() as rec:
        client.chat.completions.create(model="gpt-4o-mini", messages=_ASK)  # type: ignore[arg-type]
    with OpenAI(base_url=dead_url, api_key="unused", max_retries=0) as again, \
            pytest.raises(DivergenceError, match="openai-beta"), replay(rec.save(tmp_path / "c.json")):
        again.chat.completions.create(model="gpt-4o-mini", messages=_ASK,  # type: ignore[arg-type]
                                      extra_headers={"OpenAI-Beta": "assistants=v2"})
