"""The live session, its root span's totals and its reassembled timeline count the same things."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import ErrorEvent, semconv


@agentops.tool
def failing_lookup() -> None:
    raise ValueError("customer_id cannot be None")


def test_error_counts_agree_between_live_root_and_timeline(span_exporter: InMemorySpanExporter,
                                                          tracer_provider: TracerProvider) -> None:
    """A failed tool, a recorded error, a failed nested session and a failed foreign span: 4 errors everywhere."""
    s = agentops.start_session("outer")
    with pytest.raises(ValueError):
        failing_lookup()
    agentops.record(ErrorEvent(error_type="Oops", details="recorded by the agent"))
    with pytest.raises(ValueError), agentops.session("inner"):
        failing_lookup()
    with tracer_provider.get_tracer("db").start_as_current_span("db query") as span:
        span.set_status(trace.Status(trace.StatusCode.ERROR, "db down"))
    agentops.end_session("Fail")
    root = span_exporter.get_finished_spans()[-1]
    timeline = s.timeline()
    counts = (s.error_count, len(s.errors), root.attributes[semconv.SESSION_ERRORS], timeline.summary.errors,
              len(timeline.errors()))
    assert counts == (4, 4, 4, 4, 4)
