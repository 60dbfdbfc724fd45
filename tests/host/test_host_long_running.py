"""A process that runs agents for days: what each session, call or init() cycle leaves behind stays bounded.

Each test runs a modest loop twice in a child interpreter and compares a count taken after the first
run with one taken after the second (objects, context entries, registry entries: never time), so
growth per session shows as a difference however small each leftover is.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _subproc import run_python

from agentops_otel.read.otlp_json import read_otlp_file

pytestmark = pytest.mark.slow  # each test runs a child interpreter: make test, not make unit


def test_sessions_run_in_one_thread_leave_its_context_the_same_size(tmp_path: Path) -> None:
    """Thousands of ``with session()`` blocks and decorated calls in one thread add nothing to its context."""
    out = run_python("""
import contextvars
import agentops_otel as agentops
agentops.init()

@agentops.session("handler")
def handle(i):
    return i

def serve(n):
    for i in range(n):
        with agentops.session("request"):
            pass
        handle(i)

serve(100)
before = len(contextvars.copy_context())
serve(1000)
print(len(contextvars.copy_context()) - before)
""", tmp_path)
    assert out.split() == ["0"]


def test_sessions_ended_from_another_thread_are_freed(tmp_path: Path) -> None:
    """A worker thread's sessions that another thread ends are not kept alive by the worker's next session."""
    out = run_python("""
import gc
from concurrent.futures import ThreadPoolExecutor
import agentops_otel as agentops
agentops.init()
worker = ThreadPoolExecutor(1)

def serve(n):
    for _ in range(n):
        session = worker.submit(agentops.start_session, "request").result()
        agentops.end_session(session=session)

def alive():
    gc.collect()
    return sum(isinstance(o, agentops.Session) for o in gc.get_objects())

serve(50)
before = alive()
serve(300)
print(before, alive())
""", tmp_path)
    before, after = out.split()
    assert after == before


def test_late_end_warnings_do_not_grow_the_callers_warning_registry(tmp_path: Path) -> None:
    """AgentOps 0.3's overlapping sessions, ended in the wrong order per request, leave one registry entry."""
    out = run_python("""
import sys
import agentops_otel as agentops
agentops.init()

def serve(n):
    for _ in range(n):
        outer = agentops.start_session("outer")
        inner = agentops.start_session("inner")
        outer.end_session("Success")
        inner.end_session("Fail")

serve(20)
before = len(__warningregistry__)
serve(200)
print(len(__warningregistry__) - before)
""", tmp_path)
    assert out.split() == ["0"]


def test_init_shutdown_cycles_leave_no_objects_of_ours_behind(tmp_path: Path) -> None:
    """init() and shutdown() again and again: no instance or function of the package accumulates."""
    out = run_python("""
import gc, types
import agentops_otel as agentops

def of_ours(o):
    module = o.__module__ if isinstance(o, types.FunctionType) else vars(type(o)).get("__module__")
    return isinstance(module, str) and module.startswith("agentops_otel")

def ours():
    gc.collect()
    return sum(map(of_ours, gc.get_objects()))

def cycles(n):
    for _ in range(n):
        agentops.init()
        with agentops.session("request"):
            pass
        agentops.shutdown()

cycles(10)
ours()  # the first look at every object loads what the openai package loads lazily: our late patches follow
cycles(10)
before = ours()
cycles(40)
print(ours() - before)
""", tmp_path)
    assert out.split() == ["0"]


def test_the_trace_file_stays_readable_after_the_disk_was_full_for_a_while(tmp_path: Path) -> None:
    """A batch cut short by a full disk is lost alone: sessions written before it and after room returns read back."""
    run_python("""
import os, resource
import agentops_otel as agentops
agentops.init()
with agentops.session("before"):
    pass
agentops.flush()
room = os.path.getsize(".agentops-otel/traces.jsonl") + 100
resource.setrlimit(resource.RLIMIT_FSIZE, (room, resource.RLIM_INFINITY))  # the disk fills up mid-batch
with agentops.session("lost"):
    pass
agentops.flush()
resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))  # room again
with agentops.session("after"):
    pass
agentops.flush()
""", tmp_path)
    names = [record.name for record in read_otlp_file(tmp_path / ".agentops-otel" / "traces.jsonl")]
    assert names == ["invoke_agent before", "invoke_agent after"]


def test_a_trace_file_rotated_by_renaming_is_written_anew(tmp_path: Path) -> None:
    """logrotate's default (rename, then the writer makes a new file): later sessions go to a new file at the path."""
    run_python("""
import os
import agentops_otel as agentops
agentops.init()
with agentops.session("before"):
    pass
agentops.flush()
os.rename(".agentops-otel/traces.jsonl", ".agentops-otel/traces.jsonl.1")
with agentops.session("after"):
    pass
agentops.flush()
""", tmp_path)
    folder = tmp_path / ".agentops-otel"
    assert [record.name for record in read_otlp_file(folder / "traces.jsonl.1")] == ["invoke_agent before"]
    assert [record.name for record in read_otlp_file(folder / "traces.jsonl")] == ["invoke_agent after"]
