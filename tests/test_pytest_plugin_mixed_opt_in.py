"""Some tests opted in to per-test sessions, others not: the normal way to adopt the plugin.

A module fixture's session must not depend on which kind of test happened to set it up or tear it down:
a test's own session is top-level, the fixture's teardown ends the fixture's session, and a plain test
sees the fixture's session current as it would if nobody had opted in.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel import pytest_plugin

pytest_plugins = ["pytester"]

QUIET = ("-p", "no:hypothesispytest", "-p", "no:cacheprovider")
PER_TEST = ("-o", "agentops_session_per_test=true")

CONVERSATION = '''
import pytest
import agentops_otel as agentops

@agentops.tool
def step(i):
    return i

@pytest.fixture(scope="module")
def conversation():
    agentops.start_session("conversation")
    yield
    agentops.end_session("Success")          # argless, as a ported AgentOps fixture does

def test_turn1(conversation{first}):
    step(1)

def test_turn2(conversation{second}):
    step(2)
    {body}
'''


def _conversation(first: str = "", second: str = "", body: str = "pass") -> str:
    return CONVERSATION.format(first=first, second=second, body=body)


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
            span_exporter: InMemorySpanExporter) -> pytest.Pytester:
    """A project run in this process (its spans reach ``span_exporter``), no exporter settings inherited."""
    for var in [v for v in os.environ if v.startswith(("OTEL_", "AGENTOPS_"))]:
        monkeypatch.delenv(var)
    monkeypatch.setattr(pytest_plugin, "_initialised", True)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    return pytester


def _sessions(exporter: InMemorySpanExporter) -> dict[str, dict[str, Any]]:
    """Each session's root attributes, by session name."""
    return {(s.attributes or {})["agentops.session.name"]: dict(s.attributes or {})
            for s in exporter.get_finished_spans() if "agentops.session.name" in (s.attributes or {})}


def _parent(exporter: InMemorySpanExporter, name: str) -> str | None:
    """The name of the session ``name`` is nested in, or None for a top-level one."""
    roots = _sessions(exporter)
    parent_id = roots[name].get("agentops.session.parent_id")
    return next((n for n, a in roots.items() if a["session.id"] == parent_id), parent_id and "?")


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


def _end(exporter: InMemorySpanExporter, name: str) -> tuple[Any, Any]:
    root = _sessions(exporter)[name]
    return root["agentops.session.end_state"], root.get("agentops.session.end_reason")


def test_an_opted_in_test_is_top_level_after_a_plain_test_set_up_a_wider_fixture(
        project: pytest.Pytester, span_exporter: InMemorySpanExporter) -> None:
    """The test's session is not nested in the session the plain test's fixture setup left current."""
    project.makepyfile(test_mixed=_conversation(second=", agent_session"))
    project.runpytest_inprocess(*QUIET).assert_outcomes(passed=2)
    assert _parent(span_exporter, "test_turn2") is None


def test_an_opted_in_test_ends_with_its_outcome_after_a_plain_test_set_up_a_wider_fixture(
        project: pytest.Pytester, span_exporter: InMemorySpanExporter) -> None:
    """The fixture's teardown ending its session does not end the test's first ("parent session ended first")."""
    project.makepyfile(test_mixed=_conversation(second=", agent_session"))
    project.runpytest_inprocess(*QUIET).assert_outcomes(passed=2)
    assert _end(span_exporter, "test_turn2") == ("Success", None)


def test_an_agent_session_in_an_opted_in_test_nests_in_the_test_after_a_plain_test_set_up_a_wider_fixture(
        project: pytest.Pytester, span_exporter: InMemorySpanExporter) -> None:
    """The agent the test starts is still the test's, not the fixture's."""
    body = 'with agentops.session("agent"):\n        step(3)'
    project.makepyfile(test_mixed=_conversation(second=", agent_session", body=body))
    project.runpytest_inprocess(*QUIET).assert_outcomes(passed=2)
    assert _parent(span_exporter, "agent") == "test_turn2"


def test_a_plain_test_tearing_down_a_fixture_an_opted_in_test_set_up_ends_the_fixtures_session(
        project: pytest.Pytester, span_exporter: InMemorySpanExporter) -> None:
    """The fixture's argless ``end_session()`` ends its session, though the tearing-down test has none."""
    project.makepyfile(test_mixed=_conversation(first=", agent_session"))
    project.runpytest_inprocess(*QUIET).assert_outcomes(passed=2)
    assert _end(span_exporter, "conversation") == ("Success", None)


def test_a_plain_test_after_an_opted_in_one_set_up_a_wider_fixture_records_in_the_fixtures_session(
        project: pytest.Pytester, span_exporter: InMemorySpanExporter) -> None:
    """The plain test sees the fixture's session current, as it would had no test opted in."""
    project.makepyfile(test_mixed=_conversation(first=", agent_session"))
    project.runpytest_inprocess(*QUIET).assert_outcomes(passed=2)
    assert _tools_by_session(span_exporter) == {"test_turn1": ["1"], "conversation": ["2"]}


def test_under_per_test_sessions_a_class_fixture_nests_in_the_module_fixture_it_depends_on(
        project: pytest.Pytester, span_exporter: InMemorySpanExporter) -> None:
    """A wider fixture sets up in the context the wider fixtures before it left, as without per-test sessions."""
    project.makepyfile(test_nested='''
import pytest
import agentops_otel as agentops

@pytest.fixture(scope="module")
def conv():
    with agentops.session("conv-with") as s:
        yield s

@pytest.fixture(scope="class")
def cls_conv(conv):
    with agentops.session("cls-with") as s:
        yield s

class TestC:
    def test_1(self, cls_conv):
        pass
''')
    project.runpytest_inprocess(*QUIET, *PER_TEST).assert_outcomes(passed=1)
    assert (_parent(span_exporter, "cls-with"), _parent(span_exporter, "test_1")) == ("conv-with", None)
