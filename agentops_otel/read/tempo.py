"""Grafana Tempo's HTTP API: trace by id (v2, falling back to v1) and TraceQL search.

Facts this relies on: ``/api/v2/traces/{id}`` answers ``{"trace": {...}}`` with base64 ids and
enum names, ``/api/traces/{id}`` (v1) the bare OTLP object (``batches`` or ``resourceSpans``);
``/api/search?q=&start=&end=&limit=`` takes unix seconds and returns ``{"traces": [{"traceID"}]}``
with leading zeros of the trace id trimmed. Tempo cuts attribute values over 2048 bytes by
default, so long tool arguments may arrive shortened.
"""

from __future__ import annotations

from datetime import timedelta
from types import TracebackType

import httpx

from agentops_otel.read._errors import MalformedPayload, TraceNotFound
from agentops_otel.read._http import HttpBackend, norm_trace_id
from agentops_otel.read._record import SpanRecord
from agentops_otel.read._time import TimeArg, window
from agentops_otel.read.otlp_json import decode_otlp_json

DEFAULT_LOOKBACK = timedelta(hours=24)
"""Search window when ``since`` is not given (Tempo limits how far one search may reach)."""


class TempoReader:
    """A thin client: ``TempoReader("http://localhost:3200").trace(trace_id)``."""

    def __init__(self, base_url: str, timeout: float = 10.0, *, client: httpx.Client | None = None) -> None:
        self._http = HttpBackend("Tempo", base_url, timeout, client)
        self.base_url = self._http.base_url
        self.timeout = timeout

    def trace(self, trace_id: str) -> list[SpanRecord]:
        """Every span of the trace; ``TraceNotFound`` when Tempo has none."""
        tid = norm_trace_id(trace_id)
        resp = self._http.get(f"/api/v2/traces/{tid}")
        if resp is None:
            resp = self._http.get(f"/api/traces/{tid}")  # Tempo before v2 of the API
        records = self._decode(resp, f"trace {tid}") if resp is not None else []
        if not records:
            raise TraceNotFound(f"Tempo at {self.base_url} has no trace {tid}")
        return records

    def search(
        self,
        traceql: str = "{}",
        since: TimeArg = None,
        until: TimeArg = None,
        limit: int = 20,
    ) -> list[SpanRecord]:
        """All spans of the traces the TraceQL query matches (each trace fetched whole)."""
        start, end = window(since, until, DEFAULT_LOOKBACK)
        params = {"q": traceql, "start": int(start.timestamp()), "end": int(end.timestamp()) + 1,
                  "limit": limit}
        resp = self._http.get("/api/search", params)
        if resp is None:
            return []
        try:
            body = resp.json()
        except ValueError:
            raise MalformedPayload(f"Tempo at {self.base_url}: search answer is not JSON") from None
        traces = body.get("traces") if isinstance(body, dict) else None
        if traces is None:
            return []
        if not isinstance(traces, list):
            raise MalformedPayload(f"Tempo at {self.base_url}: unexpected search answer {body!r:.200}")
        out: list[SpanRecord] = []
        for t in traces:
            tid = t.get("traceID") if isinstance(t, dict) else None
            if not isinstance(tid, str):
                raise MalformedPayload(f"Tempo at {self.base_url}: search result without traceID: {t!r:.200}")
            try:
                out.extend(self.trace(tid))
            except TraceNotFound:
                continue  # listed by the search index but already gone from storage
        return out

    def _decode(self, resp: httpx.Response, what: str) -> list[SpanRecord]:
        try:
            return list(decode_otlp_json(resp.content))
        except MalformedPayload as exc:
            raise MalformedPayload(f"Tempo at {self.base_url}, {what}: {exc}") from None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> TempoReader:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


__all__ = ["DEFAULT_LOOKBACK", "TempoReader"]
