"""Sessions read back by the reassembler from the real backends: Jaeger's API v3 and files the
Collector's file exporter wrote — the same timeline the live session showed."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from _agent import BILLING, GENERAL, MISSING_ID, agent_env, new_service, run_agent
from _backends import CollectorFactory, JaegerBackend

from agentops_otel.read import TraceNotFound, open_source, read_otlp_file
from agentops_otel.reassemble import reassemble

pytestmark = pytest.mark.e2e

BILLING_STEPS = ["classify_intent", "gpt-4o-mini", "fetch_customer_data", "gpt-4o-mini", "lookup_invoices",
                 "gpt-4o-mini", "session_complete"]


def test_jaeger_source_rebuilds_each_session(jaeger: JaegerBackend) -> None:
    """open_source('jaeger://…') finds sessions by id and by search, with steps, cost and failure intact."""
    service = new_service("agent-readback")
    ok, failed, general = run_agent([BILLING, MISSING_ID, GENERAL],
                                    agent_env(jaeger.otlp_grpc_endpoint, "grpc", service))[0]
    for s in (ok, failed, general):
        jaeger.wait_for_trace(s["trace_id"], min_spans=s["span_count"])
    source = open_source(jaeger.query_url.replace("http://", "jaeger://"))

    timeline = reassemble(source.session(ok["session_id"])).timeline_for(ok["session_id"])
    assert [step.name for step in timeline.steps] == BILLING_STEPS
    assert timeline.summary.end_state == "Success" and timeline.summary.complete
    assert timeline.summary.cost_usd == pytest.approx(ok["cost"])
    assert timeline.summary.tags == ("support", "v2.1")

    broken = reassemble(source.trace(failed["trace_id"])).timeline_for(failed["session_id"])
    assert broken.summary.end_state == "Fail"
    assert broken.summary.failed_step is not None and broken.summary.failed_step.name == "fetch_customer_data"
    assert broken.summary.failed_step.error is not None
    assert broken.summary.failed_step.error.message == "customer_id cannot be None"

    since = datetime.now(UTC) - timedelta(minutes=10)
    found = reassemble(source.search(service=service, since=since)).sessions
    assert sorted(t.summary.session_id for t in found) == sorted(s["session_id"] for s in (ok, failed, general))
    failed_only = reassemble(source.search(service=service, since=since, state="Fail")).sessions
    assert [t.summary.session_id for t in failed_only] == [failed["session_id"]]
    with pytest.raises(TraceNotFound):
        source.trace("0" * 31 + "7")


def test_collector_file_archive_replays_like_the_live_session(
    jaeger: JaegerBackend, otelcol_factory: CollectorFactory, tmp_path: Path
) -> None:
    """file-archive.yaml writes OTLP JSON lines that read_otlp_file turns back into the same sessions."""
    archive = tmp_path / "archive" / "sessions.jsonl"
    archive.parent.mkdir()
    collector = otelcol_factory.start("file-archive.yaml", env={"AGENTOPS_ARCHIVE_FILE": str(archive)})
    service = new_service("agent-archive")
    sessions, _ = run_agent([BILLING, MISSING_ID], agent_env(collector.otlp_http_endpoint, "http", service))
    expected = sum(s["span_count"] for s in sessions)
    deadline = time.monotonic() + 30
    records: list[object] = []
    while time.monotonic() < deadline:
        if archive.exists():
            records = list(read_otlp_file(archive))
            if len(records) >= expected:
                break
        time.sleep(0.3)
    assert len(records) == expected
    result = reassemble(records)  # type: ignore[arg-type]
    by_id = {t.summary.session_id: t for t in result.sessions}
    ok, failed = sessions
    assert [s.name for s in by_id[ok["session_id"]].steps] == BILLING_STEPS
    assert by_id[failed["session_id"]].summary.end_state == "Fail"
    assert by_id[ok["session_id"]].summary.service_name == service
    # The archive also forwarded everything to Jaeger.
    jaeger.wait_for_trace(ok["trace_id"], min_spans=ok["span_count"])
