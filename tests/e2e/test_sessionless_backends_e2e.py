"""A trace without any session.id (an app traced only by the official openai-v2 instrumentation) is a
session in the real Jaeger too: `sessions` lists it and `gate` counts it, as from a file."""

from __future__ import annotations

import io
import json
import secrets
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from _agent import new_service
from _backends import JaegerBackend

from agentops_otel.cli import main

pytestmark = pytest.mark.e2e

FOREIGN = Path(__file__).parent.parent / "read" / "foreign" / "openai-v2.jsonl"
"""Spans the real opentelemetry-instrumentation-openai-v2 wrote (see tests/read/foreign/generate.py)."""


def _send_foreign_trace(jaeger: JaegerBackend, service: str) -> str:
    """The first call of the openai-v2 file, moved to now, under a fresh trace id and ``service``."""
    doc: dict[str, Any] = json.loads(FOREIGN.read_text().splitlines()[0])
    trace_id = secrets.token_hex(16)
    shift = time.time_ns() - 5 * 10**9
    (rs,) = doc["resourceSpans"]
    rs["resource"]["attributes"] = [a for a in rs["resource"].get("attributes", []) if a["key"] != "service.name"]
    rs["resource"]["attributes"].append({"key": "service.name", "value": {"stringValue": service}})
    first = min(int(s["startTimeUnixNano"]) for ss in rs["scopeSpans"] for s in ss["spans"])
    for ss in rs["scopeSpans"]:
        for span in ss["spans"]:
            span["traceId"] = trace_id
            for key in ("startTimeUnixNano", "endTimeUnixNano"):
                span[key] = str(int(span[key]) - first + shift)
    httpx.post(jaeger.otlp_http_traces_url, json=doc, timeout=10.0).raise_for_status()
    return trace_id


def _send_plain_trace(jaeger: JaegerBackend, service: str) -> str:
    """A trace of the same service with no session and no GenAI span (an HTTP request): no agent run."""
    trace_id = secrets.token_hex(16)
    now = time.time_ns() - 4 * 10**9
    doc = {"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
        "scopeSpans": [{"scope": {"name": "opentelemetry.instrumentation.requests"}, "spans": [{
            "traceId": trace_id, "spanId": secrets.token_hex(8), "name": "GET", "kind": 3,
            "startTimeUnixNano": str(now), "endTimeUnixNano": str(now + 10**7),
            "attributes": [{"key": "http.request.method", "value": {"stringValue": "GET"}}]}]}]}]}
    httpx.post(jaeger.otlp_http_traces_url, json=doc, timeout=10.0).raise_for_status()
    return trace_id


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "--no-color"], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_jaeger_lists_and_gates_a_trace_without_session(jaeger: JaegerBackend) -> None:
    """`sessions` and `gate` over Jaeger find a session-less GenAI trace, marked as such, and no plain trace."""
    service = new_service("openai-v2-only")
    trace_id = _send_foreign_trace(jaeger, service)
    jaeger.wait_for_trace(trace_id)
    jaeger.wait_for_trace(_send_plain_trace(jaeger, service))
    source = jaeger.query_url.replace("http://", "jaeger://")

    code, out, err = _run("sessions", "--source", source, "--service", service, "--since", "10m")
    assert code == 0, err
    (row,) = out.splitlines()[1:]
    assert f"trace:{trace_id}" in row and "(no session.id)" in row

    code, out, err = _run("gate", "--source", source, "--service", service, "--since", "10m",
                          "--max-failure-rate", "0", "--json")
    assert code == 0, out + err
    assert json.loads(out)["sessions"] == 1
