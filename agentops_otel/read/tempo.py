"""Grafana Tempo's HTTP API: trace by id (v2, or v1 on a Tempo without it) and TraceQL search.

Facts this relies on: ``/api/v2/traces/{id}`` answers ``{"trace": {...}}`` with base64 ids and
enum names, plus ``"status": "PARTIAL"`` and a ``message`` when it returns only part of the trace
(a trace over the size limit, a filter); ``/api/traces/{id}`` (v1) answers the bare OTLP object
(``batches`` or ``resourceSpans``). A missing trace is a 404 whose body says "trace not found",
an unknown route (a Tempo without v2) Go's "404 page not found". Both take ``start`` / ``end``
(unix seconds) so Tempo searches only the blocks of that window. ``/api/search?q=&start=&end=&limit=``
returns ``{"traces": [{"traceID"}]}`` with leading zeros of the trace id trimmed. Tempo cuts
attribute values over 2048 bytes by default, so long tool arguments may arrive shortened.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec

from agentops_otel import semconv as sc
from agentops_otel.read._errors import DECODE_ERRORS, MalformedPayload, TraceNotFound
from agentops_otel.read._http import HttpReader, norm_trace_id
from agentops_otel.read._paging import Coverage, Load, page_window
from agentops_otel.read._record import SpanRecord
from agentops_otel.read._time import TimeArg, to_ns, window

DEFAULT_LOOKBACK = timedelta(hours=24)
"""Search window when ``since`` is not given (Tempo limits how far one search may reach)."""

_PARTIAL = ("PARTIAL", 1)  # enum name, or its number from a protobuf-style encoder


class _Status(msgspec.Struct):
    """The fields of a v2 answer beside the trace (the decoder skips the trace itself)."""

    status: str | int = ""
    message: str = ""


_STATUS = msgspec.json.Decoder(_Status)
_ROUTE_MISSING = "404 page not found"


class TempoReader(HttpReader):
    """A thin client: ``TempoReader("http://localhost:3200", headers={"X-Scope-OrgID": "t1"})``."""

    KIND = "Tempo"
    _v1_only = False

    def trace(self, trace_id: str, *, since: TimeArg = None, until: TimeArg = None) -> list[SpanRecord]:
        """Every span of the trace; ``TraceNotFound`` when Tempo has none.

        ``since`` / ``until`` narrow the blocks Tempo reads (a search passes its own window). The
        spans of a trace Tempo returned only in part carry ``agentops.read.partial`` on their
        resource, so the replay says the trace was cut instead of losing its session.
        """
        tid = norm_trace_id(trace_id)
        params: dict[str, int] = {}
        lo, hi = to_ns(since), to_ns(until)
        if lo is not None:
            params["start"] = lo // 1_000_000_000
        if hi is not None:
            params["end"] = hi // 1_000_000_000 + 1
        if not self._v1_only:
            resp = self._http.get_any(f"/api/v2/traces/{tid}", params or None)
            if resp.status_code != 404:
                return self._records(tid, resp.content)
            if _ROUTE_MISSING not in resp.text:
                raise TraceNotFound(f"Tempo at {self.shown_url} has no trace {tid}")
            self._v1_only = True  # a Tempo before v2 of the API: ask v1 from now on
        v1 = self._http.get(f"/api/traces/{tid}", params or None)
        if v1 is None:
            raise TraceNotFound(f"Tempo at {self.shown_url} has no trace {tid}")
        return self._records(tid, v1.content)

    def _records(self, tid: str, content: bytes) -> list[SpanRecord]:
        records = self._decode(content, f"trace {tid}")
        if not records:
            raise TraceNotFound(f"Tempo at {self.shown_url} has no trace {tid}")
        try:
            head = _STATUS.decode(content)
        except DECODE_ERRORS:
            return records  # a v1 answer, or one without a status: complete
        if head.status in _PARTIAL:
            why = "Tempo returned part of the trace" + (f": {head.message}" if head.message else "")
            records = mark_partial(records, why)
        return records

    def _ids(self, traceql: str, start_s: int, end_s: int, limit: int) -> list[str]:
        """Trace ids (zero-padded) the TraceQL query finds starting in ``[start_s, end_s)``."""
        resp = self._http.get("/api/search", {"q": traceql, "start": start_s, "end": end_s, "limit": limit})
        if resp is None:  # Tempo answers a search without a match with an empty list, never a 404
            raise self._http.not_the_api("/api/search", 3200)
        body = self._json(resp, "search answer")
        traces = body.get("traces") if isinstance(body, dict) else None
        if traces is None:
            return []
        if not isinstance(traces, list):
            raise MalformedPayload(f"Tempo at {self.shown_url}: unexpected search answer {body!r:.200}")
        ids: list[str] = []
        for t in traces:
            tid = t.get("traceID") if isinstance(t, dict) else None
            if not isinstance(tid, str):
                raise MalformedPayload(f"Tempo at {self.shown_url}: search result without traceID: {t!r:.200}")
            ids.append(norm_trace_id(tid))
        return ids

    def _load(self, ids: list[str], start_s: int, last_s: int, skip: set[str]) -> list[SpanRecord]:
        """The traces, each asked for with the search's window (``trace()`` makes ``last_s`` inclusive)."""
        out: list[SpanRecord] = []
        for tid in ids:
            if tid in skip:
                continue
            try:
                out.extend(self.trace(tid, since=start_s, until=last_s))
            except TraceNotFound:
                continue  # listed by the search index but already gone from storage
        return out

    def scan(self, traceql: str, since: TimeArg, until: TimeArg, *, page: int, coverage: Coverage,
             max_traces: int | None = None) -> list[SpanRecord]:
        """Every trace of the window the query matches, paged by time (see :mod:`._paging`).

        Tempo's search takes whole seconds: a second holding more than ``page`` matching traces is asked
        again with up to 16 times the limit before it is reported as not fully seen.
        """
        start, end = window(since, until, DEFAULT_LOOKBACK)

        def fetch(lo: int, hi: int, limit: int) -> tuple[int, Load]:
            ids = self._ids(traceql, lo, hi + 1, limit)
            return len(ids), lambda skip: self._load(ids, lo, hi, skip)

        return page_window(fetch, int(start.timestamp()), int(end.timestamp()), page=page, per_second=1,
                           coverage=coverage, what=f"Tempo {traceql}", max_page=page * 16, max_traces=max_traces)

    def search(
        self,
        traceql: str = "{}",
        since: TimeArg = None,
        until: TimeArg = None,
        limit: int = 20,
    ) -> list[SpanRecord]:
        """All spans of the traces the TraceQL query matches (each fetched whole, in the same window)."""
        start, end = window(since, until, DEFAULT_LOOKBACK)
        lo, hi = int(start.timestamp()), int(end.timestamp())
        return self._load(self._ids(traceql, lo, hi + 1, limit), lo, hi, set())


def mark_partial(records: list[SpanRecord], why: str) -> list[SpanRecord]:
    """The records with ``agentops.read.partial`` on their resource (one new mapping per resource)."""
    marked: dict[int, Any] = {}
    out: list[SpanRecord] = []
    for r in records:
        res = marked.get(id(r.resource))
        if res is None:
            res = marked[id(r.resource)] = {**r.resource, sc.READ_PARTIAL: why}
        out.append(msgspec.structs.replace(r, resource=res))
    return out


__all__ = ["DEFAULT_LOOKBACK", "TempoReader", "mark_partial"]
