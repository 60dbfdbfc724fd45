"""Backends list a trace without session.id (another instrumentation's app) as a session of its own, and
leave out traces that hold no agent run at all, whether the backend filters by attribute or not."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from fake_backend import FakeBackend

from agentops_otel.read import JaegerSource, Query, TempoSource
from agentops_otel.reassemble import reassemble

FOREIGN = Path(__file__).parent / "foreign" / "openai-v2.jsonl"
"""Spans the real opentelemetry-instrumentation-openai-v2 wrote (see foreign/generate.py)."""
_PLAIN = "7c" * 16
SERVICE = "app-openai-v2"
"""The service of the generated openai-v2 spans."""
_KINDS = {1: "SPAN_KIND_INTERNAL", 2: "SPAN_KIND_SERVER", 3: "SPAN_KIND_CLIENT"}


def _foreign() -> dict[str, Any]:
    """The first openai-v2 call, as one OTLP JSON document (hex ids, collector dialect)."""
    return json.loads(FOREIGN.read_text().splitlines()[0])  # type: ignore[no-any-return]


def _foreign_trace_id() -> str:
    return str(_foreign()["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"])


def _plain() -> dict[str, Any]:
    """A trace with no session and no GenAI span (an HTTP request of the same service)."""
    start = int(_foreign()["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["startTimeUnixNano"])
    return {"resourceSpans": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": SERVICE}}]}, "scopeSpans": [{
            "scope": {"name": "opentelemetry.instrumentation.requests"}, "spans": [{
                "traceId": _PLAIN, "spanId": "7d" * 8, "name": "GET", "kind": 3,
                "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + 1000),
                "attributes": [{"key": "http.request.method", "value": {"stringValue": "GET"}}]}]}]}]}


def _since() -> float:
    return int(_foreign()["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["startTimeUnixNano"]) / 1e9 - 60


def _listed(records: Any) -> list[tuple[str, bool]]:
    result = reassemble(records)
    return [(t.summary.session_id, t.summary.pseudo) for t in [*result.sessions, *result.pseudo_sessions]]


def test_jaeger_that_filters_by_attribute_finds_a_trace_without_session(backend: FakeBackend) -> None:
    """Against a Jaeger that applies the attribute filter, the session-less openai-v2 trace is still listed."""
    def traces(_: str, q: dict[str, list[str]]) -> tuple[int, Any]:
        if "query.attributes" in q:  # only session roots match: this app has none
            return 404, {"error": {"message": "No traces found"}}
        docs = [_foreign(), _plain()]
        return 200, {"result": {"resourceSpans": [rs for d in docs for rs in d["resourceSpans"]]}}

    backend.route("/api/v3/traces", traces)
    source = JaegerSource(backend.url)
    expected = [(f"trace:{_foreign_trace_id()}", True)]
    assert _listed(source.search(service=SERVICE, since=_since())) == expected
    assert _listed(source.scan(Query(service=SERVICE, since=_since())).records) == expected


def _tempo_v2(doc: dict[str, Any]) -> dict[str, Any]:
    """A collector-dialect document as Tempo's v2 answers it: base64 ids, enum names."""
    def b64(hex_id: str) -> str:
        return base64.b64encode(bytes.fromhex(hex_id)).decode()

    out = json.loads(json.dumps(doc))
    for rs in out["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for span in ss["spans"]:
                span["traceId"], span["spanId"] = b64(span["traceId"]), b64(span["spanId"])
                if span.get("parentSpanId"):
                    span["parentSpanId"] = b64(span["parentSpanId"])
                span["kind"] = _KINDS.get(span.get("kind", 1), "SPAN_KIND_INTERNAL")
    return {"trace": out}


def test_tempo_search_asks_for_llm_spans_of_any_instrumentation(backend: FakeBackend) -> None:
    """Tempo's TraceQL asks for session roots or LLM spans; a session-less trace it returns is listed."""
    foreign_id = _foreign_trace_id()

    def search(_: str, q: dict[str, list[str]]) -> tuple[int, Any]:
        query = q["q"][0]
        wanted = 'span."gen_ai.operation.name" = "chat"' in query and 'span."openinference.span.kind" = "LLM"' in query
        return 200, {"traces": [{"traceID": foreign_id.lstrip("0")}] if wanted else []}

    backend.route("/api/search", search)
    backend.route("/api/v2/traces/", (200, _tempo_v2(_foreign())))
    source = TempoSource(backend.url)
    expected = [(f"trace:{foreign_id}", True)]
    assert _listed(source.search(service=SERVICE, since=_since())) == expected
    assert _listed(source.scan(Query(service=SERVICE, since=_since())).records) == expected


def test_tempo_search_with_a_root_only_filter_asks_for_roots_only(backend: FakeBackend) -> None:
    """An end-state filter only a session root can meet keeps the TraceQL to session roots."""
    backend.route("/api/search", (200, {"traces": []}))
    list(TempoSource(backend.url).search(state="Fail", since=_since()))
    query = backend.requests[0][1]["q"][0]
    assert '"chat"' not in query and 'span."agentops.session.end_state" = "Fail"' in query
