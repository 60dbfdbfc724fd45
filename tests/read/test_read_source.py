"""open_source: URIs to sources, and sessions found and filtered the same way in files and backends."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from fake_backend import FakeBackend

from agentops_otel import semconv as sc
from agentops_otel.read import (
    FileSource,
    JaegerSource,
    ReadError,
    Source,
    TempoSource,
    TraceNotFound,
    open_source,
)
from agentops_otel.reassemble import reassemble

T0 = 1_767_000_000 * 10**9


def _v(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, (list, tuple)):
        return {"arrayValue": {"values": [_v(x) for x in value]}}
    return {"stringValue": value}


def span(trace: int, span_id: int, parent: int | None, name: str, start_s: float, attrs: dict[str, Any],
         service: str = "shop") -> tuple[str, dict[str, Any]]:
    s = {"traceId": f"{trace:032x}", "spanId": f"{span_id:016x}", "name": name, "kind": 1,
         "startTimeUnixNano": str(T0 + int(start_s * 1e9)), "endTimeUnixNano": str(T0 + int(start_s * 1e9) + 10**8),
         "attributes": [{"key": k, "value": _v(v)} for k, v in attrs.items()]}
    if parent is not None:
        s["parentSpanId"] = f"{parent:016x}"
    return service, s


def line(*spans: tuple[str, dict[str, Any]]) -> bytes:
    by_service: dict[str, list[dict[str, Any]]] = {}
    for service, s in spans:
        by_service.setdefault(service, []).append(s)
    return json.dumps({"resourceSpans": [
        {"resource": {"attributes": [{"key": sc.SERVICE_NAME, "value": {"stringValue": svc}}]},
         "scopeSpans": [{"scope": {"name": sc.INSTRUMENTATION_SCOPE}, "spans": ss}]}
        for svc, ss in by_service.items()]}, separators=(",", ":")).encode()


def root(trace: int, span_id: int, sid: str, start_s: float, state: str, tags: list[str], service: str = "shop",
         parent: int | None = None, parent_sid: str | None = None) -> tuple[str, dict[str, Any]]:
    attrs: dict[str, Any] = {sc.SESSION_ID: sid, sc.GEN_AI_OPERATION_NAME: sc.OP_INVOKE_AGENT,
                             sc.SESSION_END_STATE: state, sc.TAGS: tags}
    if parent_sid:
        attrs[sc.SESSION_PARENT_ID] = parent_sid
    return span(trace, span_id, parent, "invoke_agent bot", start_s, attrs, service)


def tool(trace: int, span_id: int, parent: int | None, sid: str | None, start_s: float,
         service: str = "shop") -> tuple[str, dict[str, Any]]:
    attrs = {sc.SESSION_ID: sid} if sid else {}
    return span(trace, span_id, parent, "execute_tool t", start_s, attrs, service)


@pytest.fixture
def sessions_file(tmp_path: Path) -> Path:
    """Four sessions: A (Success, nested N, a downstream span), B (Fail), C (other service), D (old)."""
    path = tmp_path / "sessions.jsonl"
    lines = [
        line(tool(1, 2, 1, "A", 1), tool(2, 11, 10, "B", 21), tool(1, 4, 2, None, 1.5, "api")),
        line(root(1, 3, "N", 2, sc.END_SUCCESS, [], parent=2, parent_sid="A"), tool(1, 5, 3, "N", 2.5)),
        line(root(1, 1, "A", 0, sc.END_SUCCESS, ["prod", "eu"]), root(2, 10, "B", 20, sc.END_FAIL, ["prod"])),
        line(root(3, 20, "C", 30, sc.END_SUCCESS, ["prod"], service="billing"), tool(3, 21, 20, "C", 31, "billing")),
        line(root(4, 30, "D", -1000, sc.END_FAIL, ["old"]), tool(5, 40, None, None, 5, "cron")),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _sids(records: Any) -> set[str | None]:
    return {r.session_id for r in records}


def test_open_source_schemes(tmp_path: Path, sessions_file: Path) -> None:
    """jaeger://, http(s)://, tempo://, file:// and paths map to the right source."""
    assert isinstance(open_source(str(sessions_file)), FileSource)
    assert isinstance(open_source(f"file://{sessions_file}"), FileSource)
    j = open_source("jaeger://localhost:16686")
    assert isinstance(j, JaegerSource) and j.reader.base_url == "http://localhost:16686"
    assert isinstance(open_source("jaeger+https://j.example/base"), JaegerSource)
    assert open_source("https://jaeger.example/").reader.base_url == "https://jaeger.example"  # type: ignore[attr-defined]
    t = open_source("tempo://localhost:3200")
    assert isinstance(t, TempoSource) and t.reader.base_url == "http://localhost:3200"
    for src in (j, t):
        assert isinstance(src, Source)
        src.close()
    with pytest.raises(ReadError, match="unknown source scheme 'kafka'"):
        open_source("kafka://x")
    with pytest.raises(ReadError, match="no such file"):
        open_source(str(tmp_path / "missing.jsonl"))
    with pytest.raises(ReadError, match="empty source"):
        open_source(" ")


def test_file_trace(sessions_file: Path) -> None:
    """A trace out of a file: all of its spans, whichever session they belong to."""
    src = open_source(str(sessions_file))
    assert _sids(src.trace(f"{1:032x}")) == {"A", "N", None}
    with pytest.raises(TraceNotFound):
        src.trace("ff")


def test_file_session_includes_nested_and_downstream(sessions_file: Path) -> None:
    """A session's spans: its own, its nested session's, and un-stamped spans in its traces."""
    records = open_source(str(sessions_file)).session("A")
    assert _sids(records) == {"A", "N", None} and len(records) == 5
    tl = reassemble(records).timeline_for("A")
    assert [(s.kind, s.depth) for s in tl.steps] == [("tool", 0), ("tool", 1), ("session", 1), ("tool", 2)]
    with pytest.raises(TraceNotFound, match="no spans of session Z"):
        open_source(str(sessions_file)).session("Z")


@pytest.mark.parametrize(
    ("filters", "sessions"),
    [
        ({}, {"A", "B", "C", "D", "N", None}),
        ({"state": sc.END_FAIL}, {"B", "D"}),
        ({"tags": ["prod"]}, {"A", "N", None, "B", "C"}),
        ({"tags": ["prod", "eu"]}, {"A", "N", None}),
        ({"service": "billing"}, {"C"}),
        ({"since": T0 / 1e9 - 10}, {"A", "N", None, "B", "C"}),
        ({"since": T0 / 1e9 + 10, "until": T0 / 1e9 + 25}, {"B"}),
        ({"limit": 2}, {"B", "C"}),
        ({"state": sc.END_SUCCESS, "limit": 1}, {"C"}),
    ],
)
def test_file_search_filters(sessions_file: Path, filters: dict[str, Any], sessions: set[str | None]) -> None:
    """Search keeps sessions whose root matches every filter; limit keeps the most recent."""
    assert _sids(open_source(str(sessions_file)).search(**filters)) == sessions


def test_file_search_on_gzip(tmp_path: Path, sessions_file: Path) -> None:
    """The same search works on a gzip file."""
    gz = tmp_path / "s.jsonl.gz"
    gz.write_bytes(gzip.compress(sessions_file.read_bytes()))
    assert _sids(open_source(str(gz)).search(state=sc.END_FAIL)) == {"B", "D"}


def _jaeger_body(path: Path, keep: Any) -> dict[str, Any]:
    docs = [json.loads(x) for x in path.read_bytes().splitlines() if x.strip()]
    out = []
    for d in docs:
        for rs in d["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                spans = [s for s in ss["spans"] if keep(s)]
                if spans:
                    out.append({**rs, "scopeSpans": [{**ss, "spans": spans}]})
    return {"result": {"resourceSpans": out}}


def test_jaeger_session(backend: FakeBackend, sessions_file: Path) -> None:
    """Jaeger: search every service by session.id, then by parent id for nested sessions' traces."""
    backend.route("/api/v3/services", (200, {"services": ["shop", "billing"]}))

    def traces(_: str, q: dict[str, list[str]]) -> tuple[int, Any]:
        attrs = json.loads(q["query.attributes"][0])
        if q["query.service_name"] == ["shop"] and attrs in ({"session.id": "A"}, {sc.SESSION_PARENT_ID: "A"}):
            return 200, _jaeger_body(sessions_file, lambda s: s["traceId"] == f"{1:032x}")
        return 404, {"error": {"message": "No traces found"}}

    backend.route("/api/v3/traces", traces)
    records = JaegerSource(backend.url).session("A")
    assert _sids(records) == {"A", "N", None} and len(records) == 5
    with pytest.raises(TraceNotFound, match=r"no spans with session\.id=Z"):
        JaegerSource(backend.url).session("Z")


def test_jaeger_search_filters_roots(backend: FakeBackend, sessions_file: Path) -> None:
    """Jaeger search asks for session roots and applies tags client-side."""
    backend.route("/api/v3/traces", (200, _jaeger_body(sessions_file, lambda s: True)))
    got = _sids(JaegerSource(backend.url).search(service="shop", tags=["eu"], since=T0 / 1e9 - 5))
    assert got == {"A", "N", None}
    q = backend.requests[0][1]
    assert json.loads(q["query.attributes"][0]) == {sc.GEN_AI_OPERATION_NAME: sc.OP_INVOKE_AGENT}


def test_tempo_session_and_search(backend: FakeBackend, sessions_file: Path) -> None:
    """Tempo: TraceQL by session id (or parent id); search conditions in TraceQL."""
    body = _jaeger_body(sessions_file, lambda s: s["traceId"] == f"{1:032x}")["result"]
    backend.route("/api/search", (200, {"traces": [{"traceID": "1"}]}))
    backend.route("/api/v2/traces/", (200, {"trace": body}))
    assert _sids(TempoSource(backend.url).session("A")) == {"A", "N", None}
    q = backend.requests[0][1]["q"][0]
    assert q == '{ span."session.id" = "A" || span."agentops.session.parent_id" = "A" }'
    assert _sids(TempoSource(backend.url).search(state="Success", service="shop")) == {"A", "N", None}
    q = backend.requests[-2][1]["q"][0]
    assert 'span."agentops.session.end_state" = "Success"' in q and 'resource.service.name = "shop"' in q


@pytest.fixture
def nested_file(tmp_path: Path) -> Path:
    """A test's session T (tagged test, Success) holding the agent's session S (tagged support, Fail)."""
    path = tmp_path / "nested.jsonl"
    path.write_bytes(line(root(7, 70, "T", 0, sc.END_SUCCESS, ["test"]),
                          root(7, 71, "S", 1, sc.END_FAIL, ["support"], parent=70, parent_sid="T"),
                          tool(7, 72, 71, "S", 1.5)) + b"\n")
    return path


@pytest.mark.parametrize("filters", [{"tags": ["support"]}, {"state": sc.END_FAIL}])
def test_file_search_finds_a_nested_session_by_its_own_tags_and_state(nested_file: Path,
                                                                       filters: dict[str, Any]) -> None:
    """A nested session matching the filters is found on its own, though its parent does not match."""
    assert _sids(open_source(str(nested_file)).search(**filters)) == {"S"}


def test_jaeger_search_finds_a_nested_session_by_its_tag(backend: FakeBackend, nested_file: Path) -> None:
    """Jaeger's search applies the same selection: the nested session tagged support is found."""
    backend.route("/api/v3/traces", (200, _jaeger_body(nested_file, lambda s: True)))
    assert _sids(JaegerSource(backend.url).search(service="shop", tags=["support"], since=T0 / 1e9 - 5)) == {"S"}


def test_tempo_search_finds_a_nested_session_by_its_state(backend: FakeBackend, nested_file: Path) -> None:
    """Tempo's search applies the same selection: the nested session that failed is found."""
    backend.route("/api/search", (200, {"traces": [{"traceID": "7"}]}))
    backend.route("/api/v2/traces/", (200, {"trace": _jaeger_body(nested_file, lambda s: True)["result"]}))
    assert _sids(TempoSource(backend.url).search(state=sc.END_FAIL)) == {"S"}
