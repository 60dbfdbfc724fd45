"""Jaeger's HTTP API v3 (``/api/v3/...``), which answers in OTLP JSON."""

from __future__ import annotations

from collections.abc import Mapping

from agentops_otel.read._record import SpanRecord
from agentops_otel.read._source import TimeArg


class JaegerReader:
    """A thin client: ``JaegerReader("http://localhost:16686").trace(trace_id)``."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def trace(self, trace_id: str) -> list[SpanRecord]:
        raise NotImplementedError

    def search(
        self,
        service: str | None = None,
        since: TimeArg = None,
        until: TimeArg = None,
        attributes: Mapping[str, str] | None = None,
        limit: int = 100,
    ) -> list[SpanRecord]:
        raise NotImplementedError

    def services(self) -> list[str]:
        raise NotImplementedError
