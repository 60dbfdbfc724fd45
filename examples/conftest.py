"""Options for the example suites: ``--real`` sends the agent's LLM calls to the real OpenAI API."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--real", action="store_true", default=False,
        help="examples: call the real OpenAI API (needs OPENAI_API_KEY) instead of the local server",
    )
