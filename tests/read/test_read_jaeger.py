"""Jaeger v3 reader against a stand-in server: the requests it makes and the errors it raises."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from fake_backend import FakeBackend
from opentelemetry.sdk.trace import ReadableSpan
from otlp_samples import collector_dialect, make_session_spans

from agentops_otel.cli import main
from agentops_otel.read import BackendUnreachable, JaegerReader, MalformedPayload, ReadError, TraceNotFound

NO_TRACES = (404, {"error": {"httpCode": 404, "message": "No traces found"}})


def _result(*span_sets: list[ReadableSpan]) -> dict[str, Any]:
    return {"result": {"resourceSpans": [rs for spans in span_sets
                                         for rs in collector_dialect(spans)["resourceSpans"]]}}


def test_trace_by_id(backend: FakeBackend, session_spans: list[ReadableSpan]) -> None:
    """GET /api/v3/traces/{id}: the id normalised, the answer decoded."""
    tid = format(session_spans[0].context.trace_id, "032x")
    backend.route(f"/api/v3/traces/{tid}", (200, _result(session_spans)))
    with JaegerReader(backend.url) as jaeger:
        records = jaeger.trace(tid.upper().lstrip("0"))
    assert len(records) == len(session_spans) and {r.trace_id for r in records} == {tid}
    assert backend.requests[0][0] == f"/api/v3/traces/{tid}"


def test_trace_not_found(backend: FakeBackend) -> None:
    """A 404 (or an empty result) is TraceNotFound naming the id."""
    backend.route("/api/v3/traces/", NO_TRACES)
    with pytest.raises(TraceNotFound, match=r"no trace 0+abc"):
        JaegerReader(backend.url).trace("abc")
    backend.route("/api/v3/traces/", (200, {"result": {"resourceSpans": []}}))
    with pytest.raises(TraceNotFound):
        JaegerReader(backend.url).trace("abc")


def test_search_sends_v3_parameters(backend: FakeBackend, session_spans: list[ReadableSpan]) -> None:
    """Service, RFC 3339 time range, depth and attributes go out as Jaeger's query.* parameters."""
    backend.route("/api/v3/traces", (200, _result(session_spans)))
    since = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    records = JaegerReader(backend.url).search(service="shop", since=since, until=since.timestamp() + 60,
                                               attributes={"session.id": "sess-1"}, limit=7)
    assert len(records) == len(session_spans)
    path, q = backend.requests[0]
    assert path == "/api/v3/traces" and q["query.service_name"] == ["shop"]
    assert q["query.start_time_min"] == ["2026-01-02T03:04:05.000000Z"]
    assert q["query.start_time_max"] == ["2026-01-02T03:05:05.000000Z"]
    assert q["query.search_depth"] == ["7"] and json.loads(q["query.attributes"][0]) == {"session.id": "sess-1"}


def test_search_without_service_searches_every_service(backend: FakeBackend) -> None:
    """Jaeger needs a service: without one, list them and search each, merging and deduplicating."""
    shop, billing = make_session_spans("a", "shop"), make_session_spans("b", "billing")
    backend.route("/api/v3/services", (200, {"services": ["shop", "billing", "quiet"]}))

    def traces(path: str, q: dict[str, list[str]]) -> tuple[int, Any]:
        svc = q["query.service_name"][0]
        if svc == "quiet":
            return NO_TRACES
        return 200, _result(shop, billing) if svc == "shop" else _result(billing)

    backend.route("/api/v3/traces", traces)
    records = JaegerReader(backend.url).search()
    assert sorted({r.session_id for r in records}) == ["a", "b"]
    assert len(records) == len(shop) + len(billing)
    assert [q["query.service_name"][0] for p, q in backend.requests if p == "/api/v3/traces"] == [
        "billing", "quiet", "shop"]


def test_search_no_match_is_empty(backend: FakeBackend) -> None:
    """Jaeger's 404-for-no-match is an empty result, not an error."""
    backend.route("/api/v3/traces", NO_TRACES)
    assert JaegerReader(backend.url).search(service="shop") == []


def test_services(backend: FakeBackend) -> None:
    """The service list, sorted; a malformed answer is MalformedPayload."""
    backend.route("/api/v3/services", (200, {"services": ["b", "a"]}))
    assert JaegerReader(backend.url).services() == ["a", "b"]
    backend.route("/api/v3/services", (200, {"services": "nope"}))
    with pytest.raises(MalformedPayload):
        JaegerReader(backend.url).services()


def test_a_server_without_the_query_api_is_an_error(backend: FakeBackend) -> None:
    """A 404 on the service list (Jaeger's OTLP port, any other server) is a source error, not "no sessions"."""
    backend.route("/", (404, "404 page not found"))
    with pytest.raises(ReadError, match=r"not Jaeger's query API \(HTTP 404 on /api/v3/services\)"):
        JaegerReader(backend.url).search()


def test_unreachable_backend(closed_port: int) -> None:
    """Nothing listening: BackendUnreachable with the URL and a hint."""
    with pytest.raises(BackendUnreachable, match=rf"cannot reach Jaeger at http://127.0.0.1:{closed_port}.*running"):
        JaegerReader(f"http://127.0.0.1:{closed_port}", timeout=2).trace("ab")


def test_timeout(backend: FakeBackend) -> None:
    """A backend that does not answer in time is unreachable, and the message says how long we waited."""
    backend.delay = 1.0
    with pytest.raises(BackendUnreachable, match=r"did not answer within 0\.2s"):
        JaegerReader(backend.url, timeout=0.2).services()


def test_server_error_and_bad_request(backend: FakeBackend) -> None:
    """5xx is BackendUnreachable; other 4xx a ReadError quoting Jaeger's message."""
    backend.route("/api/v3/services", (503, "overloaded"))
    with pytest.raises(BackendUnreachable, match="HTTP 503: overloaded"):
        JaegerReader(backend.url).services()
    backend.route("/api/v3/traces", (400, {"error": {"message": "malformed parameter"}}))
    with pytest.raises(ReadError, match="malformed parameter"):
        JaegerReader(backend.url).search(service="x")


def test_malformed_answer(backend: FakeBackend) -> None:
    """A 200 that is not OTLP JSON is MalformedPayload naming the backend and the query."""
    backend.route("/api/v3/traces/", (200, "<html>placeholder UI</html>"))
    with pytest.raises(MalformedPayload, match=r"Jaeger at http://127\.0\.0\.1:\d+, trace 0+ab: "):
        JaegerReader(backend.url).trace("ab")


def test_an_answer_nested_deeper_than_the_parser_goes_is_malformed(backend: FakeBackend) -> None:
    """A broken or hostile proxy's answer is a MalformedPayload naming the backend, not a RecursionError."""
    backend.route("/api/v3/services", (200, '{"services":' + "[" * 100_000 + "]" * 100_000 + "}"))
    with pytest.raises(MalformedPayload, match=r"Jaeger at http://127\.0\.0\.1:\d+"):
        JaegerReader(backend.url).services()


def test_bad_trace_id_and_empty_range() -> None:
    """Inputs that cannot be sent are ReadErrors before any request."""
    with pytest.raises(ReadError, match="not a hex trace id"):
        JaegerReader("http://127.0.0.1:1").trace("xyz")
    with pytest.raises(ReadError, match="empty time range"):
        JaegerReader("http://127.0.0.1:1").search(service="s", since=10, until=5)


def test_a_search_404_from_another_server_is_an_error(backend: FakeBackend) -> None:
    """With a service given, a bare 404 (Jaeger's OTLP port) is a wrong URL, not "no sessions" to judge."""
    backend.route("/", (404, "404 page not found"))
    with pytest.raises(ReadError, match=r"not Jaeger's query API \(HTTP 404 on /api/v3/traces\)"):
        JaegerReader(backend.url).search(service="shop")


def test_a_trace_404_from_another_server_is_an_error(backend: FakeBackend) -> None:
    """A bare 404 for a trace id says the URL is not Jaeger's, not that the trace is missing."""
    backend.route("/", (404, "404 page not found"))
    with pytest.raises(ReadError, match=r"not Jaeger's query API") as caught:
        JaegerReader(backend.url).trace("abc")
    assert not isinstance(caught.value, TraceNotFound)


def test_a_gate_with_min_sessions_0_does_not_pass_on_another_server(backend: FakeBackend) -> None:
    """``gate --service`` pointed at a server that is not Jaeger's query API exits 2, never PASS on nothing."""
    backend.route("/", (404, "404 page not found"))
    out, err = io.StringIO(), io.StringIO()
    code = main(["gate", "--source", backend.url, "--service", "shop", "--since", "1h", "--max-failure-rate",
                 "0.05", "--min-sessions", "0"], stdout=out, stderr=err)
    assert code == 2, out.getvalue()
    assert "not Jaeger's query API" in err.getvalue()
