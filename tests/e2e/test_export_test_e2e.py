"""``agentops-otel export-test`` against the real Jaeger: a session read back over its API becomes a
pytest file that replays the agent offline and passes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from _agent import BILLING, MISSING_ID, agent_env, new_service, run_agent
from _backends import JaegerBackend

from agentops_otel.cli import main

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
CALL = "examples.support_agent.agent:run_support_agent"


def _offline_pytest(test: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": str(test.parent)}  # no key, no endpoint
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test),
                           "-o", "asyncio_default_fixture_loop_scope=function"],
                          cwd=test.parent, env=env, capture_output=True, text=True, timeout=300)


def test_jaeger_sessions_export_to_passing_offline_tests(jaeger: JaegerBackend, tmp_path: Path) -> None:
    """A billing session and a failed one, read from Jaeger by session id, each replay as a passing test."""
    service = new_service("agent-export")
    sessions = run_agent([BILLING, MISSING_ID], agent_env(jaeger.otlp_grpc_endpoint, "grpc", service))[0]
    source = jaeger.query_url.replace("http://", "jaeger://")
    for n, (s, message) in enumerate(zip(sessions, [BILLING, MISSING_ID], strict=True)):
        jaeger.wait_for_trace(s["trace_id"], min_spans=s["span_count"])
        test = tmp_path / "suite" / f"test_exported_{n}.py"
        out = io.StringIO()
        code = main(["export-test", s["session_id"], "--source", source, "--call", CALL, "--out", str(test),
                     "--args", json.dumps([message])], stdout=out, stderr=out)
        assert code == 0, out.getvalue()
        run = _offline_pytest(test)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "1 passed" in run.stdout
    # The failed one ended its session Fail itself (end_session), then raised: the trace does not say it raised.
    failed = (tmp_path / "suite" / "test_exported_1.py").read_text()
    assert "except Exception:" in failed and "assert_ended_with(agent, 'Fail')" in failed
