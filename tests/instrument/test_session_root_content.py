"""The session root carries the run's first input and last output, for viewers that show a run by its root."""

from __future__ import annotations

import json

import pytest
from openai import OpenAI
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import semconv
from agentops_otel.testing import OpenAIServer, Reply


def _root(exporter: InMemorySpanExporter) -> dict[str, object]:
    return next(dict(s.attributes or {}) for s in exporter.get_finished_spans() if s.name == "invoke_agent support")


def test_root_has_the_first_calls_input_and_the_last_calls_output(
        client: OpenAI, server: OpenAIServer, span_exporter: InMemorySpanExporter) -> None:
    """gen_ai.input.messages of the first call and gen_ai.output.messages of the last go on the root."""
    server.queue(Reply.text("Let me check."), Reply.text("You were refunded."))
    with agentops.session("support"):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Charged twice"}])
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "And now?"}])
    root = _root(span_exporter)
    first_input = json.loads(str(root["gen_ai.input.messages"]))
    last_output = json.loads(str(root["gen_ai.output.messages"]))
    assert first_input == [{"role": "user", "parts": [{"type": "text", "content": "Charged twice"}]}]
    assert last_output[0]["parts"] == [{"type": "text", "content": "You were refunded."}]


def test_root_carries_no_content_when_capture_is_off(
        client: OpenAI, span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without content capture on spans, the root has neither."""
    monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, "no_content")
    with agentops.session("support"):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Charged twice"}])
    root = _root(span_exporter)
    assert "gen_ai.input.messages" not in root and "gen_ai.output.messages" not in root
