"""Session metrics in a real Prometheus: the documented PromQL and ``gate --source prometheus://``.

session-metrics.yaml turns session roots into counters and a duration histogram and pushes them to the
real Prometheus (built by scripts/backends.sh) over OTLP. The README's ready queries are run verbatim
on a Prometheus of the test's own (they select no service), and the gate is checked against the
known numbers of failed sessions from the example agent.
"""

from __future__ import annotations

import io
import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _agent import BILLING, GENERAL, MISSING_ID, agent_env, new_service, run_agent
from _backends import CollectorFactory, JaegerBackend
from _prometheus import PrometheusBackend, start_prometheus
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Status, StatusCode

from agentops_otel.cli import main as cli_main

pytestmark = pytest.mark.e2e
pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parents[2]
FAILURE_RATE = ('sum(increase(agentops_session_calls_total{agentops_session_end_state="Fail"}[1h] anchored))\n'
                '  / sum(increase(agentops_session_calls_total[1h] anchored))')
COST_PER_HOUR = "sum(increase(agentops_session_cost_micros_total[1h] anchored)) / 1e6"
P95_SECONDS = ("histogram_quantile(0.95, sum by (le) (increase(agentops_session_duration_milliseconds_bucket[1h]"
               " anchored))) / 1000")


@pytest.fixture
def own_prometheus(request: pytest.FixtureRequest, prometheus: PrometheusBackend,
                   backend_log_dir: Path) -> Iterator[PrometheusBackend]:
    """A second, empty Prometheus (same binary as the shared one) for queries over all series."""
    backend = start_prometheus(Path(prometheus.process.argv[0]), backend_log_dir)
    try:
        yield backend
    finally:
        backend.process.stop()


def push_session_roots(endpoint: str, service: str, roots: list[tuple[str, int, int]]) -> None:
    """Session roots only, as (end state, duration ms, cost micros), with exact start and end times."""
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces"),
                                                   schedule_delay_millis=100))
    tracer = provider.get_tracer("agentops-otel-e2e-metrics")
    now = time.time_ns() - 60_000_000_000
    for i, (state, millis, cost) in enumerate(roots):
        start = now + i * 1_000_000
        span = tracer.start_span("invoke_agent support", start_time=start, attributes={
            "session.id": f"s-{uuid.uuid4().hex[:8]}", "gen_ai.agent.name": "support",
            "agentops.session.end_state": state, "agentops.session.cost_micros": cost,
            "agentops.session.cost_complete": True})
        if state == "Fail":
            span.set_status(Status(StatusCode.ERROR, "failed"))
        span.end(end_time=start + millis * 1_000_000)
    assert provider.force_flush(10_000)
    provider.shutdown()


def test_readme_promql_returns_failure_rate_cost_per_hour_and_p95_duration(
    jaeger: JaegerBackend, otelcol_factory: CollectorFactory, own_prometheus: PrometheusBackend
) -> None:
    """The README's ready queries give the known failure rate, cost per hour and p95 duration."""
    readme = (REPO / "README.md").read_text()
    for query in (FAILURE_RATE, COST_PER_HOUR, P95_SECONDS):
        assert query in readme, f"README no longer shows: {query}"
    collector = otelcol_factory.start(
        "session-metrics.yaml", env={"AGENTOPS_PROMETHEUS_OTLP_ENDPOINT": own_prometheus.otlp_endpoint})
    # 20 sessions: 5 failed; 18 took 300 ms and 2 took 3 s; $0.0125 each ($0.25 in all).
    roots = [("Fail" if i % 4 == 0 else "Success", 3_000 if i >= 18 else 300, 12_500) for i in range(20)]
    push_session_roots(collector.otlp_http_endpoint, new_service("promql"), roots)

    # The connectors flush on their own clocks: wait until both have pushed everything.
    own_prometheus.wait_for("sum(agentops_session_calls_total)", lambda v: v == 20)
    own_prometheus.wait_for("sum(agentops_session_cost_micros_total)", lambda v: v == 250_000)
    assert own_prometheus.scalar(COST_PER_HOUR) == 0.25
    assert own_prometheus.scalar(FAILURE_RATE) == 0.25
    # 0.95 * 20 = the 19th session: in the (2 s, 5 s] bucket, half way between its 18th and 20th.
    assert own_prometheus.scalar(P95_SECONDS) == pytest.approx(3.5)


def _gate(prometheus: PrometheusBackend, *args: str) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    code = cli_main(["gate", "--source", prometheus.source, "--since", "10m", *args, "--json"],
                    stdout=out, stderr=io.StringIO())
    return code, json.loads(out.getvalue())


def test_gate_over_prometheus_counts_the_example_agents_failed_sessions(
    jaeger: JaegerBackend, otelcol_factory: CollectorFactory, prometheus: PrometheusBackend
) -> None:
    """gate --source prometheus:// counts the agent's sessions and failures exactly, by service and by run."""
    collector = otelcol_factory.start(
        "session-metrics.yaml", env={"AGENTOPS_PROMETHEUS_OTLP_ENDPOINT": prometheus.otlp_endpoint})
    service = new_service("gate-prom")
    run_id = f"ci-{uuid.uuid4().hex[:8]}"
    sessions, _ = run_agent([BILLING, MISSING_ID, GENERAL, MISSING_ID, BILLING],
                            agent_env(collector.otlp_grpc_endpoint, "grpc", service,
                                      {"AGENTOPS_OTEL_RUN_ID": run_id}))
    failed = sum(1 for s in sessions if s["end_state"] == "Fail")
    assert 0 < failed < len(sessions)
    cost = sum(s["cost_micros"] for s in sessions) / 1e6

    deadline = time.monotonic() + 40
    code, doc = _gate(prometheus, "--service", service, "--max-failure-rate", "0")
    while doc["sessions"] < len(sessions) and time.monotonic() < deadline:
        time.sleep(0.5)
        code, doc = _gate(prometheus, "--service", service, "--max-failure-rate", "0")
    assert (doc["sessions"], doc["failures"]) == (len(sessions), failed)
    assert doc["total_cost_usd"] == pytest.approx(cost, abs=1e-6)
    assert code == 1  # failures above a 0% bound
    code, doc = _gate(prometheus, "--service", service, "--max-failure-rate", str(failed / len(sessions)))
    assert code == 0 and doc["ok"]
    code, doc = _gate(prometheus, "--run", run_id, "--max-failure-rate", "1")
    assert (code, doc["sessions"], doc["failures"], doc["run"]) == (0, len(sessions), failed, run_id)
    code, doc = _gate(prometheus, "--service", "no-such-service", "--max-failure-rate", "1")
    assert code == 3 and doc["sessions"] == 0 and doc["verdict"] == "INSUFFICIENT DATA"


ENDED_BY_THE_AGENT = '''
import agentops_otel as agentops

def test_agent_ends_success_then_the_test_fails(agent_session):
    agentops.end_session("Success")  # what ported AgentOps code does at the end of an agent run
    assert False, "the agent gave the wrong answer"

def test_agent_ends_success_and_the_test_passes(agent_session):
    agentops.end_session("Success")

def test_agent_ends_indeterminate_then_the_test_fails(agent_session):
    agentops.end_session("Indeterminate")
    assert False, "the agent gave up"

def test_agent_ends_fail_and_the_test_fails(agent_session):
    agentops.end_session("Fail")
    assert False, "the agent failed"
'''


def test_gate_over_prometheus_fails_tests_whose_session_the_agent_had_ended(
    jaeger: JaegerBackend, otelcol_factory: CollectorFactory, prometheus: PrometheusBackend,
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch  # after the backends: pytester moves HOME
) -> None:
    """A test failing after the code under test ended its session Success (or Indeterminate) is a failure
    for gate --source prometheus://, as for the file gate; one that ended Fail is counted once."""
    collector = otelcol_factory.start(
        "session-metrics.yaml", env={"AGENTOPS_PROMETHEUS_OTLP_ENDPOINT": prometheus.otlp_endpoint})
    service, run_id = new_service("late-fail"), f"ci-{uuid.uuid4().hex[:8]}"
    for var in [v for v in os.environ if v.startswith(("OTEL_", "AGENTOPS_"))]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.otlp_http_endpoint)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    monkeypatch.setenv("OTEL_SERVICE_NAME", service)
    monkeypatch.setenv("AGENTOPS_OTEL_RUN_ID", run_id)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_agent=ENDED_BY_THE_AGENT)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1, failed=3)

    deadline = time.monotonic() + 30
    code, doc = _gate(prometheus, "--service", service, "--max-failure-rate", "0.5")
    while (doc["sessions"], doc["failures"]) != (4, 3) and time.monotonic() < deadline:
        time.sleep(0.5)
        code, doc = _gate(prometheus, "--service", service, "--max-failure-rate", "0.5")
    assert (code, doc["sessions"], doc["failures"]) == (1, 4, 3), doc
    assert doc["by_end_state"] == {"Success": 1, "Indeterminate": 0, "Fail": 3}
    code, doc = _gate(prometheus, "--run", run_id, "--tag", "test", "--max-failure-rate", "0.5")
    assert (code, doc["sessions"], doc["failures"]) == (1, 4, 3), doc  # filtered alike
