"""Tempo reader against a stand-in server: v2 then v1 trace lookups, TraceQL search."""

from __future__ import annotations

from typing import Any

import pytest
from fake_backend import FakeBackend
from opentelemetry.sdk.trace import ReadableSpan
from otlp_samples import make_session_spans, tempo_dialect

from agentops_otel.read import BackendUnreachable, MalformedPayload, TempoReader, TraceNotFound


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
    """An older Tempo without the v2 route is asked on /api/traces (``batches``)."""
    tid = _tid(session_spans)
    backend.route(f"/api/traces/{tid}", (200, {"batches": tempo_dialect(session_spans)["resourceSpans"]}))
    assert len(TempoReader(backend.url).trace(tid)) == len(session_spans)
    assert [p for p, _ in backend.requests] == [f"/api/v2/traces/{tid}", f"/api/traces/{tid}"]


def test_trace_not_found(backend: FakeBackend) -> None:
    """404 on both routes is TraceNotFound."""
    with pytest.raises(TraceNotFound, match=r"Tempo at .* has no trace"):
        TempoReader(backend.url).trace("1")


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


def test_unreachable(closed_port: int) -> None:
    """Nothing listening: BackendUnreachable naming Tempo."""
    with pytest.raises(BackendUnreachable, match="cannot reach Tempo"):
        TempoReader(f"http://127.0.0.1:{closed_port}").search()
