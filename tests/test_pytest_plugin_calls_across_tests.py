"""The ``agent_cost_limit`` marker charges a test only for the model calls that start while it runs.

A thread a test does not join (a background agent, a fire-and-forget pool) can still be in a model
call when the next test begins. The watch on calls made outside any session sees that call end during
the next test; it belongs to the test that started it, never to the one that happened to be running.
"""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel import pytest_plugin

pytest_plugins = ["pytester"]

QUIET = ("-p", "no:hypothesispytest", "-p", "no:cacheprovider")
"""Plugins the scenarios never use: hypothesis alone takes seconds to import in every run."""

INSTRUMENT = '''
from agentops_otel.instrument.openai import instrument_openai, uninstrument_openai

def pytest_configure(config):
    instrument_openai()  # what init() does in a real run, for the whole run

def pytest_unconfigure(config):
    uninstrument_openai()
'''

LEFT_RUNNING = '''
import threading
import httpx
import openai
import pytest
from agentops_otel.testing import OpenAIServer

class Held(httpx.HTTPTransport):
    """Holds the answer (or fails the call) until the next test lets it go."""

    def __init__(self, fail):
        super().__init__()
        self.fail, self.sent, self.go = fail, threading.Event(), threading.Event()

    def handle_request(self, request):
        response = super().handle_request(request)
        response.read()
        self.sent.set()
        self.go.wait()
        if self.fail:
            raise httpx.ConnectError("connection reset", request=request)
        return response

left = []  # the calls a test started in a thread and did not wait for

@pytest.fixture(scope="module")
def server():
    with OpenAIServer() as s:
        yield s

def leave_a_call_running(server, fail=False):
    """Start a model call in a plain thread (outside any session); return once it is under way."""
    transport = Held(fail)
    client = openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0,
                           http_client=httpx.Client(transport=transport))
    def call():
        try:
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        except openai.APIError:
            pass
    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    left.append((transport, thread))
    transport.sent.wait()

def let_the_earlier_call_end():
    transport, thread = left.pop()
    transport.go.set()
    thread.join()

def test_opted_in_leaves_a_call_running(agent_session, server):
    leave_a_call_running(server)

@pytest.mark.agent_cost_limit(llm_calls=0)
def test_after_the_opted_in_one(server):
    let_the_earlier_call_end()

def test_not_opted_in_leaves_a_failing_call_running(server):
    leave_a_call_running(server, fail=True)

@pytest.mark.agent_cost_limit(usd=1.0, llm_calls=0)
def test_after_the_one_not_opted_in(server):
    let_the_earlier_call_end()

@pytest.mark.agent_cost_limit(usd=1.0)
def test_bounded_leaves_a_call_running(server):
    leave_a_call_running(server)

@pytest.mark.agent_cost_limit(usd=1.0, llm_calls=0)
def test_after_the_bounded_one(server):
    let_the_earlier_call_end()

streams = []

def test_leaves_a_stream_open(server):
    client = openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0)
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}],
                                            stream=True, stream_options={"include_usage": True})
    next(stream)
    streams.append(stream)

@pytest.mark.agent_cost_limit(usd=1.0, llm_calls=0)
def test_after_the_stream(server):
    for _ in streams.pop():
        pass
'''


@pytest.fixture
def inline(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
           span_exporter: InMemorySpanExporter) -> pytest.Pytester:
    """The scenario, run in this process: the plugin skips ``init()`` and its spans reach ``span_exporter``."""
    monkeypatch.setattr(pytest_plugin, "_initialised", True)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makeconftest(INSTRUMENT)
    pytester.makepyfile(test_left_running=LEFT_RUNNING)
    return pytester


def test_a_call_an_earlier_test_left_running_is_not_charged_to_the_next(inline: pytest.Pytester) -> None:
    """A model call an opted-in test left running and that ends during the next test passes that test's
    ``llm_calls=0``: it started before that test did."""
    result = inline.runpytest_inprocess(*QUIET, "-k",
                                        "test_opted_in_leaves_a_call_running or test_after_the_opted_in_one")
    result.assert_outcomes(passed=2)


def test_a_failing_call_left_running_by_a_test_not_opted_in_is_not_charged(inline: pytest.Pytester) -> None:
    """A call that fails during the next test, left by a test without the plugin, leaves that test's usd
    bound checkable: it is none of its calls, known cost or not."""
    result = inline.runpytest_inprocess(*QUIET, "-k", "test_not_opted_in_leaves or test_after_the_one_not_opted_in")
    result.assert_outcomes(passed=2)


def test_a_bounded_test_answers_for_the_call_it_left_running(inline: pytest.Pytester) -> None:
    """The test that started a call still in flight at its end cannot check its usd bound, naming the call;
    the next test, during which the call ends, is not charged for it."""
    result = inline.runpytest_inprocess(*QUIET, "-k", "test_bounded_leaves or test_after_the_bounded_one")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines([
        "*ERROR at teardown of test_bounded_leaves_a_call_running*",
        "agent_cost_limit cannot be checked: some calls have no known cost.",
        "  - chat gpt-4o-mini (outside any session): a call still in flight at the end of the test*",
    ])


def test_a_stream_an_earlier_test_left_open_is_not_charged_to_the_next(inline: pytest.Pytester) -> None:
    """A model stream opened by an earlier test and read to its end in the next one is none of that test's
    calls: it started before."""
    result = inline.runpytest_inprocess(*QUIET, "-k", "test_leaves_a_stream_open or test_after_the_stream")
    result.assert_outcomes(passed=2)
