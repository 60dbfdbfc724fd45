"""The real thing end to end: openai client → local server, our instrumentation, OTLP → (collector →) Jaeger.

The agent runs in its own process, configured only by the standard OTEL_* variables, exactly as a
user's service would be; sessions are read back through Jaeger's HTTP API v3.
"""

from __future__ import annotations

import json
import time

import httpx
import pytest
from _agent import BILLING, GENERAL, MISSING_ID, agent_env, new_service, run_agent
from _backends import CollectorFactory, JaegerBackend
from _prometheus import PrometheusBackend

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("protocol", ["grpc", "http"])
def test_sessions_arrive_whole_with_their_attributes(jaeger: JaegerBackend, protocol: str) -> None:
    """Root, every child, parentage, end state, tags, cost, tokens and session.id survive the trip."""
    service = new_service(f"agent-{protocol}")
    endpoint = jaeger.otlp_grpc_endpoint if protocol == "grpc" else jaeger.otlp_http_endpoint
    sessions, done = run_agent([BILLING, MISSING_ID], agent_env(endpoint, protocol, service))
    assert done["flushed"] is True
    ok, failed = sessions

    trace = jaeger.wait_for_trace(ok["trace_id"], min_spans=ok["span_count"])
    assert len(trace.spans) == ok["span_count"]
    root = trace.root
    assert root.name == f"invoke_agent {service}" and root.resource["service.name"] == service
    assert root.status == "OK"
    assert root.attributes["agentops.session.end_state"] == "Success"
    assert list(root.attributes["agentops.tags"]) == ["support", "v2.1"]
    assert root.attributes["agentops.session.cost_usd"] == pytest.approx(ok["cost"])
    assert root.attributes["agentops.session.cost_micros"] == ok["cost_micros"] > 0
    assert root.attributes["agentops.session.llm_calls"] == 3
    assert root.attributes["gen_ai.usage.input_tokens"] > 0
    assert {s.attributes["session.id"] for s in trace.spans} == {ok["session_id"]}
    by_id = {s.span_id: s for s in trace.spans}
    classify = trace.span("action classify_intent")
    chats = [s for s in trace.spans if s.name.startswith("chat ")]
    assert len(chats) == 3 and sum(s.attributes["agentops.cost.usd"] for s in chats) == pytest.approx(ok["cost"])
    assert [by_id[c.parent_span_id].name for c in chats].count("action classify_intent") == 1
    assert classify.parent_span_id == root.span_id
    tool = trace.span("execute_tool lookup_invoices")
    assert json.loads(tool.attributes["gen_ai.tool.call.arguments"]) == {"customer_id": "4417"}
    seqs = sorted(s.attributes["agentops.seq"] for s in trace.spans)
    assert seqs == list(range(1, len(trace.spans) + 1))

    broken = jaeger.wait_for_trace(failed["trace_id"], min_spans=failed["span_count"])
    froot = broken.root
    assert froot.status == "ERROR" and froot.attributes["agentops.session.end_state"] == "Fail"
    assert froot.attributes["agentops.session.end_reason"] == "customer_id cannot be None"
    assert froot.attributes["agentops.session.failed_span_name"] == "action fetch_customer_data"
    step = broken.span("action fetch_customer_data")
    assert froot.attributes["agentops.session.failed_span_id"] == step.span_id
    assert step.status == "ERROR" and [name for name, _ in step.events] == ["exception"]


def test_session_url_opens_its_trace_in_jaeger(jaeger: JaegerBackend) -> None:
    """get_session().url, templated for this Jaeger, answers and names the session's trace."""
    service = new_service("agent-url")
    env = agent_env(jaeger.otlp_http_endpoint, "http", service,
                    {"AGENTOPS_OTEL_URL_TEMPLATE": jaeger.query_url + "/trace/{trace_id}?uiFind={span_id}"})
    (session,), _ = run_agent([GENERAL], env)
    url = session["url"]
    assert url.startswith(f"{jaeger.query_url}/trace/{session['trace_id']}")
    jaeger.wait_for_trace(session["trace_id"], min_spans=session["span_count"])
    assert httpx.get(url, timeout=5).status_code == 200
    trace_id = url.split("/trace/")[1].split("?")[0]
    assert jaeger.get_trace(trace_id).root.attributes["session.id"] == session["session_id"]  # type: ignore[union-attr]


def test_tail_sampling_keeps_failed_and_expensive_sessions_whole(
    jaeger: JaegerBackend, otelcol_factory: CollectorFactory
) -> None:
    """agent-sessions.yaml keeps every span of failed and costly sessions and drops cheap successes."""
    # Learn this agent's deterministic costs first (exporting nowhere), then set the threshold between.
    probe, _ = run_agent([BILLING, GENERAL], {**agent_env("http://127.0.0.1:1", "http", "probe"),
                                              "OTEL_TRACES_EXPORTER": "none"})
    expensive, cheap = probe[0]["cost_micros"], probe[1]["cost_micros"]
    assert expensive > cheap + 1
    threshold = (expensive + cheap) // 2
    collector = otelcol_factory.start("agent-sessions.yaml", env={
        "AGENTOPS_SAMPLE_PERCENT": "0", "AGENTOPS_COST_THRESHOLD_MICROS": str(threshold),
        "AGENTOPS_DECISION_WAIT": "5s", "AGENTOPS_DECISION_WAIT_AFTER_ROOT": "1s",
    })
    service = new_service("agent-sampled")
    sessions, _ = run_agent([BILLING, GENERAL, MISSING_ID],
                            agent_env(collector.otlp_grpc_endpoint, "grpc", service))
    kept_expensive, dropped, kept_failed = sessions
    assert dropped["end_state"] == "Success" and kept_failed["end_state"] == "Fail"
    for kept in (kept_expensive, kept_failed):
        trace = jaeger.wait_for_trace(kept["trace_id"], min_spans=kept["span_count"], timeout=30)
        assert len(trace.spans) == kept["span_count"], "a kept session must arrive whole"
    time.sleep(2)  # well past the decision for the cheap session, which came before the failed one
    assert jaeger.get_trace(dropped["trace_id"]) is None


def test_redaction_pipeline_strips_content_from_real_sessions(
    jaeger: JaegerBackend, otelcol_factory: CollectorFactory
) -> None:
    """redact-content.yaml: prompts, completions and tool payloads never reach storage; structure does."""
    collector = otelcol_factory.start("redact-content.yaml")
    service = new_service("agent-redacted")
    (session,), _ = run_agent([BILLING], agent_env(collector.otlp_http_endpoint, "http", service))
    trace = jaeger.wait_for_trace(session["trace_id"], min_spans=session["span_count"], timeout=30)
    content_keys = {"gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions",
                    "gen_ai.tool.call.arguments", "gen_ai.tool.call.result", "agentops.action.params",
                    "agentops.action.returns"}
    for span in trace.spans:
        kept = {k: v for k, v in span.attributes.items() if k in content_keys and v not in ("", "***")}
        assert not kept, f"{span.name} still carries {sorted(kept)}"
        assert "4417" not in str(span.attributes.get("gen_ai.tool.call.arguments", ""))
    assert trace.span("execute_tool lookup_invoices").attributes["gen_ai.tool.name"] == "lookup_invoices"
    assert trace.root.attributes["agentops.session.cost_micros"] == session["cost_micros"]


def test_session_metrics_count_sessions_by_end_state(
    jaeger: JaegerBackend, otelcol_factory: CollectorFactory, prometheus: PrometheusBackend
) -> None:
    """session-metrics.yaml: Prometheus counts this service's sessions by end state."""
    collector = otelcol_factory.start(
        "session-metrics.yaml",
        env={"AGENTOPS_METRICS_FLUSH_INTERVAL": "1s", "AGENTOPS_PROMETHEUS_OTLP_ENDPOINT": prometheus.otlp_endpoint},
    )
    service = new_service("agent-metrics")
    run_agent([BILLING, MISSING_ID, GENERAL], agent_env(collector.otlp_grpc_endpoint, "grpc", service))
    query = ('sum by (agentops_session_end_state) '
             f'(increase(agentops_session_calls_total{{job="{service}"}}[10m] anchored))')
    deadline = time.monotonic() + 40
    counts: dict[str, float] = {}
    while time.monotonic() < deadline:
        counts = {labels.get("agentops_session_end_state", ""): value for labels, value in prometheus.query(query)}
        if counts.get("Success") == 2 and counts.get("Fail") == 1:
            break
        time.sleep(0.5)
    assert counts.get("Success") == 2 and counts.get("Fail") == 1, counts
