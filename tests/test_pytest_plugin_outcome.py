"""The test's outcome reaches what the gate reads, even when the code under test ended the test's session.

Ported AgentOps code calls ``end_session("Success")`` at the end of an agent run; inside a test that asks
for ``agent_session`` (or with ``agentops_session_per_test``) that ends the test's own session, before the
test's assertion fails. The plugin can no longer change the ended root, so the failure must still reach
the gate, ``sessions`` and ``replay`` through the trace.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel import pytest_plugin
from agentops_otel.cli import main
from agentops_otel.gate import evaluate_gate
from agentops_otel.read import records_from_spans
from agentops_otel.reassemble import reassemble

pytest_plugins = ["pytester"]

QUIET = ("-p", "no:hypothesispytest", "-p", "no:cacheprovider")

ENDS_THEN_FAILS = '''
import agentops_otel as agentops

def test_agent_ends_the_session_then_the_test_fails(agent_session):
    agentops.end_session("Success")  # what ported AgentOps code does at the end of an agent run
    assert False, "the agent gave the wrong answer"

def test_agent_ends_the_session_and_the_test_passes(agent_session):
    agentops.end_session("Success")
'''


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A project whose test ends its own session before failing; no exporter settings from the outer run."""
    for var in [v for v in os.environ if v.startswith(("OTEL_", "AGENTOPS_"))]:
        monkeypatch.delenv(var)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_agent=ENDS_THEN_FAILS)
    return pytester


def test_gate_counts_a_failing_test_whose_session_the_agent_ended_success(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, span_exporter: InMemorySpanExporter) -> None:
    """The gate judges the session by the test's failure, not by the Success the agent ended it with."""
    monkeypatch.setattr(pytest_plugin, "_initialised", True)
    project.runpytest_inprocess(*QUIET).assert_outcomes(passed=1, failed=1)
    timelines = reassemble(records_from_spans(span_exporter.get_finished_spans())).sessions
    states = {t.summary.name: (t.summary.end_state, t.summary.end_reason) for t in timelines}
    assert states == {
        "test_agent_ends_the_session_then_the_test_fails": (
            "Fail", "test failed: AssertionError: the agent gave the wrong answer "
                    "(the session had been ended Success by the code under test)"),
        "test_agent_ends_the_session_and_the_test_passes": ("Success", None),
    }
    result = evaluate_gate(timelines, max_failure_rate=0)
    assert (result.failures, result.sessions, result.verdict) == (1, 2, "FAIL")


def test_the_late_failure_names_the_end_state_the_session_had_and_its_tags_and_run(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, span_exporter: InMemorySpanExporter) -> None:
    """The late Fail verdict says which end state the frozen root shows and carries the root's tags and run,
    so a collector counting sessions by their root (``gate --source prometheus://``) can count it too."""
    monkeypatch.setattr(pytest_plugin, "_initialised", True)
    monkeypatch.setenv("AGENTOPS_OTEL_RUN_ID", "ci-42")
    project.runpytest_inprocess(*QUIET).assert_outcomes(passed=1, failed=1)
    spans = span_exporter.get_finished_spans()
    (late,) = [s for s in spans if (s.attributes or {}).get("agentops.verdict.session_end_state") == "Fail"]
    (root,) = [s for s in spans if s.name == "invoke_agent test_agent_ends_the_session_then_the_test_fails"]
    assert root.attributes is not None and late.attributes is not None
    assert late.attributes["agentops.verdict.root_end_state"] == "Success"
    assert late.attributes["agentops.tags"] == root.attributes["agentops.tags"]
    assert late.attributes["agentops.run.id"] == "ci-42" == root.attributes["agentops.run.id"]
    assert "agentops.session.parent_id" not in late.attributes  # the test's session is a run of its own


@pytest.fixture
def recorded(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The project run as CI would, writing its sessions to a file."""
    traces = project.path / "traces.jsonl"
    monkeypatch.setenv("AGENTOPS_OTEL_FILE", str(traces))
    result = project.runpytest_subprocess(*QUIET)
    result.assert_outcomes(passed=1, failed=1)
    return traces


def _cli(*args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), stdout=out, stderr=err)
    return code, out.getvalue() + err.getvalue()


@pytest.mark.slow  # pytest in a subprocess
def test_gate_sessions_and_replay_agree_the_failing_test_failed(recorded: Path) -> None:
    """``gate`` fails on it, and ``sessions`` and ``replay`` show the session Fail with the test's reason."""
    code, gate = _cli("gate", "--source", str(recorded), "--max-failure-rate", "0")
    assert code == 1 and "Failed: 1/2" in gate, gate
    _, listing = _cli("sessions", "--source", str(recorded))
    states = sorted(line.split()[4] for line in listing.splitlines()[1:] if line.strip())
    assert states == ["Fail", "Success"], listing
    _, replay = _cli("replay", "--source", str(recorded), "--no-color")
    assert "Fail" in replay and "the session had been ended Success by the code under test" in replay, replay
