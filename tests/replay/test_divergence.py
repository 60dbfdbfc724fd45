"""Divergence: the first step the agent takes that the recording does not have fails the replay, readably."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openai import OpenAI
from replay_helpers import Agent

from agentops_otel import semconv, tool
from agentops_otel.testing import Cassette, DivergenceError, OpenAIServer, record, replay


@pytest.fixture
def cassette(agent: Agent, client: OpenAI) -> Cassette:
    with record() as rec:
        agent.run(client)
    return rec.cassette()


@pytest.fixture
def dead(dead_url: str) -> OpenAI:
    return OpenAI(base_url=dead_url, api_key="unused", max_retries=0)


def test_other_messages_fail_with_a_diff_and_both_stories(cassette: Cassette, dead: OpenAI) -> None:
    """Another question: the first LLM step diverges; the message has the diff and both replays to there."""
    with pytest.raises(DivergenceError) as err, replay(cassette):
        Agent().run(dead, "who is 2093?")
    text = err.value.render()
    assert err.value.index == 0
    assert "the llm gpt-4o-mini request differs from the recording" in text
    assert '-          "content": "who is 4417?",' in text
    assert '+          "content": "who is 2093?",' in text
    assert "Recorded, steps 0-0:" in text and "Actual, steps 0-0:" in text
    assert "content_sha256" not in text  # the messages' own diff says what changed: no digest noise above it


def test_other_tool_arguments_fail_at_the_tool_step(cassette: Cassette, dead: OpenAI) -> None:
    """The tool called with another id diverges at that step, after a matching LLM step."""
    agent = Agent()
    with pytest.raises(DivergenceError) as err, replay(cassette):
        dead.chat.completions.create(model="gpt-4o-mini", temperature=0.0,
                                     messages=[{"role": "user", "content": "who is 4417?"}])
        agent.lookup_customer("2093")
    assert err.value.index == 1
    assert "tool lookup_customer was called with other arguments" in err.value.render()
    assert '+  "customer_id": "2093"' in err.value.render()
    assert agent.tool_runs == []  # a divergent tool call is not run


def test_a_tool_argument_turned_from_boolean_to_number_diverges(cassette: Cassette, dead: OpenAI) -> None:
    """Strict matching is JSON's: a tool called with full=1 where the recording has full=True diverges."""
    @tool
    def lookup(customer_id: str, full: object) -> str:
        return "ok"

    with record() as rec:
        lookup("4417", full=True)
    with pytest.raises(DivergenceError, match="called with other arguments"), replay(rec.cassette()):
        lookup("4417", full=1)


def test_another_step_kind_names_both(cassette: Cassette, dead: OpenAI) -> None:
    """A tool where the recording has an LLM call: the error names what each side did."""
    with pytest.raises(DivergenceError, match="the recording has llm gpt-4o-mini here, the agent called tool "
                                              "lookup_customer"), replay(cassette):
        Agent().lookup_customer("4417")


def test_an_extra_call_is_refused_never_sent(cassette: Cassette, client: OpenAI, server: OpenAIServer) -> None:
    """A call after the last recorded step fails; nothing reaches the server even though it is up."""
    sent = len(server.requests)
    with pytest.raises(DivergenceError, match="after the last recorded step"), replay(cassette):
        Agent().run(client)
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "more"}])
    assert len(server.requests) == sent


def test_an_agent_that_stops_early_fails_at_exit(cassette: Cassette, dead: OpenAI) -> None:
    """Fewer steps than recorded is a divergence too, named by the first step that never came."""
    with pytest.raises(DivergenceError, match="the agent finished, but the recording continues with tool "
                                              "lookup_customer"), replay(cassette):
        dead.chat.completions.create(model="gpt-4o-mini", temperature=0.0,
                                     messages=[{"role": "user", "content": "who is 4417?"}])


def test_an_agent_that_raises_before_the_recording_ends_diverges(dead: OpenAI) -> None:
    """An agent that raises its own error steps earlier than recorded diverges, its error kept as the cause."""
    agent = Agent()
    with record() as rec, pytest.raises(LookupError):
        agent.lookup_customer("4417")
        agent.lookup_customer("0")  # raises LookupError, as the agent's run did when it was recorded
    with pytest.raises(DivergenceError, match="the agent raised ValueError: bad input, but the recording "
                                              "continues with tool lookup_customer") as err, replay(rec.cassette()):
        raise ValueError("bad input")  # the changed agent fails before its first step
    assert isinstance(err.value.__cause__, ValueError)


def test_an_early_error_whose_text_cannot_be_read_still_diverges(dead: OpenAI) -> None:
    """The agent's early error with a __str__ that raises still makes a clear divergence, kept as its cause."""
    class Unprintable(ValueError):
        def __str__(self) -> str:
            raise RuntimeError("no text")

    agent = Agent()
    with record() as rec:
        agent.lookup_customer("4417")
    with pytest.raises(DivergenceError, match="the agent raised Unprintable: <unprintable exception>") as err, \
            replay(rec.cassette()):
        raise Unprintable()
    assert isinstance(err.value.__cause__, Unprintable)


def test_a_swallowed_divergence_still_fails(cassette: Cassette, dead: OpenAI) -> None:
    """An agent that catches every exception cannot hide the divergence: it is raised again at exit."""
    with pytest.raises(DivergenceError), replay(cassette):
        try:
            Agent().run(dead, "who is 2093?")
        except Exception:
            pass


def test_matching_is_strict_by_default(cassette: Cassette, dead: OpenAI) -> None:
    """Another temperature alone is a divergence unless ignored."""
    with pytest.raises(DivergenceError, match=r"differs from the recording in params\.temperature"), replay(cassette):
        Agent().run(dead, temperature=0.7)


def test_ignored_fields_may_differ(cassette: Cassette, dead: OpenAI) -> None:
    """ignore=["temperature"] lets the temperature change and checks everything else."""
    with replay(cassette, ignore=["temperature"]):
        Agent().run(dead, temperature=0.7)


def test_dotted_ignore_paths_take_wildcards(cassette: Cassette, dead: OpenAI) -> None:
    """A dotted path with * ignores one field at one place (here: the first user message's text)."""
    with replay(cassette, ignore=["messages.*.parts.*.content"]):
        Agent().run(dead, "who is 2093?")


_TOOLS: Any = [{"type": "function", "function": {"name": "search", "parameters": {"type": "object"}}}]


def _format(field: str) -> Any:
    return {"type": "json_schema", "json_schema": {"name": "out", "strict": True, "schema": {
        "type": "object", "properties": {field: {"type": "string"}}, "required": [field]}}}


def _ask(client: OpenAI, **changed: Any) -> None:
    """One call with fields the GenAI span attributes do not carry (or carry only in part)."""
    fields: dict[str, Any] = {"tool_choice": "auto", "response_format": _format("answer"), "user": "u-1"}
    fields.update(changed)
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}],
                                   tools=_TOOLS, **{k: v for k, v in fields.items() if v is not None})


@pytest.mark.parametrize(("changed", "field"), [
    ({"tool_choice": "none"}, "extra.tool_choice"),
    ({"response_format": _format("verdict")}, "extra.response_format"),
    ({"reasoning_effort": "high"}, "extra.reasoning_effort"),
    ({"user": None}, "extra.user"),
    ({"extra_body": {"store": True}}, "extra.store"),
])
def test_a_request_field_outside_the_span_attributes_diverges(client: OpenAI, dead: OpenAI, changed: dict[str, Any],
                                                              field: str) -> None:
    """A recorded request is compared whole: a field the trace does not show still diverges, named in the diff."""
    with record() as rec:
        _ask(client)
    with pytest.raises(DivergenceError) as err, replay(rec.cassette()):
        _ask(dead, **changed)
    assert str(err.value).endswith(f"request differs from the recording in {field}")


def _strict_tools(strict: bool) -> list[Any]:
    return [{"type": "function", "function": {**_TOOLS[0]["function"], "strict": strict}}]


def _image(detail: str) -> list[Any]:
    return [{"role": "user", "content": [{"type": "text", "text": "what is this?"},
                                         {"type": "image_url", "image_url": {"url": "https://x.test/a.png",
                                                                             "detail": detail}}]}]


@pytest.mark.parametrize(("recorded", "changed"), [
    ({"tools": _strict_tools(True)}, {"tools": _strict_tools(False)}),
    ({"messages": _image("high")}, {"messages": _image("low")}),
    ({"messages": [{"role": "user", "content": "hi", "name": "ann"}]},
     {"messages": [{"role": "user", "content": "hi", "name": "bob"}]}),
])
def test_a_content_field_the_span_view_drops_still_diverges(client: OpenAI, dead: OpenAI, recorded: dict[str, Any],
                                                            changed: dict[str, Any]) -> None:
    """Messages and tools are compared whole, not only as the span shows them (it drops a tool's strict flag
    and an image's detail): a change there fails the replay, named as a change in the content."""
    def ask(c: OpenAI, fields: dict[str, Any]) -> None:
        c.chat.completions.create(**{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}],
                                     **fields})

    with record() as rec:
        ask(client, recorded)
    with pytest.raises(DivergenceError, match=r"request differs from the recording in .*"
                                              r"(messages|tools)"), replay(rec.cassette()):
        ask(dead, changed)


def test_a_field_the_span_view_drops_can_be_ignored_by_name(client: OpenAI, dead: OpenAI) -> None:
    """ignore=["strict"] lets a tool's strict flag vary: the content's digest gives way to the user's pattern."""
    with record() as rec:
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}],
                                       tools=_strict_tools(True))
    with replay(rec.cassette(), ignore=["strict"]):
        dead.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}],
                                     tools=_strict_tools(False))


def test_a_dropped_stream_option_diverges(client: OpenAI, dead: OpenAI) -> None:
    """Without include_usage the live stream would report no cost: a replay that drops it must not pass."""
    def stream(c: OpenAI, **options: Any) -> None:
        chunks = c.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "s"}],
                                           stream=True, **options)
        "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)

    with record() as rec:
        stream(client, stream_options={"include_usage": True})
    with pytest.raises(DivergenceError, match=r"request differs from the recording in extra\.stream_options"), \
            replay(rec.cassette()):
        stream(dead)


def test_request_fields_can_be_ignored_by_name(client: OpenAI, dead: OpenAI) -> None:
    """ignore=["tool_choice"] lets that one field vary, as for the span's own parameters."""
    with record() as rec:
        _ask(client)
    with replay(rec.cassette(), ignore=["tool_choice"]):
        _ask(dead, tool_choice="none")


def test_a_cassette_without_request_fields_still_replays(client: OpenAI, dead: OpenAI, tmp_path: Path) -> None:
    """A cassette recorded before the whole request was kept (or built from a trace) loads and replays."""
    with record() as rec:
        _ask(client)
    path = rec.save(tmp_path / "old.json")
    doc = json.loads(path.read_text())
    for step in doc["steps"]:
        step.pop("extra", None)
    path.write_text(json.dumps(doc))
    with replay(path):
        _ask(dead)


def _many_tools(last: str) -> list[Any]:
    return [{"type": "function", "function": {"name": name, "description": "Does something useful. " * 10,
                                              "parameters": {"type": "object"}}}
            for name in [*(f"tool_{i}" for i in range(49)), last]]


def test_a_tool_changed_past_the_content_budget_diverges(client: OpenAI, dead: OpenAI,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The trace keeps only the first tools within the content budget; a replay compares them all."""
    monkeypatch.setenv(semconv.ENV_MAX_CONTENT_CHARS, "2000")

    def ask(c: OpenAI, last: str) -> None:
        c.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}],
                                  tools=_many_tools(last))

    with record() as rec:
        ask(client, "lookup")
    with pytest.raises(DivergenceError, match=r"differs from the recording in .*tools"), replay(rec.cassette()):
        ask(dead, "delete_all")
