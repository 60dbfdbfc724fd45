"""The Prometheus row of the gate benchmark: query time of ``gate --source prometheus://`` over N sessions.

Starts the real binaries (``scripts/backends.sh --print``: Prometheus with its OTLP receiver, the
collector with ``session-metrics.yaml``), pushes N session roots to the collector as OTLP/HTTP protobuf
(built directly, not through the SDK, so the push is not what is measured), waits until Prometheus
counts all N, then times the gate's queries. The query cost does not grow with N: the counters are
already summed per series.

``bench_gate.py`` runs the gate on what :func:`prometheus_with_sessions` loaded.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "e2e")]

from _backends import CollectorFactory, JaegerBackend, locate_binaries, start_jaeger  # noqa: E402
from _prometheus import start_prometheus  # noqa: E402

from agentops_otel.read.prometheus import PrometheusReader  # noqa: E402

FAIL_EVERY = 50
"""One session in 50 fails: 2% of N."""
BATCH = 5_000


def _kv(key: str, value: str | int | bool) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=value))


def _batch(start: int, count: int, service: str, now_ns: int) -> bytes:
    spans = []
    for i in range(start, start + count):
        failed = i % FAIL_EVERY == 0
        spans.append(Span(
            trace_id=os.urandom(16), span_id=os.urandom(8), name="invoke_agent support",
            kind=Span.SPAN_KIND_INTERNAL, start_time_unix_nano=now_ns - 2_000_000_000,
            end_time_unix_nano=now_ns - 2_000_000_000 + (200 + i % 900) * 1_000_000,
            attributes=[_kv("session.id", f"bench-{i}"), _kv("gen_ai.agent.name", "support"),
                        _kv("agentops.session.end_state", "Fail" if failed else "Success"),
                        _kv("agentops.session.cost_micros", 2_500), _kv("agentops.session.cost_complete", True)],
            status=Status(code=Status.STATUS_CODE_ERROR if failed else Status.STATUS_CODE_OK)))
    request = ExportTraceServiceRequest(resource_spans=[ResourceSpans(
        resource={"attributes": [_kv("service.name", service)]},
        scope_spans=[ScopeSpans(spans=spans)])])
    return request.SerializeToString()


@contextmanager
def prometheus_with_sessions(n: int, workdir: Path) -> Iterator[tuple[str, str, float]]:
    """Start Prometheus and the collector (session-metrics.yaml), push ``n`` session roots, wait until
    Prometheus counts them all; yields (gate source, service, load seconds). Raises BackendUnavailable."""
    binaries = locate_binaries(["jaeger", "otelcol", "prometheus"])
    jaeger: JaegerBackend = start_jaeger(binaries["jaeger"], workdir)
    prometheus = start_prometheus(binaries["prometheus"], workdir)
    collectors = CollectorFactory(binary=binaries["otelcol"], jaeger=jaeger, log_dir=workdir)
    try:
        collector = collectors.start("session-metrics.yaml", env={
            "AGENTOPS_PROMETHEUS_OTLP_ENDPOINT": prometheus.otlp_endpoint,
            "AGENTOPS_METRICS_FLUSH_INTERVAL": "1s", "AGENTOPS_BATCH_TIMEOUT": "200ms"})
        service = f"bench-gate-{os.getpid()}"
        started = time.perf_counter()
        since = datetime.now(UTC) - timedelta(minutes=5)
        now_ns = time.time_ns()
        with httpx.Client(timeout=60) as client:
            for first in range(0, n, BATCH):
                body = _batch(first, min(BATCH, n - first), service, now_ns)
                client.post(collector.otlp_http_traces_url, content=body,
                            headers={"Content-Type": "application/x-protobuf"}).raise_for_status()
        with PrometheusReader(prometheus.url, timeout=30) as reader:
            deadline = time.monotonic() + 300
            while reader.session_counts(since, service=service).sessions < n and time.monotonic() < deadline:
                time.sleep(1)
        yield prometheus.source, service, time.perf_counter() - started
    finally:
        collectors.close()
        prometheus.process.stop()
        jaeger.process.stop()
