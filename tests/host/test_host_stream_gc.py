"""A stream proxy finalised by the garbage collector takes no lock: it defers the span's end."""

from __future__ import annotations

from pathlib import Path

import pytest
from _subproc import PRELUDE, run_python

from agentops_otel.read.otlp_json import read_otlp_file

pytestmark = pytest.mark.slow  # each test runs a child interpreter: make test, not make unit


def test_stream_collected_while_the_session_lock_is_held_does_not_deadlock(tmp_path: Path) -> None:
    """A dropped stream in a reference cycle, collected while this thread holds the session's lock, still ends."""
    out = run_python(PRELUDE + """
import gc
from opentelemetry import trace
provider, exporter = memory_provider()
trace.set_tracer_provider(provider)
agentops.init()
with OpenAIServer() as server, OpenAI(base_url=server.base_url, api_key="k", max_retries=0) as client:
    with agentops.session("s") as s:
        stream = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}],
                                                stream=True)
        next(iter(stream))
        cycle = [stream]
        cycle.append(cycle)
        del stream, cycle
        # The collector may start on any allocation, e.g. inside the session's own bookkeeping.
        with s._lock:
            gc.collect()
        print("collected")
        agentops.flush()
print(llm_names(exporter), s.llm_calls)
""", tmp_path, timeout=60)
    assert out.splitlines() == ["collected", "['chat gpt-4o'] 1"]


def test_generator_tool_collected_while_the_session_lock_is_held_does_not_deadlock(tmp_path: Path) -> None:
    """A half-read generator tool in a reference cycle, collected under the session's lock, still ends its span."""
    out = run_python(PRELUDE + """
import gc
from opentelemetry import trace
provider, exporter = memory_provider()
trace.set_tracer_provider(provider)
agentops.init()

@agentops.tool
def pages(n):
    for i in range(n):
        yield i

with agentops.session("s") as s:
    gen = pages(3)
    next(gen)
    cycle = [gen]
    cycle.append(cycle)
    del gen, cycle
    with s._lock:
        gc.collect()
    print("collected")
    agentops.flush()
print([sp.name for sp in exporter.get_finished_spans() if sp.name.startswith("execute_tool")], s.tool_calls)
""", tmp_path, timeout=60)
    assert out.splitlines() == ["collected", "['execute_tool pages'] 1"]


def test_a_span_end_deferred_by_the_collector_is_saved_at_exit(tmp_path: Path) -> None:
    """A generator tool the collector finalised is in the local file even if the program exits right after."""
    run_python("""
import gc
import agentops_otel as agentops
agentops.init()

@agentops.tool
def pages(n):
    for i in range(n):
        yield i

with agentops.session("s"):
    gen = pages(3)
    next(gen)
    cycle = [gen]
    cycle.append(cycle)
    del gen, cycle
gc.collect()
""", tmp_path, timeout=60)
    names = [record.name for record in read_otlp_file(tmp_path / ".agentops-otel" / "traces.jsonl")]
    assert "execute_tool pages" in names
