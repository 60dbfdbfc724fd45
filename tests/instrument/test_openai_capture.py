"""Message content follows OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: span, event, both, or nowhere."""

from __future__ import annotations

import json

import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam
from openai_helpers import attrs, content, only_span
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import config, semconv
from agentops_otel._cut import TRUNCATED_MARKER
from agentops_otel.diff import diff_timelines
from agentops_otel.read import records_from_spans
from agentops_otel.reassemble import reassemble
from agentops_otel.render.json import render_json
from agentops_otel.render.text import render_text
from agentops_otel.testing import run_variations
from agentops_otel.timeline import Timeline

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hello there"}]
CONTENT_KEYS = (semconv.GEN_AI_INPUT_MESSAGES, semconv.GEN_AI_OUTPUT_MESSAGES)


@pytest.mark.parametrize(("mode", "on_span", "on_event"), [
    ("no_content", False, False),
    ("span_only", True, False),
    ("event_only", False, True),
    ("span_and_event", True, True),
    ("true", True, False),
    ("false", False, False),
])
def test_capture_modes(mode: str, on_span: bool, on_event: bool, client: OpenAI,
                       monkeypatch: pytest.MonkeyPatch, span_exporter: InMemorySpanExporter) -> None:
    """Each mode puts input/output messages on the span, on one details event, both, or nowhere."""
    monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, mode)
    client.chat.completions.create(model="gpt-4o", messages=USER)
    span = only_span(span_exporter)
    a = attrs(span)
    for key in CONTENT_KEYS:
        assert (key in a) is on_span
    events = [e for e in span.events if e.name == semconv.EVENT_INFERENCE_DETAILS]
    assert len(events) == (1 if on_event else 0)
    if on_event:
        event_attrs = dict(events[0].attributes or {})
        assert json.loads(event_attrs[semconv.GEN_AI_INPUT_MESSAGES]) == [
            {"role": "user", "parts": [{"type": "text", "content": "hello there"}]}]
        assert json.loads(event_attrs[semconv.GEN_AI_OUTPUT_MESSAGES])[0]["finish_reason"] == "stop"
    # tokens and cost are recorded whatever the content mode
    assert semconv.COST_USD in a


def _read_back(exporter: InMemorySpanExporter, session: agentops.Session) -> Timeline:
    return reassemble(records_from_spans(exporter.get_finished_spans())).timeline_for(session.id)


def test_the_replay_shows_content_captured_on_the_event_only(client: OpenAI, monkeypatch: pytest.MonkeyPatch,
                                                              span_exporter: InMemorySpanExporter) -> None:
    """With event_only capture the replay reads the call's input and output from its details event."""
    monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, "event_only")
    with agentops.session("chat") as s:
        client.chat.completions.create(model="gpt-4o", messages=USER)
    (step,) = _read_back(span_exporter, s).steps
    assert step.input is not None and "hello there" in step.input
    assert step.output is not None and "stop" in step.output
    assert "hello there" in render_text(_read_back(span_exporter, s), color=False)
    (shown,) = json.loads(render_json(_read_back(span_exporter, s)))["steps"]
    assert "hello there" in shown["input"]


def test_diff_compares_tools_captured_on_the_event_only(client: OpenAI, monkeypatch: pytest.MonkeyPatch,
                                                        span_exporter: InMemorySpanExporter) -> None:
    """Two runs whose calls differ only in the tools offered, captured event_only, are told apart there."""
    monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, "event_only")
    runs = []
    for purpose in ("Look up an order.", "Refund an order."):
        with agentops.session("chat") as s:
            client.chat.completions.create(model="gpt-4o", messages=USER, tools=[{"type": "function", "function": {
                "name": "orders", "description": purpose, "parameters": {"type": "object", "properties": {}}}}])
        runs.append(_read_back(span_exporter, s))
    d = diff_timelines(*runs)
    assert d.reason == "same LLM call, different input", d.reason
    (detail,) = d.details
    assert detail.startswith("tool definitions") and "Refund an order." in detail, detail


ORDERS: list[ChatCompletionToolParam] = [{"type": "function", "function": {
    "name": "orders", "description": "Look up an order.", "parameters": {"type": "object", "properties": {}}}}]


def test_llm_events_carry_the_prompt_and_completion_captured_on_the_event_only(
        client: OpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    """With event_only capture a live session's LLM events still carry the call's prompt and completion."""
    monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, "event_only")
    with agentops.session("chat") as s:
        client.chat.completions.create(model="gpt-4o", messages=USER)
    (event,) = s.llm_events
    assert event.prompt == [{"role": "user", "parts": [{"type": "text", "content": "hello there"}]}]
    assert isinstance(event.completion, list) and event.completion[0]["finish_reason"] == "stop"


def test_the_json_replay_lists_tools_captured_on_the_event_only(client: OpenAI,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """With event_only capture the JSON (and HTML) replay shows the call's tool definitions among its attributes."""
    monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, "event_only")
    with agentops.session("chat") as s:
        client.chat.completions.create(model="gpt-4o", messages=USER, tools=ORDERS)
    (shown,) = json.loads(render_json(s.timeline()))["steps"]
    assert "Look up an order." in shown["attributes"][semconv.GEN_AI_TOOL_DEFINITIONS]
    assert semconv.GEN_AI_INPUT_MESSAGES not in shown["attributes"]  # it is the step's input, not shown twice


def test_variants_captured_on_the_event_only_diverge_where_they_decide(client: OpenAI,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """With event_only capture a failing variant splits at its decision, not at the prompt it was given."""
    monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, "event_only")

    @agentops.record_action("refund")
    def refund() -> str:
        return "refunded"

    @agentops.record_action("reply")
    def reply() -> str:
        return "replied"

    def agent(message: str) -> str:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": message}])
        return refund() if "refund" in message else reply()

    report = run_variations(agent, ["refund order 1", "where is order 2"], check=lambda s, r: r == "refunded")
    assert 'diverged: step #1: action reply where "refund order 1" had action refund' in report.table()


def test_bare_instrumentor_captures_nothing_by_default(client: OpenAI, monkeypatch: pytest.MonkeyPatch,
                                                       span_exporter: InMemorySpanExporter) -> None:
    """With the env var unset and no init(), content stays off (the OTel default)."""
    monkeypatch.delenv(semconv.ENV_CAPTURE_CONTENT)
    monkeypatch.setattr(config.state, "capture_default", config.ContentCapture.NO_CONTENT)
    client.chat.completions.create(model="gpt-4o", messages=USER)
    a = attrs(only_span(span_exporter))
    assert not any(k in a for k in CONTENT_KEYS)


def test_init_default_captures_on_span(client: OpenAI, monkeypatch: pytest.MonkeyPatch,
                                       span_exporter: InMemorySpanExporter) -> None:
    """With the env var unset after init() (capture_default span_only), content is on the span."""
    monkeypatch.delenv(semconv.ENV_CAPTURE_CONTENT)
    monkeypatch.setattr(config.state, "capture_default", config.ContentCapture.SPAN_ONLY)
    client.chat.completions.create(model="gpt-4o", messages=USER)
    assert content(only_span(span_exporter), semconv.GEN_AI_INPUT_MESSAGES)[0]["role"] == "user"


def test_long_content_is_cut_but_stays_valid_json(client: OpenAI, monkeypatch: pytest.MonkeyPatch,
                                                  span_exporter: InMemorySpanExporter) -> None:
    """Each content string is bounded by AGENTOPS_OTEL_MAX_VALUE_CHARS with a marker; the attribute still parses."""
    monkeypatch.setenv(semconv.ENV_MAX_VALUE_CHARS, "10")
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x" * 500}])
    text = content(only_span(span_exporter), semconv.GEN_AI_INPUT_MESSAGES)[0]["parts"][0]["content"]
    assert text == "x" * 10 + TRUNCATED_MARKER.format(n=490)


def test_inline_images_are_summarised_not_copied(client: OpenAI, span_exporter: InMemorySpanExporter) -> None:
    """A data: URL image is recorded as a blob summary, a remote image as a uri part."""
    data_url = "data:image/png;base64," + "A" * 1000
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": [
        {"type": "text", "text": "what is this"},
        {"type": "image_url", "image_url": {"url": data_url}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
    ]}])
    parts = content(only_span(span_exporter), semconv.GEN_AI_INPUT_MESSAGES)[0]["parts"]
    assert parts[0] == {"type": "text", "content": "what is this"}
    assert parts[1]["type"] == "blob"
    assert parts[1]["mime_type"] == "image/png"
    assert "AAAA" not in json.dumps(parts[1])
    assert parts[2] == {"type": "uri", "modality": "image", "uri": "https://example.com/cat.png"}


def test_a_capture_setting_changed_at_run_time_applies_at_the_next_call(
        client: OpenAI, monkeypatch: pytest.MonkeyPatch, span_exporter: InMemorySpanExporter) -> None:
    """The settings an LLM call reads are memoised; changing a variable between calls still takes effect."""
    monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, "no_content")
    client.chat.completions.create(model="gpt-4o", messages=USER)
    monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, "span_only")
    client.chat.completions.create(model="gpt-4o", messages=USER)
    monkeypatch.setenv(semconv.ENV_MAX_VALUE_CHARS, "5")
    client.chat.completions.create(model="gpt-4o", messages=USER)
    first, second, third = span_exporter.get_finished_spans()
    assert semconv.GEN_AI_INPUT_MESSAGES not in attrs(first)
    assert "hello there" in str(attrs(second)[semconv.GEN_AI_INPUT_MESSAGES])
    cut = str(attrs(third)[semconv.GEN_AI_INPUT_MESSAGES])
    assert "hello there" not in cut and TRUNCATED_MARKER.split("{")[0] in cut
