"""Tests run at once in threads of one process (a thread-parallel runner): each test's sessions stay its own."""

from __future__ import annotations

import os
import threading

import pytest
from opentelemetry import context as otel_context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel import pytest_plugin
from agentops_otel.instrument.openai import instrument_openai, uninstrument_openai
from agentops_otel.testing import OpenAIServer

pytest_plugins = ["pytester"]

QUIET = ("-p", "no:hypothesispytest", "-p", "no:cacheprovider")

THREADED_RUNNER = '''
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from _pytest.runner import SetupState

FINISHED = {}


class _PerThread:
    """pytest's setup stack, one per worker thread, as a thread-parallel runner keeps it."""

    def __init__(self):
        self._local = threading.local()

    def __getattr__(self, name):
        if not hasattr(self._local, "state"):
            self._local.state = SetupState()
        return getattr(self._local.state, name)


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    session._setupstate = _PerThread()
    for item in session.items:
        FINISHED[item.name] = threading.Event()
    with ThreadPoolExecutor(len(session.items)) as pool:
        list(pool.map(lambda item: item.ihook.pytest_runtest_protocol(item=item, nextitem=None), session.items))
    return True


def pytest_runtest_logfinish(nodeid, location):
    FINISHED[nodeid.rpartition("::")[2]].set()
'''

TESTS = '''
import agentops_otel as agentops
from conftest import FINISHED

@agentops.tool
def step(i):
    return i

def test_fast():
    step(1)

def test_slow():
    agent = agentops.start_session("agent")
    assert FINISHED["test_fast"].wait(10)  # test_fast has run its teardown meanwhile
    step(2)
    agentops.end_session("Success")
    assert agent.end_state_reason is None, agent.end_state_reason
    assert agent.tool_calls == 1
'''


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
            span_exporter: InMemorySpanExporter) -> pytest.Pytester:
    """A project run in this process (its spans reach ``span_exporter``), no exporter settings inherited."""
    for var in [v for v in os.environ if v.startswith(("OTEL_", "AGENTOPS_"))]:
        monkeypatch.delenv(var)
    monkeypatch.setattr(pytest_plugin, "_initialised", True)
    pytester.makeini("[pytest]\nagentops_session_per_test = true\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makeconftest(THREADED_RUNNER)
    return pytester


def test_a_test_finishing_first_leaves_a_running_tests_sessions_open(
        project: pytest.Pytester, span_exporter: InMemorySpanExporter) -> None:
    """The teardown of a test that finished first ends neither another running test's session nor its agent's."""
    project.makepyfile(test_par=TESTS)
    project.runpytest_inprocess(*QUIET).assert_outcomes(passed=2)
    roots = {(s.attributes or {}).get("agentops.session.name"): dict(s.attributes or {})
             for s in span_exporter.get_finished_spans() if s.name.startswith("invoke_agent")}
    assert roots["test_slow"]["agentops.session.end_state"] == "Success"
    assert roots["test_slow"]["agentops.session.tool_calls"] == 1
    assert roots["agent"]["agentops.session.end_state"] == "Success"


class _SlowStartDuringFastTeardown(SpanProcessor):
    """Forces one interleaving: ``test_slow``'s session starts after ``test_fast``'s setup and is still
    starting (its root span's ``on_start``, a user's processor taking its time) while ``test_fast`` is
    torn down; a plugin object of the inner run holds each test at its step, this processor the start."""

    def __init__(self) -> None:
        self.fast_running, self.slow_starting, self.fast_ended = (threading.Event() for _ in range(3))
        self.timed_out: list[str] = []

    def _wait(self, event: threading.Event, what: str) -> None:
        if not event.wait(10):
            self.timed_out.append(what)

    def on_start(self, span: Span, parent_context: otel_context.Context | None = None) -> None:
        if span.name == "invoke_agent test_slow":
            self.slow_starting.set()
            self._wait(self.fast_ended, "test_fast's session to end")

    def on_end(self, span: ReadableSpan) -> None:
        if span.name == "invoke_agent test_fast":
            self.fast_ended.set()

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        if nodeid.endswith("::test_slow"):
            self._wait(self.fast_running, "test_fast to run")

    def pytest_runtest_call(self, item: pytest.Item) -> None:
        if item.name == "test_fast":
            self.fast_running.set()
            self._wait(self.slow_starting, "test_slow's session to start")


def test_a_test_torn_down_while_another_tests_session_starts_leaves_that_session_to_its_test(
        project: pytest.Pytester, tracer_provider: TracerProvider, span_exporter: InMemorySpanExporter) -> None:
    """A test's session still starting while another test is torn down is ended by its own test, once."""
    order = _SlowStartDuringFastTeardown()
    tracer_provider.add_span_processor(order)
    project.makepyfile(test_par="def test_fast():\n    pass\n\ndef test_slow():\n    pass\n")
    project.runpytest_inprocess(*QUIET, plugins=[order]).assert_outcomes(passed=2)
    assert order.timed_out == []
    roots = [dict(s.attributes or {}) for s in span_exporter.get_finished_spans() if s.name == "invoke_agent test_slow"]
    assert [(r["agentops.session.end_state"], r.get("agentops.session.end_reason")) for r in roots] == [
        ("Success", None)]


MARKED = '''
import os
import threading
import pytest
import agentops_otel as agentops
from openai import OpenAI
from conftest import FINISHED

BOUNDED_RUNNING = threading.Event()

def _call():
    client = OpenAI(base_url=os.environ["TEST_OPENAI_URL"], api_key="sk-test", max_retries=0)
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])

@pytest.mark.agent_cost_limit(llm_calls=1)
def test_bounded():
    _call()
    BOUNDED_RUNNING.set()
    assert FINISHED["test_busy"].wait(10)  # the other test spent meanwhile

def test_busy():
    assert BOUNDED_RUNNING.wait(10)
    with agentops.session("busy agent"):  # started while the bounded test runs
        _call()
        _call()
'''


def test_a_tests_cost_limit_leaves_out_a_test_running_beside_it(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bounded test is not charged for the calls of another test running at the same time."""
    instrument_openai()
    try:
        with OpenAIServer() as server:
            monkeypatch.setenv("TEST_OPENAI_URL", server.base_url)
            project.makepyfile(test_par=MARKED)
            result = project.runpytest_inprocess(*QUIET)
    finally:
        uninstrument_openai()
    result.assert_outcomes(passed=2)
