"""A forked child (a ``multiprocessing`` fork worker, a pre-fork server) inherits the parent's open
sessions and its SIGTERM handler; the sessions stay the parent's: the child never ends or writes them,
while the sessions it starts itself are recorded like any other.

No model client is used here, so ``init(instrument_llm_calls=False)`` spares each child importing them.
"""

from __future__ import annotations

import signal
import sys
import textwrap
from pathlib import Path

import pytest
from _exit_helpers import READY, SINK, end_states, finish, run, silent_port, start

from agentops_otel import semconv
from agentops_otel.read.otlp_json import read_otlp_file

pytestmark = pytest.mark.slow  # each test runs a child interpreter


def test_forked_child_stopped_by_sigterm_leaves_the_parents_session_alone(tmp_path: Path) -> None:
    """A worker forked inside a session and stopped with SIGTERM neither ends nor writes the parent's session."""
    outcome = run(f"""
        import os, signal, time
        import agentops_otel as agentops
        agentops.init(instrument_llm_calls=False)
        print("{READY}", flush=True)
        ready_r, ready_w = os.pipe()
        with agentops.session("parent"):
            pid = os.fork()
            if pid == 0:  # a worker that never touches agentops
                os.write(ready_w, b"x")
                time.sleep(60)
                os._exit(0)
        os.read(ready_r, 1)  # a signal sent before the child is set up is dropped by Python itself
        os.kill(pid, signal.SIGTERM)
        print("worker status", os.waitpid(pid, 0)[1], flush=True)
    """, tmp_path)
    assert f"worker status {signal.SIGTERM.value}" in outcome.stdout, outcome.stderr
    assert end_states(tmp_path / SINK, "parent") == [semconv.END_SUCCESS], outcome.stderr
    assert "never ended" not in outcome.stderr


def test_forked_child_leaving_the_session_block_does_not_write_it_again(tmp_path: Path) -> None:
    """A child forked inside a ``with session`` that runs on out of the block and exits writes no copy of it."""
    outcome = run(f"""
        import os
        import agentops_otel as agentops
        agentops.init(instrument_llm_calls=False)
        print("{READY}", flush=True)
        with agentops.session("parent"):
            pid = os.fork()
        if pid == 0:
            raise SystemExit(0)  # the child's exit runs its atexit hooks
        os.waitpid(pid, 0)
    """, tmp_path)
    assert outcome.returncode == 0, outcome.stderr
    assert end_states(tmp_path / SINK, "parent") == [semconv.END_SUCCESS], outcome.stderr


def test_session_a_forked_child_starts_is_ended_and_written_at_sigterm(tmp_path: Path) -> None:
    """The child's own session, open when it is stopped with SIGTERM, still ends Indeterminate on disk."""
    outcome = run(f"""
        import os, signal, time
        import agentops_otel as agentops
        agentops.init(instrument_llm_calls=False)
        print("{READY}", flush=True)
        ready_r, ready_w = os.pipe()
        with agentops.session("parent"):
            pid = os.fork()
            if pid == 0:
                agentops.start_session("child job")
                os.write(ready_w, b"x")
                time.sleep(60)
                os._exit(0)
        os.read(ready_r, 1)
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
    """, tmp_path)
    assert end_states(tmp_path / SINK, "child job") == [semconv.END_INDETERMINATE], outcome.stderr


def test_forked_child_does_not_write_the_parents_open_stream(tmp_path: Path) -> None:
    """A worker forked while the parent reads a model stream exits without ending or writing that call:
    the parent writes it once, finished, when its stream ends."""
    outcome = run(f'''
        import os, httpx, openai
        import agentops_otel as agentops
        agentops.init()
        print("{READY}", flush=True)
        def chunk(text, finish):
            return ('data: {{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini", '
                    '"choices": [{{"index": 0, "delta": {{"content": "' + text + '"}}, "finish_reason": '
                    + finish + '}}]}}\\n\\n').encode()
        def answer(request):
            return httpx.Response(200, headers={{"content-type": "text/event-stream"}},
                                  content=chunk("hel", "null") + chunk("lo", '"stop"') + b"data: [DONE]\\n\\n")
        client = openai.OpenAI(api_key="x", base_url="http://test/v1",
                               http_client=httpx.Client(transport=httpx.MockTransport(answer)))
        with agentops.session("parent"):
            stream = client.chat.completions.create(model="gpt-4o-mini", stream=True,
                                                    messages=[{{"role": "user", "content": "hi"}}])
            chunks = iter(stream)
            next(chunks)
            pid = os.fork()
            if pid == 0:
                raise SystemExit(0)  # a worker that never touches the stream, exiting normally
            os.waitpid(pid, 0)
            for _ in chunks:
                pass
    ''', tmp_path)
    assert outcome.returncode == 0, outcome.stderr
    calls = [r for r in read_otlp_file(tmp_path / SINK) if r.name.startswith("chat")]
    assert [r.attributes.get(semconv.GEN_AI_RESPONSE_FINISH_REASONS) for r in calls] == [("stop",)], calls


def _saved_sessions(tmp_path: Path) -> list[str]:
    path = tmp_path / SINK
    if not path.exists():
        return []
    return sorted(r.name.removeprefix("invoke_agent ") for r in read_otlp_file(path)
                  if r.name.startswith("invoke_agent"))


def test_sessions_ended_in_a_fork_pool_worker_are_saved(tmp_path: Path) -> None:
    """multiprocessing ends its fork workers with os._exit (no atexit): their sessions still reach the file."""
    outcome = run(f"""
        import agentops_otel as agentops
        agentops.init(instrument_llm_calls=False)
        import multiprocessing  # imported after init(), as often
        print("{READY}", flush=True)

        def handle(i):
            with agentops.session(f"ticket-{{i}}"):
                pass
            return i

        if __name__ == "__main__":
            with multiprocessing.get_context("fork").Pool(2) as pool:
                print(pool.map(handle, range(3)))
                pool.close()
                pool.join()
    """, tmp_path)
    assert outcome.returncode == 0, outcome.stderr
    assert _saved_sessions(tmp_path) == ["ticket-0", "ticket-1", "ticket-2"], outcome.stderr


@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
def test_a_session_ended_in_a_multiprocessing_process_is_saved(tmp_path: Path, method: str) -> None:
    """A ``Process`` whose target runs a session saves it at its exit, whichever start method made it."""
    script = tmp_path / "agent.py"
    script.write_text(textwrap.dedent(f"""
        import multiprocessing
        import agentops_otel as agentops
        agentops.init(instrument_llm_calls=False)

        def job():
            with agentops.session("job"):
                pass

        if __name__ == "__main__":
            print("{READY}", flush=True)
            p = multiprocessing.get_context("{method}").Process(target=job)
            p.start()
            p.join()
            print("exitcode", p.exitcode, flush=True)
    """))
    outcome = finish(start("", tmp_path, argv=[sys.executable, str(script)]))
    assert "exitcode 0" in outcome.stdout, outcome.stderr
    assert _saved_sessions(tmp_path) == ["job"], outcome.stderr


def test_a_session_of_a_fork_process_that_calls_init_itself_is_saved(tmp_path: Path) -> None:
    """init() called inside the child's target (not in the parent) still saves the child's session at its exit."""
    outcome = run(f"""
        import multiprocessing
        import agentops_otel as agentops
        print("{READY}", flush=True)

        def job():
            agentops.init(instrument_llm_calls=False)
            with agentops.session("job"):
                pass

        p = multiprocessing.get_context("fork").Process(target=job)
        p.start()
        p.join()
    """, tmp_path)
    assert outcome.returncode == 0, outcome.stderr
    assert _saved_sessions(tmp_path) == ["job"], outcome.stderr


_HELD_AT_FORK = {  # where a thread of the parent was inside agentops_otel at the fork, and the lock it held
    "init on another thread": "compat._init_lock",
    "exporter set-up": "export._lock",
    "client instrumentation": "_OPENAI._lock",
    "a step added to the session the child nests in": "parent._lock",
    "a batch written to the local file": "next(iter(_fallback._registry)).primary._lock",
    "a batch handed to the exporter": "next(iter(_fallback._registry))._lock",
    "a failed export counted": "_fallback._registry_lock",
    "an internal failure reported": "_guard._lock",
    "a price registered": "cost._custom_lock",
    "an unexported session's tracer built": "_local._lock",
}


@pytest.mark.parametrize("held", _HELD_AT_FORK.values(), ids=_HELD_AT_FORK.keys())
def test_forked_child_records_its_session_while_a_parent_thread_held_our_lock(tmp_path: Path, held: str) -> None:
    """A child forked while another thread of the parent held one of our locks still inits, records
    its own session and exits promptly: the lock is free in the child, where its holder does not exist.

    No public call holds these locks long enough to fork inside it on purpose, so the parent's thread
    takes the lock itself (the race it stands for: that thread was inside our code at the fork)."""
    unexported = held == "_local._lock"
    outcome = run(f"""
        import os, sys, threading, time
        import agentops_otel as agentops
        from agentops_otel import _fallback, _guard, compat, cost, export
        from agentops_otel._guard import FaultInjector
        from agentops_otel.instrument.openai import _OPENAI
        from agentops_otel.sessions import _local
        agentops.init()
        print("{READY}", flush=True)
        with agentops.session("warm-up"):  # the local file is open, the private tracer built
            pass
        agentops.flush()
        _local.local_tracer()
        parent = agentops.start_session("parent") if {not unexported} else None

        @agentops.tool
        def add(a, b):
            return a + b

        lock, held, release = {held}, threading.Event(), threading.Event()
        def hold():
            with lock:
                held.set()
                release.wait()
        threading.Thread(target=hold, daemon=True).start()
        held.wait()
        pid = os.fork()
        if pid == 0:
            agentops.init()
            agentops.register_price("my-model", input_per_mtok=1.0, output_per_mtok=2.0)
            FaultInjector.armed["tool.start"] = ValueError  # an internal failure, reported in the child
            add(0, 0)
            FaultInjector.armed.clear()
            with agentops.session("child job") as s:
                add(1, 2)
            print("child recorded", s.end_state, s.tool_calls, flush=True)
            sys.exit(0)
        release.set()
        deadline = time.monotonic() + 10
        while not os.waitpid(pid, os.WNOHANG)[0]:
            if time.monotonic() > deadline:
                os.kill(pid, 9)
                sys.exit("the child hung")
            time.sleep(0.02)
        print("child exited", flush=True)
        if parent is not None:
            parent.end("Success")
    """, tmp_path, {"OTEL_SDK_DISABLED": "true"} if unexported else None)
    assert "child exited" in outcome.stdout, outcome.stdout + outcome.stderr
    assert "child recorded Success 1" in outcome.stdout, outcome.stderr
    if not unexported:
        assert end_states(tmp_path / SINK, "child job") == [semconv.END_SUCCESS], outcome.stderr


def test_forked_child_writes_its_session_while_the_parent_was_writing_the_file(tmp_path: Path) -> None:
    """A child forked while the parent's export was inside its write to the local file writes its own
    session there and exits promptly (no lock of the parent's file object is left held in the child).

    The file is a FIFO nobody reads until after the fork, so the parent's write is still under way."""
    outcome = run(f"""
        import os, sys, threading, time
        os.mkfifo("spans.fifo")
        reader = os.open("spans.fifo", os.O_RDONLY | os.O_NONBLOCK)
        import agentops_otel as agentops
        agentops.init(instrument_llm_calls=False)
        print("{READY}", flush=True)

        @agentops.tool
        def note(text):
            return len(text)

        with agentops.session("parent"):
            for _ in range(30):  # more than the pipe holds: the export blocks inside its write
                note("x" * 4000)
        agentops.flush(300)
        pid = os.fork()
        if pid == 0:
            with agentops.session("child job"):
                note("hi")
            sys.exit(0)
        os.set_blocking(reader, True)
        received = bytearray()
        def drain():
            while chunk := os.read(reader, 65536):
                received.extend(chunk)
        threading.Thread(target=drain, daemon=True).start()
        began = time.monotonic()
        while not os.waitpid(pid, os.WNOHANG)[0]:
            if time.monotonic() - began > 10:
                os.kill(pid, 9)
                break
            time.sleep(0.02)
        print("child exited after %.1fs" % (time.monotonic() - began), flush=True)
        time.sleep(0.2)
        print("child sessions in the file:", bytes(received).count(b'"name":"invoke_agent child job"'), flush=True)
        os._exit(0)
    """, tmp_path, {"AGENTOPS_OTEL_FILE": str(tmp_path / "spans.fifo")})
    assert "child sessions in the file: 1" in outcome.stdout, outcome.stdout + outcome.stderr
    exit_seconds = float(outcome.stdout.split("child exited after ")[1].split("s")[0])
    assert exit_seconds < 3, outcome.stdout  # not the exit limit spent waiting on a lock


def test_forked_child_does_not_save_the_parents_batch_in_flight(tmp_path: Path) -> None:
    """A child forked while the parent's batch waits on a backend that never answers saves only its own
    session to the local file at its exit deadline: the parent's batch is written once, by the parent."""
    with silent_port() as port:
        outcome = run(f"""
            import os, sys
            import agentops_otel as agentops
            agentops.init(instrument_llm_calls=False)
            print("{READY}", flush=True)
            with agentops.session("parent"):
                pass
            agentops.flush(300)  # the batch is now in flight, waiting for the backend
            pid = os.fork()
            if pid == 0:
                with agentops.session("child job"):
                    pass
                sys.exit(0)  # past the exit limit, what the backend has not taken goes to the file
            os.waitpid(pid, 0)
        """, tmp_path, {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
                        "AGENTOPS_OTEL_EXIT_TIMEOUT_MILLIS": "300"})
    assert end_states(tmp_path / SINK, "child job") == [semconv.END_SUCCESS], outcome.stderr
    assert end_states(tmp_path / SINK, "parent") == [semconv.END_SUCCESS], outcome.stderr


def test_forked_child_does_not_end_a_step_the_parents_collector_finalised(tmp_path: Path) -> None:
    """A generator tool the parent's garbage collector finalised just before the fork is written once,
    by the parent: the child does not end and write its copy of that step."""
    outcome = run(f"""
        import gc, os, sys
        import agentops_otel as agentops
        agentops.init(instrument_llm_calls=False)
        print("{READY}", flush=True)

        @agentops.tool
        def pages(n):
            yield from range(n)

        with agentops.session("parent"):
            gen = pages(3)
            next(gen)
            cycle = [gen]
            cycle.append(cycle)
            del gen, cycle
            gc.collect()  # the step's end waits for the next span
            pid = os.fork()
            if pid == 0:
                with agentops.session("child job"):
                    pass
                sys.exit(0)
            os.waitpid(pid, 0)
    """, tmp_path)
    assert end_states(tmp_path / SINK, "child job") == [semconv.END_SUCCESS], outcome.stderr
    assert [r.name for r in read_otlp_file(tmp_path / SINK)].count("execute_tool pages") == 1, outcome.stderr


def test_a_fork_pool_workers_steps_are_judged_on_the_session_read_back(tmp_path: Path) -> None:
    """A worker forked inside a session saves its model call and tool under that session: the live session refuses
    to count without them, the session read back from the file counts them, and its root claims nothing more."""
    outcome = run(f"""
        import multiprocessing
        from openai import OpenAI
        import agentops_otel as agentops
        from agentops_otel.read import open_source
        from agentops_otel.reassemble import reassemble
        from agentops_otel.testing import (AgentAssertionError, OpenAIServer, assert_cost_below,
                                           assert_llm_calls_at_most, assert_tool_called, assert_tool_not_called)
        agentops.init()
        server = OpenAIServer().start()
        print("{READY}", flush=True)

        @agentops.tool
        def refund(order):
            return "refunded"

        def worker(url):
            with OpenAI(base_url=url, api_key="sk-test", max_retries=0) as client:
                client.chat.completions.create(model="gpt-4o", messages=[{{"role": "user", "content": "hi"}}])
            refund(1)

        with agentops.session("parent") as s:
            with multiprocessing.get_context("fork").Pool(1) as pool:
                pool.map(worker, [server.base_url])
        try:
            assert_llm_calls_at_most(s, 0)
        except AgentAssertionError as exc:
            print("live refused:", "forked" in str(exc), flush=True)
        agentops.flush()
        timeline = reassemble(open_source("{SINK}").session(s.id)).timeline_for(s.id)
        assert_llm_calls_at_most(timeline, 1)
        assert_tool_called(timeline, "refund", times=1)
        assert_cost_below(timeline, 1.0, allow_unpriced=True)  # what was found: the root's totals miss the child's
        try:
            assert_tool_not_called(timeline, "refund")
        except AgentAssertionError as exc:
            print("read back:", str(exc).splitlines()[0], flush=True)
        server.close()
    """, tmp_path)
    assert outcome.returncode == 0, outcome.stderr
    assert "live refused: True" in outcome.stdout, outcome.stdout + outcome.stderr
    assert "read back: expected 'refund' not to be called, but it was called once" in outcome.stdout, outcome.stderr
    [root] = [r for r in read_otlp_file(tmp_path / SINK) if r.name == "invoke_agent parent"]
    assert semconv.SESSION_COST_INCOMPLETE_REASON not in root.attributes
