"""A failing subtest fails the test's session, as it fails the pytest run.

pytest reports a failing ``unittest.TestCase.subTest`` as its own ``SUBFAILED`` report while the test's
own call report passes (it fails the run, exit 1); pytest 9's ``subtests`` fixture fails the call
report too. Either way the test's session must end ``Fail``, or the gate passes a failing run.
"""

from __future__ import annotations

import os

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel import pytest_plugin
from agentops_otel.gate import evaluate_gate
from agentops_otel.read import records_from_spans
from agentops_otel.reassemble import reassemble

pytest_plugins = ["pytester"]

QUIET = ("-p", "no:hypothesispytest", "-p", "no:cacheprovider")

UNITTEST_SUBTESTS = '''
import unittest

class TestAgent(unittest.TestCase):
    def test_one_of_two_fails(self):
        for prompt in ["refund", "invoice"]:
            with self.subTest(prompt=prompt):
                self.assertEqual(prompt, "refund", "agent routed wrongly")

    def test_body_passes_after_a_failed_subtest(self):
        with self.subTest("routing", case=1):
            self.fail("agent routed wrongly")
        self.assertTrue(True)

    def test_one_of_several_fails(self):
        for i in range(5):
            with self.subTest(i=i):
                self.assertNotEqual(i, 3)

    def test_all_pass(self):
        for i in range(3):
            with self.subTest(i=i):
                self.assertLess(i, 3)
'''

FIXTURE_SUBTESTS = '''
def test_fixture_subtest_fails(subtests):
    for i in range(2):
        with subtests.test(msg="case", i=i):
            assert i == 0, "agent answered wrong"

def test_fixture_subtests_pass(subtests):
    for i in range(2):
        with subtests.test(i=i):
            assert i < 2
'''


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A project running every test in its own session; no exporter settings from the outer run."""
    for var in [v for v in os.environ if v.startswith(("OTEL_", "AGENTOPS_"))]:
        monkeypatch.delenv(var)
    pytester.makeini("[pytest]\nagentops_session_per_test = true\nasyncio_default_fixture_loop_scope = function\n")
    monkeypatch.setattr(pytest_plugin, "_initialised", True)
    return pytester


def _states(span_exporter: InMemorySpanExporter) -> dict[str, tuple[str | None, str | None]]:
    timelines = reassemble(records_from_spans(span_exporter.get_finished_spans())).sessions
    return {t.summary.name or "": (t.summary.end_state, t.summary.end_reason) for t in timelines}


def test_a_failing_unittest_subtest_ends_the_tests_session_fail(
        project: pytest.Pytester, span_exporter: InMemorySpanExporter) -> None:
    """One failing ``subTest`` of two ends the session Fail, naming the subtest and its assertion."""
    project.makepyfile(test_agent=UNITTEST_SUBTESTS)
    result = project.runpytest_inprocess(*QUIET, "-k", "one_of_two")
    assert result.ret == 1
    state, reason = _states(span_exporter)["test_one_of_two_fails"]
    assert state == "Fail"
    assert reason == "test failed: subtest (prompt='invoice') failed: AssertionError: 'invoice' != 'refund'"


def test_a_failing_subtest_fails_the_session_though_the_body_then_passes(
        project: pytest.Pytester, span_exporter: InMemorySpanExporter) -> None:
    """A subtest that fails while the test body goes on and passes still ends the session Fail."""
    project.makepyfile(test_agent=UNITTEST_SUBTESTS)
    assert project.runpytest_inprocess(*QUIET, "-k", "body_passes").ret == 1
    state, reason = _states(span_exporter)["test_body_passes_after_a_failed_subtest"]
    assert state == "Fail" and reason is not None
    assert reason.startswith("test failed: subtest [routing] (case=1) failed: AssertionError: agent routed wrongly")


def test_one_failing_subtest_of_several_fails_the_session_and_the_gate(
        project: pytest.Pytester, span_exporter: InMemorySpanExporter) -> None:
    """One failing subtest among five fails the session, and ``gate --max-failure-rate 0`` fails."""
    project.makepyfile(test_agent=UNITTEST_SUBTESTS)
    assert project.runpytest_inprocess(*QUIET, "-k", "several or all_pass").ret == 1
    states = _states(span_exporter)
    assert states["test_one_of_several_fails"][0] == "Fail"
    assert "subtest (i=3) failed" in (states["test_one_of_several_fails"][1] or "")
    assert states["test_all_pass"] == ("Success", None)
    timelines = reassemble(records_from_spans(span_exporter.get_finished_spans())).sessions
    result = evaluate_gate(timelines, max_failure_rate=0)
    assert (result.failures, result.sessions, result.verdict) == (1, 2, "FAIL")


def test_the_subtests_fixtures_failure_fails_the_session_even_without_the_terminal(
        project: pytest.Pytester, span_exporter: InMemorySpanExporter) -> None:
    """pytest's ``subtests`` fixture: a failing subtest ends the session Fail, passing ones Success, also
    where the terminal reporter (which marks the test itself failed) is off."""
    project.makepyfile(test_agent=FIXTURE_SUBTESTS)
    project.runpytest_inprocess(*QUIET, "-p", "no:terminal")
    states = _states(span_exporter)
    assert states["test_fixture_subtest_fails"][0] == "Fail"
    assert "subtest [case] (i=1) failed: AssertionError: agent answered wrong" in (
        states["test_fixture_subtest_fails"][1] or "")
    assert states["test_fixture_subtests_pass"] == ("Success", None)
