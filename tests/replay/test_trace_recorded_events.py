"""A cassette made from the trace replays what the AgentOps-compatible API records as a live one does."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import ActionEvent, LLMEvent, semconv
from agentops_otel.read import records_from_spans
from agentops_otel.reassemble import reassemble
from agentops_otel.testing import Cassette, DivergenceError, cassette_from_timeline, replay


def triage_agent(model: str = "gpt-4o-mini", prompt: str = "Triage ticket 7") -> None:
    """An agent that records its model call by hand (it calls the model through a client we do not see)."""
    with agentops.session("triage"):
        agentops.record(ActionEvent(action_type="plan", params={"ticket": 7}, returns="ok"))
        agentops.record(LLMEvent(model=model, prompt=prompt, completion="urgent", prompt_tokens=5,
                                 completion_tokens=1))
        agentops.record(ActionEvent(action_type="escalate", params={"ticket": 7}, returns="ok"))


@pytest.fixture
def from_trace(span_exporter: InMemorySpanExporter) -> Cassette:
    triage_agent()
    [timeline] = reassemble(records_from_spans(span_exporter.get_finished_spans())).sessions
    return cassette_from_timeline(timeline)


def test_a_recorded_model_call_replays_from_the_trace(from_trace: Cassette) -> None:
    """The unchanged agent, recording the same LLMEvent again, replays its trace-made cassette cleanly."""
    with replay(from_trace):
        triage_agent()


def test_a_recorded_model_call_with_another_model_diverges_from_the_trace(from_trace: Cassette) -> None:
    """record(LLMEvent) naming another model than the trace's fails the replay at that step."""
    with pytest.raises(DivergenceError) as err, replay(from_trace):
        triage_agent(model="gpt-4o")
    assert err.value.index == 1
    assert "the recording has llm gpt-4o-mini here, the agent called llm gpt-4o" in err.value.render()


def test_a_recorded_model_call_with_another_prompt_diverges_from_the_trace(from_trace: Cassette) -> None:
    """record(LLMEvent) with another prompt than the trace's fails the replay, showing both prompts."""
    with pytest.raises(DivergenceError) as err, replay(from_trace):
        triage_agent(prompt="Close ticket 7")
    text = err.value.render()
    assert "llm gpt-4o-mini was called with other arguments" in text
    assert '+  "prompt": "Close ticket 7"' in text


def test_a_recorded_model_call_naming_its_operation_replays_from_the_trace(
        span_exporter: InMemorySpanExporter) -> None:
    """LLMEvent(operation="chat"), which the span shows as any chat call, replays its trace-made cassette."""
    def agent() -> None:
        with agentops.session("embed"):
            agentops.record(LLMEvent(model="gpt-4o-mini", prompt="Summarise", operation="chat"))
            agentops.record(LLMEvent(model="text-embedding-3-small", prompt="Summarise", operation="embeddings"))

    agent()
    [timeline] = reassemble(records_from_spans(span_exporter.get_finished_spans())).sessions
    with replay(cassette_from_timeline(timeline)):
        agent()


def test_an_exported_test_does_not_call_a_recorded_model_a_tool(from_trace: Cassette) -> None:
    """export-test pins the actions and tools called, not the model an LLMEvent named (no tool runs by that name)."""
    from agentops_otel.testing._export_test import render_test

    text = render_test(from_trace, call="agent:run", args=[], cassette_ref="c.json", test_name="test_it",
                       source="traces.jsonl", run_tools=False)
    assert 'CALLS = ["plan", "escalate"]' in text
    assert "gpt-4o-mini" not in text


def test_a_cassette_from_an_event_only_trace_checks_the_recorded_arguments(
        span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    """Recorded event_only, the trace-made cassette holds the steps' arguments and prompt, and checks them."""
    monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, "event_only")
    triage_agent()
    [timeline] = reassemble(records_from_spans(span_exporter.get_finished_spans())).sessions
    cassette = cassette_from_timeline(timeline)
    with replay(cassette):
        triage_agent()
    with pytest.raises(DivergenceError) as err, replay(cassette):
        triage_agent(prompt="Close ticket 7")
    assert '+  "prompt": "Close ticket 7"' in err.value.render()
