"""One owner of "our provider": every instrumentation, LLM calls included, follows ``init()``."""

from __future__ import annotations

from pathlib import Path

import pytest
from _subproc import PRELUDE, run_python, run_python_streams

pytestmark = pytest.mark.slow  # each test runs a child interpreter: make test, not make unit


def test_llm_spans_go_to_the_provider_given_to_init(tmp_path: Path) -> None:
    """init(tracer_provider=tp) sends LLM spans to tp and the session counts the call."""
    out = run_python(PRELUDE + """
provider, exporter = memory_provider()
agentops.init(tracer_provider=provider)
with OpenAIServer() as server, OpenAI(base_url=server.base_url, api_key="k", max_retries=0) as client:
    with agentops.session("s") as s:
        chat(client)
print(llm_names(exporter), s.llm_calls, s.cost > 0)
""", tmp_path)
    assert out.split() == ["['chat", "gpt-4o']", "1", "True"]


def test_init_after_shutdown_records_again(tmp_path: Path) -> None:
    """shutdown() then init(): the second run's sessions reach the local sink too."""
    run_python("""
import agentops_otel as agentops
agentops.init()
with agentops.session("first"):
    pass
agentops.shutdown()
agentops.init()
with agentops.session("second"):
    pass
agentops.shutdown()
""", tmp_path)
    text = (tmp_path / ".agentops-otel" / "traces.jsonl").read_text()
    assert "invoke_agent first" in text
    assert "invoke_agent second" in text


def test_init_after_shutdown_does_not_keep_a_provider_given_before(tmp_path: Path) -> None:
    """init(tracer_provider=tp), shutdown(), tp.shutdown(), init(): the new session reaches our local sink, not tp."""
    out, err = run_python_streams(PRELUDE + """
provider, exporter = memory_provider()
agentops.init(tracer_provider=provider)
with agentops.session("first"):
    pass
agentops.shutdown()
provider.shutdown()
agentops.init()
with agentops.session("second"):
    pass
agentops.shutdown()
print([s.name for s in exporter.get_finished_spans()])
""", tmp_path)
    assert out.split() == ["['invoke_agent", "first']"]
    assert "invoke_agent second" in (tmp_path / ".agentops-otel" / "traces.jsonl").read_text()
    assert "already shutdown" not in err


def test_init_after_shutdown_uses_the_global_provider_set_since(tmp_path: Path) -> None:
    """A provider passed to an init() before shutdown() gives way to the global one the next init() finds."""
    out = run_python(PRELUDE + """
from opentelemetry import trace
before, old = memory_provider()
agentops.init(tracer_provider=before)
agentops.shutdown()
glob, new = memory_provider()
trace.set_tracer_provider(glob)
agentops.init()
with agentops.session("second"):
    pass
print(len(old.get_finished_spans()), [s.name for s in new.get_finished_spans()])
""", tmp_path)
    assert out.split() == ["0", "['invoke_agent", "second']"]


def test_a_session_after_shutdown_still_reaches_the_live_provider_given_before(tmp_path: Path) -> None:
    """init(tracer_provider=tp), shutdown(), then a session with no new init(): tp, still the user's and alive,
    gets it (a test that calls shutdown() leaves the next tests' sessions exported where the conftest said)."""
    out = run_python(PRELUDE + """
provider, exporter = memory_provider()
agentops.init(tracer_provider=provider)
agentops.shutdown()
with agentops.session("after"):
    pass
print(agentops.flush(), [s.name for s in exporter.get_finished_spans()])
""", tmp_path)
    assert out.split() == ["True", "['invoke_agent", "after']"]


def test_flush_after_shutdown_is_false(tmp_path: Path) -> None:
    """flush() between shutdown() and the next init() says nothing can be delivered (our provider is gone), as the
    README says."""
    out = run_python(PRELUDE + """
provider, exporter = memory_provider()
agentops.init()
with agentops.session("s"):
    pass
agentops.shutdown()
print(agentops.flush())
""", tmp_path)
    assert out.split() == ["False"]


def test_global_provider_set_after_init_is_accepted(tmp_path: Path) -> None:
    """A global provider the user sets after init() is not rejected, and sessions go to it from then on."""
    out = run_python(PRELUDE + """
from opentelemetry import trace
agentops.init()
provider, exporter = memory_provider()
trace.set_tracer_provider(provider)
print(trace.get_tracer_provider() is provider)
with agentops.session("later") as s, trace.get_tracer("app").start_as_current_span("app work"):
    pass
print(sorted(x.name for x in exporter.get_finished_spans()))
""", tmp_path)
    assert out.splitlines() == ["True", "['app work', 'invoke_agent later']"]


def test_provider_given_to_init_is_still_shut_down_by_its_own_exit_hook(tmp_path: Path) -> None:
    """The SDK's exit hook of a provider passed to init() still runs: only the provider we build goes without it."""
    out = run_python("""
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
import agentops_otel as agentops

class Mine(SpanProcessor):
    def shutdown(self):
        print("my provider shut down", flush=True)

provider = TracerProvider()
provider.add_span_processor(Mine())
agentops.init(tracer_provider=provider)
with agentops.session("s"):
    pass
""", tmp_path)
    assert "my provider shut down" in out
