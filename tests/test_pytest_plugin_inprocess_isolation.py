"""A project run in this process (pytester) leaves the SDK clients of the tests after it working as before."""

from __future__ import annotations

import openai
import pytest
from openai import OpenAI

from agentops_otel.testing import OpenAIServer, Reply

pytest_plugins = ["pytester"]

QUIET = ("-p", "no:hypothesispytest", "-p", "no:cacheprovider")

CALLS_OPENAI = '''
import os
from openai import OpenAI

def test_call():
    with OpenAI(base_url=os.environ["TEST_OPENAI_URL"], api_key="sk-test", max_retries=0) as client:
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
'''


def test_a_timeout_after_an_in_process_run_is_still_openais_timeout(pytester: pytest.Pytester,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """After an in-process run whose test called openai, a call that times out still raises APITimeoutError."""
    with OpenAIServer() as server:
        monkeypatch.setenv("TEST_OPENAI_URL", server.base_url)
        pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
        pytester.makepyfile(test_inner=CALLS_OPENAI)
        pytester.runpytest_inprocess(*QUIET).assert_outcomes(passed=1)
        server.queue(Reply.text("too late", delay=2.0))
        with OpenAI(base_url=server.base_url, api_key="sk-local", max_retries=0, timeout=0.2) as client, \
                pytest.raises(openai.APITimeoutError):
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
