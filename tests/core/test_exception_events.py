"""Exception events follow the current conventions."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import semconv


def test_an_escaping_exception_is_not_marked_as_not_escaped(span_exporter: InMemorySpanExporter) -> None:
    """A tool's exception that escapes to the caller carries no exception.escaped="False"."""

    @agentops.tool
    def lookup(customer_id: str) -> str:
        raise KeyError(customer_id)

    with pytest.raises(KeyError):
        lookup("c-1")
    events = [e for s in span_exporter.get_finished_spans() for e in s.events if e.name == semconv.EVENT_EXCEPTION]
    assert events and all(semconv.EXCEPTION_ESCAPED not in (e.attributes or {}) for e in events)


def test_no_recorded_exception_carries_exception_escaped(span_exporter: InMemorySpanExporter) -> None:
    """Session, tool and ErrorEvent exceptions are recorded without the deprecated exception.escaped."""

    @agentops.tool
    def lookup(customer_id: str) -> str:
        raise KeyError(customer_id)

    with pytest.raises(RuntimeError), agentops.session("support"):
        agentops.record(agentops.ErrorEvent(exception=ValueError("bad input")))
        with pytest.raises(KeyError):
            lookup("c-1")
        raise RuntimeError("agent crashed")
    events = [e for s in span_exporter.get_finished_spans() for e in s.events if e.name == semconv.EVENT_EXCEPTION]
    assert len(events) == 3
    assert all(semconv.EXCEPTION_ESCAPED not in (e.attributes or {}) for e in events)
