"""The run-scoped gate over Tempo: a search capped at ``limit`` traces, paged by time windows.

The stand-in answers as Tempo does: ``/api/search`` with trace ids trimmed of leading zeros, at most
``limit`` of the traces starting in ``[start, end)`` (whole seconds), oldest first (the order is not
something the gate may rely on); ``/api/v2/traces/{id}`` with ``{"trace": …}`` in protobuf JSON.
"""

from __future__ import annotations

import io
import json
from typing import Any

from fake_backend import FakeBackend
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from otlp_samples import tempo_dialect

from agentops_otel import semconv as sc
from agentops_otel.cli import main

BASE_S = 1_790_000_000


def _store(starts: list[int], run: str, fail_every: int = 0) -> dict[str, tuple[int, dict[str, Any]]]:
    """trace id -> (root start in seconds, Tempo's v2 answer), one single-span session per start."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({sc.SERVICE_NAME: "agent", sc.RUN_ID: run}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    for i, start in enumerate(starts):
        failed = bool(fail_every) and i % fail_every == 0
        span = tracer.start_span("invoke_agent agent", start_time=start * 1_000_000_000 + i, attributes={
            sc.SESSION_ID: f"s{i}", sc.GEN_AI_OPERATION_NAME: sc.OP_INVOKE_AGENT,
            sc.SESSION_END_STATE: sc.END_FAIL if failed else sc.END_SUCCESS})
        span.end(end_time=start * 1_000_000_000 + i + 1000)
    out = {}
    for span in exporter.get_finished_spans():
        tid = format(span.context.trace_id, "032x")
        out[tid] = (span.start_time // 1_000_000_000, {"trace": tempo_dialect([span])})
    return out


def _serve(backend: FakeBackend, store: dict[str, tuple[int, dict[str, Any]]]) -> None:
    def search(_path: str, q: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        lo, hi, limit = int(q["start"][0]), int(q["end"][0]), int(q["limit"][0])
        hits = sorted((s, tid) for tid, (s, _) in store.items() if lo <= s < hi)[:limit]
        return 200, {"traces": [{"traceID": tid.lstrip("0"), "rootServiceName": "agent",
                                 "startTimeUnixNano": str(s * 1_000_000_000)} for s, tid in hits],
                     "metrics": {"inspectedTraces": len(store)}}

    def trace(path: str, _q: dict[str, list[str]]) -> tuple[int, Any]:
        found = store.get(path.rsplit("/", 1)[1])
        return (200, found[1]) if found else (404, "trace not found\n")

    backend.route("/api/search", search)
    backend.route("/api/v2/traces/", trace)


def _gate(backend: FakeBackend, *args: str) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    code = main(["gate", "--source", "tempo://" + backend.url.removeprefix("http://"), "--since", str(BASE_S - 10),
                 "--until", str(BASE_S + 3600), "--json", *args], stdout=out, stderr=io.StringIO())
    return code, json.loads(out.getvalue())


def test_the_gate_pages_through_tempo_by_time(backend: FakeBackend) -> None:
    """45 sessions over 45 s, 10 per search: every one judged, run-scoped in TraceQL (span or resource)."""
    _serve(backend, _store([BASE_S + i for i in range(45)], "nightly-7", fail_every=9))
    code, doc = _gate(backend, "--run", "nightly-7", "--page-size", "10", "--max-failure-rate", "0.2",
                      "--require-complete")
    assert (code, doc["sessions"], doc["failures"], doc["complete"]) == (0, 45, 5, True)
    queries = {q["q"][0] for p, q in backend.requests if p == "/api/search"}
    assert queries == {'{ span."session.id" != nil && .agentops.run.id = "nightly-7" }'}
    assert all(int(q["limit"][0]) == 10 for p, q in backend.requests if p == "/api/search")


def test_a_second_tempo_cannot_split_is_reported_and_fails_closed(backend: FakeBackend) -> None:
    """25 sessions in one second, 1 per search: the limit grows to 16, the other 9 are reported unseen,
    and the gate answers INSUFFICIENT DATA (exit 3) unless --allow-incomplete."""
    _serve(backend, _store([BASE_S] * 25, "r"))
    code, doc = _gate(backend, "--run", "r", "--page-size", "1", "--max-failure-rate", "0.2", "--require-complete")
    assert (code, doc["verdict"], doc["sessions"], doc["complete"]) == (3, "INSUFFICIENT DATA", 16, False)
    assert doc["unseen"] == ['Tempo { span."session.id" != nil && .agentops.run.id = "r" }: '
                             "saw 16 of at least 16 traces starting between 2026-09-21T14:13:20Z and "
                             "2026-09-21T14:13:21Z (the search limit, in a window that cannot be narrowed): "
                             "the rest were not seen"]
    code, doc = _gate(backend, "--run", "r", "--page-size", "1", "--max-failure-rate", "0.2")
    assert (code, doc["verdict"]) == (3, "INSUFFICIENT DATA")
    code, doc = _gate(backend, "--run", "r", "--page-size", "1", "--max-failure-rate", "0.2", "--allow-incomplete")
    assert (code, doc["verdict"]) == (0, "PASS")


def test_the_text_report_names_what_was_not_seen(backend: FakeBackend) -> None:
    """Without --json the report lists the unseen window and ends INSUFFICIENT DATA."""
    _serve(backend, _store([BASE_S] * 20, "r"))
    out = io.StringIO()
    code = main(["gate", "--source", "tempo://" + backend.url.removeprefix("http://"), "--since", str(BASE_S - 10),
                 "--until", str(BASE_S + 60), "--run", "r", "--page-size", "1", "--max-failure-rate", "0.2",
                 ], stdout=out, stderr=io.StringIO())
    lines = out.getvalue().splitlines()
    assert code == 3
    assert "Not seen (the verdict needs every session; --allow-incomplete judges what was seen):" in lines
    assert lines[-1] == ("INSUFFICIENT DATA: the source did not show every session of the window "
                         "(--allow-incomplete judges what it showed)")
