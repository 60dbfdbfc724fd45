"""``agentops-otel export-test`` on an ``async def`` agent: the exported test awaits it and passes offline."""

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


def test_a_generator_entry_point_is_refused(
        pytester: pytest.Pytester, span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    """A generator function does nothing until consumed: exporting a test that only calls it is refused (exit 2)."""
    sid, traces = _recorded(pytester, span_exporter, monkeypatch, GENERATOR_AGENT,
                            "list(bot.stream_agent('hello 5'))")
    test, err = pytester.path / "tests" / "test_stream.py", io.StringIO()
    code = main(["export-test", sid, "--source", str(traces), "--call", "bot:stream_agent",
                 "--args", '["hello 5"]', "--out", str(test)], stdout=io.StringIO(), stderr=err)
    assert code == 2 and "generator" in err.getvalue() and "bot:stream_agent" in err.getvalue()
    assert not test.exists()


def test_an_entry_point_that_does_not_import_is_refused(
        pytester: pytest.Pytester, span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    """A --call whose module does not import here would not import in the test either: exit 2, naming why."""
    sid, traces = _recorded(pytester, span_exporter, monkeypatch, GENERATOR_AGENT,
                            "list(bot.stream_agent('hello 5'))")
    test, err = pytester.path / "tests" / "test_x.py", io.StringIO()
    code = main(["export-test", sid, "--source", str(traces), "--call", "no_such_bot:run",
                 "--args", '["hello 5"]', "--out", str(test)], stdout=io.StringIO(), stderr=err)
    assert code == 2 and "no_such_bot" in err.getvalue() and "ModuleNotFoundError" in err.getvalue()
    assert not test.exists()
