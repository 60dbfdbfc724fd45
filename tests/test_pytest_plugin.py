"""The pytest plugin: per-test sessions whose end state mirrors the outcome, replays on failure, cost limits.

Most scenarios run pytest in-process (``runpytest_inprocess``, well under a second each): the inner
run's plugin finds the suite's provider already initialised, so the sessions it opens land in the
``span_exporter`` fixture. What needs a process of its own (the plugin's own ``init()``, the default
file sink, an OTLP endpoint, a project that never opts in) runs in a subprocess and is marked
``slow``: ``make test`` runs it, ``make unit`` leaves it out.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel import pytest_plugin

pytest_plugins = ["pytester"]

QUIET_SUBPROCESS = ("-p", "no:hypothesispytest", "-p", "no:cacheprovider")
"""Plugins the scenarios never use: hypothesis alone takes seconds to import in every run."""

INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
{extra}
"""

AGENT = '''
import agentops_otel as agentops
from agentops_otel import ActionEvent, LLMEvent, record_action

@record_action("fetch_customer_data")
def fetch_customer(customer_id):
    if customer_id is None:
        raise ValueError("customer_id cannot be None")
    return {"id": customer_id}

def llm_call(tokens=100, cost=0.002):
    agentops.record(LLMEvent(model="gpt-4o", prompt_tokens=tokens, completion_tokens=tokens // 10, cost=cost))

def run_agent(customer_id, llm_calls=1):
    agentops.start_session("support-agent", tags=["support"])
    try:
        for _ in range(llm_calls):
            llm_call()
        customer = fetch_customer(customer_id)
        agentops.record(ActionEvent(action_type="session_complete"))
        agentops.end_session("Success")
        return customer
    except Exception as e:
        agentops.end_session("Fail", end_state_reason=str(e))
        raise
'''


def _value(v: dict[str, Any]) -> Any:
    (kind, raw), = v.items()
    if kind == "arrayValue":
        return [_value(x) for x in raw.get("values", [])]
    if kind == "intValue":
        return int(raw)
    return raw


def sink_spans(root: Path) -> list[dict[str, Any]]:
    """Every span the default file sink wrote, with attributes as a plain dict."""
    spans = []
    for line in (root / ".agentops-otel" / "traces.jsonl").read_text().splitlines():
        for rs in json.loads(line)["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                for span in ss["spans"]:
                    span["attrs"] = {kv["key"]: _value(kv["value"]) for kv in span.get("attributes", [])}
                    spans.append(span)
    return spans


def sink_sessions(root: Path) -> dict[str, dict[str, Any]]:
    """Session root attributes by session name."""
    return {s["attrs"]["agentops.session.name"]: s["attrs"] for s in sink_spans(root)
            if s["attrs"].get("gen_ai.operation.name") == "invoke_agent"}


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A fresh project with the example agent, and no OTLP endpoint inherited from the outer run."""
    for var in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_TRACES_EXPORTER",
                "AGENTOPS_OTEL_FILE", "OTEL_EXPORTER_OTLP_PROTOCOL"):
        monkeypatch.delenv(var, raising=False)
    pytester.makepyfile(agent=AGENT)
    pytester.makeini(INI.format(extra=""))
    return pytester


@pytest.fixture
def inline(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
           span_exporter: InMemorySpanExporter) -> pytest.Pytester:
    """The project, run in this process: the plugin skips ``init()`` and its spans reach ``span_exporter``."""
    monkeypatch.setattr(pytest_plugin, "_initialised", True)
    return project


def run_inline(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # pytester drops the modules an in-process run imported: hypothesis (imported by its plugin's
    # summary) would be imported afresh, for seconds, by every run.
    return pytester.runpytest_inprocess(*QUIET_SUBPROCESS, *args)


def exported_spans(exporter: InMemorySpanExporter) -> list[dict[str, Any]]:
    """The spans an in-process run exported, shaped like ``sink_spans``' (name and plain attributes)."""
    return [{"name": s.name, "attrs": {k: list(v) if isinstance(v, tuple) else v
                                       for k, v in (s.attributes or {}).items()}}
            for s in exporter.get_finished_spans()]


def exported_sessions(exporter: InMemorySpanExporter) -> dict[str, dict[str, Any]]:
    """Session root attributes by session name, from an in-process run."""
    return {s["attrs"]["agentops.session.name"]: s["attrs"] for s in exported_spans(exporter)
            if s["attrs"].get("gen_ai.operation.name") == "invoke_agent"}


OUTCOMES = '''
import pytest
from agent import fetch_customer

def test_passes(agent_session):
    fetch_customer("42")

def test_fails(agent_session):
    fetch_customer("42")
    assert 1 == 2, "wrong answer"

@pytest.fixture
def broken_setup():
    raise RuntimeError("database down")

def test_setup_error(agent_session, broken_setup):
    pass

@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("cleanup failed")

def test_teardown_error(agent_session, broken_teardown):
    pass

def test_skipped(agent_session):
    pytest.skip("not today")

@pytest.mark.skip(reason="never")
def test_skipped_by_marker(agent_session):
    pass

@pytest.mark.xfail(reason="known bug")
def test_expected_failure(agent_session):
    assert False
'''


END_STATES = {
    "test_passes": ("Success", None),
    "test_fails": ("Fail", "test failed: AssertionError: wrong answer"),
    "test_setup_error": ("Fail", "error in setup: RuntimeError: database down"),
    "test_teardown_error": ("Fail", "error in teardown: RuntimeError: cleanup failed"),
    "test_skipped": ("Indeterminate", "test skipped: not today"),
    "test_skipped_by_marker": ("Indeterminate", "test skipped: never"),
    "test_expected_failure": ("Indeterminate", "expected failure (xfail): known bug"),
}


def test_outcomes_become_end_states(inline: pytest.Pytester, span_exporter: InMemorySpanExporter) -> None:
    """pass → Success, fail/setup error/teardown error → Fail, skip/xfail → Indeterminate, with a reason."""
    inline.makepyfile(test_outcomes=OUTCOMES)
    result = run_inline(inline)
    result.assert_outcomes(passed=2, failed=1, errors=2, skipped=2, xfailed=1)
    found = {name: (a["agentops.session.end_state"], a.get("agentops.session.end_reason"))
             for name, a in exported_sessions(span_exporter).items()}
    assert found == END_STATES


@pytest.mark.slow
def test_a_real_run_writes_its_sessions_to_the_default_sink(project: pytest.Pytester) -> None:
    """In a project of its own the plugin initialises, writes every test's session to the file sink and says so."""
    project.makepyfile(test_outcomes=OUTCOMES)
    result = project.runpytest_subprocess(*QUIET_SUBPROCESS)
    result.assert_outcomes(passed=2, failed=1, errors=2, skipped=2, xfailed=1)
    assert "Spans exported to file .agentops-otel/traces.jsonl" in result.stdout.str()
    found = {name: (a["agentops.session.end_state"], a.get("agentops.session.end_reason"))
             for name, a in sink_sessions(project.path).items()}
    assert found == END_STATES


def test_sessions_are_named_and_tagged_after_the_test(inline: pytest.Pytester,
                                                      span_exporter: InMemorySpanExporter) -> None:
    """The session carries the test's name, and the tags ``test`` and the node id."""
    inline.makepyfile(test_named="def test_one(agent_session):\n    pass\n")
    run_inline(inline).assert_outcomes(passed=1)
    attrs = exported_sessions(span_exporter)["test_one"]
    assert attrs["agentops.tags"] == ["test", "test_named.py::test_one"]


def test_replay_section_on_failures_only(inline: pytest.Pytester) -> None:
    """Failures and setup errors show the replay and the URL; passing tests get no section (even with -rA)."""
    inline.makepyfile(test_outcomes=OUTCOMES)
    result = run_inline(inline, "-rA")
    out = result.stdout.str()
    assert out.count("Captured agentops session replay teardown") == 2  # test_fails, test_teardown_error
    assert out.count("Captured agentops session replay setup") == 1
    failure = out[out.index("_ test_fails _"):]
    failure = re.split(r"\n[_=]{3,} ", failure, maxsplit=1)[0]  # up to the next report or section
    assert "Captured agentops session replay teardown" in failure
    assert "fetch_customer_data" in failure
    assert "Session URL: http://localhost:16686/trace/" in failure
    passes = out[out.index("PASSES"):] if "PASSES" in out else ""
    assert "agentops session replay" not in passes


def test_replay_shows_agent_sessions_started_in_the_test(inline: pytest.Pytester,
                                                         span_exporter: InMemorySpanExporter) -> None:
    """The agent's own session appears in the replay, with its error step and its own URL."""
    inline.makepyfile(test_nested='''
        from agent import run_agent

        def test_missing_customer(agent_session):
            run_agent(None)
    ''')
    result = run_inline(inline)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*Captured agentops session replay teardown*",
        "Session: * | Status: Fail",
        "*fetch_customer_data*← ERROR ValueError: customer_id cannot be None*",
        "Sessions started inside this test:",
        "  - support-agent *: Fail (customer_id cannot be None)  http://localhost:16686/trace/*",
    ])
    sessions = exported_sessions(span_exporter)
    agent = sessions["support-agent"]
    assert agent["agentops.session.parent_id"] == sessions["test_missing_customer"]["session.id"]


def test_agent_assertion_failures_show_the_replay_once(inline: pytest.Pytester) -> None:
    """When an agent assertion already printed the replay, the section only links the sessions."""
    inline.makepyfile(test_asserting='''
        import pytest
        from agentops_otel.testing import assert_tool_called
        from agent import run_agent

        def test_expects_a_refund(agent_session):
            run_agent("42")
            assert_tool_called(agent_session, "refund")
    ''')
    result = run_inline(inline)
    result.assert_outcomes(failed=1)
    # Under CI=true pytest repeats the whole message in the short summary; count above it.
    out = result.stdout.str().split("short test summary info")[0]
    assert out.count("fetch_customer_data (") == 1  # one replay line for the step, in the message
    result.stdout.fnmatch_lines([
        "E   *AgentAssertionError: expected 'refund' to be called at least once, but it was called 0 times.",
        "*Captured agentops session replay teardown*",
        "Session * (test_expects_a_refund): Fail (test failed: AgentAssertionError: expected 'refund' *",
        "Session URL: http://localhost:16686/trace/*",
        "Sessions started inside this test:",
        "  - support-agent *: Success  http://localhost:16686/trace/*",
        "The replay is in the assertion message above.",
    ])


def test_sessions_are_isolated_between_tests(inline: pytest.Pytester,
                                             span_exporter: InMemorySpanExporter) -> None:
    """A test's session holds only its own spans; the next test (opted in or not) never sees it."""
    inline.makepyfile(test_isolated='''
        import agentops_otel as agentops
        from agent import fetch_customer, run_agent

        def test_first(agent_session):
            run_agent("42")
            assert agent_session.actions == 2

        def test_second(agent_session):
            assert agentops.get_session() is agent_session
            assert agent_session.spans == [] and agent_session.actions == 0
            fetch_customer("7")
            assert [e.params for e in agent_session.action_events] == [{"customer_id": "7"}]

        def test_not_opted_in():
            assert agentops.get_session() is None
    ''')
    run_inline(inline).assert_outcomes(passed=3)
    spans = exported_spans(span_exporter)
    ids = {s["attrs"]["agentops.session.name"]: s["attrs"]["session.id"] for s in spans
           if "agentops.session.name" in s["attrs"]}
    fetches = [s["attrs"]["session.id"] for s in spans if s["name"] == "action fetch_customer_data"]
    assert fetches == [ids["support-agent"], ids["test_second"]]


@pytest.mark.slow
def test_does_nothing_unless_enabled(project: pytest.Pytester) -> None:
    """No fixture, marker or ini: no session, no init, no file, no report section, failures unchanged."""
    project.makepyfile(test_plain='''
        from opentelemetry import trace
        import agentops_otel as agentops
        from agentops_otel import export

        def test_untouched():
            assert agentops.get_session() is None
            assert export._provider is None
            assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)

        def test_failing():
            assert False
    ''')
    result = project.runpytest_subprocess("-rA", *QUIET_SUBPROCESS)
    result.assert_outcomes(passed=1, failed=1)
    assert "agentops session replay" not in result.stdout.str()
    assert not (project.path / ".agentops-otel").exists()


def test_ini_option_wraps_every_test(inline: pytest.Pytester, span_exporter: InMemorySpanExporter) -> None:
    """``agentops_session_per_test = true`` gives every test a session without asking for the fixture."""
    inline.makeini(INI.format(extra="agentops_session_per_test = true"))
    inline.makepyfile(test_every='''
        import agentops_otel as agentops

        def test_a():
            s = agentops.current_session()
            assert s is not None and s.name == "test_a" and s.tags == ["test", "test_every.py::test_a"]

        def test_b():
            assert agentops.current_session().name == "test_b"

        def test_c():
            assert False, "nope"
    ''')
    result = run_inline(inline)
    result.assert_outcomes(passed=2, failed=1)
    states = {n: a["agentops.session.end_state"] for n, a in exported_sessions(span_exporter).items()}
    assert states == {"test_a": "Success", "test_b": "Success", "test_c": "Fail"}
    assert "Captured agentops session replay teardown" in result.stdout.str()


def test_async_tests_run_inside_their_session(inline: pytest.Pytester) -> None:
    """An async test (and an async fixture) sees the test's session; agent spans nest in it."""
    inline.makepyfile(test_async='''
        import asyncio
        import pytest
        import agentops_otel as agentops
        from agent import fetch_customer

        @pytest.fixture
        async def warmed_up():
            return agentops.current_session()

        async def test_async(agent_session, warmed_up):
            assert warmed_up is agent_session
            await asyncio.sleep(0)
            assert agentops.current_session() is agent_session
            fetch_customer("42")
            assert agent_session.actions == 1
    ''')
    run_inline(inline).assert_outcomes(passed=1)


COST = '''
import pytest
from agent import llm_call, run_agent

@pytest.mark.agent_cost_limit(usd=0.01, llm_calls=3)
def test_within_budget():
    run_agent("42", llm_calls=2)

@pytest.mark.agent_cost_limit(usd=0.01, llm_calls=3)
def test_prompt_change_doubles_the_calls():
    run_agent("42", llm_calls=6)

@pytest.mark.agent_cost_limit(tokens=500)
def test_too_many_tokens():
    llm_call(tokens=1000, cost=0.0)
'''


def test_cost_limit_marker(inline: pytest.Pytester, span_exporter: InMemorySpanExporter) -> None:
    """Limits count the nested agent sessions; exceeding one fails with the cost of every call."""
    inline.makepyfile(test_budget=COST)  # in-process: basenames must not clash with this suite's modules
    result = run_inline(inline)
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines([
        "*_ test_prompt_change_doubles_the_calls _*",
        "agent_cost_limit exceeded: cost $0.012 is over the limit of $0.01; "
        "6 LLM calls are over the limit of 3.",
        "Cost by call (all sessions of this test):",
        "   1. 00:00.* gpt-4o * 100 in /    10 out      $0.002  (in session support-agent)",
        "*   6. 00:00.* gpt-4o*",
        "  total: 6 LLM calls, 600 in / 60 out tokens, $0.012",
        "Session URL: http://localhost:16686/trace/*",
        "*_ test_too_many_tokens _*",
        "agent_cost_limit exceeded: 1100 tokens (1000 in / 100 out) are over the limit of 500.",
    ])
    states = {n: a["agentops.session.end_state"] for n, a in exported_sessions(span_exporter).items()
              if n.startswith("test_")}
    assert states == {"test_within_budget": "Success", "test_prompt_change_doubles_the_calls": "Fail",
                      "test_too_many_tokens": "Fail"}


def test_cost_limit_marker_refuses_under_the_kill_switch(inline: pytest.Pytester,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Under ``AGENTOPS_OTEL_DISABLED`` nothing is counted: a bounded test fails saying so, an unbounded one passes."""
    monkeypatch.setenv("AGENTOPS_OTEL_DISABLED", "true")
    inline.makepyfile(test_switched_off='''
        import pytest
        from agent import llm_call

        @pytest.mark.agent_cost_limit(usd=0.01, llm_calls=0)
        def test_bounded():
            llm_call(tokens=1_000_000, cost=8.25)

        def test_unbounded(agent_session):
            llm_call(tokens=1_000_000, cost=8.25)
    ''')
    result = run_inline(inline)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*_ test_bounded _*", "agent_cost_limit cannot be checked: agentops_otel is "
                                 "disabled (AGENTOPS_OTEL_DISABLED), so nothing of this session was recorded*"])


def test_cost_limit_marker_rejects_unknown_limits(inline: pytest.Pytester) -> None:
    """A misspelt limit is a setup error naming the accepted keywords, not a silently ignored bound."""
    inline.makepyfile(test_bad='''
        import pytest

        @pytest.mark.agent_cost_limit(dollars=1)
        def test_x():
            pass
    ''')
    result = run_inline(inline)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*agent_cost_limit takes usd=, llm_calls= and/or tokens=*dollars*"])


def test_marker_is_registered(inline: pytest.Pytester) -> None:
    """``--strict-markers`` accepts the marker and ``--markers`` documents it."""
    result = run_inline(inline, "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.agent_cost_limit(usd=None, llm_calls=None, tokens=None, "
                                 "allow_unpriced=False, allow_missing_usage=False):*"])


class _Collector(BaseHTTPRequestHandler):
    bodies: list[bytes]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.server.bodies.append(self.rfile.read(length))  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def otlp_receiver() -> Iterator[ThreadingHTTPServer]:
    """A bare OTLP/HTTP endpoint that keeps every request body."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    server.bodies = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.slow
def test_a_failing_tests_report_names_the_otlp_endpoint_without_its_credentials(
        project: pytest.Pytester, otlp_receiver: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The report's "Spans exported to" line names the endpoint with its password and token masked."""
    host, port = otlp_receiver.server_address[:2]
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://ci:hunter2pw@{host}:{port}/?api_key=k3y-{port}")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    project.makepyfile(test_one="def test_fails(agent_session):\n    assert 1 == 2\n")
    result = project.runpytest_subprocess(*QUIET_SUBPROCESS)
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert f"Spans exported to OTLP HTTP http://[REDACTED]@{host}:{port}/" in out, out
    assert "hunter2pw" not in out and f"k3y-{port}" not in out, out


@pytest.mark.slow
def test_sessions_go_to_the_configured_otlp_endpoint(project: pytest.Pytester,
                                                     otlp_receiver: ThreadingHTTPServer,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``OTEL_EXPORTER_OTLP_ENDPOINT`` set, test sessions are exported there and no file is written."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    host, port = otlp_receiver.server_address[:2]
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://{host}:{port}")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    project.makepyfile(test_outcomes=OUTCOMES)
    result = project.runpytest_subprocess(*QUIET_SUBPROCESS)
    result.assert_outcomes(passed=2, failed=1, errors=2, skipped=2, xfailed=1)
    assert "Spans exported to OTLP HTTP" in result.stdout.str()
    states = {}
    for body in otlp_receiver.bodies:  # type: ignore[attr-defined]
        request = ExportTraceServiceRequest.FromString(body)
        for rs in request.resource_spans:
            for ss in rs.scope_spans:
                for span in ss.spans:
                    attrs = {kv.key: kv.value.string_value for kv in span.attributes}
                    if "agentops.session.end_state" in attrs:
                        states[attrs["agentops.session.name"]] = attrs["agentops.session.end_state"]
    assert states == {"test_passes": "Success", "test_fails": "Fail", "test_setup_error": "Fail",
                      "test_teardown_error": "Fail", "test_skipped": "Indeterminate",
                      "test_skipped_by_marker": "Indeterminate", "test_expected_failure": "Indeterminate"}
    assert not (project.path / ".agentops-otel").exists()


UNKNOWN_COST = '''
import pytest
import agentops_otel as agentops
from agentops_otel import LLMEvent

def priced_call():
    agentops.record(LLMEvent(model="gpt-4o", prompt_tokens=100, completion_tokens=10, cost=0.001))

def unpriced_call():
    agentops.record(LLMEvent(model="acme-llm-9", prompt_tokens=100, completion_tokens=10))

def call_without_usage():
    agentops.record(LLMEvent(model="gpt-4o"))

@pytest.mark.agent_cost_limit(usd=1)
def test_unpriced_model():
    priced_call()
    unpriced_call()

@pytest.mark.agent_cost_limit(usd=1, allow_unpriced=True)
def test_unpriced_model_allowed():
    priced_call()
    unpriced_call()

@pytest.mark.agent_cost_limit(tokens=1000)
def test_tokens_without_usage():
    call_without_usage()

@pytest.mark.agent_cost_limit(tokens=1000)
def test_tokens_of_an_unpriced_model():
    unpriced_call()
'''


def test_cost_limit_fails_on_calls_without_a_known_cost(inline: pytest.Pytester) -> None:
    """An unpriced call fails the usd limit by name (never $0); missing usage fails the tokens limit."""
    inline.makepyfile(test_unknown=UNKNOWN_COST)
    result = run_inline(inline, "-W", "default")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines([
        "*_ test_unpriced_model _*",
        "agent_cost_limit cannot be checked: some calls have no known cost.",
        "Calls without a known cost (never counted as $0; allow_unpriced=True bounds only the priced calls):",
        "  - chat acme-llm-9 at 00:00.*: model without a known price; add one with register_price()",
        "*_ test_tokens_without_usage _*",
        "agent_cost_limit cannot be checked: some calls have no known cost.",
        "Calls without usage (their tokens are unknown, not zero;*",
        "  - chat gpt-4o at 00:00.*: no usage in the response",
    ])


def test_cost_limit_opt_out_is_visible(inline: pytest.Pytester) -> None:
    """``allow_unpriced=True`` passes on the priced calls and warns, naming what it left out."""
    inline.makepyfile(test_unknown=UNKNOWN_COST)
    result = run_inline(inline, "-W", "default", "-k", "allowed")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "*IncompleteCostWarning: agent_cost_limit: usd bound checked with allow_unpriced=True: $0.001 leaves out "
        "chat acme-llm-9 at 00:00.*: model without a known price*",
    ])


LAYERED = '''
import pytest
from agent import llm_call

pytestmark = pytest.mark.agent_cost_limit(llm_calls=0)

def test_module_bound_only():
    llm_call()

@pytest.mark.agent_cost_limit(usd=1.0)
def test_module_bound_plus_own_marker():
    llm_call()

@pytest.mark.agent_cost_limit(llm_calls=5)
def test_looser_own_bound():
    llm_call()

class TestClassBound:
    pytestmark = pytest.mark.agent_cost_limit(tokens=50)

    @pytest.mark.agent_cost_limit(usd=1.0, llm_calls=5)
    def test_class_bound_plus_own_marker(self):
        llm_call(tokens=100, cost=0.0)
'''


def test_module_and_class_cost_limits_hold_beside_the_tests_own(inline: pytest.Pytester) -> None:
    """A module's or class's ``agent_cost_limit`` still applies to a test with its own; the stricter bound wins."""
    inline.makepyfile(test_layered=LAYERED)
    result = run_inline(inline)
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines([
        "*_ test_module_bound_plus_own_marker _*",
        "agent_cost_limit exceeded: 1 LLM calls are over the limit of 0.",
        "*_ test_looser_own_bound _*",
        "agent_cost_limit exceeded: 1 LLM calls are over the limit of 0.",
        "*_ TestClassBound.test_class_bound_plus_own_marker _*",
        "agent_cost_limit exceeded: 1 LLM calls are over the limit of 0; 110 tokens * over the limit of 50.",
    ])


def test_cost_limit_marker_rejects_bounds_that_are_not_numbers(inline: pytest.Pytester) -> None:
    """A NaN, infinite or negative bound is an error naming it: NaN compares false, so it would always pass."""
    inline.makepyfile(test_nan='''
        import pytest
        from agent import llm_call

        @pytest.mark.agent_cost_limit(usd=float("nan"))
        def test_nan_bound():
            llm_call()

        @pytest.mark.agent_cost_limit(tokens=float("inf"))
        def test_infinite_bound():
            llm_call()

        @pytest.mark.agent_cost_limit(llm_calls=-1)
        def test_negative_bound():
            pass
    ''')
    result = run_inline(inline)
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines([
        "*agent_cost_limit: usd=nan is not a bound: give a finite number of 0 or more*",
        "*agent_cost_limit: tokens=inf is not a bound: give a finite number of 0 or more*",
        "*agent_cost_limit: llm_calls=-1 is not a bound: give a finite number of 0 or more*",
    ])


def test_cost_limit_counts_model_calls_made_in_fixture_teardown(inline: pytest.Pytester,
                                                                span_exporter: InMemorySpanExporter) -> None:
    """A call an agent fixture makes while it is torn down counts against the test's limit, and fails it."""
    inline.makepyfile(test_teardown_call='''
        import pytest
        from agent import llm_call

        @pytest.fixture
        def agent():
            yield
            llm_call()  # e.g. the agent summarises its conversation on shutdown

        @pytest.mark.agent_cost_limit(llm_calls=0, usd=0.000001)
        def test_budget(agent):
            pass
    ''')
    result = run_inline(inline)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([
        "*_ ERROR at teardown of test_budget _*",
        "agent_cost_limit exceeded: cost $0.002 is over the limit of $0.000001; 1 LLM calls are over the limit of 0.",
        "*Captured agentops session replay teardown*",
    ])
    attrs = exported_sessions(span_exporter)["test_budget"]
    assert attrs["agentops.session.end_state"] == "Fail"
    assert attrs["agentops.session.end_reason"].startswith("error in teardown: agent_cost_limit exceeded")


OPEN_STREAM = '''
import openai
import pytest
from agentops_otel.instrument.openai import instrument_openai, uninstrument_openai
from agentops_otel.testing import OpenAIServer

held = []  # an agent kept beyond its test, holding the stream it stopped reading

@pytest.fixture(scope="module")
def client():
    instrument_openai()  # what init() does in a real run
    with OpenAIServer() as server, openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0) as c:
        yield c
    uninstrument_openai()

def start_stream(client, **options):
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}],
                                            stream=True, **options)
    next(stream)
    held.append(stream)

@pytest.mark.agent_cost_limit(llm_calls=0)
def test_no_llm_calls_allowed(client):
    start_stream(client)

@pytest.mark.agent_cost_limit(usd=0.000001)
def test_tiny_budget(client):
    start_stream(client, stream_options={"include_usage": True})
'''


def test_cost_limit_counts_a_stream_still_open_when_the_test_ends(inline: pytest.Pytester) -> None:
    """A model stream the test left open is judged with the session's final totals: it never passes as free."""
    inline.makepyfile(test_open_stream=OPEN_STREAM)
    result = run_inline(inline)
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) + outcomes.get("errors", 0) == 2, result.stdout.str()
    result.stdout.fnmatch_lines(["*test_no_llm_calls_allowed*", "agent_cost_limit *",
                                 "*test_tiny_budget*", "agent_cost_limit *"])


THREADED_AGENT = '''
from concurrent.futures import ThreadPoolExecutor
import threading
import openai
import pytest
import agentops_otel as agentops
from agentops_otel.instrument.openai import instrument_openai, uninstrument_openai
from agentops_otel.testing import OpenAIServer

@pytest.fixture(scope="module")
def client():
    instrument_openai()  # what init() does in a real run
    with OpenAIServer() as server, openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0) as c:
        yield c
    uninstrument_openai()

def ask(client):
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "word " * 500}])

@pytest.mark.agent_cost_limit(usd=0.001, llm_calls=1)
def test_agent_session_in_a_worker_thread(client):
    def work():
        with agentops.session("agent", tags=["support"]):
            for _ in range(3):
                ask(client)
    worker = threading.Thread(target=work)
    worker.start()
    worker.join()

@pytest.mark.agent_cost_limit(usd=0.001, llm_calls=1)
def test_calls_in_a_thread_pool(client):
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda _: ask(client), range(3)))

@pytest.mark.agent_cost_limit(tokens=10)
def test_event_without_token_counts_made_elsewhere(client):
    with ThreadPoolExecutor(1) as pool:
        list(pool.map(lambda _: agentops.record(agentops.LLMEvent(model="gpt-4o", cost=0.001)), range(1)))

held = []

@pytest.mark.agent_cost_limit(usd=1.0)
def test_stream_left_open_by_a_pool_thread(client):
    def start(_):
        stream = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}],
                                                stream=True, stream_options={"include_usage": True})
        next(stream)
        held.append(stream)
    with ThreadPoolExecutor(1) as pool:
        list(pool.map(start, range(1)))
'''


def test_cost_limit_counts_a_session_the_agent_starts_in_another_thread(inline: pytest.Pytester) -> None:
    """An agent that runs its own session in a worker thread still spends the test's budget."""
    inline.makepyfile(test_threaded=THREADED_AGENT)
    result = run_inline(inline, "-k", "worker_thread")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "agent_cost_limit exceeded: cost $0.0* is over the limit of $0.001; 3 LLM calls are over the limit of 1.",
        "Session agent * (started during the test, outside its session):",
        "   1. *gpt-4o * in / * out *$0.0*",
    ])


def test_cost_limit_counts_model_calls_made_outside_any_session(inline: pytest.Pytester) -> None:
    """Calls from a thread pool the test's session never reached are counted, not passed over as free."""
    inline.makepyfile(test_threaded=THREADED_AGENT)
    result = run_inline(inline, "-k", "thread_pool")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "agent_cost_limit exceeded: cost $0.0* is over the limit of $0.001; 3 LLM calls are over the limit of 1.",
        "Model calls outside any session during the test:",
        "   1. *gpt-4o * in / * out *$0.0*",
    ])


def test_token_limit_refuses_a_call_outside_any_session_without_counts(inline: pytest.Pytester) -> None:
    """A model call recorded outside any session with a cost but no token counts: its tokens are unknown,
    so the token limit fails naming it, as it does for a call inside the test's session."""
    inline.makepyfile(test_threaded=THREADED_AGENT)
    result = run_inline(inline, "-k", "event_without_token_counts")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*(outside any session)*"])


def test_cost_limit_refuses_a_stream_left_open_outside_any_session(inline: pytest.Pytester) -> None:
    """A stream a pool thread left open has no cost yet: the usd limit fails naming it, never counts it free."""
    inline.makepyfile(test_threaded=THREADED_AGENT)
    result = run_inline(inline, "-k", "stream_left_open")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "agent_cost_limit cannot be checked: some calls have no known cost.",
        "  - chat gpt-4o (outside any session): a stream still open at the end of the test*",
    ])


IN_FLIGHT = '''
import time
from concurrent.futures import ThreadPoolExecutor
import openai
import pytest
from agentops_otel.instrument.openai import instrument_openai, uninstrument_openai
from agentops_otel.testing import OpenAIServer, Reply, Usage

pool = ThreadPoolExecutor(2)

@pytest.fixture(scope="module")
def server():
    instrument_openai()
    with OpenAIServer() as s:
        yield s
    uninstrument_openai()

def ask(server):
    with openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0) as client:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])

@pytest.mark.agent_cost_limit(usd=1.0, llm_calls=5, tokens=1_000_000)
def test_fire_and_forget(server):
    server.queue(Reply.text("slow", usage=Usage(100_000, 1_000), delay=0.5))
    pool.submit(ask, server)  # the agent's background call, not awaited
    while not server.requests:
        time.sleep(0.01)

@pytest.fixture
def joined_pool():
    with ThreadPoolExecutor(1) as p:
        yield p

@pytest.mark.agent_cost_limit(usd=1.0, llm_calls=5, tokens=1_000_000)
def test_awaited_by_a_fixture(server, joined_pool):
    server.queue(Reply.text("slow", usage=Usage(100_000, 1_000), delay=0.3))
    joined_pool.submit(ask, server)  # the fixture's teardown waits for it: its cost is known at the end
    while len(server.requests) < 2:
        time.sleep(0.01)

def test_afterwards_the_call_ends(server):
    pool.shutdown(wait=True)
    assert len(server.requests) == 2
'''


def test_cost_limit_refuses_a_call_outside_any_session_still_in_flight(inline: pytest.Pytester) -> None:
    """A model call a pool thread started and had not finished when the test ended has no known cost yet:
    the limit cannot be checked and says so, naming it, rather than pass it as free; one a fixture's
    teardown waits for is judged on its cost."""
    inline.makepyfile(test_in_flight=IN_FLIGHT)
    result = run_inline(inline)
    result.assert_outcomes(passed=3, errors=1)  # the limit fails the first test in its teardown
    result.stdout.fnmatch_lines([
        "*ERROR at teardown of test_fire_and_forget*",
        "agent_cost_limit cannot be checked: some calls have no known cost.",
        "  - chat gpt-4o (outside any session): a call still in flight at the end of the test*",
    ])
