"""AGENTOPS_OTEL_DISABLED turns every wrapper into a pass-through: sessions, tools, actions, LLM calls."""

from __future__ import annotations

from pathlib import Path

import pytest
from _subproc import PRELUDE, run_python

pytestmark = pytest.mark.slow  # each test runs a child interpreter: make test, not make unit

DISABLED = {"AGENTOPS_OTEL_DISABLED": "true"}

AGENT = """
@agentops.tool
def lookup(x):
    return x + 1

@agentops.record_action("step")
def step(x):
    return x * 2

def agent(client):
    with agentops.session("s") as s:
        reply = chat(client).choices[0].message.content
        agentops.record(agentops.ActionEvent(action_type="note", params={"a": 1}))
        result = (lookup(1), step(2), reply)
    return result, s.end_state
"""


def test_disabled_exports_nothing_to_the_users_provider(tmp_path: Path) -> None:
    """With the kill switch on, no span of ours reaches the user's exporter, and results are unchanged."""
    out = run_python(PRELUDE + AGENT + """
from opentelemetry import trace
provider, exporter = memory_provider()
trace.set_tracer_provider(provider)
agentops.init()
with OpenAIServer() as server, OpenAI(base_url=server.base_url, api_key="k", max_retries=0) as client:
    print(agent(client))
print(len(exporter.get_finished_spans()))
""", tmp_path, env=DISABLED)
    lines = out.splitlines()
    assert lines[0].startswith("((2, 4, ") and lines[0].endswith("'Success')")
    assert lines[1] == "0"


def test_disabled_writes_no_local_sink(tmp_path: Path) -> None:
    """With the kill switch on and no provider of the user's, nothing is written to the local file."""
    run_python(PRELUDE + AGENT + """
agentops.init()
with OpenAIServer() as server, OpenAI(base_url=server.base_url, api_key="k", max_retries=0) as client:
    agent(client)
agentops.shutdown()
""", tmp_path, env=DISABLED)
    assert not (tmp_path / ".agentops-otel").exists()


def test_disabled_session_records_nothing_even_in_process(tmp_path: Path) -> None:
    """The kill switch means no work: no in-process recording either, and the session says why."""
    out = run_python(PRELUDE + AGENT + """
agentops.init()
with agentops.session("s") as s:
    pass
print(s.spans, s.not_exported)
""", tmp_path, env=DISABLED)
    assert out.splitlines() == ["[] agentops_otel is disabled (AGENTOPS_OTEL_DISABLED)"]


def test_a_session_started_while_disabled_stays_unrecorded_when_the_switch_is_cleared(tmp_path: Path) -> None:
    """Clearing the switch mid-session records none of that session's later steps as stray traces of their own."""
    out = run_python(PRELUDE + AGENT + """
import os
from opentelemetry import trace
provider, exporter = memory_provider()
trace.set_tracer_provider(provider)
agentops.init()
with OpenAIServer() as server, OpenAI(base_url=server.base_url, api_key="k", max_retries=0) as client:
    with agentops.session("s") as s:
        os.environ.pop("AGENTOPS_OTEL_DISABLED")
        lookup(1)
        chat(client)
    with agentops.session("after") as t:
        lookup(2)
print(sorted(sp.name for sp in exporter.get_finished_spans()))
""", tmp_path, env=DISABLED)
    assert out.splitlines()[-1] == "['execute_tool lookup', 'invoke_agent after']"


def test_outside_a_test_the_fields_of_an_unrecorded_session_read_as_before(tmp_path: Path) -> None:
    """A program (no pytest) reads an unrecorded session's fields empty and compares its cost, as before."""
    out = run_python("""
import agentops_otel as agentops

@agentops.tool
def lookup(x):
    return x

with agentops.session("s") as s:
    lookup(1)
print(s.errors, s.tool_events, s.llm_events, s.action_events, s.events, s.cost < 0.01, type(s.cost).__name__)
""", tmp_path, env={"AGENTOPS_OTEL_DISABLED": "true"})
    assert out.strip() == "[] [] [] [] [] True float"
