"""``gate --run`` over backends that apply their search filters themselves (a Jaeger whose attribute filter
works, Tempo's TraceQL): a session killed before its root was exported must still be asked for.

The stand-ins answer only the traces holding a span that meets every condition, as those backends do,
over spans a real program recorded with its own TracerProvider and a CI run id."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from fake_backend import FakeBackend
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from otlp_samples import collector_dialect, tempo_dialect

import agentops_otel as agentops
from agentops_otel import semconv as sc
from agentops_otel.cli import main


@agentops.tool
def lookup(x: int) -> int:
    return x


@pytest.fixture
def killed_run(span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[ReadableSpan]]:
    """What reached the backend from run r7: two sessions ended Success, a third killed after one step."""
    monkeypatch.setenv(sc.ENV_RUN_ID, "r7")
    for i in range(2):
        with agentops.session("finished"):
            lookup(i)
    killed = agentops.start_session("killed")
    lookup(99)
    yield list(span_exporter.get_finished_spans())  # its root never ended: never exported
    killed.end("Indeterminate", "test over")


def _by_trace(spans: list[ReadableSpan]) -> dict[str, list[ReadableSpan]]:
    out: dict[str, list[ReadableSpan]] = {}
    for span in spans:
        out.setdefault(format(span.context.trace_id, "032x"), []).append(span)
    return out


def _attrs(span: ReadableSpan, scope: str) -> Mapping[str, Any]:
    own = dict(span.attributes or {})
    resource = dict(span.resource.attributes)
    return own if scope == "span" else resource if scope == "resource" else {**resource, **own}


def _gate(kind: str, backend: FakeBackend) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    code = main(["gate", "--source", f"{kind}://" + backend.url.removeprefix("http://"), "--run", "r7",
                 "--max-failure-rate", "0", "--json"], stdout=out, stderr=io.StringIO())
    return code, json.loads(out.getvalue())


def test_jaeger_honouring_its_attribute_filter_finds_the_killed_session(
        backend: FakeBackend, killed_run: list[ReadableSpan]) -> None:
    """A Jaeger that applies query.attributes (span or resource) still returns the rootless session: FAIL."""
    traces = _by_trace(killed_run)

    def search(_path: str, q: dict[str, list[str]]) -> tuple[int, Any]:
        wanted = json.loads(q.get("query.attributes", ["{}"])[0])
        hits = [s for spans in traces.values() if any(all(_attrs(x, "").get(k) == v for k, v in wanted.items())
                                                      for x in spans) for s in spans]
        return (200, {"result": collector_dialect(hits)}) if hits else (404, {"error": {"message": "not found"}})

    backend.route("/api/v3/services", (200, {"services": ["agentops-otel-tests"]}))
    backend.route("/api/v3/traces", search)
    code, doc = _gate("jaeger", backend)
    assert (code, doc["sessions"], doc["failures"], len(doc["never_ended"])) == (1, 3, 1, 1), doc


_COND = re.compile(r'^(span|resource|)\."?([\w.]+)"? (=|!=) (nil|"(?:[^"\\]|\\.)*")$')


def _meets(span: ReadableSpan, traceql: str) -> bool:
    """One spanset filter of ``&&``-joined comparisons (``span.``, ``resource.`` or unscoped; ``!= nil``)."""
    body = traceql.strip()
    assert body.startswith("{ ") and body.endswith(" }") and "||" not in body, f"stand-in cannot read {traceql}"
    for cond in body[2:-2].split(" && "):
        m = _COND.match(cond)
        assert m is not None, f"stand-in cannot read {cond!r}"
        scope, key, op, raw = m.groups()
        have = _attrs(span, scope).get(key)
        if raw == "nil":
            if (have is not None) != (op == "!="):
                return False
        elif (have == json.loads(raw)) != (op == "="):
            return False
    return True


def test_tempo_traceql_finds_the_killed_session(backend: FakeBackend, killed_run: list[ReadableSpan]) -> None:
    """Tempo's run-scoped TraceQL matches the spans of a session whose root never arrived: FAIL."""
    traces = _by_trace(killed_run)

    def search(_path: str, q: dict[str, list[str]]) -> tuple[int, Any]:
        hits = [tid for tid, spans in traces.items() if any(_meets(s, q["q"][0]) for s in spans)]
        return 200, {"traces": [{"traceID": tid.lstrip("0"), "rootServiceName": "agent",
                                 "startTimeUnixNano": str(min(s.start_time or 0 for s in traces[tid]))}
                                for tid in hits], "metrics": {"inspectedTraces": len(traces)}}

    def trace(path: str, _q: dict[str, list[str]]) -> tuple[int, Any]:
        return 200, {"trace": tempo_dialect(traces[path.rsplit("/", 1)[1].rjust(32, "0")])}

    backend.route("/api/search", search)
    backend.route("/api/v2/traces/", trace)
    code, doc = _gate("tempo", backend)
    assert (code, doc["sessions"], doc["failures"], len(doc["never_ended"])) == (1, 3, 1, 1), doc
