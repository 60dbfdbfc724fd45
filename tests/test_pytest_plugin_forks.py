"""The ``agent_cost_limit`` marker on a test that forks a worker inside its session: the worker's model calls
reach the trace, never the test's session, so no bound of the marker passes on the session's totals alone."""

from __future__ import annotations

import os

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel import pytest_plugin
from agentops_otel.instrument.openai import instrument_openai, uninstrument_openai
from agentops_otel.testing import OpenAIServer

pytest_plugins = ["pytester"]

QUIET = ("-p", "no:hypothesispytest", "-p", "no:cacheprovider")

FORKING = '''
import multiprocessing as mp
import os
import pytest
from openai import OpenAI

def ask(_):
    with OpenAI(base_url=os.environ["TEST_OPENAI_URL"], api_key="sk-test", max_retries=0) as client:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "word " * 500}])

def in_fork_pool():
    with mp.get_context("fork").Pool(1) as pool:
        pool.map(ask, [0])

@pytest.mark.agent_cost_limit(usd=1.0)
def test_usd_bound():
    in_fork_pool()

@pytest.mark.agent_cost_limit(llm_calls=5)
def test_call_bound():
    in_fork_pool()

@pytest.mark.agent_cost_limit(tokens=1_000_000)
def test_token_bound():
    in_fork_pool()
'''


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
            span_exporter: InMemorySpanExporter) -> pytest.Pytester:
    """A project run in this process (its spans reach ``span_exporter``), no exporter settings inherited."""
    for var in [v for v in os.environ if v.startswith(("OTEL_", "AGENTOPS_"))]:
        monkeypatch.delenv(var)
    monkeypatch.setattr(pytest_plugin, "_initialised", True)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    return pytester


@pytest.mark.slow  # a child interpreter
def test_cost_limit_refuses_a_test_that_forked_a_worker_inside_its_session(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each bound of the marker fails naming the fork, never passing on a session that did not see the worker's call."""
    instrument_openai()
    try:
        with OpenAIServer() as server:
            monkeypatch.setenv("TEST_OPENAI_URL", server.base_url)
            project.makepyfile(test_forking=FORKING)
            result = project.runpytest_inprocess(*QUIET)
    finally:
        uninstrument_openai()
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) + outcomes.get("errors", 0) == 3, result.stdout.str()
    for bound in ("usd", "call", "token"):
        result.stdout.fnmatch_lines([f"*test_{bound}_bound*", "agent_cost_limit cannot be checked*", "*forked*"])
