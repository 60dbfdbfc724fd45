"""Sessions follow work into executors through an explicit helper; nothing in the stdlib is patched."""

from __future__ import annotations

import contextvars
import operator
import pickle
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import semconv
from agentops_otel.testing import AgentAssertionError, assert_llm_calls_at_most, assert_tool_not_called

worker_name: contextvars.ContextVar[str] = contextvars.ContextVar("worker_name")


def _name_worker() -> None:
    worker_name.set("worker")


@agentops.tool
def work(item: int) -> int:
    return item * 2


def triple(item: int) -> int:
    return item * 3


def _tool_sessions(exporter: InMemorySpanExporter) -> list[object]:
    return [(s.attributes or {}).get(semconv.SESSION_ID) for s in exporter.get_finished_spans()
            if s.name.startswith("execute_tool")]


def test_executor_initializer_contextvars_stay_visible_after_init() -> None:
    """A contextvar an executor's initializer sets is visible to its tasks after init()."""
    agentops.init(instrument_llm_calls=False)
    with ThreadPoolExecutor(1, initializer=_name_worker) as pool:
        assert pool.submit(worker_name.get).result() == "worker"


def test_session_executor_carries_the_session_and_keeps_worker_context(
        span_exporter: InMemorySpanExporter) -> None:
    """Work submitted or mapped through SessionExecutor lands in the session, and sees its worker's contextvars."""
    with agentops.session("fanout") as s, agentops.SessionExecutor(
            ThreadPoolExecutor(2, initializer=_name_worker)) as pool:
        assert pool.submit(work, 1).result() == 2
        assert list(pool.map(work, [2, 3])) == [4, 6]
        assert pool.submit(worker_name.get).result() == "worker"
    assert _tool_sessions(span_exporter) == [s.id, s.id, s.id]


def test_carry_context_wraps_one_callable(span_exporter: InMemorySpanExporter) -> None:
    """carry_context(fn) runs fn in the submitter's session, on an executor we never touched."""
    with agentops.session("one") as s, ThreadPoolExecutor(1, initializer=_name_worker) as pool:
        assert pool.submit(agentops.carry_context(work), 5).result() == 10
        assert pool.submit(agentops.carry_context(worker_name.get)).result() == "worker"
    assert _tool_sessions(span_exporter) == [s.id]


def test_plain_executor_is_left_alone(span_exporter: InMemorySpanExporter) -> None:
    """Without the helper a plain executor behaves exactly as the standard library's: no session there."""
    with agentops.session("plain"), ThreadPoolExecutor(1) as pool:
        pool.submit(work, 1).result()
    assert _tool_sessions(span_exporter) == [None]


def test_session_executor_and_carry_context_work_on_a_process_pool() -> None:
    """A process pool runs wrapped functions as it runs plain ones (the session can't cross the process)."""
    with agentops.session("procs"), ProcessPoolExecutor(1) as procs:
        pool = agentops.SessionExecutor(procs)
        assert pool.submit(operator.add, 2, 3).result() == 5
        assert pool.submit(triple, 2).result() == 6
        assert list(pool.map(triple, [1, 2])) == [3, 6]
        assert procs.submit(agentops.carry_context(triple), 3).result() == 9


def test_carried_callable_keeps_the_wrapped_function_s_name_and_pickles_as_it() -> None:
    """carry_context(fn) still looks like fn, and pickles to fn itself."""
    carried = agentops.carry_context(triple)
    assert (carried.__name__, carried.__wrapped__) == ("triple", triple)  # type: ignore[attr-defined]
    assert pickle.loads(pickle.dumps(carried)) is triple


def test_work_a_session_sends_to_a_process_pool_keeps_its_verdicts_on_absence_from_passing() -> None:
    """A task SessionExecutor sends to another process is named, and no verdict on absence passes without it."""
    with agentops.session("procs") as s, agentops.SessionExecutor(ProcessPoolExecutor(1)) as pool:
        assert pool.submit(work, 1).result() == 2
    assert s.steps_outside == 1
    with pytest.raises(AgentAssertionError, match="work: sent to another process"):
        assert_tool_not_called(s, "work")
    with pytest.raises(AgentAssertionError, match="work: sent to another process"):
        assert_llm_calls_at_most(s, 0)


def test_pickling_a_carried_function_after_its_session_ended_leaves_the_session_as_it_ended() -> None:
    """A carried function pickled once its session has ended (sent later, kept in a queue) changes nothing on
    that session: its totals were already written to its root."""
    with agentops.session("done") as s:
        carried = agentops.carry_context(work)
    assert (s.steps_outside, s.cost_complete) == (0, True)
    pickle.dumps(carried)
    assert (s.steps_outside, s.cost_complete) == (0, True)
