"""``agentops-otel export-test`` on entry points of each kind, wherever the tests find them: the exported test
runs an ``async def`` agent to its end and passes offline, and nothing of the agent is imported to write it."""

from __future__ import annotations

import asyncio
import io
import sys
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel import pytest_plugin
from agentops_otel._otlp_json import encode_batch
from agentops_otel.cli import main
from agentops_otel.testing import OpenAIServer

pytest_plugins = ["pytester"]

ASYNC_AGENT = '''
import os
import openai
import agentops_otel as agentops
from agentops_otel import record_action, tool

@tool
def fetch_customer(customer_id):
    return {"id": customer_id}

@record_action("classify_intent")
async def classify(message):
    client = openai.AsyncOpenAI(base_url=os.environ["OPENAI_BASE_URL"], api_key="sk-test", max_retries=0)
    response = await client.chat.completions.create(model="gpt-4o",
                                                    messages=[{"role": "user", "content": f"Classify: {message}"}])
    return response.choices[0].message.content

@agentops.session("async-agent")
async def arun_agent(message):
    fetch_customer(message.split()[-1])
    return await classify(message)
'''

GENERATOR_AGENT = '''
import agentops_otel as agentops
from agentops_otel import tool

@tool
def fetch_customer(customer_id):
    return {"id": customer_id}

def stream_agent(message):
    with agentops.session("streaming-agent"):
        yield fetch_customer(message.split()[-1])
'''


def _recorded(pytester: pytest.Pytester, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch,
              source: str, run: str) -> tuple[str, Path]:
    """``source`` saved as ``bot.py`` and ``run`` (an expression on ``bot``) run once against a local server;
    returns its session id and the OTLP file holding it. The module is forgotten, as a new process would."""
    pytester.makepyfile(bot=source)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    monkeypatch.syspath_prepend(str(pytester.path))
    monkeypatch.setattr(pytest_plugin, "_initialised", True)  # the inner run uses this process's provider
    import anthropic  # noqa: F401  the replay patches its client too: imported here once, not by the inner run
    with OpenAIServer() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        import bot

        eval(run, {"bot": bot, "asyncio": asyncio})
    del sys.modules["bot"]
    spans = exporter.get_finished_spans()
    [sid] = {str(s.attributes["session.id"]) for s in spans if s.parent is None and s.attributes
             and "session.id" in s.attributes}
    traces = pytester.path / "traces.jsonl"
    traces.write_bytes(encode_batch(exporter.get_finished_spans()) + b"\n")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens: the replay answers
    return sid, traces


def test_an_async_agent_is_exported_as_a_test_that_runs_it(
        pytester: pytest.Pytester, span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--call bot:arun_agent`` naming an ``async def`` writes a test that runs it to the end: it passes offline."""
    sid, traces = _recorded(pytester, span_exporter, monkeypatch, ASYNC_AGENT,
                            "asyncio.run(bot.arun_agent('hello 5'))")
    test = pytester.path / "tests" / "test_async.py"
    assert main(["export-test", sid, "--source", str(traces), "--call", "bot:arun_agent",
                 "--args", '["hello 5"]', "--out", str(test)], stdout=io.StringIO()) == 0
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:hypothesispytest", str(test))
    result.assert_outcomes(passed=1)
    assert "never awaited" not in result.stdout.str()


def test_a_generator_entry_point_fails_the_exported_test_naming_why(
        pytester: pytest.Pytester, span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    """A generator function does nothing until consumed: the exported test fails, saying so, rather than pass empty."""
    sid, traces = _recorded(pytester, span_exporter, monkeypatch, GENERATOR_AGENT,
                            "list(bot.stream_agent('hello 5'))")
    test = pytester.path / "tests" / "test_stream.py"
    assert main(["export-test", sid, "--source", str(traces), "--call", "bot:stream_agent",
                 "--args", '["hello 5"]', "--out", str(test)], stdout=io.StringIO()) == 0
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:hypothesispytest", str(test))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*bot:stream_agent returned a generator*"])


def test_an_entry_point_that_does_not_import_fails_the_exported_test_at_import(
        pytester: pytest.Pytester, span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    """Export does not import the agent: a --call that does not import fails the test at import, as any would."""
    sid, traces = _recorded(pytester, span_exporter, monkeypatch, GENERATOR_AGENT,
                            "list(bot.stream_agent('hello 5'))")
    test = pytester.path / "tests" / "test_x.py"
    assert main(["export-test", sid, "--source", str(traces), "--call", "no_such_bot:run",
                 "--args", '["hello 5"]', "--out", str(test)], stdout=io.StringIO()) == 0
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:hypothesispytest", str(test))
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*No module named 'no_such_bot'*"])


SRC_LAYOUT_AGENT = '''
import openai
import agentops_otel as agentops
from agentops_otel import tool

client = openai.OpenAI(max_retries=0)  # built at import, as the SDK's README does: needs OPENAI_API_KEY

@tool
def fetch_customer(customer_id):
    return {"id": customer_id}

@agentops.session("src-bot")
def run(message):
    fetch_customer(message.split()[-1])
    return client.chat.completions.create(model="gpt-4o",
                                          messages=[{"role": "user", "content": message}]).choices[0].message.content
'''


def test_an_agent_only_the_tests_can_import_is_exported(
        pytester: pytest.Pytester, span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    """A src layout (pytest's ``pythonpath = src``) whose module needs a key at import exports with neither here."""
    pytester.makeini("[pytest]\npythonpath = src\n")
    package = pytester.path / "src" / "mybot"
    package.mkdir(parents=True)
    (package / "__init__.py").touch()
    (package / "agent.py").write_text(SRC_LAYOUT_AGENT, encoding="utf-8")
    monkeypatch.setattr(pytest_plugin, "_initialised", True)  # the inner run uses this process's provider
    import anthropic  # noqa: F401  the replay patches its client too: imported here once, not by the inner run
    with monkeypatch.context() as recording, OpenAIServer() as server:
        recording.syspath_prepend(str(pytester.path / "src"))
        recording.setenv("OPENAI_BASE_URL", server.base_url)
        recording.setenv("OPENAI_API_KEY", "sk-test")
        from mybot.agent import run  # type: ignore[import-not-found]

        run("hello 5")
    for name in ("mybot.agent", "mybot"):
        del sys.modules[name]
    [sid] = {str(s.attributes["session.id"]) for s in span_exporter.get_finished_spans()
             if s.parent is None and s.attributes and "session.id" in s.attributes}
    traces = pytester.path / "traces.jsonl"
    traces.write_bytes(encode_batch(span_exporter.get_finished_spans()) + b"\n")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    test, err = pytester.path / "tests" / "test_src_bot.py", io.StringIO()

    code = main(["export-test", sid, "--source", str(traces), "--call", "mybot.agent:run",
                 "--args", '["hello 5"]', "--out", str(test)], stdout=io.StringIO(), stderr=err)

    assert code == 0, err.getvalue()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-ci")  # the test's own environment builds the client
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens: the replay answers
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:hypothesispytest", str(test))
    result.assert_outcomes(passed=1)
