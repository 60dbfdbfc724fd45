"""Another thread ending sessions while one is still starting never loses that session's root span."""

from __future__ import annotations

import threading

from opentelemetry import context as otel_context
from opentelemetry.sdk.trace import Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops


@agentops.tool
def step(x: int) -> int:
    return x


class _SlowRootStart(SpanProcessor):
    """A processor of the user's that takes its time over one span's start, until released."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.starting, self.release = threading.Event(), threading.Event()

    def on_start(self, span: Span, parent_context: otel_context.Context | None = None) -> None:
        if span.name == self.name:
            self.starting.set()
            self.release.wait(10)


def test_end_all_sessions_while_a_session_starts_leaves_its_root_exported_once(
        tracer_provider: TracerProvider, span_exporter: InMemorySpanExporter) -> None:
    """end_all_sessions() on another thread while a session is starting: its root is still exported, once."""
    slow = _SlowRootStart("invoke_agent worker")
    tracer_provider.add_span_processor(slow)

    def worker() -> None:
        agentops.start_session("worker")
        step(1)
        agentops.end_session("Success")

    thread = threading.Thread(target=worker)
    thread.start()
    assert slow.starting.wait(10)
    agentops.end_all_sessions()
    slow.release.set()
    thread.join(10)
    roots = [s for s in span_exporter.get_finished_spans() if s.name == "invoke_agent worker"]
    assert len(roots) == 1
    steps = [s for s in span_exporter.get_finished_spans() if s.name == "execute_tool step"]
    assert [s.parent.span_id if s.parent else None for s in steps] == [roots[0].context.span_id]
