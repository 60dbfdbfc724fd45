"""Tail sampling across a collector tier: tier-front.yaml routes by trace id to agent-sessions.yaml.

Two front collectors and two back collectors on loopback, all exporting to the shared Jaeger. The
sessions' spans are dealt to BOTH front collectors in turn (a session's root and its tool call reach one
front, its LLM calls the other), as several processes or a round-robin balancer would do. The back
tier can only keep whole sessions if every span of a trace meets in one back collector.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from _agent import BILLING, GENERAL, MISSING_ID, agent_env, run_agent
from _backends import CollectorFactory, CollectorProcess, JaegerBackend
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Tracer
from test_collector_configs import Emitted, assert_whole_session, emit_session, new_service

pytestmark = pytest.mark.e2e

THRESHOLD_MICROS = 10_000


class _TakeTurns(SpanProcessor):
    """Hands ended spans to its processors in turn, so consecutive spans of one session part ways."""

    def __init__(self, *processors: SpanProcessor) -> None:
        self._processors = processors
        self._turn = itertools.count()

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        """Nothing to do at start: spans are exported when they end."""

    def on_end(self, span: ReadableSpan) -> None:
        """Pass the span to the next processor."""
        self._processors[next(self._turn) % len(self._processors)].on_end(span)

    def shutdown(self) -> None:
        """Shut every processor down (flushing what they hold)."""
        for processor in self._processors:
            processor.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Flush every processor."""
        return all(processor.force_flush(timeout_millis) for processor in self._processors)


@contextmanager
def split_tracer(fronts: list[CollectorProcess], service: str) -> Iterator[Tracer]:
    """A tracer whose spans go to the front collectors in turn over OTLP/gRPC; flushed on exit."""
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(_TakeTurns(*(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=front.otlp_grpc_endpoint, insecure=True),
                           schedule_delay_millis=100)
        for front in fronts
    )))
    try:
        yield provider.get_tracer("agentops-otel-e2e-tier")
    finally:
        assert provider.force_flush(10_000)
        provider.shutdown()


def accepted_spans(collector: CollectorProcess) -> float:
    """Spans the collector's receivers accepted, from its own telemetry."""
    port = collector.env["AGENTOPS_COLLECTOR_METRICS_PORT"]
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5.0).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("otelcol_receiver_accepted_spans"))


@pytest.mark.e2e
def test_two_tier_layout_keeps_whole_failed_and_expensive_sessions_split_across_front_collectors(
    jaeger: JaegerBackend, otelcol_factory: CollectorFactory
) -> None:
    """Spans of each session reach both fronts; every kept session is whole, every failed/expensive one kept."""
    back_env = {"AGENTOPS_SAMPLE_PERCENT": "30", "AGENTOPS_COST_THRESHOLD_MICROS": str(THRESHOLD_MICROS)}
    backs = [otelcol_factory.start("agent-sessions.yaml", env=back_env, name=f"back{i}") for i in (1, 2)]
    hostnames = ", ".join(back.otlp_grpc_hostport for back in backs)
    fronts = [otelcol_factory.start("tier-front.yaml", env={"AGENTOPS_BACK_COLLECTORS": f"[{hostnames}]"},
                                    name=f"front{i}") for i in (1, 2)]
    service = new_service("tier")
    emitted: list[tuple[Emitted, bool]] = []  # (session, must be kept)
    with split_tracer(fronts, service) as tracer:
        for i in range(12):
            emitted.append((emit_session(tracer, end_state="Fail", cost_micros=100, tool_error="status"), True))
            emitted.append((emit_session(tracer, end_state="Success", cost_micros=THRESHOLD_MICROS + i), True))
            emitted.append((emit_session(tracer, end_state="Success", cost_micros=100), False))
            emitted.append((emit_session(tracer, end_state="Indeterminate", cost_micros=THRESHOLD_MICROS - 1), False))
    # The example agent's real sessions, through the second front collector only.
    agent_sessions, _ = run_agent([BILLING, MISSING_ID, GENERAL],
                                  agent_env(fronts[1].otlp_http_endpoint, "http", service))

    for session, must_keep in emitted:
        if must_keep:
            trace = jaeger.wait_for_trace(session.trace_id, session.span_count, timeout=40)
            assert_whole_session(trace, session)
    for record in agent_sessions:
        if record["end_state"] == "Fail" or record["cost_micros"] >= THRESHOLD_MICROS:
            jaeger.wait_for_trace(record["trace_id"], record["span_count"], timeout=40)
    assert any(record["end_state"] == "Fail" for record in agent_sessions)

    time.sleep(2.5)  # past every decision, so a kept session has all it will ever get
    expected = {s.trace_id: s.span_count for s, _ in emitted}
    expected.update({r["trace_id"]: r["span_count"] for r in agent_sessions})
    kept = {trace.trace_id: trace for trace in jaeger.find_traces(service)}
    assert set(kept) <= set(expected)
    for trace_id, trace in kept.items():
        assert len(trace.spans) == expected[trace_id], f"session {trace_id} arrived in part"
        assert len({span.attributes.get("session.id") for span in trace.spans}) == 1
    must = {s.trace_id for s, keep in emitted if keep}
    assert must <= set(kept)
    dropped = [s.trace_id for s, keep in emitted if not keep and s.trace_id not in kept]
    assert dropped, "the sample kept every cheap session: the back tier did not sample"

    # Each front got half of the SDK sessions' spans (all of the agent's went to the second), and the
    # trace-id routing used both back collectors.
    sdk_spans = sum(s.span_count for s, _ in emitted)
    assert accepted_spans(fronts[0]) == sdk_spans / 2
    assert all(accepted_spans(back) > 0 for back in backs)
