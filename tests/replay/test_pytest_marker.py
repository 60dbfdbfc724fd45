"""``@pytest.mark.agent_replay``: record once against a live model, then replay offline; VCR-style modes."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

import agentops_otel
from agentops_otel.testing import OpenAIServer

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.slow  # each scenario runs pytest in a subprocess

TESTS = '''
import os
import pytest
from openai import OpenAI
from agentops_otel import tool
from agentops_otel.instrument.openai import instrument_openai

@tool
def lookup(customer_id):
    return {"id": customer_id}

def run_agent():
    client = OpenAI(base_url=os.environ["LLM_URL"], max_retries=0)
    question = os.environ.get("QUESTION", "who is 4417?")
    first = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": question}])
    customer = lookup("4417")
    return first.choices[0].message.content, customer

@pytest.mark.agent_replay("cassettes/agent.json")
def test_agent(agent_replay):
    instrument_openai()
    answer, customer = run_agent()
    assert customer == {"id": "4417"}
    assert os.environ.get("FAIL_TEST") is None
'''


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for var in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "AGENTOPS_OTEL_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PYTHONPATH", str(Path(agentops_otel.__file__).parents[1]))  # this checkout, not another
    monkeypatch.setenv("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "agentops_anthropic")  # its init() skips that import
    pytester.makepyfile(test_agent=TESTS)
    return pytester


@pytest.fixture
def live(monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIServer]:
    server = OpenAIServer().start()
    monkeypatch.setenv("LLM_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local")
    yield server
    server.close()


def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("LLM_URL", f"http://127.0.0.1:{port}/v1")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def test_auto_records_when_missing_then_replays_offline(project: pytest.Pytester, live: OpenAIServer,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """First run records the cassette next to the test; the second passes with no server and no key."""
    project.runpytest_subprocess().assert_outcomes(passed=1)
    cassette = project.path / "cassettes" / "agent.json"
    assert [s["kind"] for s in json.loads(cassette.read_text())["steps"]] == ["llm", "tool"]
    _offline(monkeypatch)
    project.runpytest_subprocess().assert_outcomes(passed=1)


def test_replay_mode_without_cassette_fails_clearly(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """--record-mode=replay (VCR 'none') never records: a missing cassette fails the test, naming it."""
    _offline(monkeypatch)
    result = project.runpytest_subprocess("--record-mode=none")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*no cassette at *cassettes/agent.json*"])


def test_a_behaviour_change_fails_with_the_divergence(project: pytest.Pytester, live: OpenAIServer,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Replaying after the agent changed its question fails the test with the divergent step."""
    project.runpytest_subprocess().assert_outcomes(passed=1)
    _offline(monkeypatch)
    monkeypatch.setenv("QUESTION", "who is 2093?")
    result = project.runpytest_subprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*diverged at step 0: the llm gpt-4o-mini request differs*",
                                 '*+*"content": "who is 2093?",'])


def test_record_mode_rewrites_and_a_failing_run_is_not_saved(project: pytest.Pytester, live: OpenAIServer,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """--record-mode=record re-records a passing test; a failing one leaves the old cassette alone."""
    project.runpytest_subprocess().assert_outcomes(passed=1)
    cassette = project.path / "cassettes" / "agent.json"
    before = cassette.read_text()
    monkeypatch.setenv("QUESTION", "who is 2093?")
    monkeypatch.setenv("FAIL_TEST", "1")
    project.runpytest_subprocess("--record-mode=record").assert_outcomes(failed=1)
    assert cassette.read_text() == before
    monkeypatch.delenv("FAIL_TEST")
    project.runpytest_subprocess("--record-mode=all").assert_outcomes(passed=1)
    assert "who is 2093?" in cassette.read_text()


def test_a_hand_edited_cassette_fails_before_the_agent_runs(project: pytest.Pytester, live: OpenAIServer,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A cassette cut by hand fails the test with what is wrong, without calling anything."""
    project.runpytest_subprocess().assert_outcomes(passed=1)
    cassette: Path = project.path / "cassettes" / "agent.json"
    cassette.write_text(cassette.read_text()[:300])
    sent = len(live.requests)
    result = project.runpytest_subprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*cassette *agent.json is truncated or not JSON*"])
    assert len(live.requests) == sent
