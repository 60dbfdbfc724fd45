"""Grafana Tempo's HTTP API: trace by id (v2, falling back to v1) and TraceQL search."""

from __future__ import annotations

from agentops_otel.read._record import SpanRecord
from agentops_otel.read._source import TimeArg


class TempoReader:
    """A thin client: ``TempoReader("http://localhost:3200").trace(trace_id)``."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def trace(self, trace_id: str) -> list[SpanRecord]:
        raise NotImplementedError

    def search(
        self,
        traceql: str = "{}",
        since: TimeArg = None,
        until: TimeArg = None,
        limit: int = 20,
    ) -> list[SpanRecord]:
        raise NotImplementedError
