"""A process forked inside a session takes the session with it: its steps reach the trace, never the live
session object, so that session's verdicts on absence, counts and cost refuse to pass.

Each test forks this process for real (``multiprocessing``'s fork context, ``ProcessPoolExecutor`` with it);
the worker makes its model call through the real ``openai`` client against the local server.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest
from openai import OpenAI
from openai_helpers import SECRET_KEY

import agentops_otel as agentops
from agentops_otel._guard import FaultInjector
from agentops_otel.testing import (
    AgentAssertionError,
    NotJudgeable,
    OpenAIServer,
    assert_called_before,
    assert_cost_below,
    assert_llm_calls_at_most,
    assert_no_errors,
    assert_tokens_below,
    assert_tool_called,
    assert_tool_not_called,
)

FORK = mp.get_context("fork")


@agentops.tool
def refund(order: int) -> str:
    return f"refunded {order}"


@agentops.tool
def lookup(order: int) -> int:
    return order


@agentops.tool
def charge(order: int) -> str:
    raise RuntimeError(f"card declined for {order}")


def _model_call_and_refund(base_url: str) -> int:
    """A worker's agent step: one model call, then the refund tool."""
    with OpenAI(base_url=base_url, api_key=SECRET_KEY, max_retries=0) as client:
        reply = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "refund?"}])
    refund(1)
    return reply.usage.total_tokens if reply.usage is not None else 0


def _failing_charge(_: int) -> str:
    try:
        charge(1)
    except RuntimeError as exc:
        return str(exc)
    return "charged"


def _in_fork_pool(fn: Callable[[Any], object], arg: object) -> list[object]:
    with FORK.Pool(1) as pool:
        return pool.map(fn, [arg])


def _refused(check: Callable[[], None]) -> str:
    with pytest.raises(AgentAssertionError) as caught:
        check()
    return str(caught.value)


def test_calls_in_a_fork_pool_worker_keep_the_sessions_call_cost_and_token_bounds_from_passing(
        server: OpenAIServer) -> None:
    """A model call a fork Pool worker made in the session fails its call, cost and token bounds, naming the fork."""
    with agentops.session("agent") as s:
        assert _in_fork_pool(_model_call_and_refund, server.base_url) != [0]
    for check in (lambda: assert_llm_calls_at_most(s, 0), lambda: assert_cost_below(s, 1.0),
                  lambda: assert_tokens_below(s, 1_000_000)):
        assert "forked" in _refused(check)


def test_a_tool_in_a_process_pool_executor_fork_worker_keeps_tool_not_called_from_passing(
        server: OpenAIServer) -> None:
    """A tool a ProcessPoolExecutor(fork) worker ran in the session keeps tool_not_called and times=0 from passing."""
    with agentops.session("agent") as s, ProcessPoolExecutor(1, mp_context=FORK) as pool:
        assert pool.submit(_model_call_and_refund, server.base_url).result() > 0
    assert "forked" in _refused(lambda: assert_tool_not_called(s, "refund"))
    assert "forked" in _refused(lambda: assert_tool_called(s, "refund", times=0))


def test_a_step_that_failed_in_a_fork_worker_keeps_no_errors_from_passing() -> None:
    """assert_no_errors refuses to vouch for a session whose forked worker ran steps it never saw (one failed)."""
    with agentops.session("agent") as s:
        assert _in_fork_pool(_failing_charge, 0) == ["card declined for 1"]
    assert "forked" in _refused(lambda: assert_no_errors(s))


def test_an_order_a_fork_worker_may_have_broken_is_not_vouched_for(server: OpenAIServer) -> None:
    """assert_called_before refuses when a forked worker ran steps the session cannot place in the order."""
    with agentops.session("agent") as s:
        _in_fork_pool(_model_call_and_refund, server.base_url)  # the real first refund, before any lookup
        lookup(1)
        refund(1)
    assert "forked" in _refused(lambda: assert_called_before(s, "lookup", "refund"))


def test_the_refusal_says_why_and_how_to_judge_the_session_instead(server: OpenAIServer) -> None:
    """The refusal names the fork and points at the session read back from the trace, which the assertions take."""
    with agentops.session("agent") as s:
        _in_fork_pool(_model_call_and_refund, server.base_url)
    message = _refused(lambda: assert_llm_calls_at_most(s, 0))
    assert "the child took the session along" in message
    assert "timeline_for(" in message and "open_source(" in message


def test_a_fork_in_a_session_whose_child_makes_no_call_still_refuses() -> None:
    """Conservative: what a forked child will do is unknown at the fork, so a child that made no call still counts."""
    with agentops.session("agent") as s:
        _in_fork_pool(abs, -1)
    assert "forked" in _refused(lambda: assert_llm_calls_at_most(s, 0))


def test_a_fork_in_a_nested_session_marks_the_sessions_around_it(server: OpenAIServer) -> None:
    """The session a forked child inherits is nested: the session around it, which counts its steps too, refuses too."""
    with agentops.session("outer") as outer:
        with agentops.session("inner") as inner:
            _in_fork_pool(_model_call_and_refund, server.base_url)
    assert "forked" in _refused(lambda: assert_tool_not_called(inner, "refund"))
    assert "forked" in _refused(lambda: assert_tool_not_called(outer, "refund"))


COUNTS = ("llm_calls", "tool_calls", "actions", "error_count", "input_tokens", "output_tokens", "cache_read_tokens",
          "cache_write_tokens", "reasoning_tokens")
EVENT_LISTS = ("errors", "tool_events", "llm_events", "action_events", "events")


def _not_judgeable(session: agentops.Session, field: str) -> str:
    with pytest.raises(NotJudgeable) as caught:
        getattr(session, field)
    return str(caught.value)


def test_a_tests_read_of_the_counts_of_a_session_a_fork_worker_took_along_fails(server: OpenAIServer) -> None:
    """``assert s.llm_calls <= 3`` cannot pass on a session whose forked worker called the model: each count,
    read by the test, fails naming the fork (the worker's call and tool are in none of them)."""
    with agentops.session("agent") as s:
        _in_fork_pool(_model_call_and_refund, server.base_url)
    for count in COUNTS:
        message = _not_judgeable(s, count)
        assert message.startswith(f"session.{count} cannot be judged: this process forked once"), message


def test_a_tests_read_of_the_event_lists_of_a_session_a_fork_worker_took_along_fails() -> None:
    """``assert not s.errors`` cannot pass on a session whose forked worker's step failed: each event list, read
    by the test, fails naming the fork."""
    with agentops.session("agent") as s:
        assert _in_fork_pool(_failing_charge, 0) == ["card declined for 1"]
    for field in EVENT_LISTS:
        assert "forked once" in _not_judgeable(s, field)


def test_a_session_opened_after_the_fork_is_judged_as_usual(client: OpenAI, server: OpenAIServer) -> None:
    """A fork before the session started (outside any session) leaves the session's verdicts alone."""
    _in_fork_pool(_model_call_and_refund, server.base_url)
    with agentops.session("agent") as s:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert_llm_calls_at_most(s, 1)
    assert_cost_below(s, 1.0)
    assert_tokens_below(s, 1_000_000)
    assert_tool_not_called(s, "refund")
    assert (s.llm_calls, s.tool_calls, s.errors) == (1, 0, [])


def test_a_fork_from_a_thread_the_session_did_not_reach_marks_nothing() -> None:
    """A thread whose context holds no session forks a child that inherits none: the open session is not marked."""
    with agentops.session("agent") as s:
        forker = threading.Thread(target=_in_fork_pool, args=(abs, -1))
        forker.start()
        forker.join()
    assert_llm_calls_at_most(s, 0)
    assert_tool_not_called(s, "refund")


def test_a_subprocess_started_in_a_session_marks_nothing() -> None:
    """subprocess starts a new program (it runs no fork hooks and inherits no session): the session is not marked."""
    with agentops.session("agent") as s:
        subprocess.run([sys.executable, "-c", "pass"], check=True)
    assert_llm_calls_at_most(s, 0)


def test_a_fault_in_the_fork_hook_leaves_the_fork_and_the_child_alone() -> None:
    """An internal error while marking the session never reaches the program: the fork and its child run as usual."""
    FaultInjector.armed["session.fork"] = RuntimeError
    with agentops.session("agent"):
        assert _in_fork_pool(abs, -1) == [1]
        pid = os.fork()
        if pid == 0:
            os._exit(7)
        assert os.waitpid(pid, 0)[1] >> 8 == 7


def _preexec_subprocess() -> None:
    subprocess.run([sys.executable, "-c", "pass"], check=True, preexec_fn=os.getpid)


def _pty_child() -> None:
    import pty

    pid, fd = pty.fork()
    if pid == 0:
        os.execv(sys.executable, [sys.executable, "-c", "pass"])
    os.waitpid(pid, 0)
    os.close(fd)


@pytest.mark.parametrize("start", [_preexec_subprocess, _pty_child], ids=["preexec_fn", "pty.fork"])
def test_a_new_program_started_through_a_fork_marks_nothing(start: Callable[[], None]) -> None:
    """subprocess with preexec_fn and pty.fork (what pexpect runs a shell with) fork, then run a new program that
    inherits no session: the session is not marked."""
    with agentops.session("agent") as s:
        start()
    assert_tool_not_called(s, "refund")
    assert_no_errors(s)
