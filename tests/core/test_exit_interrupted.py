"""SIGTERM landing while the program is inside our own bookkeeping: the handler runs on the main thread,
which never resumes, so whatever it held (a session's lock, a session's end half done) must not keep the
exit from writing every session, within the exit's time bound."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from _exit_helpers import READY, SINK, finish, run, span_names, start

from agentops_otel import semconv
from agentops_otel.read.otlp_json import read_otlp_file
from agentops_otel.reassemble import reassemble
from agentops_otel.testing import assert_cost_below, assert_llm_calls_at_most, assert_tokens_below

pytestmark = pytest.mark.slow  # each test runs a child interpreter

EXIT_BOUND_S = 3.0 + 5.0
"""The default exit timeout (3 s), and a margin for a busy machine."""

AGENT = """
    import os, signal, sys, threading, time
    import openai
    import agentops_otel as agentops
    from agentops_otel.testing import OpenAIServer

    agentops.init(service_name="exit-test")
    server = OpenAIServer().__enter__()
    client = openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0)

    @agentops.tool
    def lookup(q):
        return q.upper()

    with agentops.session("before the signal"):
        lookup("a")
    session = agentops.start_session("open at the signal")
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    lookup("b")
"""
"""A child with one session ended and one open, a model call and a tool call in it."""

HOLD_THE_LOCK = AGENT + """
    class StoppedInside:
        # The session's lock, with SIGTERM landing the first time the main thread holds it.
        def __init__(self, lock):
            self.lock, self.fired = lock, False
        def acquire(self, *args, **kwargs):
            return self.lock.acquire(*args, **kwargs)
        def release(self):
            self.lock.release()
        def __enter__(self):
            self.lock.acquire()
            if not self.fired and threading.current_thread() is threading.main_thread():
                self.fired = True
                os.kill(os.getpid(), signal.SIGTERM)  # the handler runs now, on this thread, the lock held
            return self
        def __exit__(self, *exc):
            self.lock.release()
"""


def _roots(path: Path, name: str) -> list[dict[str, object]]:
    return [dict(r.attributes) for r in read_otlp_file(path) if r.name == f"invoke_agent {name}"]


def test_sigterm_while_the_session_lock_is_held_still_writes_the_session(tmp_path: Path) -> None:
    """SIGTERM arriving while the main thread rolls a step up into its session (the session's lock held)
    still writes that session's root, Indeterminate, and the process dies of the signal in time."""
    outcome = run(HOLD_THE_LOCK + f"""
    session._lock = StoppedInside(session._lock)  # fault injection, in the child only
    print("{READY}", flush=True)
    lookup("c")  # its span's end is rolled up into the session under the lock
    print("carried on", flush=True)
    """, tmp_path)
    assert outcome.returncode == -signal.SIGTERM, outcome.stderr
    assert outcome.seconds_after_ready < EXIT_BOUND_S, outcome
    assert "invoke_agent before the signal" in span_names(tmp_path / SINK), outcome.stderr
    roots = _roots(tmp_path / SINK, "open at the signal")
    assert [r.get(semconv.SESSION_END_STATE) for r in roots] == [semconv.END_INDETERMINATE], outcome.stderr
    assert roots[0].get(semconv.SESSION_COST_COMPLETE) is False


def test_totals_cut_by_sigterm_fail_cost_and_token_bounds_read_back(tmp_path: Path) -> None:
    """A session whose totals were being updated when SIGTERM landed says so on its root: read back, no
    cost, token or call-count bound passes on it."""
    run(HOLD_THE_LOCK + f"""
    session._lock = StoppedInside(session._lock)  # fault injection, in the child only
    print("{READY}", flush=True)
    lookup("c")
    """, tmp_path)
    roots = _roots(tmp_path / SINK, "open at the signal")
    assert [r.get(semconv.SESSION_COST_INCOMPLETE_REASON) for r in roots] == [semconv.GAP_TOTALS_INTERRUPTED]
    timeline = next(t for t in reassemble(read_otlp_file(tmp_path / SINK)).sessions
                    if t.summary.name == "open at the signal")
    assert not timeline.summary.input_tokens_complete and not timeline.summary.complete
    with pytest.raises(AssertionError, match="incomplete"):
        assert_tokens_below(timeline, 10**9)
    with pytest.raises(AssertionError, match="incomplete"):
        assert_cost_below(timeline, 10**6)
    with pytest.raises(AssertionError, match="does not hold every step"):
        assert_llm_calls_at_most(timeline, 100)


def test_sigterm_inside_end_session_before_the_end_state_is_set_still_writes_it(tmp_path: Path) -> None:
    """SIGTERM arriving while end_session() reads the reason it was given (the object's __str__) does not
    make the exit wait for that end, which never finishes: the session is written, in time."""
    outcome = run(AGENT + f"""
    class Reason:
        def __str__(self):
            os.kill(os.getpid(), signal.SIGTERM)  # the container is stopped right now
            return "all done"

    print("{READY}", flush=True)
    agentops.end_session("Success", end_state_reason=Reason())
    """, tmp_path)
    assert outcome.returncode == -signal.SIGTERM, outcome.stderr
    assert outcome.seconds_after_ready < EXIT_BOUND_S, outcome
    assert [r.get(semconv.SESSION_END_STATE) for r in _roots(tmp_path / SINK, "open at the signal")] == [
        semconv.END_INDETERMINATE], outcome.stderr
    assert "invoke_agent before the signal" in span_names(tmp_path / SINK)


def test_sigterm_while_a_worker_thread_is_ending_a_session_writes_every_session(tmp_path: Path) -> None:
    """A worker thread stuck ending its session (its reason's __str__ blocks) as SIGTERM arrives: the exit
    stops waiting for it well within its bound, writes that session, and still ends the sessions after it."""
    outcome = finish(start(AGENT + f"""
    entered = threading.Event()
    class SlowReason:
        def __str__(self):
            entered.set()
            time.sleep(60)
            return "done at last"

    def worker():
        mine = agentops.start_session("worker")
        agentops.end_session("Success", end_state_reason=SlowReason(), session=mine)

    threading.Thread(target=worker, daemon=True).start()
    entered.wait(30)
    later = threading.Thread(target=agentops.start_session, args=("started after the worker's",))
    later.start(); later.join()  # left open, in no session of the others
    print("{READY}", flush=True)
    time.sleep(120)
    """, tmp_path), signal.SIGTERM)
    assert outcome.returncode == -signal.SIGTERM, outcome.stderr
    assert outcome.seconds_after_ready < EXIT_BOUND_S, outcome
    for name in ("worker", "started after the worker's", "open at the signal"):
        assert [r.get(semconv.SESSION_END_STATE) for r in _roots(tmp_path / SINK, name)] == [
            semconv.END_INDETERMINATE], (name, outcome.stderr)


def test_sigterm_while_a_session_is_being_registered_still_writes_the_open_ones(tmp_path: Path) -> None:
    """SIGTERM arriving while the main thread registers a new session (the registry's lock held) still
    writes the sessions already open, in time."""
    outcome = run(HOLD_THE_LOCK + f"""
    from agentops_otel import processor
    processor._live_lock = StoppedInside(processor._live_lock)  # fault injection, in the child only
    print("{READY}", flush=True)
    agentops.start_session("starting at the signal")
    """, tmp_path)
    assert outcome.returncode == -signal.SIGTERM, outcome.stderr
    assert outcome.seconds_after_ready < EXIT_BOUND_S, outcome
    assert [r.get(semconv.SESSION_END_STATE) for r in _roots(tmp_path / SINK, "open at the signal")] == [
        semconv.END_INDETERMINATE], outcome.stderr
