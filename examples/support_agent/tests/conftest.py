"""The behavioural suite's harness: the local LLM server, the broken agent.

``llm_server`` starts :class:`~agentops_otel.testing.OpenAIServer` once per run, answering like a
plausible model (:func:`examples.support_agent.fake_llm.support_llm_responder`), and points both of
the agent's OpenAI clients at it for each test. With ``SUPPORT_AGENT_PROVIDER=anthropic`` the agent
runs on Claude instead, and the same responder answers through
:class:`~agentops_otel.testing.AnthropicServer`: the suite is the same, only the wire differs.

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

from agentops_otel.testing import AnthropicServer, OpenAIServer
from examples.support_agent import agent, broken
from examples.support_agent.fake_llm import support_llm_responder

if os.environ.get(broken.ENV_VAR):
    broken.install(os.environ[broken.ENV_VAR])


@pytest.fixture(scope="session")
def _support_llm() -> Iterator[OpenAIServer]:
    with OpenAIServer() as server:
        server.set_responder(support_llm_responder)
        yield server


@pytest.fixture(scope="session")
def _support_claude() -> Iterator[AnthropicServer]:
    with AnthropicServer() as server:
        server.set_responder(support_llm_responder)
        yield server


@pytest.fixture(autouse=True)
def llm_server(request: pytest.FixtureRequest,
               monkeypatch: pytest.MonkeyPatch) -> OpenAIServer | AnthropicServer | None:
    """Every test talks to the local server of the agent's provider, never the network.

    With ``--real`` (and ``OPENAI_API_KEY``, or ``ANTHROPIC_API_KEY`` on Claude, set) the agent talks to
    the real API instead and this is None.
    """
    on_claude = agent.provider() == "anthropic"
    monkeypatch.setattr(agent, "_claude", None)
    if request.config.getoption("--real", default=False):
        key = "ANTHROPIC_API_KEY" if on_claude else "OPENAI_API_KEY"
        if not os.environ.get(key):
            pytest.skip(f"--real needs {key}")
        monkeypatch.setattr(agent, "_client", None)
        return None
    if on_claude:
        claude: AnthropicServer = request.getfixturevalue("_support_claude")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", claude.base_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-local-test")
        return claude
    _support_llm: OpenAIServer = request.getfixturevalue("_support_llm")
    monkeypatch.setenv("OPENAI_BASE_URL", _support_llm.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local-test")
    monkeypatch.setattr(openai, "base_url", _support_llm.base_url + "/")  # the module-level client
    monkeypatch.setattr(openai, "api_key", "sk-local-test")
    monkeypatch.setattr(agent, "_client", None)  # the explicit client, rebuilt from the variables
    return _support_llm

