"""Assertion and test verdicts travel with the session as ``gen_ai.evaluation.result`` events.

Wire names are spelled out (not taken from ``semconv``) so a misspelt constant fails here.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import _redact, pytest_plugin
from agentops_otel.read import records_from_spans
from agentops_otel.reassemble import reassemble
from agentops_otel.render.json import render_json
from agentops_otel.render.text import render_text
from agentops_otel.testing import AgentAssertionError, assert_tool_called, assert_tool_not_called

pytest_plugins = ["pytester"]

EVENT = "gen_ai.evaluation.result"


def _verdicts(span: ReadableSpan) -> list[dict[str, Any]]:
    return [dict(e.attributes or {}) for e in span.events if e.name == EVENT]


def _roots(exporter: InMemorySpanExporter) -> dict[str, ReadableSpan]:
    return {s.name: s for s in exporter.get_finished_spans() if s.name.startswith("invoke_agent ")}


@agentops.tool
def lookup(customer_id: str) -> str:
    return customer_id


def _run_agent() -> agentops.Session:
    with agentops.session("support") as s:
        lookup("c-1")
    return s


def test_an_assertion_on_a_running_session_is_an_event_on_its_root(span_exporter: InMemorySpanExporter) -> None:
    """Checked while the session runs, the verdict is an event on the session's root span."""
    with agentops.session("support") as s:
        lookup("c-1")
        assert_tool_called(s, "lookup", times=1)
    (root,) = _roots(span_exporter).values()
    assert _verdicts(root) == [{
        "gen_ai.evaluation.name": "assert_tool_called", "gen_ai.evaluation.score.label": "pass",
        "gen_ai.evaluation.score.value": 1.0,
        "gen_ai.evaluation.explanation": "assert_tool_called('lookup', times=1)"}]


def test_an_assertion_on_an_ended_session_is_a_child_span_of_its_root(span_exporter: InMemorySpanExporter) -> None:
    """After the session ended, a failed check is an `evaluation` span under its root carrying the event."""
    s = _run_agent()
    with pytest.raises(AgentAssertionError):
        assert_tool_not_called(s, "lookup")
    root = _roots(span_exporter)["invoke_agent support"]
    (span,) = [x for x in span_exporter.get_finished_spans() if x.name == "evaluation assert_tool_not_called"]
    assert span.parent is not None and span.parent.span_id == root.context.span_id
    assert span.context.trace_id == root.context.trace_id
    assert (span.attributes or {})["session.id"] == s.id
    (verdict,) = _verdicts(span)
    assert verdict["gen_ai.evaluation.score.label"] == "fail"
    assert verdict["gen_ai.evaluation.score.value"] == 0.0
    assert verdict["gen_ai.evaluation.explanation"].startswith("expected 'lookup' not to be called")
    assert "Session URL" not in verdict["gen_ai.evaluation.explanation"]  # the replay stays out


def test_the_replay_shows_the_verdicts_and_no_extra_step(span_exporter: InMemorySpanExporter) -> None:
    """Text and JSON replays list each verdict; the evaluation span is not a step of the session."""
    s = _run_agent()
    assert_tool_called(s, "lookup")
    with pytest.raises(AgentAssertionError):
        assert_tool_not_called(s, "lookup")
    timeline = reassemble(records_from_spans(span_exporter.get_finished_spans())).timeline_for(s.id)
    assert [st.name for st in timeline.steps] == ["lookup"]
    assert [(e.name, e.label) for e in timeline.summary.evaluations] == [
        ("assert_tool_called", "pass"), ("assert_tool_not_called", "fail")]
    text = render_text(timeline, color=False)
    assert "✓ pass assert_tool_called: assert_tool_called('lookup')" in text
    assert "✗ fail assert_tool_not_called: expected 'lookup' not to be called" in text
    doc = json.loads(render_json(timeline))
    assert [(e["name"], e["label"], e["score"]) for e in doc["summary"]["evaluations"]] == [
        ("assert_tool_called", "pass", 1.0), ("assert_tool_not_called", "fail", 0.0)]
    assert s.timeline().summary.evaluations == timeline.summary.evaluations  # in-process replay too


def test_a_late_verdict_does_not_lengthen_the_session(span_exporter: InMemorySpanExporter) -> None:
    """A check made well after the session ended leaves its duration and its end marker at the root's end."""
    s = _run_agent()
    time.sleep(0.3)
    assert_tool_called(s, "lookup")
    timeline = reassemble(records_from_spans(span_exporter.get_finished_spans())).timeline_for(s.id)
    assert timeline.summary.duration_s < 0.2
    assert json.loads(render_json(timeline))["summary"]["duration_s"] < 0.2
    (end_line,) = [line for line in render_text(timeline, color=False).splitlines() if "Session ended" in line]
    assert end_line.startswith("00:00.0"), end_line
    assert [e.name for e in timeline.summary.evaluations] == ["assert_tool_called"]  # still shown


def test_a_check_on_a_timeline_read_back_is_recorded_under_its_root(span_exporter: InMemorySpanExporter) -> None:
    """An assertion on a session read back from a backend records its verdict in that session's trace."""
    s = _run_agent()
    timeline = reassemble(records_from_spans(span_exporter.get_finished_spans())).timeline_for(s.id)
    assert_tool_called(timeline, "lookup")
    (span,) = [x for x in span_exporter.get_finished_spans() if x.name == "evaluation assert_tool_called"]
    assert span.parent is not None
    assert format(span.parent.span_id, "016x") == timeline.summary.root_span_id
    assert format(span.context.trace_id, "032x") == timeline.summary.trace_ids[0]
    assert (span.attributes or {})["session.id"] == s.id


def test_a_nested_sessions_verdict_shows_in_the_enclosing_replay(span_exporter: InMemorySpanExporter) -> None:
    """A check on an agent's session inside a test's session is listed in the test session's replay."""
    with agentops.session("test") as outer:
        inner = _run_agent()
        assert_tool_called(inner, "lookup")
    (verdict,) = outer.timeline().summary.evaluations
    assert (verdict.name, verdict.label, verdict.session_id) == ("assert_tool_called", "pass", inner.id)


OUTCOMES = '''
import pytest
import agentops_otel as agentops
from agentops_otel import LLMEvent

def test_passes(agent_session):
    pass

def test_fails(agent_session):
    assert 1 == 2, "wrong answer"

def test_skipped(agent_session):
    pytest.skip("not today")

@pytest.mark.agent_cost_limit(usd=0.001)
def test_over_budget():
    agentops.record(LLMEvent(model="gpt-4o", prompt_tokens=100, completion_tokens=10, cost=0.002))
'''


@pytest.fixture
def inline(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
           span_exporter: InMemorySpanExporter) -> pytest.Pytester:
    """A project run in this process: the plugin's sessions reach ``span_exporter``."""
    monkeypatch.setattr(pytest_plugin, "_initialised", True)
    pytester.makeini("[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n")
    return pytester


def test_test_outcomes_are_recorded_on_the_test_sessions(inline: pytest.Pytester,
                                                          span_exporter: InMemorySpanExporter) -> None:
    """pass/fail/skip and the cost-limit marker's verdict are gen_ai.evaluation.result events on the test's root."""
    inline.makepyfile(test_outcomes=OUTCOMES)
    inline.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1, failed=2, skipped=1)
    found = {name: [(v["gen_ai.evaluation.name"], v["gen_ai.evaluation.score.label"],
                     v.get("gen_ai.evaluation.score.value"), v.get("gen_ai.evaluation.explanation"))
                    for v in _verdicts(root)] for name, root in _roots(span_exporter).items()}
    assert found == {
        "invoke_agent test_passes": [("pytest", "pass", 1.0, "test passed")],
        "invoke_agent test_fails": [("pytest", "fail", 0.0, "test failed: AssertionError: wrong answer")],
        "invoke_agent test_skipped": [("pytest", "skip", None, "test skipped: not today")],
        "invoke_agent test_over_budget": [
            ("agent_cost_limit", "fail", 0.0,
             "agent_cost_limit exceeded: cost $0.002 is over the limit of $0.001."),
            ("pytest", "fail", 0.0,
             "test failed: Failed: agent_cost_limit exceeded: cost $0.002 is over the limit of $0.001.")],
    }


def _no_emails(attribute: str, value: Any) -> Any:
    return json.loads(re.sub(r"[\w.+-]+@[\w-]+\.[\w.]+", "<email>", json.dumps(value)))


@pytest.fixture
def email_hook(tracer_provider: TracerProvider) -> Iterator[None]:
    """``init(redact=)`` with a hook that replaces e-mail addresses, removed after the test."""
    agentops.init(tracer_provider=tracer_provider, instrument_llm_calls=False, redact=_no_emails)
    yield
    _redact.set_hook(None)


def _explanations(exporter: InMemorySpanExporter) -> list[str]:
    return [v["gen_ai.evaluation.explanation"] for s in exporter.get_finished_spans() for v in _verdicts(s)]


def test_the_redaction_hook_sees_an_assertions_explanation(span_exporter: InMemorySpanExporter,
                                                            email_hook: None) -> None:
    """What an assertion was called with, echoed in its verdict, goes through ``init(redact=)``."""
    s = _run_agent()
    with pytest.raises(AgentAssertionError, match=r"alice@example\.com"):
        assert_tool_called(s, "notify alice@example.com")
    assert_tool_not_called(s, "email bob@example.com")
    failed, passed = _explanations(span_exporter)
    assert failed.startswith("expected 'notify <email>' to be called at least once") and "@" not in failed
    assert passed == "assert_tool_not_called('email <email>')"


def test_the_redaction_hook_sees_a_failing_tests_message(inline: pytest.Pytester,
                                                          span_exporter: InMemorySpanExporter,
                                                          email_hook: None) -> None:
    """A test's failure message, recorded as its pytest verdict, goes through ``init(redact=)``."""
    inline.makepyfile(test_reply='''
        def test_reply_has_no_email(agent_session):
            reply = "Contact alice@example.com for a refund"
            assert "@" not in reply, reply
    ''')
    inline.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(failed=1)
    assert _explanations(span_exporter) == ["test failed: AssertionError: Contact <email> for a refund"]
