"""Jaeger's HTTP API v3 (``/api/v3/...``), which answers in OTLP JSON.

Facts this relies on (Jaeger v2): ``GET /api/v3/traces/{id}`` and ``GET /api/v3/traces?query.…``
answer ``{"result": {"resourceSpans": […]}}`` with every matching trace merged into one result; no
match is a 404; a search needs a service name and both ends of the time range; attribute filters go
in ``query.attributes`` as a JSON object of strings. Parameter names are sent in snake_case, which
both old releases and the camelCase ones (2.19+) accept.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import httpx

from agentops_otel.read._copies import drop_copies
from agentops_otel.read._errors import MalformedPayload, TraceNotFound
from agentops_otel.read._http import HttpReader, norm_trace_id
from agentops_otel.read._paging import Coverage, Load, page_window
from agentops_otel.read._record import SpanRecord
from agentops_otel.read._time import TimeArg, rfc3339, window

DEFAULT_LOOKBACK = timedelta(days=7)
"""Search window when ``since`` is not given."""


class JaegerReader(HttpReader):
    """A thin client: ``JaegerReader("http://localhost:16686").trace(trace_id)``."""

    KIND = "Jaeger"

    def trace(self, trace_id: str) -> list[SpanRecord]:
        """Every span of the trace; ``TraceNotFound`` when Jaeger has none."""
        tid = norm_trace_id(trace_id)
        resp = self._get_or_no_match(f"/api/v3/traces/{tid}")
        records = self._decode(resp.content, f"trace {tid}") if resp is not None else []
        if not records:
            raise TraceNotFound(f"Jaeger at {self.shown_url} has no trace {tid}")
        return records

    def _search_once(self, svc: str, start: str, end: str, attributes: Mapping[str, str] | None, limit: int,
                     operation: str | None = None) -> list[SpanRecord]:
        params: dict[str, str | int] = {
            "query.service_name": svc,
            "query.start_time_min": start,
            "query.start_time_max": end,
            "query.search_depth": limit,
            "query.num_traces": limit,
        }
        if operation:
            params["query.operation_name"] = operation
        if attributes:
            params["query.attributes"] = json.dumps(
                {str(k): str(v) for k, v in attributes.items()}, separators=(",", ":"))
        resp = self._get_or_no_match("/api/v3/traces", params)
        if resp is None:
            return []  # 404: nothing matched in this service
        return self._decode(resp.content, f"search in {svc!r}")

    def scan(self, service: str | None, since: TimeArg, until: TimeArg, attributes: Mapping[str, str] | None,
             *, page: int, coverage: Coverage, max_traces: int | None = None) -> list[SpanRecord]:
        """Every trace of the window matching the filters, paged (see :mod:`._paging`) per service."""
        start, end = window(since, until, DEFAULT_LOOKBACK)
        out: list[SpanRecord] = []
        for svc in [service] if service else self.services():
            def fetch(lo: int, hi: int, limit: int, svc: str = svc) -> tuple[int, Load]:
                # Through the last nanosecond of microsecond ``hi``: slices meet without a gap.
                found = self._search_once(svc, _rfc3339_us(lo), _rfc3339_us(hi).replace("Z", "999Z"), attributes,
                                          limit)
                return len({r.trace_id for r in found}), lambda _skip: found

            out.extend(page_window(fetch, _micros(start), _micros(end), page=page, per_second=1_000_000,
                                   coverage=coverage, what=f"Jaeger service {svc!r}", max_traces=max_traces))
        return out

    def search(
        self,
        service: str | None = None,
        since: TimeArg = None,
        until: TimeArg = None,
        attributes: Mapping[str, str] | None = None,
        limit: int = 100,
        operation: str | None = None,
    ) -> list[SpanRecord]:
        """All spans of the traces matching the filters (empty when none match).

        Jaeger's search needs a service: without one, every service is searched in turn. ``limit``
        is Jaeger's search depth (traces per service).
        """
        start, end = window(since, until, DEFAULT_LOOKBACK)
        services = [service] if service else self.services()
        # A trace through several services is found once per service: its exact copies are dropped.
        return drop_copies(rec for svc in services
                           for rec in self._search_once(svc, rfc3339(start), rfc3339(end), attributes, limit,
                                                        operation))

    def _get_or_no_match(self, path: str, params: Mapping[str, str | int] | None = None) -> httpx.Response | None:
        """The answer, or None for Jaeger's own "No traces found" 404 (a JSON error object).

        Any other 404 (the OTLP port's "404 page not found", a proxy's page) means the URL is not
        Jaeger's query API: read as "no match" it would let a gate with ``--min-sessions 0`` pass on nothing.
        """
        resp = self._http.get_any(path, params)
        if resp.status_code != 404:
            return resp
        try:
            body = resp.json()
        except (ValueError, RecursionError):
            body = None
        if not isinstance(body, dict):
            raise self._http.not_the_api(path, 16686)
        return None

    def services(self) -> list[str]:
        """Service names Jaeger has seen."""
        resp = self._http.get("/api/v3/services")
        if resp is None:
            raise self._http.not_the_api("/api/v3/services", 16686)
        body = self._json(resp, "/api/v3/services")
        services = body.get("services") if isinstance(body, dict) else None
        if services is None:
            return []
        if not isinstance(services, list):
            raise MalformedPayload(f"Jaeger at {self.shown_url}: unexpected services answer {body!r:.200}")
        return sorted(str(s) for s in services)


def _micros(dt: datetime) -> int:
    return (dt - _EPOCH) // timedelta(microseconds=1)


def _rfc3339_us(micros: int) -> str:
    return rfc3339(_EPOCH + timedelta(microseconds=micros))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

__all__ = ["DEFAULT_LOOKBACK", "JaegerReader"]
