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


FAILED_SETUP = '''
import pytest
import agentops_otel as agentops

@pytest.fixture(scope="module")
def conversation():
    s = agentops.start_session("conversation")
    raise RuntimeError("backend down")  # the setup fails after its session started
    yield s

def test_uses_broken_fixture(conversation):
    pass

def test_other(agent_session):
    assert agent_session.parent is None, agent_session.parent.name
'''


def test_a_wider_fixture_whose_setup_failed_leaves_no_session_open_for_later_tests(
        project: pytest.Pytester, span_exporter: InMemorySpanExporter) -> None:
    """A failed setup owns nothing alive: its session is ended after that test, and no later test nests in it."""
    project.makepyfile(test_broken=FAILED_SETUP)
    project.runpytest_inprocess(*QUIET).assert_outcomes(passed=1, errors=1)
    root, _ = _conversation(span_exporter)
    assert root["agentops.session.end_state"] == "Indeterminate"
    assert root["agentops.session.end_reason"].startswith("never ended")


FIXTURE_BAGGAGE = '''
import pytest
import agentops_otel as agentops
from opentelemetry import baggage, context

@pytest.fixture(scope="module")
def conversation():
    s = agentops.start_session("conversation")
    token = context.attach(baggage.set_baggage("tenant", "acme"))  # the user's own OpenTelemetry context
    yield s
    context.detach(token)
    agentops.end_session("Success")

def test_first(conversation, {opt_in}):
    assert baggage.get_baggage("tenant") == "acme"

def test_second(conversation):
    assert baggage.get_baggage("tenant") == "acme"
'''

AFTER_THE_MODULE = '''
from opentelemetry import baggage

def test_later_module():
    assert baggage.get_baggage("tenant") is None, "a module fixture's detached baggage outlived it"
'''


@pytest.mark.parametrize("opt_in", ["request", "agent_session"])
def test_the_plugin_leaves_a_fixtures_own_context_as_the_fixture_set_it(
        project: pytest.Pytester, opt_in: str) -> None:
    """Tests see what a wider fixture attached, and nothing of it once the fixture detached it, opted in or not."""
    project.makepyfile(test_a=FIXTURE_BAGGAGE.format(opt_in=opt_in), test_b=AFTER_THE_MODULE)
    project.runpytest_inprocess(*QUIET).assert_outcomes(passed=3)


END_ALL_IN_TEARDOWN = '''
import pytest
import agentops_otel as agentops

@pytest.fixture(autouse=True)
def clean_up():
    yield
    agentops.end_all_sessions()  # the AgentOps habit: end whatever the agent left open

def test_passes(agent_session):
    agentops.start_session("left open by the agent")
'''


def test_end_all_sessions_in_a_teardown_leaves_the_tests_own_session_to_the_plugin(
        project: pytest.Pytester, span_exporter: InMemorySpanExporter) -> None:
    """end_all_sessions() in a user's teardown ends the agent's sessions, not the plugin's session of the
    test, which still ends with the test's outcome (it read Indeterminate for a passing test)."""
    project.makepyfile(test_end_all=END_ALL_IN_TEARDOWN)
    project.runpytest_inprocess(*QUIET).assert_outcomes(passed=1)
    states = {(s.attributes or {}).get("agentops.session.name"): (s.attributes or {}).get("agentops.session.end_state")
              for s in span_exporter.get_finished_spans() if (s.attributes or {}).get("agentops.session.name")}
    assert states == {"test_passes": "Success", "left open by the agent": "Indeterminate"}
