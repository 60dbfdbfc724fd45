"""The run-scoped gate over the real Jaeger: more sessions than one search returns, two runs in one store.

Jaeger answers a search with at most ``num_traces`` traces; the gate pages through the window and
counts every session of the run, or says what it could not see and refuses to pass (unless
``--allow-incomplete``).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from _backends import JaegerBackend

from agentops_otel import semconv as sc
from agentops_otel.cli import main as cli_main

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]

AGENT = """
import sys
import agentops_otel as agentops

agentops.init()
failures, total = int(sys.argv[1]), int(sys.argv[2])
for i in range(total):
    s = agentops.start_session("paged-agent", tags=["ci"])
    s.end("Fail" if i < failures else "Success", "planted" if i < failures else None)
agentops.shutdown()
"""


def _record(jaeger: JaegerBackend, service: str, run: str, failures: int, total: int) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOPS_", "GITHUB_"))}
    env.update(PYTHONPATH=str(ROOT), OTEL_SERVICE_NAME=service, OTEL_EXPORTER_OTLP_ENDPOINT=jaeger.otlp_http_endpoint,
               OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf", AGENTOPS_OTEL_RUN_ID=run)
    subprocess.run([sys.executable, "-c", AGENT, str(failures), str(total)], env=env, check=True, timeout=300)


def _gate(jaeger: JaegerBackend, *args: str) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    code = cli_main(["gate", "--source", f"jaeger://{jaeger.query_url.removeprefix('http://')}", "--json", *args],
                    stdout=out, stderr=io.StringIO())
    return code, json.loads(out.getvalue())


def _settled(jaeger: JaegerBackend, expect: int, *args: str) -> tuple[int, dict[str, Any]]:
    """The gate's answer once Jaeger has stored every session (its batch is asynchronous)."""
    deadline = time.monotonic() + 60
    while True:
        code, doc = _gate(jaeger, *args)
        if doc["sessions"] >= expect or time.monotonic() > deadline:
            return code, doc
        time.sleep(1)


def test_the_gate_pages_through_every_session_of_its_run(jaeger: JaegerBackend) -> None:
    """130 sessions of one run, read 40 traces per request, all counted; the other run's 20 failures are not."""
    service = f"paged-{uuid.uuid4().hex[:8]}"
    _record(jaeger, service, "run-A", failures=7, total=130)
    _record(jaeger, service, "run-B", failures=20, total=20)
    code, doc = _settled(jaeger, 130, "--service", service, "--run", "run-A", "--page-size", "40",
                         "--max-failure-rate", "0.1", "--require-complete")
    assert (doc["sessions"], doc["failures"], doc["complete"], doc["run"]) == (130, 7, True, "run-A")
    assert code == 0 and doc["verdict"] == "PASS"
    code, doc = _gate(jaeger, "--service", service, "--run", "run-B", "--page-size", "40", "--max-failure-rate", "0.1")
    assert (code, doc["sessions"], doc["failures"]) == (1, 20, 20)


def _root(trace_id: str, span_id: str, start_ns: int, run: str) -> dict[str, Any]:
    attrs = {sc.GEN_AI_OPERATION_NAME: sc.OP_INVOKE_AGENT, sc.SESSION_ID: f"same-{trace_id[:8]}",
             sc.SESSION_END_STATE: sc.END_SUCCESS, sc.RUN_ID: run}
    return {"traceId": trace_id, "spanId": span_id, "name": "invoke_agent same", "kind": 1,
            "startTimeUnixNano": str(start_ns), "endTimeUnixNano": str(start_ns + 1_000_000),
            "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in attrs.items()]}


def test_what_the_search_cap_hides_is_reported_and_fails_closed(jaeger: JaegerBackend) -> None:
    """12 sessions starting in the same microsecond, 5 per request: the gate says what it could not see,
    and answers INSUFFICIENT DATA (exit 3) instead of a pass on 5 of them; --allow-incomplete judges the 5."""
    service = f"same-instant-{uuid.uuid4().hex[:8]}"
    start = (time.time_ns() - 60_000_000_000) // 1000 * 1000
    spans = [_root(uuid.uuid4().hex, uuid.uuid4().hex[:16], start, "run-C") for _ in range(12)]
    body = {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name",
                                                            "value": {"stringValue": service}}]},
                               "scopeSpans": [{"scope": {"name": "test"}, "spans": spans}]}]}
    httpx.post(jaeger.otlp_http_traces_url, json=body, timeout=10).raise_for_status()
    args = ("--service", service, "--run", "run-C", "--page-size", "5", "--max-failure-rate", "0.1")
    _settled(jaeger, 5, *args)
    time.sleep(1)
    code, doc = _gate(jaeger, *args)
    assert (code, doc["sessions"], doc["complete"], doc["verdict"]) == (3, 5, False, "INSUFFICIENT DATA")
    (gap,) = doc["unseen"]
    assert f"Jaeger service {service!r}: saw 5 of at least 5 traces starting between" in gap
    code, doc = _gate(jaeger, *args, "--allow-incomplete")
    assert (code, doc["verdict"]) == (0, "PASS")


TAGGED_FIRST = """
import agentops_otel as agentops

agentops.init()
agentops.start_session("oldest", tags=["needle"]).end("Fail", "planted")
for _ in range(130):
    agentops.start_session("newer").end("Success")
agentops.shutdown()
"""


def _sessions(jaeger: JaegerBackend, *args: str) -> dict[str, Any]:
    out = io.StringIO()
    code = cli_main(["sessions", "--source", f"jaeger://{jaeger.query_url.removeprefix('http://')}", "--json", *args],
                    stdout=out, stderr=io.StringIO())
    assert code == 0
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def needle_service(jaeger: JaegerBackend) -> str:
    """A service whose oldest of 131 sessions is the only one tagged ``needle``."""
    service = f"needle-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOPS_", "GITHUB_"))}
    env.update(PYTHONPATH=str(ROOT), OTEL_SERVICE_NAME=service, OTEL_EXPORTER_OTLP_ENDPOINT=jaeger.otlp_http_endpoint,
               OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf")
    subprocess.run([sys.executable, "-c", TAGGED_FIRST], env=env, check=True, timeout=300)
    _settled(jaeger, 131, "--service", service, "--since", "1h", "--max-failure-rate", "1")
    return service


def test_sessions_with_a_tag_finds_one_older_than_the_newest_traces(jaeger: JaegerBackend, needle_service: str) -> None:
    """``sessions --tag`` lists the tagged session although 130 newer untagged ones fill a search's depth."""
    doc = _sessions(jaeger, "--service", needle_service, "--tag", "needle")
    assert [s["name"] for s in doc["sessions"]] == ["oldest"]


def test_sessions_limit_0_lists_every_session_beyond_one_search(jaeger: JaegerBackend, needle_service: str) -> None:
    """``sessions --limit 0`` ("all") lists all 131 sessions, not the 100 one Jaeger search returns."""
    doc = _sessions(jaeger, "--service", needle_service, "--limit", "0")
    assert len(doc["sessions"]) == 131 and doc["more"] == 0


OWN_PROVIDER_KILLED = """
import os, sys
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
import agentops_otel as agentops

provider = TracerProvider(resource=Resource.create({"service.name": sys.argv[2]}))
provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=sys.argv[1] + "/v1/traces")))
agentops.init(tracer_provider=provider)

@agentops.tool
def lookup(x):
    return x

for i in range(3):
    with agentops.session("finished"):
        lookup(i)
agentops.start_session("killed")
lookup(99)
os._exit(1)  # a CI timeout's SIGKILL: the open session's root never reaches Jaeger
"""


def test_this_run_over_jaeger_fails_on_a_session_killed_under_the_users_provider(jaeger: JaegerBackend) -> None:
    """The program's own provider, 3 sessions ended and 1 killed mid-run: --run counts it never ended, no PASS."""
    service = f"own-provider-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOPS_", "GITHUB_"))}
    env.update(PYTHONPATH=str(ROOT), AGENTOPS_OTEL_RUN_ID="run-K", AGENTOPS_OTEL_FILE=os.devnull)
    proc = subprocess.run([sys.executable, "-c", OWN_PROVIDER_KILLED, jaeger.otlp_http_endpoint, service], env=env,
                          timeout=300, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    args = ("--service", service, "--run", "run-K", "--max-failure-rate", "0")
    deadline = time.monotonic() + 60
    while (found := _gate(jaeger, *args))[1]["sessions"] < 4 and time.monotonic() < deadline:
        time.sleep(1)
    code, doc = found
    assert (code, doc["sessions"], doc["failures"], doc["verdict"]) == (1, 4, 1, "FAIL"), doc
    assert len(doc["never_ended"]) == 1, doc
