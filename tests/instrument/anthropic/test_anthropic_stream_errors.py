"""An error the API reports inside a stream (HTTP 200, then ``event: error``) is recorded as that error."""

from __future__ import annotations

import anthropic
import pytest
from anthropic import Anthropic
from anthropic.types import MessageParam
from openai_helpers import attrs, only_span
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

import agentops_otel as agentops
from agentops_otel import semconv
from agentops_otel.testing import AnthropicServer, Reply

MODEL = "claude-haiku-4-5"
USER: list[MessageParam] = [{"role": "user", "content": "Where is my invoice?"}]


def test_an_overload_mid_stream_is_recorded_under_its_error_type(client: Anthropic, server: AnthropicServer,
                                                                 span_exporter: InMemorySpanExporter) -> None:
    """error.type is the event's overloaded_error (not the stream's HTTP 200), and the cost stays unknown."""
    server.queue(Reply.error(529, after_chunks=3))

    with agentops.session("agent") as s, pytest.raises(anthropic.APIStatusError):
        for _ in client.messages.create(model=MODEL, max_tokens=64, messages=USER, stream=True):
            pass

    span = only_span(span_exporter)
    a = attrs(span)
    assert span.status.status_code is StatusCode.ERROR
    assert a[semconv.ERROR_TYPE] == "overloaded_error"
    assert semconv.COST_USD not in a and not s.cost_complete


def test_an_error_event_seen_by_the_stream_helper_is_recorded_under_its_error_type(
        client: Anthropic, server: AnthropicServer, span_exporter: InMemorySpanExporter) -> None:
    """The messages.stream() helper's call records the error event's type the same way."""
    server.queue(Reply.error(500, "Internal server error", type="api_error", after_chunks=4))

    with pytest.raises(anthropic.APIStatusError), client.messages.stream(model=MODEL, max_tokens=64,
                                                                        messages=USER) as stream:
        for _ in stream.text_stream:
            pass

    assert attrs(only_span(span_exporter))[semconv.ERROR_TYPE] == "api_error"
