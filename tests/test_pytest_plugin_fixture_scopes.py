"""Sessions started by module- or session-scoped fixtures belong to the fixture, not to the first test.

The plugin ends what a test left open before the next test starts; a wider fixture's session is open on
purpose across tests (one conversation over a module's turns) and is the fixture's to end.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel import pytest_plugin

pytest_plugins = ["pytester"]

QUIET = ("-p", "no:hypothesispytest", "-p", "no:cacheprovider")

CONVERSATION = '''
import pytest
import agentops_otel as agentops

@agentops.tool
def step(i):
    return i

@pytest.fixture(scope="{scope}")
def conversation():
    s = agentops.start_session("conversation")   # one session across the tests
    yield s
    {teardown}

def test_turn1(conversation):
    step(1)

def test_turn2(conversation):
    step(2)
    assert not conversation.ended

def test_turn3_elsewhere():
    step(3)
'''


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
            span_exporter: InMemorySpanExporter) -> pytest.Pytester:
    """A project run in this process (its spans reach ``span_exporter``), no exporter settings inherited."""
    for var in [v for v in os.environ if v.startswith(("OTEL_", "AGENTOPS_"))]:
        monkeypatch.delenv(var)
    monkeypatch.setattr(pytest_plugin, "_initialised", True)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    return pytester


def _conversation(exporter: InMemorySpanExporter) -> tuple[dict[str, Any], list[Any]]:
    """The conversation session's root attributes and the tools called in it."""
    spans = exporter.get_finished_spans()
    root = next(s for s in spans if (s.attributes or {}).get("agentops.session.name") == "conversation")
    sid = (root.attributes or {})["session.id"]
    tools = [(s.attributes or {}).get("gen_ai.tool.call.result") for s in spans
             if s.name.startswith("execute_tool") and (s.attributes or {}).get("session.id") == sid]
    return dict(root.attributes or {}), tools


@pytest.mark.parametrize("scope", ["module", "session"])
def test_a_wider_fixtures_session_lives_until_the_fixture_ends_it(
        project: pytest.Pytester, span_exporter: InMemorySpanExporter, scope: str) -> None:
    """The fixture's session takes every test's steps and ends as the fixture's teardown says."""
    ends = 'agentops.end_session("Success", session=s)'
    project.makepyfile(test_conv=CONVERSATION.format(scope=scope, teardown=ends))
    project.runpytest_inprocess(*QUIET).assert_outcomes(passed=3)
    root, tools = _conversation(span_exporter)
    assert (root["agentops.session.end_state"], root.get("agentops.session.end_reason")) == ("Success", None)
    assert tools == ["1", "2", "3"]


def test_a_wider_fixtures_session_left_open_ends_with_the_fixture(
        project: pytest.Pytester, span_exporter: InMemorySpanExporter) -> None:
    """A session the module fixture never ended is ended Indeterminate at its teardown, naming the fixture."""
    project.makepyfile(test_conv=CONVERSATION.format(scope="module", teardown="pass"))
    project.runpytest_inprocess(*QUIET).assert_outcomes(passed=3)
    root, tools = _conversation(span_exporter)
    assert root["agentops.session.end_state"] == "Indeterminate"
    assert root["agentops.session.end_reason"] == (
        "never ended: left open by fixture 'conversation' (module scope), ended by the pytest plugin")
    assert tools == ["1", "2", "3"]


PER_TEST = ("-o", "agentops_session_per_test=true")

TURNS = '''
import pytest
import agentops_otel as agentops
from agentops_otel import LLMEvent

@agentops.tool
def step(i):
    return i

@pytest.fixture(scope="{scope}")
def conversation():
    step(-1)                               # outside any session of the fixture's
    s = agentops.start_session("conversation")
    step(0)
    yield s
    step(9)
    {teardown}

{first}

def test_turn2(conversation):
    step(2)
    assert not conversation.ended, conversation.end_state_reason
'''


def _sessions(exporter: InMemorySpanExporter) -> dict[str, dict[str, Any]]:
    """Each session's root attributes, by session name."""
    return {(s.attributes or {})["agentops.session.name"]: dict(s.attributes or {})
            for s in exporter.get_finished_spans() if "agentops.session.name" in (s.attributes or {})}


def _tools_by_session(exporter: InMemorySpanExporter) -> dict[str, list[Any]]:
    """The tool results each session recorded, by session name (sessionless ones under ``None``)."""
    names = {a["session.id"]: n for n, a in _sessions(exporter).items()}
    tools: dict[str, list[Any]] = {}
    for s in exporter.get_finished_spans():
        if s.name.startswith("execute_tool"):
            a = s.attributes or {}
            tools.setdefault(names.get(str(a.get("session.id")), "None"), []).append(
                a.get("gen_ai.tool.call.result"))
    return tools


def _turns(scope: str = "module", teardown: str = 'agentops.end_session("Success", session=s)',
           first: str = "def test_turn1(conversation):\n    step(1)") -> str:
    return TURNS.format(scope=scope, teardown=teardown, first=first)


@pytest.mark.parametrize("scope", ["module", "session"])
def test_under_per_test_sessions_a_wider_fixtures_session_is_top_level_and_ends_as_the_fixture_says(
        project: pytest.Pytester, span_exporter: InMemorySpanExporter, scope: str) -> None:
    """With a session per test, the fixture's session is not nested in the first test's, so it is not ended with it."""
    project.makepyfile(test_turns=_turns(scope))
    project.runpytest_inprocess(*QUIET, *PER_TEST).assert_outcomes(passed=2)
    root = _sessions(span_exporter)["conversation"]
    assert "agentops.session.parent_id" not in root
    assert (root["agentops.session.end_state"], root.get("agentops.session.end_reason")) == ("Success", None)


def test_the_agent_session_fixture_in_the_first_test_leaves_the_wider_fixtures_session_alone(
        project: pytest.Pytester, span_exporter: InMemorySpanExporter) -> None:
    """Opting in with ``agent_session`` in the first test alone does not nest the module fixture's session either."""
    project.makepyfile(test_turns=_turns(first="def test_turn1(agent_session, conversation):\n    step(1)"))
    project.runpytest_inprocess(*QUIET).assert_outcomes(passed=2)
    root = _sessions(span_exporter)["conversation"]
    assert "agentops.session.parent_id" not in root
    assert (root["agentops.session.end_state"], root.get("agentops.session.end_reason")) == ("Success", None)


def test_under_per_test_sessions_each_test_keeps_its_steps_and_the_fixture_its_own(
        project: pytest.Pytester, span_exporter: InMemorySpanExporter) -> None:
    """The wider fixture's setup and teardown record in its session, the tests' bodies in theirs, the rest nowhere."""
    project.makepyfile(test_turns=_turns())
    project.runpytest_inprocess(*QUIET, *PER_TEST).assert_outcomes(passed=2)
    assert _tools_by_session(span_exporter) == {
        "None": ["-1"], "conversation": ["0", "9"], "test_turn1": ["1"], "test_turn2": ["2"]}


def test_a_wider_fixtures_teardown_ends_its_own_session_not_the_last_tests(
        project: pytest.Pytester, span_exporter: InMemorySpanExporter) -> None:
    """``end_session()`` with no session in the wider fixture's teardown ends the session its setup made current."""
    project.makepyfile(test_turns=_turns(teardown='agentops.end_session("Success")'))
    project.runpytest_inprocess(*QUIET, *PER_TEST).assert_outcomes(passed=2)
    roots = _sessions(span_exporter)
    assert (roots["conversation"]["agentops.session.end_state"],
            roots["conversation"].get("agentops.session.end_reason")) == ("Success", None)
    assert roots["test_turn2"]["agentops.session.end_state"] == "Success"


def test_a_cost_limit_on_the_first_test_leaves_out_what_the_wider_fixture_spends(
        project: pytest.Pytester) -> None:
    """The module fixture's model calls (in its session, or before it started one) are not the first test's spend."""
    project.makepyfile(test_turns=_turns(first='''
@pytest.fixture(scope="module")
def warmed_up():
    agentops.record(LLMEvent(model="gpt-4o", prompt_tokens=10, completion_tokens=1, cost=1.0))  # outside any session
    s = agentops.start_session("warm-up")
    agentops.record(LLMEvent(model="gpt-4o", prompt_tokens=10, completion_tokens=1, cost=1.0))
    yield
    s.end("Success")

@pytest.mark.agent_cost_limit(usd=0.5, llm_calls=0)
def test_turn1(warmed_up, conversation):
    step(1)'''))
    project.runpytest_inprocess(*QUIET).assert_outcomes(passed=2)


def test_a_cost_limit_counts_the_test_once_after_nested_wider_fixtures_set_up(project: pytest.Pytester) -> None:
    """A wider fixture setting up another inside its own setup leaves the test's limit counting each call once."""
    project.makepyfile(test_nested='''
import threading
import pytest
import agentops_otel as agentops
from agentops_otel import LLMEvent

@pytest.fixture(scope="session")
def base():
    yield

@pytest.fixture(scope="module")
def conversation(request):
    request.getfixturevalue("base")   # set up inside this one's setup
    yield

@pytest.mark.agent_cost_limit(llm_calls=1)
def test_one_call_in_a_thread(conversation):
    # a thread has no session: the call is counted as one outside any session
    t = threading.Thread(target=agentops.record, args=(LLMEvent(model="gpt-4o", cost=0.001),))
    t.start()
    t.join()
''')
    project.runpytest_inprocess(*QUIET).assert_outcomes(passed=1)
