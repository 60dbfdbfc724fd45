"""A verdict on a session read back (judged later, in another process) joins that session and nothing else:
no phantom session where the session is not, no clock skew where it is."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentops_otel.cli import main

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow  # the agent and the checker run as child interpreters

AGENT = """
import agentops_otel as agentops
agentops.init(service_name="agent")

@agentops.tool
def lookup(x):
    return x

with agentops.session("support") as s:
    lookup(1)
print(s.id)
"""

CHECKER = """
import sys, time
import agentops_otel as agentops
from agentops_otel.read import open_source
from agentops_otel.reassemble import reassemble
from agentops_otel.testing import assert_tool_called

time.sleep(1.5)  # judged well after the session ended
agentops.init(service_name="checker")
timeline = reassemble(open_source(sys.argv[1]).search()).sessions[0]
assert_tool_called(timeline, "lookup")
agentops.shutdown()
"""


def _python(code: str, sink: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOPS_"))}
    env.update(PYTHONPATH=str(ROOT), AGENTOPS_OTEL_FILE=str(sink))
    env["OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"] = "agentops_anthropic"  # no anthropic call: skip its import
    proc = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(args), stdout=out, stderr=out)
    return code, out.getvalue()


def test_a_verdict_written_elsewhere_is_not_a_session_there(tmp_path: Path) -> None:
    """The checker's own file gets the verdict span but lists no session, and the gate finds none to fail."""
    recorded, checker_sink = tmp_path / "agent.jsonl", tmp_path / "checker.jsonl"
    _python(AGENT, recorded)
    _python(CHECKER, checker_sink, str(recorded))
    assert "evaluation" in checker_sink.read_text()
    code, text = _cli("sessions", "--source", str(checker_sink), "--json")
    assert json.loads(text)["sessions"] == [], text
    code, text = _cli("gate", "--source", str(checker_sink), "--max-failure-rate", "0")
    assert code == 3 and "0 sessions" in text, text


def test_a_verdict_written_beside_the_session_is_not_clock_skew(tmp_path: Path) -> None:
    """Judged into the session's own file, the verdict shows in its replay without a clock-skew repair."""
    traces = tmp_path / "traces.jsonl"
    sid = _python(AGENT, traces).strip()
    _python(CHECKER, traces, str(traces))
    _, text = _cli("replay", sid, "--source", str(traces), "--json")
    doc = json.loads(text)
    assert doc["summary"]["issues"] == [], doc["summary"]["issues"]
    assert "lookup" in text and "assert_tool_called" in text, text
