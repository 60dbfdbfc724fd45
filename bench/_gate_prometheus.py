"""The Prometheus row of the gate benchmark: query time of ``gate --source prometheus://`` over N sessions.

Starts the real binaries (``scripts/backends.sh --print``: Prometheus with its OTLP receiver, the
collector with ``session-metrics.yaml``), pushes the session roots of the same N sessions the file row
reads (``make_otlp_file``) to the collector over OTLP/HTTP JSON, waits until Prometheus counts all N,
then the gate runs. The query cost does not grow with N: the counters are already summed per series.

``bench_gate.py`` runs the gate on what :func:`prometheus_with_sessions` loaded.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import msgspec

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "e2e"), str(ROOT / "bench")]

from _backends import CollectorFactory, JaegerBackend, locate_binaries, start_jaeger  # noqa: E402
from _prometheus import start_prometheus  # noqa: E402
from make_otlp_file import generate_lines  # noqa: E402

from agentops_otel.read.prometheus import PrometheusReader  # noqa: E402

BATCH = 5_000


def _root_batches(n: int, spans_per_session: int) -> Iterator[bytes]:
    """The session roots of ``make_otlp_file``'s sessions (the file row's very sessions), as OTLP JSON
    bodies: only roots feed the counters, and the rest would only load the collector's Jaeger export."""
    roots: list[Any] = []
    resource: Any = None
    for line in generate_lines(n * spans_per_session, n):
        for resource_spans in msgspec.json.decode(line)["resourceSpans"]:
            resource = resource_spans["resource"]
            for scope_spans in resource_spans["scopeSpans"]:
                roots.extend(span for span in scope_spans["spans"] if not span.get("parentSpanId"))
        while len(roots) >= BATCH:
            yield _body(resource, roots[:BATCH])
            del roots[:BATCH]
    if roots:
        yield _body(resource, roots)


def _body(resource: Any, spans: list[Any]) -> bytes:
    return msgspec.json.encode({"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": spans}]}]})


@contextmanager
def prometheus_with_sessions(n: int, workdir: Path, spans_per_session: int = 4) -> Iterator[tuple[str, str, float]]:
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
        service = "bench-agent"
        started = time.perf_counter()
        since = datetime.now(UTC) - timedelta(minutes=5)
        with httpx.Client(timeout=60) as client:
            for body in _root_batches(n, spans_per_session):
                client.post(collector.otlp_http_traces_url, content=body,
                            headers={"Content-Type": "application/json"}).raise_for_status()
        with PrometheusReader(prometheus.url, timeout=30) as reader:
            deadline = time.monotonic() + 300
            while reader.session_counts(since, service=service).sessions < n and time.monotonic() < deadline:
                time.sleep(1)
        yield prometheus.source, service, time.perf_counter() - started
    finally:
        collectors.close()
        prometheus.process.stop()
        jaeger.process.stop()
