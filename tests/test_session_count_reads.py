"""A test's own read of a session's counts fails where they leave out steps the session never saw, rather than
pass a bound on the steps it did: steps it never saw end, and model calls made while no client was watched.

``assert s.llm_calls <= 3`` or ``assert s.tool_calls == 0`` in a test would pass on what the session object
missed; the cost refuses there already. The agent under test, and programs outside pytest, read numbers.
"""

from __future__ import annotations

import os
import threading

import pytest

import agentops_otel as agentops
from agentops_otel import carry_context, pytest_plugin
from agentops_otel.testing import NotJudgeable

pytest_plugins = ["pytester"]

QUIET = ("-p", "no:hypothesispytest", "-p", "no:cacheprovider")
COUNTS = ("llm_calls", "tool_calls", "actions", "error_count", "input_tokens", "output_tokens", "cache_read_tokens",
          "cache_write_tokens", "reasoning_tokens")

release = threading.Event()


@agentops.tool
def slow_lookup() -> str:
    release.wait(5)
    return "done"


def test_a_tests_read_of_the_counts_of_a_session_that_missed_a_running_step_fails() -> None:
    """A tool still running in a thread when the session ended is in none of its counts: each count, read by the
    test, fails naming it."""
    release.clear()
    with agentops.session("support") as s:
        worker = threading.Thread(target=carry_context(slow_lookup))
        worker.start()
    try:
        for count in COUNTS:
            with pytest.raises(NotJudgeable, match=rf"^session\.{count} cannot be judged: .*slow_lookup"):
                getattr(s, count)
        with pytest.raises(NotJudgeable, match="slow_lookup"):
            assert not s.tool_events
    finally:
        release.set()
        worker.join()


def test_outside_a_running_test_the_counts_of_such_a_session_read_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no pytest test running (``PYTEST_CURRENT_TEST`` unset), the counts are plain numbers."""
    release.clear()
    with agentops.session("support") as s:
        worker = threading.Thread(target=carry_context(slow_lookup))
        worker.start()
    try:
        monkeypatch.delenv("PYTEST_CURRENT_TEST")
        assert (s.tool_calls, s.llm_calls) == (0, 0)
    finally:
        release.set()
        worker.join()


UNWATCHED_TESTS = '''
import agentops_otel as agentops
from openai import OpenAI
from agentops_otel.testing import OpenAIServer

@agentops.tool
def lookup(order):
    return "shipped"

def test_ported_call_bound():
    with OpenAIServer() as server, agentops.session("agent") as s:
        lookup(1)
        OpenAI(base_url=server.base_url, api_key="test", max_retries=0).chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert s.tool_calls == 1
    assert s.llm_calls == 0
'''


@pytest.mark.slow
def test_a_tests_read_of_the_model_counts_without_a_watched_client_fails(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """No init(), no client instrumented: the call the session never saw fails ``assert s.llm_calls == 0``, naming
    why; its tool count, recorded without init(), still reads."""
    for var in [v for v in os.environ if v.startswith(("OTEL_", "AGENTOPS_"))]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    monkeypatch.setattr(pytest_plugin, "_initialised", True)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_agent=UNWATCHED_TESTS)
    result = pytester.runpytest_subprocess(*QUIET)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*assert s.llm_calls == 0*",
                                 "E *NotJudgeable: session.llm_calls cannot be judged: no model client was "
                                 "instrumented*init()*"])
