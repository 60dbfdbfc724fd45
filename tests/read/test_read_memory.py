"""SDK spans become records without losing ids, times, status, events or attributes."""

from __future__ import annotations

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from agentops_otel import semconv as sc
from agentops_otel.read import records_from_spans


def test_records_from_sdk_spans(session_spans: list[ReadableSpan]) -> None:
    """Ids as lowercase hex, SDK kind values, status, exception events and resource carried over."""
    records = {r.name: r for r in records_from_spans(session_spans)}
    root = records["invoke_agent support"]
    tool = records["execute_tool lookup"]
    llm = records["chat gpt-4o"]
    assert len(root.trace_id) == 32 and len(root.span_id) == 16 and root.parent_span_id is None
    assert tool.parent_span_id == root.span_id and tool.trace_id == root.trace_id
    assert llm.kind == SpanKind.CLIENT.value and root.kind == SpanKind.INTERNAL.value
    assert tool.status_code == 2 and tool.status_message == "lookup failed"
    (event,) = tool.events
    assert event.name == "exception" and event.attributes["exception.type"] == "KeyError"
    assert root.session_id == "sess-1" and root.attributes[sc.TAGS] == ("prod", "eu")
    assert root.resource[sc.SERVICE_NAME] == "shop" and root.scope == sc.INSTRUMENTATION_SCOPE
    assert root.duration_ns == root.end_ns - root.start_ns > 0 and root.service_name == "shop"


def test_unfinished_span_gets_zero_duration() -> None:
    """A span that never ended (still open when read) is given its start as end."""
    from opentelemetry.sdk.trace import TracerProvider

    span = TracerProvider().get_tracer("t").start_span("open")
    (rec,) = records_from_spans([span])  # type: ignore[list-item]
    assert rec.end_ns == rec.start_ns and rec.session_id is None
