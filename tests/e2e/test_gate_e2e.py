"""The CI workflow end to end: behavioural tests export their sessions to Jaeger, the gate reads them back.

This is ``examples/ci/agent-tests.yml`` with a real Jaeger: pytest runs with one session per test
(``-o agentops_session_per_test=true``) and ``OTEL_EXPORTER_OTLP_ENDPOINT`` pointing at Jaeger, then
``agentops-otel gate`` (through ``examples/ci/check_session_metrics.py``) fails the build when too
many of those sessions failed, and names them with their links.
"""

from __future__ import annotations

import importlib.util
import io
import json
import time
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from _backends import JaegerBackend

from agentops_otel.cli import main as cli_main

pytestmark = pytest.mark.e2e
pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parents[2]
SUITE = REPO / "examples" / "support_agent" / "tests"


def _check_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_session_metrics",
                                                  REPO / "examples" / "ci" / "check_session_metrics.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _export_to(jaeger: JaegerBackend, monkeypatch: pytest.MonkeyPatch, name: str) -> str:
    """Point the subprocess's sessions at Jaeger under a service name of their own."""
    service = f"{name}-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", jaeger.otlp_http_endpoint)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    monkeypatch.setenv("OTEL_SERVICE_NAME", service)
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    monkeypatch.delenv("SUPPORT_AGENT_BUG", raising=False)
    return service


def _gate(jaeger: JaegerBackend, service: str, max_rate: str, expect_sessions: int) -> dict[str, Any]:
    """The gate's figures, once Jaeger has indexed every session of the run."""
    source = f"jaeger://{jaeger.query_url.removeprefix('http://')}"
    deadline = time.monotonic() + 20
    while True:
        out = io.StringIO()
        cli_main(["gate", "--source", source, "--since", "1h", "--service", service,
                  "--max-failure-rate", max_rate, "--json"], stdout=out, stderr=io.StringIO())
        doc: dict[str, Any] = json.loads(out.getvalue())
        if doc["sessions"] + len(doc["indeterminate"]) >= expect_sessions or time.monotonic() > deadline:
            return doc
        time.sleep(0.5)


def _expected_failures(bug: str) -> set[str]:
    """The example tests a planted bug fails, as tests/test_broken_agent.py pins them (one list, not two)."""
    spec = importlib.util.spec_from_file_location("broken_agent_expectations", REPO / "tests" / "test_broken_agent.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected: set[str] = module.EXPECTED_FAILURES[bug]
    return expected


PROJECT_TESTS = '''
import pytest
import agentops_otel as agentops
from agentops_otel import record_action

@record_action("fetch_customer_data")
def fetch_customer(customer_id):
    if customer_id is None:
        raise ValueError("customer_id cannot be None")
    return {"id": customer_id}

def run_agent(customer_id):
    with agentops.session("support-agent", tags=["support"]):
        return fetch_customer(customer_id)

@pytest.mark.parametrize("customer_id", [str(n) for n in range(9)])
def test_known_customer(customer_id):
    assert run_agent(customer_id)["id"] == customer_id

def test_missing_customer():
    assert run_agent(None)
'''


def test_gate_fails_the_build_over_the_failure_rate(pytester: pytest.Pytester, jaeger: JaegerBackend,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """1 failing test in 10 is a 10% session failure rate: over 5% the script exits 1, under 20% it passes."""
    service = _export_to(jaeger, monkeypatch, "gate-project")
    pytester.makeini("[pytest]\nagentops_session_per_test = true\n"
                     "asyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_agent=PROJECT_TESTS)
    pytester.runpytest_subprocess().assert_outcomes(passed=9, failed=1)

    doc = _gate(jaeger, service, "0.05", expect_sessions=10)
    assert (doc["ok"], doc["sessions"], doc["failures"]) == (False, 10, 1)
    assert doc["broken"] == ["failure rate 10.0% > 5.0%"]

    source = f"jaeger://{jaeger.query_url.removeprefix('http://')}"
    script = _check_script()
    capsys.readouterr()
    assert script.main(["--source", source, "--service", service, "--max-failure-rate", "0.05"]) == 1
    out = capsys.readouterr().out
    assert "Failed: 1/10 = 10.0% (max 5.0%)" in out
    assert f"  {doc['failed_sessions'][0]}  {jaeger.query_url}/trace/" in out  # the failed session's link
    assert out.rstrip().endswith("FAIL: failure rate 10.0% > 5.0%")
    assert script.main(["--source", source, "--service", service, "--max-failure-rate", "0.2"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("PASS")


def test_the_example_suite_passes_the_gate_and_the_broken_agent_fails_it(
        pytester: pytest.Pytester, jaeger: JaegerBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    """The support agent's behavioural suite, as the CI workflow runs it: green gate, then red with a bug."""
    args = (str(SUITE), "--rootdir", str(REPO), "-p", "no:cacheprovider",
            "-o", "agentops_session_per_test=true")

    good = _export_to(jaeger, monkeypatch, "suite-good")
    result = pytester.runpytest_subprocess(*args)
    good_outcomes = result.parseoutcomes()
    assert result.ret == 0
    skipped = good_outcomes.get("skipped", 0)  # a skip is a session too, ended Indeterminate: not judged
    doc = _gate(jaeger, good, "0.05", expect_sessions=good_outcomes["passed"] + skipped)
    assert (doc["ok"], doc["sessions"], doc["failures"]) == (True, good_outcomes["passed"], 0)
    assert len(doc["indeterminate"]) == skipped

    bad = _export_to(jaeger, monkeypatch, "suite-routing-bug")
    monkeypatch.setenv("SUPPORT_AGENT_BUG", "routing")
    result = pytester.runpytest_subprocess(*args)
    outcomes = result.parseoutcomes()
    planted = len(_expected_failures("routing"))
    assert outcomes["failed"] == planted
    ran = outcomes["failed"] + outcomes["passed"]
    doc = _gate(jaeger, bad, "0.05", expect_sessions=ran + outcomes.get("skipped", 0))
    assert doc["ok"] is False and doc["failures"] == planted
    assert doc["sessions"] == ran and len(doc["indeterminate"]) == outcomes.get("skipped", 0)
