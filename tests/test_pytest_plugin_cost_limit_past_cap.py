"""The ``agent_cost_limit`` marker on calls past the span cap (``AGENTOPS_OTEL_MAX_SESSION_SPANS``): a call without
usage or a known cost whose span is no longer held still fails the bound, by name, as one held would.
"""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel import pytest_plugin, semconv

pytest_plugins = ["pytester"]

QUIET = ("-p", "no:hypothesispytest", "-p", "no:cacheprovider")

INSTRUMENT = '''
from agentops_otel.instrument.openai import instrument_openai, uninstrument_openai

def pytest_configure(config):
    instrument_openai()

def pytest_unconfigure(config):
    uninstrument_openai()
'''

PAST_THE_CAP = '''
import threading
import openai
import pytest
import agentops_otel as agentops
from agentops_otel.testing import OpenAIServer

USER = [{"role": "user", "content": "hi"}]

def calls(server):
    """A stream read without usage, then three priced calls: a cap of two holds only the last two."""
    client = openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0)
    for _ in client.chat.completions.create(model="gpt-4o", messages=USER, stream=True):
        pass
    for _ in range(3):
        client.chat.completions.create(model="gpt-4o-mini", messages=USER)

def unpriced_first(server):
    """A call to a model without a price (its usage known), then three priced calls."""
    client = openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0)
    client.chat.completions.create(model="acme-llm-9", messages=USER)
    for _ in range(3):
        client.chat.completions.create(model="gpt-4o-mini", messages=USER)

def in_a_plain_thread(server, target=calls):
    worker = threading.Thread(target=target, args=(server,))  # no session's context: outside any session
    worker.start()
    worker.join()

@pytest.mark.agent_cost_limit(tokens=10**6)
def test_tokens_outside_any_session():
    with OpenAIServer() as server:
        in_a_plain_thread(server)

@pytest.mark.agent_cost_limit(usd=1.0)
def test_cost_outside_any_session():
    with OpenAIServer() as server:
        in_a_plain_thread(server)

@pytest.mark.agent_cost_limit(usd=1.0)
def test_cost_of_an_unpriced_call_outside_any_session():
    with OpenAIServer() as server:
        in_a_plain_thread(server, unpriced_first)

@pytest.mark.agent_cost_limit(tokens=10**6)
def test_tokens_in_the_session():
    with OpenAIServer() as server, agentops.session("agent"):
        calls(server)
'''


@pytest.fixture
def inline(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
           span_exporter: InMemorySpanExporter) -> pytest.Pytester:
    """The scenario, run in this process with a span cap of two."""
    monkeypatch.setattr(pytest_plugin, "_initialised", True)
    monkeypatch.setenv(semconv.ENV_MAX_SESSION_SPANS, "2")
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makeconftest(INSTRUMENT)
    pytester.makepyfile(test_past_cap=PAST_THE_CAP)
    return pytester


@pytest.mark.parametrize("scenario", ["test_tokens_outside_any_session", "test_tokens_in_the_session"])
def test_a_token_limit_fails_on_a_call_without_usage_past_the_cap(inline: pytest.Pytester, scenario: str) -> None:
    """``tokens=`` fails naming the stream without usage whose span is no longer held, in a session or outside one."""
    result = inline.runpytest_inprocess(*QUIET, "-k", scenario)
    result.assert_outcomes(passed=0, failed=1)
    result.stdout.fnmatch_lines(["*Calls without usage*", "  - chat gpt-4o*stream without usage*"])


def test_a_cost_limit_fails_on_a_call_without_a_cost_past_the_cap(inline: pytest.Pytester) -> None:
    """``usd=`` fails naming the stream without usage (so without a cost) made outside any session, past the cap."""
    result = inline.runpytest_inprocess(*QUIET, "-k", "test_cost_outside_any_session")
    result.assert_outcomes(passed=0, failed=1)
    result.stdout.fnmatch_lines(["*Calls without a known cost*", "  - chat gpt-4o*stream without usage*"])


def test_a_cost_limit_fails_on_an_unpriced_call_outside_any_session_past_the_cap(inline: pytest.Pytester) -> None:
    """``usd=`` fails on a call to an unpriced model made outside any session whose span is no longer held."""
    result = inline.runpytest_inprocess(*QUIET, "-k", "test_cost_of_an_unpriced_call_outside_any_session")
    result.assert_outcomes(passed=0, failed=1)
    result.stdout.fnmatch_lines(["*Calls without a known cost*",
                                 "  - some calls outside any session have no known cost*"])
