"""Recording: every LLM exchange (sync, async, streamed) and tool call, whole, masked, in a stable file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openai import AsyncOpenAI, OpenAI
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from replay_helpers import Agent

from agentops_otel import semconv
from agentops_otel.testing import LLMStep, ToolStep, load_cassette, record


def test_sync_call_is_recorded_with_request_view_and_body(agent: Agent, client: OpenAI) -> None:
    """A plain chat call becomes an LLM step: the request as the trace shows it, the answer as sent."""
    with record() as rec:
        agent.run(client, stream=False)
    first = rec.steps[0]
    assert isinstance(first, LLMStep)
    assert first.endpoint == "/chat/completions"
    assert first.request["model"] == "gpt-4o-mini"
    assert first.request["params"]["temperature"] == 0.0
    assert first.request["messages"] == [{"role": "user", "parts": [{"type": "text", "content": "who is 4417?"}]}]
    assert first.status == 200 and first.body["object"] == "chat.completion"


def test_stream_is_recorded_as_events(agent: Agent, client: OpenAI) -> None:
    """A streamed answer is kept as its server-sent events, in order, ending with [DONE]."""
    with record() as rec:
        agent.run(client)
    last = rec.steps[-1]
    assert isinstance(last, LLMStep) and last.body is None and last.events is not None
    assert last.events[-1] == {"data": "[DONE]"}
    assert any(e["data"].get("usage") for e in last.events if isinstance(e["data"], dict))


async def test_async_calls_and_streams_are_recorded(agent: Agent, aclient: AsyncOpenAI) -> None:
    """The async client's calls are recorded like the sync ones, the stream as events."""
    with record() as rec:
        await agent.arun(aclient)
    kinds = [type(s).__name__ for s in rec.steps]
    assert kinds == ["LLMStep", "ToolStep", "LLMStep"]
    assert isinstance(rec.steps[0], LLMStep) and rec.steps[0].body["object"] == "chat.completion"
    assert isinstance(rec.steps[2], LLMStep) and rec.steps[2].events


def test_tool_arguments_and_result_are_recorded_and_secrets_stay_masked(agent: Agent, client: OpenAI) -> None:
    """The tool's named arguments and result are recorded whole; a secret argument is masked."""
    with record() as rec:
        agent.run(client)
    step = rec.steps[1]
    assert isinstance(step, ToolStep)
    assert step.name == "lookup_customer" and step.tool_type == "tool"
    assert step.arguments["customer_id"] == "4417"
    assert step.arguments["api_key"] == "[REDACTED]"
    assert step.result == {"id": "4417", "plan": "pro"}


def test_secret_header_pairs_stay_masked_in_the_cassette() -> None:
    """A tool given headers as [name, value] lists records the secret ones masked, as the trace does."""
    from agentops_otel import tool

    @tool
    def fetch(url: str, headers: list[list[str]]) -> list[list[str]]:
        return [["Set-Cookie", "sid=abc123"], ["Content-Type", "text/plain"]]

    with record() as rec:
        fetch("https://api.example.com", [["Authorization", "token abc123"], ["Accept", "*/*"]])
    step = rec.steps[0]
    assert isinstance(step, ToolStep)
    assert step.arguments["headers"] == [["Authorization", "[REDACTED]"], ["Accept", "*/*"]]
    assert step.result == [["Set-Cookie", "[REDACTED]"], ["Content-Type", "text/plain"]]


def test_saved_cassette_is_stable_sorted_json_with_one_event_per_line(agent: Agent, client: OpenAI,
                                                                      tmp_path: Path) -> None:
    """Saving twice gives the same bytes; keys are sorted; each stream event sits on one line."""
    with record() as rec:
        agent.run(client)
    a = rec.save(tmp_path / "a.json").read_text()
    b = rec.save(tmp_path / "b.json").read_text()
    assert a == b
    assert "sk-live" not in a
    doc = json.loads(a)
    assert list(doc) == sorted(doc)
    event_lines = [line for line in a.splitlines() if line.strip().startswith('{"data"')]
    assert len(event_lines) == len(rec.steps[-1].events)  # type: ignore[union-attr, arg-type]
    assert load_cassette(tmp_path / "a.json").steps == rec.steps


def test_where_says_the_trace_suffices_when_content_fits(agent: Agent, client: OpenAI) -> None:
    """With capture on and every value under the bound, the trace itself is the recording."""
    with record() as rec:
        agent.run(client, stream=False)
    where, why = rec.where()
    assert where == "trace" and "whole" in why


def test_where_asks_for_a_cassette_when_a_request_set_fields_the_trace_lacks(agent: Agent, client: OpenAI) -> None:
    """stream_options (like tool_choice, reasoning_effort...) is not on the span: a replay from the trace
    could not notice it changed, so the recording must be a cassette, which says why."""
    with record() as rec:
        agent.run(client)
    where, why = rec.where()
    assert where == "cassette" and "stream_options" in why


def test_where_asks_for_a_cassette_when_a_value_was_cut(agent: Agent, client: OpenAI,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A value over AGENTOPS_OTEL_MAX_VALUE_CHARS is cut in the trace: a cassette is needed, and says why."""
    monkeypatch.setenv(semconv.ENV_MAX_VALUE_CHARS, "20")
    with record() as rec:
        agent.run(client)
    where, why = rec.where()
    assert where == "cassette"
    assert "over 20 characters" in why and "lookup_customer" in why
    assert rec.cassette().why == why


def test_where_asks_for_a_cassette_when_capture_is_off(agent: Agent, client: OpenAI,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Without content capture the trace holds no content: the cassette says so."""
    monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, "no_content")
    with record() as rec:
        agent.run(client, stream=False)
    assert rec.where() == ("cassette", "content capture is no_content (the trace holds no span content)")


def test_save_beside_writes_only_when_the_trace_is_not_enough(agent: Agent, client: OpenAI, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Whole content: no cassette (the trace is the recording); cut content: <dir>/<session id>.json, saying why."""
    import agentops_otel as agentops

    with agentops.session("whole"), record() as rec:
        agent.run(client, stream=False)
    assert rec.save_beside(tmp_path) is None
    monkeypatch.setenv(semconv.ENV_MAX_VALUE_CHARS, "20")
    with agentops.session("cut") as s, record() as rec:
        agent.run(client)
    path = rec.save_beside(tmp_path)
    assert path == tmp_path / f"{s.id}.json"
    saved = load_cassette(path)
    assert saved.session.id == s.id and saved.session.name == "cut"
    assert "over 20 characters" in saved.why


def test_a_history_over_the_content_budget_is_recorded_whole(client: OpenAI, monkeypatch: pytest.MonkeyPatch,
                                                             span_exporter: InMemorySpanExporter) -> None:
    """The trace keeps the newest messages within AGENTOPS_OTEL_MAX_CONTENT_CHARS; the cassette keeps them all,
    says why it is needed, and the trace alone is refused for replay."""
    import agentops_otel as agentops
    from agentops_otel.read import records_from_spans
    from agentops_otel.reassemble import reassemble
    from agentops_otel.testing import CassetteError, cassette_from_timeline

    monkeypatch.setenv(semconv.ENV_MAX_CONTENT_CHARS, "200")
    history = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"turn {i} " + "x" * 60} for i in range(7)]
    with agentops.session("long") as s, record() as rec:
        client.chat.completions.create(model="gpt-4o-mini", messages=history)  # type: ignore[arg-type]
    step = rec.steps[0]
    assert isinstance(step, LLMStep) and len(step.request["messages"]) == 7
    where, why = rec.where()
    assert where == "cassette" and "over the 200-character content budget" in why
    [timeline] = [t for t in reassemble(records_from_spans(span_exporter.get_finished_spans())).sessions
                  if t.summary.session_id == s.id]
    with pytest.raises(CassetteError, match="older input messages were left out by the content budget"):
        cassette_from_timeline(timeline)


def test_tools_over_the_content_budget_are_recorded_whole(client: OpenAI, monkeypatch: pytest.MonkeyPatch,
                                                          span_exporter: InMemorySpanExporter) -> None:
    """The trace keeps the first tools within AGENTOPS_OTEL_MAX_CONTENT_CHARS; the cassette keeps them all,
    says why it is needed, and the trace alone is refused for replay."""
    import agentops_otel as agentops
    from agentops_otel.read import records_from_spans
    from agentops_otel.reassemble import reassemble
    from agentops_otel.testing import CassetteError, cassette_from_timeline

    monkeypatch.setenv(semconv.ENV_MAX_CONTENT_CHARS, "500")
    tools = [{"type": "function", "function": {"name": f"tool_{i}", "parameters": {"type": "object"}}}
             for i in range(40)]
    with agentops.session("many tools") as s, record() as rec:
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}],
                                       tools=tools)  # type: ignore[arg-type]
    step = rec.steps[0]
    assert isinstance(step, LLMStep) and len(step.request["tools"]) == 40
    where, why = rec.where()
    assert where == "cassette" and "tool definitions are over the 500-character content budget" in why
    [timeline] = [t for t in reassemble(records_from_spans(span_exporter.get_finished_spans())).sessions
                  if t.summary.session_id == s.id]
    with pytest.raises(CassetteError, match="the last tool definitions were left out by the content budget"):
        cassette_from_timeline(timeline)


def test_a_number_too_big_for_the_trace_needs_a_cassette(span_exporter: InMemorySpanExporter) -> None:
    """An argument past 64 bits is only a size in the trace: the recorder keeps a cassette, the trace is refused."""
    import agentops_otel as agentops
    from agentops_otel.read import records_from_spans
    from agentops_otel.reassemble import reassemble
    from agentops_otel.testing import CassetteError, cassette_from_timeline

    @agentops.tool
    def refund(account_id: int) -> str:
        return "ok"

    with agentops.session("big") as s, record() as rec:
        refund(2**64 + 1)
    where, why = rec.where()
    assert where == "cassette" and "tool refund argument account_id" in why and "<int of 65 bits>" in why
    [timeline] = [t for t in reassemble(records_from_spans(span_exporter.get_finished_spans())).sessions
                  if t.summary.session_id == s.id]
    with pytest.raises(CassetteError, match=r"tool refund\): arguments was cut at the size bound"):
        cassette_from_timeline(timeline)


def test_a_credential_used_as_a_key_is_masked_in_the_cassette_and_replays_from_either_cassette(
        span_exporter: InMemorySpanExporter, tmp_path: Path) -> None:
    """quotas={"sk-...": 100}: the saved cassette holds the key masked, as the trace does, and the agent
    replays from the live cassette and from one made from its trace alike."""
    import agentops_otel as agentops
    from agentops_otel.read import records_from_spans
    from agentops_otel.reassemble import reassemble
    from agentops_otel.testing import cassette_from_timeline, replay

    key = "sk-proj-abcdefghijklmnopqrstuvwx"

    @agentops.tool
    def set_quota(quotas: dict[str, int]) -> str:
        return "ok"

    with record() as rec, agentops.session("quota"):
        set_quota({key: 100, "other": 1})
    assert key not in rec.cassette().save(tmp_path / "c.json").read_text()
    [timeline] = reassemble(records_from_spans(span_exporter.get_finished_spans())).sessions
    for cassette in (rec.cassette(), cassette_from_timeline(timeline)):
        with replay(cassette), agentops.session("quota"):
            set_quota({key: 100, "other": 1})
