"""A program reads a session's partly unknown cost as the plain known figure, even one a test started."""

from __future__ import annotations

from pathlib import Path

import pytest
from _subproc import PRELUDE, run_python

pytestmark = pytest.mark.slow  # a child interpreter: make test, not make unit


def test_a_program_compares_an_incomplete_cost_as_before(tmp_path: Path) -> None:
    """Outside a test's own code (here a program a test started, ``PYTEST_CURRENT_TEST`` inherited), an
    incomplete cost is a plain float that compares as it always did: nothing raises into the program."""
    out = run_python(PRELUDE + """
agentops.init()
with OpenAIServer() as server, OpenAI(base_url=server.base_url, api_key="k", max_retries=0) as client:
    with agentops.session("s") as s:
        client.chat.completions.create(model="acme-llm-9", messages=[{"role": "user", "content": "hi"}])
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
print(type(s.cost).__name__, s.cost, s.cost < 0.01, s.cost_complete)
""", tmp_path, env={"PYTEST_CURRENT_TEST": "tests/test_agent.py::test_agent (call)"})
    assert out.splitlines()[-1] == "float 3e-06 True False"
