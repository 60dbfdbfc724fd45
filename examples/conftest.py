"""Options for the example suites: ``--real`` sends the agent's LLM calls to the real API of its provider."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--real", action="store_true", default=False,
        help="examples: call the real OpenAI API (needs OPENAI_API_KEY; ANTHROPIC_API_KEY with "
             "SUPPORT_AGENT_PROVIDER=anthropic) instead of the local server",
    )
