"""A per-span content budget: long histories keep the newest messages and say how many older ones were dropped."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openai import OpenAI
from openai_helpers import content, only_span
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel import semconv
from agentops_otel.instrument._openai_chat import chat_content


def _history(n: int, size: int = 200) -> list[Any]:
    return [{"role": "user" if i % 2 == 0 else "assistant", "content": f"message {i} " + "x" * size}
            for i in range(n)]


def _omitted(message: dict[str, Any]) -> int | None:
    """The count in a dropped-messages marker, or None if ``message`` is not one."""
    part = message["parts"][0]
    return part.get("omitted_messages") if isinstance(part, dict) else None


def test_long_history_keeps_the_newest_messages_within_the_budget(
        client: OpenAI, monkeypatch: pytest.MonkeyPatch, span_exporter: InMemorySpanExporter) -> None:
    """200 prior messages over a 5000-char budget: valid JSON, newest kept, one marker counts the dropped."""
    monkeypatch.setenv(semconv.ENV_MAX_CONTENT_CHARS, "5000")
    messages = [*_history(200), {"role": "user", "content": "latest question"}]
    client.chat.completions.create(model="gpt-4o", messages=messages)  # type: ignore[arg-type]
    raw = only_span(span_exporter).attributes[semconv.GEN_AI_INPUT_MESSAGES]  # type: ignore[index]
    assert isinstance(raw, str) and len(raw) <= 5000 + 300
    recorded = json.loads(raw)
    assert recorded[-1]["parts"][0]["content"] == "latest question"
    dropped = _omitted(recorded[0])
    assert dropped is not None and dropped + len(recorded) - 1 == 201
    assert recorded[1]["parts"][0]["content"].startswith(f"message {dropped} ")


def test_the_budget_has_a_default(client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """Unconfigured, a 1 MB history is not recorded whole on every call."""
    client.chat.completions.create(model="gpt-4o", messages=_history(1000, 1000))  # type: ignore[arg-type]
    raw = only_span(span_exporter).attributes[semconv.GEN_AI_INPUT_MESSAGES]  # type: ignore[index]
    assert isinstance(raw, str) and len(raw) < 100_000
    assert _omitted(json.loads(raw)[0])


def test_history_under_the_budget_is_recorded_whole(client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """A short conversation is recorded message for message, with no marker."""
    client.chat.completions.create(model="gpt-4o", messages=_history(6))  # type: ignore[arg-type]
    recorded = content(only_span(span_exporter), semconv.GEN_AI_INPUT_MESSAGES)
    assert [m["parts"][0]["content"][:9] for m in recorded] == [f"message {i}" for i in range(6)]
    assert not any(_omitted(m) for m in recorded)


def test_leading_system_prompt_is_kept(client: OpenAI, monkeypatch: pytest.MonkeyPatch,
                                       span_exporter: InMemorySpanExporter) -> None:
    """The first system message stays in front of the marker: the instructions explain the rest."""
    monkeypatch.setenv(semconv.ENV_MAX_CONTENT_CHARS, "2000")
    messages = [{"role": "system", "content": "you are a billing agent"}, *_history(100)]
    client.chat.completions.create(model="gpt-4o", messages=messages)  # type: ignore[arg-type]
    recorded = content(only_span(span_exporter), semconv.GEN_AI_INPUT_MESSAGES)
    assert recorded[0] == {"role": "system", "parts": [{"type": "text", "content": "you are a billing agent"}]}
    assert _omitted(recorded[1])


def test_dropped_messages_are_never_shaped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shaping stops at the budget: older messages are not even read (cost independent of history length)."""
    monkeypatch.setenv(semconv.ENV_MAX_CONTENT_CHARS, "3000")
    read: list[int] = []

    class Message:
        def __init__(self, i: int) -> None:
            self.i = i
            self.role = "user"
            self.name = None

        @property
        def content(self) -> str:
            read.append(self.i)
            return "y" * 200

    chat_content({"messages": [Message(i) for i in range(10_000)]}, 4096)
    assert 0 < len(read) < 30


def test_anthropic_history_gets_the_same_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """Anthropic message content is cut by the same budget, newest kept, with the marker."""
    from agentops_otel.instrument._anthropic_attrs import message_content

    monkeypatch.setenv(semconv.ENV_MAX_CONTENT_CHARS, "3000")
    recorded = json.loads(message_content({"messages": _history(300)}, 4096).input_messages or "[]")
    assert _omitted(recorded[0]) == 301 - len(recorded)
    assert recorded[-1]["parts"][0]["content"].startswith("message 299 ")


_SCHEMA = {"type": "object",
           "properties": {f"p{j}": {"type": "string", "description": "an argument"} for j in range(5)}}


def _chat_tools(n: int) -> list[Any]:
    return [{"type": "function", "function": {"name": f"tool_{i}", "description": "Does something useful. " * 20,
                                              "parameters": _SCHEMA}} for i in range(n)]


def _kept_tools(raw: object, budget: int, total: int) -> list[dict[str, Any]]:
    """The whole tool entries of recorded definitions cut to ``budget``, after checking the marker counts the rest."""
    assert isinstance(raw, str) and len(raw) <= budget
    *kept, marker = json.loads(raw)
    assert kept and [t["name"] for t in kept] == [f"tool_{i}" for i in range(len(kept))]
    assert marker["omitted_tools"] == total - len(kept)
    return kept


def test_many_tools_keep_the_first_ones_within_the_budget(
        client: OpenAI, monkeypatch: pytest.MonkeyPatch, span_exporter: InMemorySpanExporter) -> None:
    """200 tool schemas (an MCP server's) over a 5000-char budget: whole tools in order, one entry counts the rest."""
    monkeypatch.setenv(semconv.ENV_MAX_CONTENT_CHARS, "5000")
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}],
                                   tools=_chat_tools(200))  # type: ignore[arg-type]
    kept = _kept_tools(only_span(span_exporter).attributes[semconv.GEN_AI_TOOL_DEFINITIONS],  # type: ignore[index]
                       5000, 200)
    assert kept[0] == {"type": "function", "name": "tool_0", "description": "Does something useful. " * 20,
                       "parameters": _SCHEMA}


def test_the_budget_applies_to_tools_sent_again(
        client: OpenAI, monkeypatch: pytest.MonkeyPatch, span_exporter: InMemorySpanExporter) -> None:
    """The same tools recorded whole under the default budget are cut once the budget is lowered."""
    tools = _chat_tools(10)
    for budget in ("8192", "2000"):
        monkeypatch.setenv(semconv.ENV_MAX_CONTENT_CHARS, budget)
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}],
                                       tools=tools)  # type: ignore[arg-type]
    whole, cut = (s.attributes[semconv.GEN_AI_TOOL_DEFINITIONS] for s in span_exporter.get_finished_spans())  # type: ignore[index]
    assert len(json.loads(whole)) == 10  # type: ignore[arg-type]
    _kept_tools(cut, 2000, 10)


def test_responses_tools_get_the_same_budget(
        client: OpenAI, monkeypatch: pytest.MonkeyPatch, span_exporter: InMemorySpanExporter) -> None:
    """The Responses API's flat tool list is cut the same way."""
    monkeypatch.setenv(semconv.ENV_MAX_CONTENT_CHARS, "5000")
    tools = [{"type": "function", **t["function"]} for t in _chat_tools(200)]
    client.responses.create(model="gpt-4o", input="hi", tools=tools)  # type: ignore[arg-type]
    _kept_tools(only_span(span_exporter).attributes[semconv.GEN_AI_TOOL_DEFINITIONS], 5000, 200)  # type: ignore[index]
