"""Tempo reader against a stand-in server: v2 then v1 trace lookups, TraceQL search."""

from __future__ import annotations

from typing import Any

import pytest
from fake_backend import FakeBackend
from opentelemetry.sdk.trace import ReadableSpan
from otlp_samples import make_session_spans, tempo_dialect

from agentops_otel import semconv as sc
from agentops_otel.read import BackendUnreachable, MalformedPayload, ReadError, TempoReader, TraceNotFound


def _tid(spans: list[ReadableSpan]) -> str:
    return format(spans[0].context.trace_id, "032x")


def test_trace_v2(backend: FakeBackend, session_spans: list[ReadableSpan]) -> None:
    """/api/v2/traces answers {"trace": …} with base64 ids and enum names."""
    tid = _tid(session_spans)
    backend.route(f"/api/v2/traces/{tid}", (200, {"trace": tempo_dialect(session_spans), "status": "COMPLETE"}))
    records = TempoReader(backend.url).trace(tid)
    assert {r.trace_id for r in records} == {tid} and len(records) == len(session_spans)
    assert {r.kind for r in records} == {0, 2}


def test_trace_falls_back_to_v1(backend: FakeBackend, session_spans: list[ReadableSpan]) -> None:
    """An older Tempo without the v2 route (Go's "404 page not found") is asked on /api/traces."""
    tid = _tid(session_spans)
    backend.route("/api/v2/", (404, "404 page not found\n"))
    backend.route(f"/api/traces/{tid}", (200, {"batches": tempo_dialect(session_spans)["resourceSpans"]}))
    assert len(TempoReader(backend.url).trace(tid)) == len(session_spans)
    assert [p for p, _ in backend.requests] == [f"/api/v2/traces/{tid}", f"/api/traces/{tid}"]


def test_trace_not_found(backend: FakeBackend) -> None:
    """Tempo's "trace not found" 404 is TraceNotFound after one request, not a second on v1."""
    backend.route("/api/v2/traces/", (404, "trace not found\n"))
    with pytest.raises(TraceNotFound, match=r"Tempo at .* has no trace"):
        TempoReader(backend.url).trace("1")
    assert len(backend.requests) == 1


def test_v1_only_tempo_is_asked_v1_once_known(backend: FakeBackend, session_spans: list[ReadableSpan]) -> None:
    """Once a Tempo has shown it lacks v2, later lookups go straight to v1."""
    tid = _tid(session_spans)
    backend.route("/api/v2/", (404, "404 page not found\n"))
    backend.route(f"/api/traces/{tid}", (200, {"batches": tempo_dialect(session_spans)["resourceSpans"]}))
    reader = TempoReader(backend.url)
    reader.trace(tid)
    reader.trace(tid)
    assert [p for p, _ in backend.requests] == [f"/api/v2/traces/{tid}", f"/api/traces/{tid}", f"/api/traces/{tid}"]


def test_partial_trace_is_marked(backend: FakeBackend, session_spans: list[ReadableSpan]) -> None:
    """A v2 answer with "status": "PARTIAL" marks its spans with Tempo's message."""
    tid = _tid(session_spans)
    backend.route(f"/api/v2/traces/{tid}", (200, {"trace": tempo_dialect(session_spans), "status": "PARTIAL",
                                                  "message": "trace exceeds max size"}))
    records = TempoReader(backend.url).trace(tid)
    assert {r.resource.get(sc.READ_PARTIAL) for r in records} == {
        "Tempo returned part of the trace: trace exceeds max size"}


def test_headers_go_with_every_request(backend: FakeBackend) -> None:
    """Tenant and auth headers are sent with searches and trace lookups, not put in the URL."""
    spans = make_session_spans("sess-h")
    backend.route("/api/search", (200, {"traces": [{"traceID": _tid(spans)}]}))
    backend.route("/api/v2/traces/", (200, {"trace": tempo_dialect(spans)}))
    headers = {"X-Scope-OrgID": "team-a", "Authorization": "Bearer s3cret"}
    TempoReader(backend.url, headers=headers).search()
    assert len(backend.headers) == 2
    for h in backend.headers:
        assert (h["x-scope-orgid"], h["authorization"]) == ("team-a", "Bearer s3cret")
    assert not any("s3cret" in str(q) or "team-a" in p for p, q in backend.requests)


def test_trace_after_search_carries_the_window(backend: FakeBackend) -> None:
    """Each trace fetched for a search is asked with the search's start/end, so Tempo scans only those blocks."""
    spans = make_session_spans("sess-w")
    backend.route("/api/search", (200, {"traces": [{"traceID": _tid(spans)}]}))
    backend.route("/api/v2/traces/", (200, {"trace": tempo_dialect(spans)}))
    TempoReader(backend.url).search(since=1000, until=2000)
    (_, search), (_, fetch) = backend.requests
    assert (fetch["start"], fetch["end"]) == (search["start"], search["end"]) == (["1000"], ["2001"])


def test_traceql_search_pads_trimmed_ids(backend: FakeBackend) -> None:
    """Search sends q/start/end/limit; returned ids lose leading zeros and are padded back."""
    spans = make_session_spans("sess-9")
    tid = _tid(spans)
    trimmed = tid.lstrip("0") or "0"
    backend.route("/api/search", (200, {"traces": [{"traceID": trimmed, "rootServiceName": "shop"}]}))
    backend.route("/api/v2/traces/", (200, {"trace": tempo_dialect(spans)}))
    records = TempoReader(backend.url).search('{ span."session.id" = "sess-9" }', since=1000, until=2000, limit=5)
    assert {r.session_id for r in records} == {"sess-9"}
    path, q = backend.requests[0]
    assert path == "/api/search" and q["q"] == ['{ span."session.id" = "sess-9" }']
    assert (q["start"], q["end"], q["limit"]) == (["1000"], ["2001"], ["5"])
    assert backend.requests[1][0] == f"/api/v2/traces/{tid}"


def test_search_skips_traces_gone_from_storage(backend: FakeBackend) -> None:
    """A trace listed by search but no longer retrievable is skipped, not an error."""
    backend.route("/api/search", (200, {"traces": [{"traceID": "abc"}]}))
    assert TempoReader(backend.url).search() == []


@pytest.mark.parametrize("answer", [(200, "not json"), (200, {"traces": "x"}), (200, {"traces": [{"id": 1}]})])
def test_malformed_search_answers(backend: FakeBackend, answer: tuple[int, Any]) -> None:
    """Search answers that are not what Tempo sends are MalformedPayload."""
    backend.route("/api/search", answer)
    with pytest.raises(MalformedPayload):
        TempoReader(backend.url).search()


def test_a_server_without_the_search_api_is_an_error(backend: FakeBackend) -> None:
    """A 404 on /api/search (not Tempo, or Tempo's OTLP port) is a source error, not an empty search."""
    backend.route("/", (404, "404 page not found"))
    with pytest.raises(ReadError, match=r"not Tempo's query API \(HTTP 404 on /api/search\)"):
        TempoReader(backend.url).search()


def test_unreachable(closed_port: int) -> None:
    """Nothing listening: BackendUnreachable naming Tempo."""
    with pytest.raises(BackendUnreachable, match="cannot reach Tempo"):
        TempoReader(f"http://127.0.0.1:{closed_port}").search()
