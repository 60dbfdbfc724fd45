"""Behavioural assertions: they pass on the right behaviour and fail with a sentence plus the replay."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import LLMEvent, record_action, tool
from agentops_otel.testing import (
    AgentAssertionError,
    assert_called_before,
    assert_called_in_order,
    assert_cost_below,
    assert_ended_with,
    assert_error_in_step,
    assert_llm_calls_at_most,
    assert_no_errors,
    assert_tokens_below,
    assert_tool_called,
    assert_tool_not_called,
    sessions_in,
)
from agentops_otel.testing._assertions import as_timeline
from agentops_otel.timeline import SessionSummary, Step, StepError, Timeline

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
ROOT = "00f067aa0ba902b7"


def _step(i: int, kind: Any, name: str, *, input: Any = None, error: tuple[str, str] | None = None,
          cost: float | None = None, tokens: tuple[int, int] | None = None, parent: str = ROOT,
          depth: int = 0) -> Step:
    span_id = f"{i:016x}"
    return Step.build(
        kind=kind, name=name, span_id=span_id, parent_span_id=parent, trace_id=TRACE, session_id="s_1",
        offset_s=i * 0.5, duration_s=0.1, depth=depth, status="ok",
        error=StepError(type=error[0], message=error[1], stacktrace=None, span_id=span_id) if error else None,
        input=json.dumps(input) if input is not None else None, model=name if kind == "llm" else None,
        cost_usd=cost, input_tokens=tokens[0] if tokens else None,
        output_tokens=tokens[1] if tokens else None,
    )


def _timeline(*steps: Step, end_state: str | None = "Success", reason: str | None = None) -> Timeline:
    llm = [s for s in steps if s.kind == "llm"]
    failed = next((s for s in steps if s.status == "error"), None)
    summary = SessionSummary(
        session_id="s_1", name="support-agent", tags=("support",), end_state=end_state, end_reason=reason,
        service_name="agent", trace_ids=(TRACE,), root_span_id=ROOT, parent_session_id=None,
        start_ns=1_764_000_000_000_000_000, duration_s=3.0, cost_usd=sum(s.cost_usd or 0 for s in llm),
        cost_complete=all(s.cost_usd is not None for s in llm),
        input_tokens=sum(s.input_tokens or 0 for s in llm),
        output_tokens=sum(s.output_tokens or 0 for s in llm),
        llm_calls=len(llm), tool_calls=sum(s.kind == "tool" for s in steps),
        actions=sum(s.kind == "action" for s in steps), errors=sum(s.status == "error" for s in steps),
        failed_step=failed, complete=True, issues=(),
    )
    return Timeline(summary=summary, steps=steps)


def billing_ok() -> Timeline:
    """classify → fetch_customer_data → lookup_invoices → session_complete, three priced LLM calls."""
    return _timeline(
        _step(1, "action", "classify_intent", input={"message": "charged twice, account 4417"}),
        _step(2, "llm", "gpt-4o-mini", cost=0.0002, tokens=(40, 2), parent=f"{1:016x}", depth=1),
        _step(3, "action", "fetch_customer_data", input={"customer_id": "4417"}),
        _step(4, "llm", "gpt-4o-mini", cost=0.0011, tokens=(300, 20)),
        _step(5, "tool", "lookup_invoices", input={"customer_id": "4417"}),
        _step(6, "llm", "gpt-4o-mini", cost=0.0013, tokens=(350, 60)),
        _step(7, "action", "session_complete", input={"intent": "billing"}),
    )


def billing_missing_id() -> Timeline:
    """The product story's failure: fetch_customer_data(customer_id=None) raises ValueError."""
    return _timeline(
        _step(1, "action", "classify_intent", input={"message": "I was charged twice"}),
        _step(2, "llm", "gpt-4o-mini", cost=0.0002, tokens=(40, 2), parent=f"{1:016x}", depth=1),
        _step(3, "action", "fetch_customer_data", input={"customer_id": None},
              error=("ValueError", "customer_id cannot be None")),
        end_state="Fail", reason="customer_id cannot be None",
    )


def _message(excinfo: pytest.ExceptionInfo[AgentAssertionError]) -> str:
    return str(excinfo.value)


# --- on timelines --------------------------------------------------------------------------------------

def test_passing_assertions_are_silent() -> None:
    """Every assertion returns quietly when the behaviour is right."""
    tl = billing_ok()
    assert_tool_called(tl, "fetch_customer_data")
    assert_tool_called(tl, "lookup_invoices", times=1, with_args={"customer_id": "4417"})
    assert_tool_called(tl, "execute_tool lookup_invoices")  # the span name works too
    assert_tool_not_called(tl, "refund")
    assert_called_in_order(tl, ["classify_intent", "lookup_invoices", "session_complete"])
    assert_called_before(tl, "fetch_customer_data", "session_complete")
    assert_ended_with(tl, "success")
    assert_no_errors(tl)
    assert_cost_below(tl, 0.01)
    assert_llm_calls_at_most(tl, 3)
    assert_tokens_below(tl, 1000)


def test_failure_is_an_assertion_error_with_the_replay() -> None:
    """A failure is an AssertionError whose message has the sentence, the replay and the session URL."""
    with pytest.raises(AssertionError) as excinfo:
        assert_tool_called(billing_missing_id(), "lookup_invoices")
    assert isinstance(excinfo.value, AgentAssertionError)
    message = str(excinfo.value)
    assert message.startswith("expected 'lookup_invoices' to be called at least once, "
                              "but it was called 0 times.\n"
                              "Called, in order: classify_intent, fetch_customer_data\n\n")
    assert "Session: s_1 | Duration: 3.0s | Cost: $0.0002 | Status: Fail" in message
    assert ("action  fetch_customer_data (100ms)  in: customer_id=null  ← ERROR ValueError: customer_id"
            in message)
    assert f"Session URL: http://localhost:16686/trace/{TRACE}?uiFind={ROOT}" in message
    assert excinfo.value.timeline is not None


def test_times_counts_calls() -> None:
    """``times`` is an exact count; the message says how often it really ran."""
    with pytest.raises(AgentAssertionError) as excinfo:
        assert_tool_called(billing_ok(), "classify_intent", times=2)
    assert _message(excinfo).startswith(
        "expected 'classify_intent' to be called twice, but it was called 1 time.")


def test_with_args_lists_the_recorded_arguments() -> None:
    """A subset mismatch shows the arguments each call really got."""
    with pytest.raises(AgentAssertionError) as excinfo:
        assert_tool_called(billing_missing_id(), "fetch_customer_data", with_args={"customer_id": "4417"})
    assert _message(excinfo).splitlines()[:3] == [
        "expected 'fetch_customer_data' with arguments ⊇ customer_id=\"4417\" to be called at least once, "
        "but it was called 0 times.",
        "'fetch_customer_data' was called 1 time(s) with:",
        '  - {"customer_id": null}',
    ]


def test_with_args_accepts_a_predicate() -> None:
    """A predicate sees the recorded arguments as parsed JSON."""
    assert_tool_called(billing_ok(), "fetch_customer_data", with_args=lambda a: a["customer_id"].isdigit())
    with pytest.raises(AgentAssertionError, match="arguments satisfying <lambda>"):
        assert_tool_called(billing_missing_id(), "fetch_customer_data", with_args=lambda a: a["customer_id"])


def test_with_args_matches_nested_subsets() -> None:
    """Nested dicts match as subsets too, so a test names only the keys it cares about."""
    tl = _timeline(_step(1, "tool", "search", input={"query": {"text": "refund", "lang": "en"}, "limit": 5}))
    assert_tool_called(tl, "search", with_args={"query": {"text": "refund"}})
    with pytest.raises(AgentAssertionError):
        assert_tool_called(tl, "search", with_args={"query": {"text": "refund", "lang": "de"}})


def test_with_args_tells_a_boolean_from_a_number() -> None:
    """JSON's true is not 1: a call made with confirm=1, amount=true does not match confirm=True, amount=1."""
    tl = _timeline(_step(1, "tool", "issue_refund", input={"amount": True, "confirm": 1}))
    with pytest.raises(AgentAssertionError):
        assert_tool_called(tl, "issue_refund", with_args={"amount": 1, "confirm": True})
    assert_tool_called(tl, "issue_refund", with_args={"amount": True, "confirm": 1.0})


def test_with_args_says_when_arguments_were_not_recorded() -> None:
    """Without content capture there is nothing to match: the message says how to turn it on."""
    tl = _timeline(_step(1, "tool", "search"))
    with pytest.raises(AgentAssertionError,
                       match="OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=span_only"):
        assert_tool_called(tl, "search", with_args={"q": "x"})


def test_tool_not_called_names_when_it_ran() -> None:
    """An unwanted call is reported with its offset in the session."""
    with pytest.raises(AgentAssertionError) as excinfo:
        assert_tool_not_called(billing_ok(), "lookup_invoices")
    assert _message(excinfo).startswith(
        "expected 'lookup_invoices' not to be called, but it was called once (at 00:02.500).")


def test_called_in_order_is_a_subsequence() -> None:
    """Order holds with other calls in between; a swapped pair says which call came too early."""
    assert_called_in_order(billing_ok(), ["classify_intent", "session_complete"])
    with pytest.raises(AgentAssertionError) as excinfo:
        assert_called_in_order(billing_ok(), ["lookup_invoices", "fetch_customer_data"])
    assert _message(excinfo).splitlines()[:3] == [
        "expected calls in order: lookup_invoices → fetch_customer_data",
        "matched 1 of 2: 'fetch_customer_data' was called, but not after 'lookup_invoices': "
        "'fetch_customer_data' ran first: it started at 00:01.500000, 'lookup_invoices' only at 00:02.500000.",
        "Called, in order: classify_intent, fetch_customer_data, lookup_invoices, session_complete",
    ]


def test_called_in_order_reports_a_missing_call() -> None:
    """A call that never happened is named as such."""
    with pytest.raises(AgentAssertionError, match="matched 1 of 2: 'lookup_invoices' was never called"):
        assert_called_in_order(billing_missing_id(), ["classify_intent", "lookup_invoices"])


def test_called_before() -> None:
    """The first call of each is compared; reversed order and absent calls read differently."""
    with pytest.raises(AgentAssertionError) as excinfo:
        assert_called_before(billing_ok(), "session_complete", "fetch_customer_data")
    assert _message(excinfo).startswith(
        "expected 'session_complete' to be called before 'fetch_customer_data', but 'fetch_customer_data' "
        "ran first: it started at 00:01.500000, 'session_complete' only at 00:03.500000.")
    with pytest.raises(AgentAssertionError, match="but 'lookup_invoices' was never called"):
        assert_called_before(billing_missing_id(), "fetch_customer_data", "lookup_invoices")


def test_ended_with() -> None:
    """The end state is compared case-insensitively; a mismatch gives the reason; a typo is a ValueError."""
    assert_ended_with(billing_missing_id(), "FAIL")
    with pytest.raises(AgentAssertionError) as excinfo:
        assert_ended_with(billing_missing_id(), "Success")
    assert _message(excinfo).startswith(
        "expected the session to end Success, but it ended Fail (customer_id cannot be None).")
    with pytest.raises(ValueError, match="end state must be one of"):
        assert_ended_with(billing_ok(), "passed")
    with pytest.raises(AgentAssertionError, match="has no recorded end state"):
        assert_ended_with(_timeline(end_state=None), "Success")


def test_no_errors_lists_the_failed_steps() -> None:
    """Each failed step is listed with its offset and error."""
    with pytest.raises(AgentAssertionError) as excinfo:
        assert_no_errors(billing_missing_id())
    assert _message(excinfo).splitlines()[:2] == [
        "expected no errors, but 1 step(s) failed:",
        "  - 00:01.500 action fetch_customer_data: ValueError: customer_id cannot be None",
    ]


def test_error_in_step() -> None:
    """The error is attributed to a step, by exception class or by type name."""
    tl = billing_missing_id()
    assert_error_in_step(tl, "fetch_customer_data")
    assert_error_in_step(tl, "fetch_customer_data", ValueError)
    assert_error_in_step(tl, "fetch_customer_data", "ValueError")
    with pytest.raises(AgentAssertionError,
                       match=r"expected 'fetch_customer_data' to fail with KeyError, but "
                             r"it failed with ValueError: customer_id cannot be None\."):
        assert_error_in_step(tl, "fetch_customer_data", KeyError)
    with pytest.raises(AgentAssertionError) as excinfo:
        assert_error_in_step(tl, "classify_intent")
    assert _message(excinfo).splitlines()[:2] == [
        "expected 'classify_intent' to fail, but it ran without error.",
        "Steps that failed: fetch_customer_data (ValueError: customer_id cannot be None)",
    ]
    with pytest.raises(AgentAssertionError, match="but it never ran"):
        assert_error_in_step(billing_ok(), "refund", ValueError)


def test_cost_below_shows_the_cost_of_each_call() -> None:
    """Over budget: every LLM call with its tokens, its cost and the step that made it, then the total."""
    with pytest.raises(AgentAssertionError) as excinfo:
        assert_cost_below(billing_ok(), 0.001)
    assert _message(excinfo).splitlines()[:6] == [
        "expected the session to cost below $0.001, but it cost $0.0026.",
        "Cost by call:",
        "   1. 00:01.000  gpt-4o-mini              40 in /     2 out     $0.0002"
        "  (in action classify_intent)",
        "   2. 00:02.000  gpt-4o-mini             300 in /    20 out     $0.0011",
        "   3. 00:03.000  gpt-4o-mini             350 in /    60 out     $0.0013",
        "  total: 3 LLM calls, 690 in / 82 out tokens, $0.0026",
    ]


def test_the_per_call_table_shows_unreported_tokens_as_unknown() -> None:
    """A call without usage reads '? in / ? out' in the failure's table, and the total is a lower bound."""
    with agentops.session("support") as s:
        agentops.record(LLMEvent(model="gpt-4o", prompt_tokens=10, completion_tokens=5))
        agentops.record(LLMEvent(model="gpt-4o"))
    with pytest.raises(AgentAssertionError) as excinfo:
        assert_llm_calls_at_most(s, 1)
    lines = _message(excinfo).splitlines()
    assert any(line.endswith("     ? in /     ? out    no usage") for line in lines), lines
    assert any("total: 2 LLM calls, ≥ 10 in / ≥ 5 out tokens" in line for line in lines)


def test_llm_calls_and_tokens_bounds() -> None:
    """Call count and token budget fail with the same per-call table."""
    with pytest.raises(AgentAssertionError,
                       match=r"expected at most 2 LLM calls, but the session made 3\.\nCalls:"):
        assert_llm_calls_at_most(billing_ok(), 2)
    with pytest.raises(AgentAssertionError,
                       match=r"expected fewer than 500 tokens, but the session used 772\."):
        assert_tokens_below(billing_ok(), 500)


def test_cost_call_and_token_bounds_refuse_nan() -> None:
    """A NaN, infinite or negative bound is a usage error naming it, never a verdict on a bound not applied."""
    with pytest.raises(ValueError, match=r"^assert_cost_below: usd=nan is not a bound"):
        assert_cost_below(billing_ok(), float("nan"))
    with pytest.raises(ValueError, match=r"^assert_tokens_below: n=inf is not a bound"):
        assert_tokens_below(billing_ok(), float("inf"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^assert_llm_calls_at_most: n=-1 is not a bound"):
        assert_llm_calls_at_most(billing_ok(), -1)


def test_times_that_is_not_a_whole_number_is_a_usage_error() -> None:
    """times=True (read as 1) or times="1" is a mistake in the test: a TypeError naming times, not a verdict."""
    for times in (True, "1", 1.0):
        with pytest.raises(TypeError, match=rf"^assert_tool_called: times={times!r} is not a count: give an int"):
            assert_tool_called(billing_ok(), "lookup_invoices", times=times)  # type: ignore[arg-type]


def test_a_negative_times_is_a_usage_error() -> None:
    """No call count is -1: a ValueError naming times rather than a failure no agent could pass."""
    with pytest.raises(ValueError, match=r"^assert_tool_called: times=-1 is not a count: give an int of 0 or more"):
        assert_tool_called(billing_ok(), "lookup_invoices", times=-1)


def test_with_args_that_is_neither_a_dict_nor_a_predicate_is_a_usage_error() -> None:
    """with_args=["customer_id"] is a TypeError naming with_args and what it takes."""
    with pytest.raises(TypeError, match=r"^assert_tool_called: with_args=\['customer_id'\] is not a dict or a "
                                        r"predicate: give a dict"):
        assert_tool_called(billing_ok(), "lookup_invoices", with_args=["customer_id"])  # type: ignore[arg-type]


def test_unpriced_calls_are_flagged() -> None:
    """A call without a known price shows as unpriced and the total as incomplete."""
    tl = _timeline(_step(1, "llm", "my-local-model", tokens=(10, 10)))
    with pytest.raises(AgentAssertionError) as excinfo:
        assert_tokens_below(tl, 5)
    assert "unpriced" in _message(excinfo)
    assert "(incomplete: 1 call to an unpriced model (my-local-model))" in _message(excinfo)


def test_long_sessions_are_trimmed_around_the_relevant_steps() -> None:
    """A 200-step session shows the steps near the failure, not all of them."""
    steps = [_step(i, "tool", f"step_{i}") for i in range(1, 200)]
    steps[149] = _step(150, "tool", "charge_card", error=("RuntimeError", "declined"))
    with pytest.raises(AgentAssertionError) as excinfo:
        assert_no_errors(_timeline(*steps))
    message = _message(excinfo)
    assert "charge_card" in message and "step_147 " in message and "step_153 " in message
    assert "step_10 " not in message
    assert "(showing 7 of 199 steps)" in message


def test_rejects_other_objects() -> None:
    """Passing something that is not a session is a TypeError, not a confusing assertion."""
    with pytest.raises(TypeError, match="expected a Session or a Timeline, got dict"):
        assert_no_errors({"steps": []})  # type: ignore[arg-type]


# --- on live and ended sessions ---------------------------------------------------------------------------

@record_action("fetch_customer_data")
def fetch_customer(customer_id: str | None) -> dict[str, str]:
    if customer_id is None:
        raise ValueError("customer_id cannot be None")
    return {"id": customer_id}


@tool
def lookup_invoices(customer_id: str) -> list[int]:
    return [29, 29]


def run_agent(message: str) -> str:
    """A small AgentOps-style agent: its own session, an LLM call, a fetch, a tool, a closing action."""
    agentops.start_session("support-agent", tags=["support"])
    try:
        agentops.record(LLMEvent(model="gpt-4o-mini", prompt_tokens=40, completion_tokens=2, cost=0.0002))
        customer = fetch_customer("4417" if "4417" in message else None)
        lookup_invoices(customer["id"])
        agentops.record(agentops.ActionEvent(action_type="session_complete"))
        agentops.end_session("Success")
        return "done"
    except Exception as e:
        agentops.end_session("Fail", end_state_reason=str(e))
        raise


@pytest.fixture(autouse=True)
def _capture_content() -> None:
    """Record arguments (``init()`` turns content capture on), without patching the openai client."""
    agentops.init(instrument_llm_calls=False)


def test_assertions_work_on_the_agents_own_session() -> None:
    """After the agent ran, ``get_session()`` is its ended session, and every assertion reads it."""
    run_agent("charged twice, account 4417")
    session = agentops.get_session()
    assert session is not None and session.name == "support-agent"
    assert_ended_with(session, "Success")
    assert_called_in_order(session, ["fetch_customer_data", "lookup_invoices", "session_complete"])
    assert_tool_called(session, "lookup_invoices", times=1, with_args={"customer_id": "4417"})
    assert_no_errors(session)
    assert_cost_below(session, 0.001)
    assert_llm_calls_at_most(session, 1)
    with pytest.raises(AgentAssertionError, match=r"expected the session to cost below \$0\.0001"):
        assert_cost_below(session, 0.0001)


def test_assertions_work_on_a_live_outer_session() -> None:
    """Inside a still-running outer session, nested agent runs count: calls, errors, cost."""
    with agentops.session("test", tags=["test"]) as outer:
        run_agent("account 4417")
        with pytest.raises(ValueError):
            run_agent("charged twice")
        assert_tool_called(outer, "fetch_customer_data", times=2)
        assert_error_in_step(outer, "fetch_customer_data", ValueError)
        assert_llm_calls_at_most(outer, 2)
        with pytest.raises(AgentAssertionError, match="but it is still running"):
            assert_ended_with(outer, "Success")
        agents = sessions_in(outer, name="support-agent")
        assert [tl.summary.end_state for tl in agents] == ["Success", "Fail"]
        assert_ended_with(agents[1], "Fail")
        assert_error_in_step(agents[1], "fetch_customer_data", ValueError)
        assert_tool_not_called(agents[1], "lookup_invoices")


def test_failure_message_carries_the_live_session_url() -> None:
    """The URL in the message is the session's own link."""
    with pytest.raises(ValueError):
        run_agent("charged twice")
    session = agentops.get_session()
    assert session is not None
    with pytest.raises(AgentAssertionError) as excinfo:
        assert_no_errors(session)
    message = _message(excinfo)
    assert message.startswith("expected no errors, but 1 step(s) failed:\n"
                              "  - 00:00.")
    assert "action fetch_customer_data: ValueError: customer_id cannot be None" in message
    assert message.rstrip().endswith(f"Session URL: {session.url}")


def test_a_session_without_spans_still_reads() -> None:
    """A session that recorded nothing yet gives an empty timeline, not a crash."""
    with agentops.session("empty") as s:
        assert as_timeline(s).steps == ()
        with pytest.raises(AgentAssertionError, match=r"Called, in order: \(none\)"):
            assert_tool_called(s, "anything")


def test_timeline_read_back_from_a_file_gives_the_same_verdicts(span_exporter: InMemorySpanExporter,
                                                               tmp_path: Path) -> None:
    """The spans written by the OTLP JSON file exporter, read back and reassembled, assert the same."""
    from agentops_otel._otlp_json import OTLPJsonFileExporter
    from agentops_otel.read import read_otlp_file
    from agentops_otel.reassemble import reassemble

    with pytest.raises(ValueError):
        run_agent("charged twice")
    session = agentops.get_session()
    assert session is not None
    path = tmp_path / "traces.jsonl"
    exporter = OTLPJsonFileExporter(path)
    exporter.export(span_exporter.get_finished_spans())
    exporter.shutdown()
    timeline = reassemble(read_otlp_file(path)).timeline_for(session.id)
    assert_ended_with(timeline, "Fail")
    assert_error_in_step(timeline, "fetch_customer_data", ValueError)
    assert_called_in_order(timeline, ["fetch_customer_data"])
    assert_tool_not_called(timeline, "lookup_invoices")
    assert_cost_below(timeline, 0.001)
    with pytest.raises(AgentAssertionError) as excinfo:
        assert_no_errors(timeline)
    assert f"Session URL: {session.url}" in _message(excinfo)


def test_assert_ended_with_reads_an_end_state_written_in_another_case(tmp_path: Path) -> None:
    """A file whose root says 'fail' (a spelling end_session() accepts) asserts as Fail, not as a mismatch."""
    from agentops_otel.read import read_otlp_file
    from agentops_otel.reassemble import reassemble

    root = {"traceId": TRACE, "spanId": ROOT, "name": "invoke_agent billing", "kind": 1, "status": {"code": 2},
            "startTimeUnixNano": "1", "endTimeUnixNano": "2", "attributes": [
                {"key": "session.id", "value": {"stringValue": "s_1"}},
                {"key": "agentops.session.end_state", "value": {"stringValue": "fail"}}]}
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [root]}]}]}) + "\n")
    timeline = reassemble(read_otlp_file(path)).timeline_for("s_1")
    assert_ended_with(timeline, "Fail")
    with pytest.raises(AgentAssertionError, match="expected the session to end Success, but it ended Fail"):
        assert_ended_with(timeline, "Success")
