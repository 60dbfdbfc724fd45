"""The ``agent_cost_limit`` marker over batch submits: billed later, so a usd bound refuses them, and an
``llm_calls`` bound counts their requests, or refuses a batch whose number of requests is unknown."""

from __future__ import annotations

import anthropic  # noqa: F401  loaded here: the inner run would import both SDKs afresh, for seconds
import openai  # noqa: F401
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel import pytest_plugin
from agentops_otel.testing import AnthropicServer, OpenAIServer  # noqa: F401

pytest_plugins = ["pytester"]

QUIET = ("-p", "no:hypothesispytest", "-p", "no:cacheprovider")
"""Plugins the scenarios never use: hypothesis alone takes seconds to import in every run."""

CONFTEST = '''
import anthropic
import openai
import pytest
from agentops_otel.instrument.anthropic import instrument_anthropic, uninstrument_anthropic
from agentops_otel.instrument.openai import instrument_openai, uninstrument_openai
from agentops_otel.testing import AnthropicServer, OpenAIServer

def pytest_configure(config):
    instrument_openai()  # what init() does in a real run, for the whole run
    instrument_anthropic()

def pytest_unconfigure(config):
    uninstrument_openai()
    uninstrument_anthropic()

@pytest.fixture
def claude():
    with AnthropicServer() as server, anthropic.Anthropic(base_url=server.base_url, api_key="x", max_retries=0) as c:
        yield c

@pytest.fixture
def gpt():
    with OpenAIServer() as server, openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0) as c:
        yield c
'''

TESTS = '''
import threading
import pytest

REQUESTS = [{"custom_id": str(i), "params": {"model": "claude-haiku-4-5", "max_tokens": 8,
             "messages": [{"role": "user", "content": "hi"}]}} for i in range(3)]

def submit(gpt):
    gpt.batches.create(input_file_id="file-abc", endpoint="/v1/chat/completions", completion_window="24h")

@pytest.mark.agent_cost_limit(usd=1.0)
def test_usd_over_a_batch(claude):
    claude.messages.batches.create(requests=REQUESTS)

@pytest.mark.agent_cost_limit(llm_calls=2)
def test_calls_over_a_batch_of_three(claude):
    claude.messages.batches.create(requests=REQUESTS)

@pytest.mark.agent_cost_limit(llm_calls=3)
def test_calls_within_a_batch_of_three(claude):
    claude.messages.batches.create(requests=REQUESTS)

@pytest.mark.agent_cost_limit(llm_calls=100)
def test_calls_over_a_batch_of_unknown_size(gpt):
    submit(gpt)

@pytest.mark.agent_cost_limit(llm_calls=100)
def test_calls_over_a_batch_outside_any_session(gpt):
    thread = threading.Thread(target=submit, args=(gpt,))
    thread.start()
    thread.join()
'''


@pytest.fixture
def inline(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
           span_exporter: InMemorySpanExporter) -> pytest.Pytester:
    """A project run in this process: the plugin skips ``init()`` and its spans reach ``span_exporter``."""
    monkeypatch.setattr(pytest_plugin, "_initialised", True)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_batch_budgets=TESTS)
    return pytester


def test_cost_limit_marker_over_batches(inline: pytest.Pytester) -> None:
    """A usd bound refuses a batch; a call bound counts a batch's requests and refuses one of unknown size,
    in the test's session or outside any session."""
    result = inline.runpytest_inprocess(*QUIET)
    result.assert_outcomes(passed=1, failed=4)
    result.stdout.fnmatch_lines([
        "*_ test_usd_over_a_batch _*",
        "agent_cost_limit cannot be checked: some calls have no known cost.",
        "Calls without a known cost*",
        "  - chat batch at *: batch submitted: its requests run, and are billed, later*",
        "*_ test_calls_over_a_batch_of_three _*",
        "agent_cost_limit exceeded: 3 LLM calls are over the limit of 2.",
        "*batch * (a batch: 3 requests)*",
        "*_ test_calls_over_a_batch_of_unknown_size _*",
        "Batches whose number of requests is unknown (each counted as one LLM call, the least it can be):",
        "  - chat batch at *: a batch whose number of requests is unknown*",
        "*_ test_calls_over_a_batch_outside_any_session _*",
        "Batches whose number of requests is unknown*",
        "  - chat batch at *(outside any session)",
    ])
