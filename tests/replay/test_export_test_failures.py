"""``agentops-otel export-test`` on a session that failed: the exported test expects the exception that left the
session (not the last tool error the agent handled), and no exception the recording does not show."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel import pytest_plugin
from agentops_otel._otlp_json import encode_batch
from agentops_otel.cli import main
from agentops_otel.testing import OpenAIServer, record

pytest_plugins = ["pytester"]

AGENT = '''
import os
import openai
import agentops_otel as agentops
from agentops_otel import tool

class GaveUp(Exception):
    pass

@tool
def fetch_customer(customer_id):
    raise ValueError(f"no customer {customer_id}")

def _ask(message):
    client = openai.OpenAI(base_url=os.environ["OPENAI_BASE_URL"], api_key="sk-test", max_retries=0)
    return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": message}])

@agentops.session("wraps-the-error")
def wraps(message):
    _ask(message)
    try:
        fetch_customer(message.split()[-1])
    except ValueError as exc:
        raise RuntimeError("gave up") from exc

@agentops.session("own-error")
def own(message):
    _ask(message)
    try:
        fetch_customer(message.split()[-1])
    except ValueError as exc:
        raise GaveUp("gave up") from exc

def handles(message):
    with agentops.start_session("handles-the-error") as session:
        _ask(message)
        try:
            fetch_customer(message.split()[-1])
        except ValueError:
            session.end("Fail", end_state_reason="no such customer")
            return "sorry"
'''


def _exported(pytester: pytest.Pytester, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch,
              call: str) -> Path:
    """``bot.<call>('hello 5')`` run once against a local server (its exception swallowed), exported as a test."""
    pytester.makepyfile(bot=AGENT)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    monkeypatch.syspath_prepend(str(pytester.path))
    monkeypatch.setattr(pytest_plugin, "_initialised", True)  # the inner run uses this process's provider
    import anthropic  # noqa: F401  the replay patches its client too: imported here once, not by the inner run
    with OpenAIServer() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        import bot

        try:
            getattr(bot, call)("hello 5")
        except Exception:
            pass
    del sys.modules["bot"]
    spans = exporter.get_finished_spans()
    [sid] = {str(s.attributes["session.id"]) for s in spans if s.parent is None and s.attributes
             and "session.id" in s.attributes}
    traces = pytester.path / "traces.jsonl"
    traces.write_bytes(encode_batch(spans) + b"\n")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens: the replay answers
    test = pytester.path / "tests" / f"test_{call}.py"
    assert main(["export-test", sid, "--source", str(traces), "--call", f"bot:{call}",
                 "--args", '["hello 5"]', "--out", str(test)], stdout=io.StringIO()) == 0
    return test


def _run(pytester: pytest.Pytester, test: Path) -> pytest.RunResult:
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:hypothesispytest", str(test))


def test_the_exception_that_left_the_agent_is_the_one_expected(
        pytester: pytest.Pytester, span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    """An agent that turns a tool's ValueError into a RuntimeError is exported expecting the RuntimeError."""
    test = _exported(pytester, span_exporter, monkeypatch, "wraps")
    assert "with pytest.raises(RuntimeError):" in test.read_text()
    _run(pytester, test).assert_outcomes(passed=1)


def test_an_agents_own_exception_class_is_expected_as_an_exception(
        pytester: pytest.Pytester, span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    """A class of the agent's own (the test cannot import it) is expected as ``Exception``, not as the tool's."""
    test = _exported(pytester, span_exporter, monkeypatch, "own")
    assert "with pytest.raises(Exception):" in test.read_text()
    _run(pytester, test).assert_outcomes(passed=1)


def test_a_session_the_agent_ended_fail_itself_expects_no_exception(
        pytester: pytest.Pytester, span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    """An agent that handles the tool's error and ends its session Fail itself is not expected to raise it."""
    test = _exported(pytester, span_exporter, monkeypatch, "handles")
    text = test.read_text()
    assert "pytest.raises" not in text and "assert_ended_with(agent, 'Fail')" in text
    _run(pytester, test).assert_outcomes(passed=1)


def test_a_live_recording_keeps_which_exception_left_the_session(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cassette recorded live names the exception that left the agent's session, none when it ended it itself."""
    pytester.makepyfile(bot=AGENT)
    monkeypatch.syspath_prepend(str(pytester.path))
    with OpenAIServer() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        import bot

        raised = []
        for call in ("wraps", "own", "handles"):
            with record() as rec:
                try:
                    getattr(bot, call)("hello 5")
                except Exception:
                    pass
            raised.append(rec.cassette().session.raised)
    del sys.modules["bot"]
    assert raised == ["RuntimeError", "bot.GaveUp", None]
