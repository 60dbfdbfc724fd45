"""A test comparing ``session.cost`` while part of it is unknown fails saying why, instead of judging the known part.

``session.cost`` sums the priced calls; with an unpriced model among them it is a lower bound, and a
ported ``assert session.cost < 0.01`` would pass on it. Read by a test's own code, every comparison of
it raises ``NotJudgeable`` naming the calls without a known cost; formatting, ``float()`` and arithmetic
keep the known figure, and the agent under test and programs outside pytest read a plain float.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Callable

import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletionMessageParam

import agentops_otel as agentops
from agentops_otel import pytest_plugin
from agentops_otel.testing import (
    AgentAssertionError,
    IncompleteCostWarning,
    NotJudgeable,
    assert_cost_below,
)

pytest_plugins = ["pytester"]

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]
COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, "==": operator.eq, "!=": operator.ne, ">": operator.gt, ">=": operator.ge,
    "not": lambda cost, _: not cost}


def _partly_priced(client: OpenAI) -> agentops.Session:
    with agentops.session("support") as s:
        client.chat.completions.create(model="acme-llm-9", messages=USER)  # no price known
        client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    return s


@pytest.mark.parametrize("op", list(COMPARISONS))
def test_comparing_an_incomplete_cost_fails_naming_the_unpriced_call(client: OpenAI, op: str) -> None:
    """Each comparison (or truth test) of a lower-bound cost fails (an AssertionError) naming the call whose
    cost is unknown."""
    s = _partly_priced(client)
    with pytest.raises(NotJudgeable) as info:
        COMPARISONS[op](s.cost, 0.01)
    message = str(info.value)
    assert message.startswith("session.cost cannot be compared: the session's cost is incomplete, $0.000003 is "
                              "only what the priced calls cost"), message
    assert "chat acme-llm-9" in message and "model without a known price" in message
    assert "assert_cost_below" in message and "float(session.cost)" in message


def test_a_comparison_with_the_cost_on_the_right_fails_too(client: OpenAI) -> None:
    """``0.01 > session.cost`` is the same check written the other way round: it fails the same way."""
    s = _partly_priced(client)
    with pytest.raises(NotJudgeable):
        assert s.cost < 0.01


def test_an_incomplete_cost_still_formats_converts_and_adds_up(client: OpenAI) -> None:
    """Printing, ``float()``, arithmetic and ``repr(session)`` keep the known figure."""
    s = _partly_priced(client)
    known = float(s.cost)
    assert type(known) is float and known == 3e-06
    assert f"{s.cost:.6f}" == "0.000003" and f"{s.cost}" == "3e-06" and s.cost * 1e6 + 1 == pytest.approx(4)
    assert "cost>=$0.000003 (incomplete)" in repr(s)


def test_a_complete_cost_is_a_plain_float(client: OpenAI) -> None:
    """With every call priced the cost compares as it always did."""
    with agentops.session("support") as s:
        client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert type(s.cost) is float and s.cost < 0.01 and s.cost == pytest.approx(3e-06)


def test_the_cost_assertion_still_judges_an_incomplete_cost(client: OpenAI) -> None:
    """``assert_cost_below`` reads the known part itself: it fails naming the call, or bounds the known
    part with ``allow_unpriced=True``, never with ``NotJudgeable``."""
    s = _partly_priced(client)
    with pytest.raises(AgentAssertionError, match="acme-llm-9") as info:
        assert_cost_below(s, 0.01)
    assert not isinstance(info.value, NotJudgeable)
    with pytest.warns(IncompleteCostWarning):
        assert_cost_below(s, 0.01, allow_unpriced=True)


def test_outside_a_running_test_an_incomplete_cost_compares_as_before(
        client: OpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no pytest test running (``PYTEST_CURRENT_TEST`` unset), the cost is the plain known figure."""
    s = _partly_priced(client)
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    assert type(s.cost) is float and s.cost < 0.01


TESTS = '''
import agentops_otel as agentops
from agentops_otel import LLMEvent
from agent import agent

def test_ported_cost_check():
    s = agent()
    assert s.cost < 0.01

def test_the_agents_budget_check_runs_as_in_production():
    s = agent()
    assert s.over_budget is False and s.cost_complete is False
'''

AGENT = '''
import agentops_otel as agentops
from agentops_otel import LLMEvent

def agent():
    with agentops.session("agent") as s:
        agentops.record(LLMEvent(model="acme-llm-9", prompt_tokens=10, completion_tokens=5))
        agentops.record(LLMEvent(model="gpt-4o-mini", prompt_tokens=10, completion_tokens=5))
        s.over_budget = s.cost > 1.0  # the agent's own check: never refused
    return s
'''


def test_a_ported_cost_check_fails_in_the_test_and_not_in_the_agent(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a pytest run, the test's ``assert s.cost < 0.01`` fails naming the unpriced model, while the
    agent's own comparison of its cost runs unchanged."""
    for var in [v for v in os.environ if v.startswith(("OTEL_", "AGENTOPS_"))]:
        monkeypatch.delenv(var)
    monkeypatch.setattr(pytest_plugin, "_initialised", True)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(agent=AGENT, test_agent=TESTS)
    result = pytester.runpytest_inprocess("-p", "no:hypothesispytest", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*_ test_ported_cost_check _*",
                                 "E *NotJudgeable: session.cost cannot be compared: the session's cost is incomplete*"
                                 "acme-llm-9*model without a known price*"])


def test_comparing_the_cost_of_a_session_a_forked_child_took_along_fails(client: OpenAI) -> None:
    """A child forked inside the session made calls this process never saw: its cost cannot be compared either."""
    with agentops.session("support") as s:
        client.chat.completions.create(model="gpt-4o-mini", messages=USER)
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
    assert s.cost_complete
    with pytest.raises(NotJudgeable, match="forked once while this session was current"):
        assert s.cost < 1.0


def test_comparing_the_cost_while_a_step_still_runs_fails(client: OpenAI) -> None:
    """A tool still running in a thread when the session ended may call a model outside its totals: no comparison."""
    import threading

    from agentops_otel import carry_context, tool

    release = threading.Event()

    @tool
    def slow_lookup() -> str:
        release.wait(5)
        return "done"

    with agentops.session("support") as s:
        worker = threading.Thread(target=carry_context(slow_lookup))
        worker.start()
    try:
        with pytest.raises(NotJudgeable, match="slow_lookup"):
            assert s.cost < 1.0
    finally:
        release.set()
        worker.join()


DOCTESTED_AGENT = '''
import agentops_otel as agentops
from agentops_otel import LLMEvent

def agent():
    """Runs within its budget:

    >>> agent().over_budget
    False
    """
    with agentops.session("agent") as s:
        agentops.record(LLMEvent(model="acme-llm-9", prompt_tokens=10, completion_tokens=5))
        s.over_budget = s.cost > 1.0  # the agent's own check
    return s
'''


def _isolated(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in [v for v in os.environ if v.startswith(("OTEL_", "AGENTOPS_"))]:
        monkeypatch.delenv(var)
    monkeypatch.setattr(pytest_plugin, "_initialised", True)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")


def test_the_agents_own_check_runs_as_in_production_under_doctest_modules(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under ``--doctest-modules`` the agent's module is what pytest runs: its own budget check still reads a float."""
    _isolated(pytester, monkeypatch)
    pytester.makepyfile(agent=DOCTESTED_AGENT)
    result = pytester.runpytest_inprocess("-p", "no:hypothesispytest", "-p", "no:cacheprovider", "--doctest-modules")
    result.assert_outcomes(passed=1)


def test_the_agents_own_check_runs_as_in_production_when_pytest_rewrites_its_module(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """An agent module pytest rewrites for assertions (a plugin's, or one a conftest registers) is still the agent."""
    _isolated(pytester, monkeypatch)
    pytester.makeconftest('import pytest\npytest.register_assert_rewrite("agent")\n')
    pytester.makepyfile(agent=AGENT, test_agent=TESTS.split("def test_ported_cost_check")[0]
                        + "def test_budget():\n    s = agent()\n    assert s.over_budget is False\n")
    result = pytester.runpytest_inprocess("-p", "no:hypothesispytest", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_an_incomplete_cost_still_serialises_and_averages(client: OpenAI) -> None:
    """Writing the cost out (JSON, pretty-printed too) or averaging it is no verdict: it uses the known figure."""
    import json
    import statistics

    s = _partly_priced(client)
    cost = s.cost
    assert json.loads(json.dumps({"cost": cost}, indent=2))["cost"] == float(cost)
    assert statistics.mean([float(cost), float(cost)]) == float(cost)
    assert isinstance(statistics.mean([cost, cost]), float)


def test_session_end_session_returns_the_cost_as_agentops_does(client: OpenAI) -> None:
    """AgentOps 0.3's ``cost = session.end_session("Success")`` is the session's cost, as ``session.cost`` reads it."""
    s = agentops.start_session(tags=["port"])
    client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    cost = s.end_session("Success")
    assert cost is not None and cost == s.cost and 0 < cost < 0.01


def test_the_cost_session_end_session_returns_refuses_comparison_when_incomplete(client: OpenAI) -> None:
    """The cost ``end_session`` hands a test is refused as ``session.cost`` is when part of it is unknown."""
    s = agentops.start_session(tags=["port"])
    client.chat.completions.create(model="acme-llm-9", messages=USER)  # no price known
    cost = s.end_session("Success")
    with pytest.raises(NotJudgeable, match="chat acme-llm-9"):
        assert cost is not None and cost < 0.01


def test_comparing_the_cost_fails_when_model_calls_ran_outside_any_session_meanwhile(client: OpenAI) -> None:
    """A pool worker's call (no session there) may be the session's: comparing its $0 fails, as in assert_cost_below."""
    from concurrent.futures import ThreadPoolExecutor

    s = agentops.start_session(tags=["port"])
    with ThreadPoolExecutor(1) as pool:
        pool.submit(client.chat.completions.create, model="gpt-4o-mini", messages=USER).result()
    agentops.end_session("Success")
    assert s.cost_complete and float(s.cost) == 0.0
    with pytest.raises(NotJudgeable, match=r"ran outside any session .*SessionExecutor.*chat gpt-4o-mini"):
        assert s.cost < 0.01
    with pytest.raises(NotJudgeable):
        assert s.end_session() < 0.01  # the cost end_session hands back, as AgentOps 0.3 code reads it


def test_comparing_the_cost_works_when_the_pool_carries_the_session(client: OpenAI) -> None:
    """Submitted through SessionExecutor, the worker's call is the session's: its cost compares as usual."""
    from concurrent.futures import ThreadPoolExecutor

    s = agentops.start_session(tags=["port"])
    with agentops.SessionExecutor(ThreadPoolExecutor(1)) as pool:
        pool.submit(client.chat.completions.create, model="gpt-4o-mini", messages=USER).result()
    agentops.end_session("Success")
    assert 0 < s.cost < 0.01
