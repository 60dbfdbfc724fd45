"""The behavioural suite's harness: the local LLM server, the broken agent.

``llm_server`` starts :class:`~agentops_otel.testing.OpenAIServer` once per run, answering like a
plausible model (:func:`examples.support_agent.fake_llm.support_llm_responder`), and points both of
the agent's OpenAI clients at it for each test.

With ``SUPPORT_AGENT_BUG=routing|tool_order|cost`` in the environment the suite runs against
:mod:`examples.support_agent.broken` instead of the real agent (swapped in here, before the test
modules import ``run_support_agent``), which is how ``tests/test_broken_agent.py`` shows that each
planted bug fails exactly the tests meant to catch it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import openai
import pytest

from agentops_otel.testing import OpenAIServer
from examples.support_agent import agent, broken
from examples.support_agent.fake_llm import support_llm_responder

if os.environ.get(broken.ENV_VAR):
    broken.install(os.environ[broken.ENV_VAR])


@pytest.fixture(scope="session")
def _support_llm() -> Iterator[OpenAIServer]:
    with OpenAIServer() as server:
        server.set_responder(support_llm_responder)
        yield server


@pytest.fixture(autouse=True)
def llm_server(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> OpenAIServer | None:
    """Every test talks to the local OpenAI-compatible server (the agent's two clients), never the network.

    With ``--real`` (and ``OPENAI_API_KEY`` set) the agent talks to the real API instead and this is None.
    """
    if request.config.getoption("--real", default=False):
        if not os.environ.get("OPENAI_API_KEY"):
            pytest.skip("--real needs OPENAI_API_KEY")
        monkeypatch.setattr(agent, "_client", None)
        return None
    _support_llm: OpenAIServer = request.getfixturevalue("_support_llm")
    monkeypatch.setenv("OPENAI_BASE_URL", _support_llm.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local-test")
    monkeypatch.setattr(openai, "base_url", _support_llm.base_url + "/")  # the module-level client
    monkeypatch.setattr(openai, "api_key", "sk-local-test")
    monkeypatch.setattr(agent, "_client", None)  # the explicit client, rebuilt from the variables
    return _support_llm

