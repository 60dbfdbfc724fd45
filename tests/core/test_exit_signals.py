"""Lose nothing at exit: sessions ended before SIGTERM, ``sys.exit``, a crash or the end of a pytest run
are on disk (and sent) afterwards, and the program's own signal handling still decides how it ends."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from _exit_helpers import READY, SINK, closed_port, end_states, finish, otlp_receiver, run, span_names, start

from agentops_otel import semconv
from agentops_otel.read.otlp_json import read_otlp_file

ENDED_THEN_WAIT = f"""
    import time
    import agentops_otel as agentops
    agentops.init(service_name="exit-test")
    with agentops.session("before the signal"):
        pass
    print("{READY}", flush=True)
    time.sleep(120)
"""

pytestmark = pytest.mark.slow  # each test runs a child interpreter


def test_sigterm_keeps_sessions_ended_before_it(tmp_path: Path) -> None:
    """A session that ended before SIGTERM is in the local file after the process is gone."""
    outcome = finish(start(ENDED_THEN_WAIT, tmp_path), signal.SIGTERM)
    assert "invoke_agent before the signal" in span_names(tmp_path / SINK), outcome.stderr


def test_sigterm_without_a_handler_still_terminates_by_the_signal(tmp_path: Path) -> None:
    """With no handler of the program's own, the process still dies of SIGTERM (status -15)."""
    outcome = finish(start(ENDED_THEN_WAIT, tmp_path), signal.SIGTERM)
    assert outcome.returncode == -signal.SIGTERM, outcome.stderr


def test_sigterm_ends_an_open_session_indeterminate(tmp_path: Path) -> None:
    """A session still open at SIGTERM is ended Indeterminate and written, with the signal as reason."""
    finish(start(f"""
        import time
        import agentops_otel as agentops
        agentops.init()
        agentops.start_session("open at the signal")
        print("{READY}", flush=True)
        time.sleep(120)
    """, tmp_path), signal.SIGTERM)
    roots = [r for r in read_otlp_file(tmp_path / SINK) if r.name == "invoke_agent open at the signal"]
    assert [r.attributes.get(semconv.SESSION_END_STATE) for r in roots] == [semconv.END_INDETERMINATE]
    assert "SIGTERM" in str(roots[0].attributes.get(semconv.SESSION_END_REASON))


def test_sigterm_runs_the_programs_own_handler(tmp_path: Path) -> None:
    """A handler the program installed before init() still runs and decides the exit (here os._exit(7))."""
    outcome = finish(start(f"""
        import os, signal, time
        import agentops_otel as agentops
        def mine(signum, frame):
            print("my handler ran", flush=True)
            os._exit(7)
        signal.signal(signal.SIGTERM, mine)
        agentops.init()
        with agentops.session("before the signal"):
            pass
        print("{READY}", flush=True)
        time.sleep(120)
    """, tmp_path), signal.SIGTERM)
    assert outcome.returncode == 7 and "my handler ran" in outcome.stdout, outcome.stderr
    assert "invoke_agent before the signal" in span_names(tmp_path / SINK)


def test_program_whose_handler_carries_on_is_not_stopped(tmp_path: Path) -> None:
    """A graceful-stop handler that returns lets the program finish its work; later sessions are kept too."""
    outcome = finish(start(f"""
        import signal, time
        import agentops_otel as agentops
        stop = []
        signal.signal(signal.SIGTERM, lambda signum, frame: stop.append(signum))
        agentops.init()
        print("{READY}", flush=True)
        while not stop:
            time.sleep(0.05)
        with agentops.session("after the signal"):
            pass
        print("finished cleanly", flush=True)
    """, tmp_path), signal.SIGTERM)
    assert outcome.returncode == 0 and "finished cleanly" in outcome.stdout, outcome.stderr
    assert "invoke_agent after the signal" in span_names(tmp_path / SINK)


def test_sigterm_sends_ended_sessions_to_the_backend(tmp_path: Path) -> None:
    """With an OTLP endpoint up, sessions ended before SIGTERM are sent to it before the process dies."""
    with otlp_receiver() as receiver:
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint}
        outcome = finish(start(ENDED_THEN_WAIT, tmp_path, env), signal.SIGTERM)
        assert "invoke_agent before the signal" in receiver.names, outcome.stderr


@pytest.mark.parametrize(("ending", "status"), [("sys.exit(4)", 4), ("raise RuntimeError('crash')", 1)])
def test_sys_exit_and_crash_keep_ended_sessions(ending: str, status: int, tmp_path: Path) -> None:
    """sys.exit and an unhandled exception keep their exit status, and the ended session is on disk."""
    outcome = run(f"""
        import sys
        import agentops_otel as agentops
        agentops.init()
        with agentops.session("before the end"):
            pass
        print("{READY}", flush=True)
        {ending}
    """, tmp_path)
    assert outcome.returncode == status, outcome.stderr
    assert "invoke_agent before the end" in span_names(tmp_path / SINK)


def test_sigterm_during_a_pytest_run_keeps_finished_tests(tmp_path: Path) -> None:
    """A CI runner stopping pytest with SIGTERM keeps the sessions of the tests that already finished."""
    (tmp_path / "test_agent.py").write_text(f"""
import time

def test_finished(agent_session):
    pass

def test_still_running(agent_session):
    print("{READY}", flush=True)
    time.sleep(120)
""")
    import sys

    proc = start("", tmp_path, argv=[sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
                                     "test_agent.py"])
    outcome = finish(proc, signal.SIGTERM)
    assert "invoke_agent test_finished" in span_names(tmp_path / SINK), outcome.stdout + outcome.stderr


def test_provider_given_after_init_still_gets_the_sessions_open_at_exit(tmp_path: Path) -> None:
    """atexit order: a provider created after the first init() is shut down only after we end open sessions."""
    outcome = run(f"""
        import agentops_otel as agentops
        from agentops_otel._otlp_json import OTLPJsonFileExporter
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        agentops.init()
        mine = TracerProvider()  # registers its own atexit shutdown, after ours
        mine.add_span_processor(BatchSpanProcessor(OTLPJsonFileExporter("mine.jsonl")))
        agentops.init(tracer_provider=mine)
        agentops.start_session("open at exit")
        print("{READY}", flush=True)
    """, tmp_path)
    assert "invoke_agent open at exit" in span_names(tmp_path / "mine.jsonl"), outcome.stderr


def test_global_provider_set_after_init_still_gets_the_sessions_open_at_exit(tmp_path: Path) -> None:
    """atexit order: a global provider the user sets after init() is shut down only after open sessions end."""
    outcome = run(f"""
        import agentops_otel as agentops
        from agentops_otel._otlp_json import OTLPJsonFileExporter
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        agentops.init()
        mine = TracerProvider()  # registers its own atexit shutdown, after ours
        mine.add_span_processor(BatchSpanProcessor(OTLPJsonFileExporter("mine.jsonl")))
        trace.set_tracer_provider(mine)
        agentops.start_session("open at exit")
        print("{READY}", flush=True)
    """, tmp_path)
    assert "invoke_agent open at exit" in span_names(tmp_path / "mine.jsonl"), outcome.stderr


def test_a_stream_never_finished_is_on_disk_after_exit(tmp_path: Path) -> None:
    """A stream the program stopped reading, in a session or outside any, is written out at exit."""
    outcome = run(f"""
        import openai
        import agentops_otel as agentops
        from agentops_otel.testing import OpenAIServer
        agentops.init()
        server = OpenAIServer().__enter__()
        client = openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0)
        outside = client.chat.completions.create(model="gpt-4o-mini", stream=True,
                                                 messages=[{{"role": "user", "content": "hi"}}])
        next(iter(outside))
        agentops.start_session("never ended")
        inside = client.chat.completions.create(model="gpt-4o", stream=True,
                                                messages=[{{"role": "user", "content": "hi"}}])
        next(iter(inside))
        print("{READY}", flush=True)
    """, tmp_path)
    assert outcome.returncode == 0, outcome.stderr
    names = span_names(tmp_path / SINK)
    assert "chat gpt-4o-mini" in names and "chat gpt-4o" in names, (names, outcome.stderr)


def test_our_flush_on_sigterm_does_not_hide_a_failure_from_the_programs_own_flush(tmp_path: Path) -> None:
    """The save we make on SIGTERM (before a handler that carries on) is ours: the program's next flush()
    still says a batch missed the backend since its previous one."""
    port = closed_port()
    outcome = finish(start(f"""
        import signal, time
        import agentops_otel as agentops
        stop = []
        signal.signal(signal.SIGTERM, lambda signum, frame: stop.append(signum))
        agentops.init()
        with agentops.session("backend down"):
            pass
        print("{READY}", flush=True)
        while not stop:
            time.sleep(0.05)
        print("flushed:", agentops.flush(2_000), flush=True)
    """, tmp_path, {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
                    "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_TIMEOUT": "1"}),
                     signal.SIGTERM)
    assert "flushed: False" in outcome.stdout, outcome.stdout + outcome.stderr


def test_sigterm_while_a_session_ends_still_writes_the_session(tmp_path: Path) -> None:
    """SIGTERM arriving inside end_session() (here: from the program's redaction hook) does not lose the
    session's own span: it is on disk with the end state the program gave."""
    outcome = run(f"""
        import os, signal
        import agentops_otel as agentops
        def redact(attribute, value):
            if attribute == "agentops.session.end_reason":
                os.kill(os.getpid(), signal.SIGTERM)  # the container is stopped right now
            return value
        agentops.init(redact=redact)
        print("{READY}", flush=True)
        agentops.start_session("job")
        agentops.end_session("Success", end_state_reason="all done")
    """, tmp_path)
    assert outcome.returncode == -signal.SIGTERM, outcome.stderr
    assert end_states(tmp_path / SINK, "job") == [semconv.END_SUCCESS], outcome.stderr


def test_init_from_a_thread_then_the_main_thread_still_handles_sigterm(tmp_path: Path) -> None:
    """When init() first runs in a worker thread, the main thread's later init() installs the SIGTERM handler."""
    outcome = finish(start(f"""
        import threading, time
        import agentops_otel as agentops
        first = threading.Thread(target=agentops.init)
        first.start(); first.join()
        agentops.init()
        with agentops.session("before the signal"):
            pass
        print("{READY}", flush=True)
        time.sleep(120)
    """, tmp_path), signal.SIGTERM)
    assert "invoke_agent before the signal" in span_names(tmp_path / SINK), outcome.stderr


def test_init_after_a_session_found_the_global_provider_still_ends_sessions_open_at_exit(tmp_path: Path) -> None:
    """init() called after a session already plugged into the global provider still hooks the exit."""
    outcome = run(f"""
        import agentops_otel as agentops
        from agentops_otel._otlp_json import OTLPJsonFileExporter
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        mine = TracerProvider()
        mine.add_span_processor(BatchSpanProcessor(OTLPJsonFileExporter("mine.jsonl")))
        trace.set_tracer_provider(mine)
        with agentops.session("before init"):
            pass
        agentops.init()
        agentops.start_session("open at exit")
        print("{READY}", flush=True)
    """, tmp_path)
    assert end_states(tmp_path / "mine.jsonl", "open at exit") == [semconv.END_INDETERMINATE], outcome.stderr


def test_sessions_left_open_in_finished_asyncio_tasks_are_ended_at_exit(tmp_path: Path) -> None:
    """A session started in an asyncio task that finished without ending it is still ended Indeterminate
    at exit and written, as one left open in the main thread is; it was lost with the task's context."""
    outcome = run(f"""
        import asyncio, gc
        import agentops_otel as agentops
        agentops.init()
        print("{READY}", flush=True)
        async def handle(i):
            agentops.start_session(f"task-{{i}}")
            await asyncio.sleep(0)
        async def main():
            await asyncio.gather(*(handle(i) for i in range(3)))
        asyncio.run(main())
        gc.collect()
    """, tmp_path)
    assert outcome.returncode == 0, outcome.stderr
    for i in range(3):
        assert end_states(tmp_path / SINK, f"task-{i}") == [semconv.END_INDETERMINATE], outcome.stderr
    assert "task-0" in outcome.stderr and "never ended" in outcome.stderr
