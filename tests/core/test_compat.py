"""The AgentOps-style API: the product story's test code runs with one changed import."""

from __future__ import annotations

import contextvars
import re
from collections.abc import Iterator

import pytest
from genai_prices import Usage as TableUsage
from genai_prices import calc_price
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import ActionEvent, ErrorEvent, cost, record_action, semconv


@record_action("fetch_customer_data")
def fetch_customer(customer_id: str | None) -> dict[str, str]:
    if customer_id is None:
        raise ValueError("customer_id cannot be None")
    return {"id": customer_id}


def run_agent(message: str) -> str:
    agentops.start_session(tags=["support", "v2.1"])
    try:
        customer = fetch_customer("42" if "42" in message else None)
        agentops.record(ActionEvent(action_type="session_complete", params={"intent": "billing"},
                                    returns={"customer": customer["id"]}))
        agentops.end_session("Success")
        return "done"
    except Exception as e:
        agentops.end_session("Fail", end_state_reason=str(e))
        raise


def test_init_is_idempotent(span_exporter: InMemorySpanExporter) -> None:
    """Calling init() in every test adds no second processor: spans are stamped once, seq unbroken."""
    for _ in range(5):
        agentops.init(api_key="test-api-key", instrument_llm_calls=False)
    run_agent("account 42")
    seqs = [s.attributes[semconv.SEQ] for s in span_exporter.get_finished_spans()]
    assert sorted(seqs) == [1, 2, 3]


def test_story_billing_routing_assertions(span_exporter: InMemorySpanExporter) -> None:
    """action_events lists the recorded actions in order, as the article's test reads them."""
    agentops.init(api_key="test-api-key", instrument_llm_calls=False)
    assert run_agent("charged twice, account 42") == "done"
    session = agentops.get_session()
    assert session is not None and session.end_state == "Success"
    action_types = [e.action_type for e in session.action_events]
    assert action_types == ["fetch_customer_data", "session_complete"]
    assert session.action_events[0].params == {"customer_id": "42"}
    assert session.action_events[1].returns == {"customer": "42"}
    assert session.cost == 0.0
    assert session.url.startswith("http://localhost:16686/trace/" + (session.trace_id or "-"))


def test_story_failure_is_attributed_to_the_step(span_exporter: InMemorySpanExporter) -> None:
    """A missing customer id fails the session; the error sits on fetch_customer_data."""
    with pytest.raises(ValueError):
        run_agent("charged twice")
    session = agentops.get_session()
    assert session is not None
    assert session.end_state == "Fail" and session.end_state_reason == "customer_id cannot be None"
    assert session.action_events[0].error == "ValueError: customer_id cannot be None"
    assert [e.step_name for e in session.errors] == ["action fetch_customer_data"]
    root = span_exporter.get_finished_spans()[-1]
    assert root.attributes[semconv.SESSION_FAILED_SPAN_NAME] == "action fetch_customer_data"


def test_error_event_is_a_failed_step(span_exporter: InMemorySpanExporter) -> None:
    """record(ErrorEvent(...)) adds an error step with the exception, counted in session.errors."""
    with agentops.session("s") as s:
        agentops.record(ErrorEvent(exception=TimeoutError("upstream slow"), details="gave up after 3 tries"))
    assert [(e.error_type, e.details) for e in s.errors] == [("TimeoutError", "gave up after 3 tries")]
    span = next(x for x in span_exporter.get_finished_spans() if x.name == "error TimeoutError")
    assert span.events[0].name == "exception"


class _StrInterrupts(Exception):
    def __str__(self) -> str:
        raise KeyboardInterrupt("raised inside __str__")


def test_error_event_with_an_exception_whose_str_raises_keyboardinterrupt_is_recorded(
        span_exporter: InMemorySpanExporter) -> None:
    """record(ErrorEvent(exception=...)) whose __str__ raises KeyboardInterrupt records the step and returns."""
    try:
        with agentops.session("s") as s:
            agentops.record(ErrorEvent(exception=_StrInterrupts()))
    except BaseException as exc:  # pytest.raises would let a KeyboardInterrupt stop the run
        escaped: BaseException | None = exc
    else:
        escaped = None
    assert escaped is None, type(escaped).__name__
    assert [e.error_type for e in s.errors] == ["_StrInterrupts"]


def test_record_outside_session_still_exports(span_exporter: InMemorySpanExporter,
                                              caplog: pytest.LogCaptureFixture) -> None:
    """record() with no session loses nothing: the event is a lone span, and one plain warning says why
    (the user's situation, not an "internal error" of ours with a traceback)."""
    from agentops_otel._guard import reset_reports

    reset_reports()
    agentops.record(ActionEvent(action_type="orphan"))
    agentops.record(ActionEvent(action_type="orphan"))
    assert [s.name for s in span_exporter.get_finished_spans()] == ["action orphan", "action orphan"]
    warnings = [r for r in caplog.records if "outside a session" in r.getMessage()]
    assert len(warnings) == 1 and "internal error" not in warnings[0].getMessage()
    assert warnings[0].exc_info is None


def test_end_session_without_session_is_harmless() -> None:
    """end_session() with nothing active returns None and warns, never raises."""
    with pytest.warns(RuntimeWarning, match="no session is open"):
        assert agentops.end_session("Success") is None


def test_positional_tags_like_agentops(span_exporter: InMemorySpanExporter) -> None:
    """start_session(["a", "b"]) takes the list as tags, as AgentOps' signature does."""
    s = agentops.start_session(["a", "b"])
    agentops.end_session("Success")
    assert s.tags == ["a", "b"]


def test_positional_tags_of_any_iterable_like_agentops(span_exporter: InMemorySpanExporter) -> None:
    """start_session(t for t in ...) takes the tags given first, as AgentOps does, not only a list."""
    s = agentops.start_session(t for t in ["a", "b"])
    agentops.end_session("Success")
    assert s.tags == ["a", "b"] and s.name == agentops.start_session().name
    agentops.end_session("Success")


def test_session_decorator_with_tags_first_is_named_after_the_function(span_exporter: InMemorySpanExporter) -> None:
    """@session(["billing"]) tags each call's session and names it after the function, as @session("x") would."""
    @agentops.session(["billing"])  # type: ignore[call-overload]
    def handle() -> agentops.Session | None:
        return agentops.get_session()

    s = handle()
    assert s is not None and (s.name, s.tags) == ("handle", ["billing"])


def test_url_template_is_configurable() -> None:
    """A Tempo/Grafana user can point session URLs at their UI."""
    agentops.init(url_template="https://grafana.local/explore?traceId={trace_id}&session={session_id}",
                  instrument_llm_calls=False)
    from agentops_otel import config

    try:
        with agentops.session("s") as s:
            pass
        assert s.url == f"https://grafana.local/explore?traceId={s.trace_id}&session={s.id}"
    finally:
        config.state.url_template = None


@pytest.mark.parametrize("cost", [float("nan"), float("inf"), -5.0])
@pytest.mark.filterwarnings("error")  # as in many CI set-ups: a warning raised in our path must not lose the call
def test_an_llm_event_whose_cost_is_not_a_price_is_an_unknown_cost(
        span_exporter: InMemorySpanExporter, cost: float, caplog: pytest.LogCaptureFixture) -> None:
    """record(LLMEvent(cost=nan / inf / -5)) is a call of unknown cost, said in the log: the session
    still ends and exports its root, and no cost bound passes on it."""
    from agentops_otel import LLMEvent
    from agentops_otel.testing import AgentAssertionError, assert_cost_below

    with agentops.session("odd-cost") as s:
        agentops.record(LLMEvent(model="my-model", prompt_tokens=10, completion_tokens=10, cost=3.0))
        agentops.record(LLMEvent(model="my-model", prompt_tokens=10, completion_tokens=10, cost=cost))
    assert s.end_state == "Success" and s.llm_calls == 2 and not s.cost_complete
    assert "is not a price in dollars" in caplog.text
    root = [sp for sp in span_exporter.get_finished_spans() if sp.name == "invoke_agent odd-cost"]
    assert len(root) == 1
    with pytest.raises(AgentAssertionError, match="cost is incomplete"):
        assert_cost_below(s, 1000.0)


def test_an_event_recorded_with_an_error_is_a_failed_step(span_exporter: InMemorySpanExporter) -> None:
    """record(ActionEvent/ToolEvent/LLMEvent(error=...)) fails that step: read back with the same error, and
    listed in session.errors."""
    from agentops_otel import LLMEvent, ToolEvent
    from agentops_otel.testing import AgentAssertionError, assert_no_errors

    with agentops.session("failing") as s:
        agentops.record(ActionEvent(action_type="charge_card", params={"amount": 5}, error="ValueError: card declined"))
        agentops.record(ToolEvent(name="search", params={"q": "x"}, error="TimeoutError: upstream"))
        agentops.record(LLMEvent(model="gpt-4o-mini", prompt="hi", error="RateLimitError"))
        agentops.record(ActionEvent(action_type="ship", error="the courier never came"))
    assert [e.error for e in s.action_events] == ["ValueError: card declined", "the courier never came"]
    assert [e.error for e in s.tool_events] == ["TimeoutError: upstream"]
    assert [e.error for e in s.llm_events] == ["RateLimitError"]
    assert [(e.step_name, e.error_type) for e in s.errors] == [
        ("action charge_card", "ValueError"), ("execute_tool search", "TimeoutError"),
        ("chat gpt-4o-mini", "RateLimitError"), ("action ship", "_OTHER")]
    with pytest.raises(AgentAssertionError, match="4 step") as failed:
        assert_no_errors(s)
    assert "gpt-4o-mini: RateLimitError\n" in str(failed.value) and "ship: the courier never came" in str(failed.value)


class CardDeclined(Exception):
    """An application's own error, defined in a module of its own (this one)."""


def test_an_event_recorded_with_an_exception_fails_with_that_exceptions_class(
        span_exporter: InMemorySpanExporter) -> None:
    """record(ActionEvent(error=CardDeclined(...))) is a step that failed with CardDeclined, found by
    assert_error_in_step with the class, as a @tool raising it is."""
    from agentops_otel.testing import assert_error_in_step

    with agentops.session("declined") as s:
        agentops.record(ActionEvent(action_type="pay", error=CardDeclined("no funds")))  # type: ignore[arg-type]
    assert_error_in_step(s, "pay", CardDeclined)
    assert [e.error for e in s.action_events] == [f"{__name__}.CardDeclined: no funds"]


def test_error_event_trigger_reads_back_as_the_event(span_exporter: InMemorySpanExporter) -> None:
    """ErrorEvent(trigger_event=ActionEvent(...)) reads back with that ActionEvent as its trigger."""
    with agentops.session("s") as s:
        agentops.record(ErrorEvent(trigger_event=ActionEvent(action_type="pay", params={"amount": 5}),
                                   error_type="CardDeclined", details="declined"))
    trigger = s.errors[0].trigger_event
    assert isinstance(trigger, ActionEvent)
    assert (trigger.action_type, trigger.params) == ("pay", {"amount": 5})


def test_error_event_trigger_that_is_not_an_event_reads_back_as_recorded(
        span_exporter: InMemorySpanExporter) -> None:
    """A trigger that is plain data reads back as that data."""
    with agentops.session("s") as s:
        agentops.record(ErrorEvent(trigger_event={"step": "pay", "attempt": 2}, error_type="CardDeclined"))
    assert s.errors[0].trigger_event == {"step": "pay", "attempt": 2}


def test_tool_takes_its_name_as_record_action_does(span_exporter: InMemorySpanExporter) -> None:
    """@agentops.tool("search") names the tool, like @record_action("fetch") names the action."""
    @agentops.tool("search")
    def lookup(q: str) -> str:
        return q

    with agentops.session("s") as s:
        lookup("x")
    assert [e.name for e in s.tool_events] == ["search"]


def test_record_tool_is_agentops_tool_decorator(span_exporter: InMemorySpanExporter) -> None:
    """AgentOps' @record_tool("name") records each call as that tool."""
    @agentops.record_tool("search")
    def lookup(q: str) -> str:
        return q

    with agentops.session("s") as s:
        assert lookup("x") == "x"
    assert [(e.name, e.params) for e in s.tool_events] == [("search", {"q": "x"})]


def test_end_all_sessions_ends_every_open_session(span_exporter: InMemorySpanExporter) -> None:
    """end_all_sessions("Fail") ends every session still open, nested ones too, with that end state."""
    outer = agentops.start_session()
    inner = agentops.start_session()
    agentops.end_all_sessions("Fail", "shutting down")
    assert (outer.end_state, inner.end_state) == ("Fail", "Fail")
    assert outer.end_state_reason == "shutting down" and agentops.current_session() is None


def test_tool_given_neither_a_function_nor_a_name_says_so() -> None:
    """@agentops.tool(5) is the caller's mistake, named in a TypeError when decorating."""
    with pytest.raises(TypeError, match="@tool takes a function or the tool's name, got int"):
        agentops.tool(5)  # type: ignore[call-overload]


def test_an_llm_event_of_any_operation_is_a_counted_call(span_exporter: InMemorySpanExporter) -> None:
    """record(LLMEvent(operation="completion", cost=0.5)) is a model call of the session: counted and costed."""
    from agentops_otel import LLMEvent
    from agentops_otel.testing import AgentAssertionError, assert_cost_below

    with agentops.session("legacy-completions") as s:
        agentops.record(LLMEvent(model="gpt-4o", prompt_tokens=1000, completion_tokens=100, cost=0.5,
                                 operation="completion"))
    assert s.llm_calls == 1 and s.cost == 0.5 and s.input_tokens == 1000
    with pytest.raises(AgentAssertionError, match=r"cost \$0\.50"):
        assert_cost_below(s, 0.01)


@pytest.mark.parametrize("tokens", [-50_000, 1000.9, float("nan"), "1000", True])
@pytest.mark.filterwarnings("error")
def test_an_llm_event_whose_token_count_is_not_a_count_is_unknown_usage(
        span_exporter: InMemorySpanExporter, tokens: object, caplog: pytest.LogCaptureFixture) -> None:
    """record(LLMEvent(prompt_tokens=-50000)) is never summed (the session's tokens cannot go down): the
    count is unknown, said in the log, and the token bound fails on it."""
    from agentops_otel import LLMEvent
    from agentops_otel.testing import AgentAssertionError, NotJudgeable, assert_tokens_below

    with agentops.session("odd-tokens") as s:
        agentops.record(LLMEvent(model="gpt-4o", prompt_tokens=40_000, completion_tokens=1000, cost=0.11))
        agentops.record(LLMEvent(model="gpt-4o", prompt_tokens=tokens, completion_tokens=0, cost=0.0))  # type: ignore[arg-type]
    assert s.end_state == "Success" and s.llm_calls == 2
    root = [sp for sp in span_exporter.get_finished_spans() if sp.name == "invoke_agent odd-tokens"]
    assert root[0].attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 40_000  # the known part, as written
    with pytest.raises(NotJudgeable, match="only a lower bound"):
        assert s.input_tokens == 40_000
    assert "is not a token count" in caplog.text
    with pytest.raises(AgentAssertionError, match="token count is incomplete"):
        assert_tokens_below(s, 100_000)


def test_an_llm_event_without_token_counts_fails_the_token_bound(span_exporter: InMemorySpanExporter) -> None:
    """A call recorded with a cost but no token counts used an unknown number of tokens, not zero."""
    from agentops_otel import LLMEvent
    from agentops_otel.testing import AgentAssertionError, assert_tokens_below

    with agentops.session("cost-only") as s:
        agentops.record(LLMEvent(model="gpt-4o", cost=0.1))
    with pytest.raises(AgentAssertionError, match=r"token count is incomplete[\s\S]*chat gpt-4o"):
        assert_tokens_below(s, 10)


def test_tool_event_tool_call_id_reads_back(span_exporter: InMemorySpanExporter) -> None:
    """record(ToolEvent(tool_call_id=...)) reads back with that id, the model's call it answered."""
    from agentops_otel import ToolEvent

    with agentops.session("s") as s:
        agentops.record(ToolEvent(name="search", params={"q": "x"}, returns=[1], tool_call_id="call_abc"))
    assert s.tool_events[0].tool_call_id == "call_abc"


def test_logs_of_recorded_events_read_back(span_exporter: InMemorySpanExporter) -> None:
    """The logs= given to a recorded ToolEvent, ActionEvent and ErrorEvent come back on each."""
    from agentops_otel import ToolEvent

    with agentops.session("s") as s:
        agentops.record(ToolEvent(name="search", logs="tool log"))
        agentops.record(ActionEvent(action_type="act", logs=["step 1", "step 2"]))
        agentops.record(ErrorEvent(error_type="PaymentError", logs={"attempt": 2}))
    assert s.tool_events[0].logs == "tool log"
    assert s.action_events[0].logs == ["step 1", "step 2"]
    assert s.errors[0].logs == {"attempt": 2}


def test_logs_are_masked_and_bounded_like_other_content(span_exporter: InMemorySpanExporter) -> None:
    """A secret in recorded logs is masked, and long logs are cut at the value limit."""
    with agentops.session("s") as s:
        agentops.record(ActionEvent(action_type="act", logs={"api_key": "abc123", "out": "x" * 10_000}))
    logs = s.action_events[0].logs
    assert logs["api_key"] == "[REDACTED]"
    assert len(logs["out"]) < 4096 and re.search(r"…\[truncated \d+ chars\]$", logs["out"])


def test_logs_are_not_recorded_without_content_capture(span_exporter: InMemorySpanExporter,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """With capture set to no_content, recorded logs stay out of the trace, as arguments do."""
    from agentops_otel import ToolEvent, config

    monkeypatch.setattr(config.state, "capture_override", config.ContentCapture.NO_CONTENT)
    with agentops.session("s") as s:
        agentops.record(ToolEvent(name="search", logs="customer 4417 said hello"))
    assert s.tool_events[0].logs is None
    assert "customer 4417" not in str([dict(x.attributes or {}) for x in span_exporter.get_finished_spans()])


def test_action_event_agent_id_reads_back(span_exporter: InMemorySpanExporter) -> None:
    """record(ActionEvent(agent_id=...)) reads back with the agent that acted."""
    with agentops.session("s") as s:
        agentops.record(ActionEvent(action_type="act", agent_id="agent-7"))
    assert s.action_events[0].agent_id == "agent-7"


def test_error_event_code_reads_back(span_exporter: InMemorySpanExporter) -> None:
    """record(ErrorEvent(code="E402")) is listed in session.errors with that code."""
    with agentops.session("s") as s:
        agentops.record(ErrorEvent(error_type="PaymentError", details="declined", code="E402"))
    assert [(e.error_type, e.code) for e in s.errors] == [("PaymentError", "E402")]


def test_error_event_code_zero_reads_back(span_exporter: InMemorySpanExporter) -> None:
    """An error code of 0 (a process exit status, an errno) is a code, not "no code"."""
    with agentops.session("s") as s:
        agentops.record(ErrorEvent(error_type="ExitError", details="tool exited", code=0))
    assert [(e.error_type, e.code) for e in s.errors] == [("ExitError", "0")]


def test_recorded_fields_are_on_the_replayed_steps(span_exporter: InMemorySpanExporter) -> None:
    """The tool call id, agent id, logs and error code are on the replay's steps, as a backend has them."""
    from agentops_otel import ToolEvent

    with agentops.session("s") as s:
        agentops.record(ToolEvent(name="search", tool_call_id="call_abc", logs="tool log"))
        agentops.record(ActionEvent(action_type="act", agent_id="agent-7"))
        agentops.record(ErrorEvent(error_type="PaymentError", code="E402"))
    tool, action, error = s.timeline().steps
    assert tool.attributes[semconv.GEN_AI_TOOL_CALL_ID] == "call_abc"
    assert tool.attributes[semconv.LOGS] == '"tool log"'
    assert action.attributes[semconv.GEN_AI_AGENT_ID] == "agent-7"
    assert error.attributes[semconv.ERROR_CODE] == "E402"


def test_session_record_records_into_that_session(span_exporter: InMemorySpanExporter) -> None:
    """AgentOps 0.3's session.record(event) adds the step to that session, even while another is current."""
    first = contextvars.copy_context().run(agentops.start_session, "first")  # another task's session
    second = agentops.start_session("second")
    first.record(ActionEvent(action_type="for_first"))
    agentops.end_session("Success")
    agentops.end_session("Success", session=first)
    assert [e.action_type for e in first.action_events] == ["for_first"]
    assert second.action_events == []


def test_session_end_session_ends_that_session(span_exporter: InMemorySpanExporter) -> None:
    """AgentOps 0.3's session.end_session(state, reason) ends that session, even while another is current."""
    first = contextvars.copy_context().run(agentops.start_session, "first")  # another task's session
    second = agentops.start_session("second")
    first.end_session("Fail", "gave up")
    assert (first.end_state, first.end_state_reason) == ("Fail", "gave up")
    assert second.end_state is None and agentops.current_session() is second
    second.end_session()
    assert second.end_state == "Indeterminate"


def test_session_record_after_its_end_is_a_late_step_of_it(span_exporter: InMemorySpanExporter,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    """session.record(event) after session.end_session() is kept as a late step of that session, said in the log."""
    from agentops_otel._guard import reset_reports

    reset_reports()
    s = agentops.start_session("done")
    s.end_session("Success")
    s.record(ActionEvent(action_type="late"))
    assert s.steps_outside_named == ["action late: started after the session ended"]
    assert "record() into a session that has ended" in caplog.text
@pytest.fixture
def registered_prices() -> Iterator[None]:
    yield
    cost._unregister_all()


@pytest.mark.parametrize(("model", "provider"), [("gpt-4o-mini", "openai"), ("claude-haiku-4-5", "anthropic")])
def test_an_llm_event_without_a_cost_is_priced_from_its_model_and_tokens(
        span_exporter: InMemorySpanExporter, model: str, provider: str) -> None:
    """record(LLMEvent(model, tokens)) without cost= costs what the bundled table says, as AgentOps priced it."""
    from agentops_otel import LLMEvent

    with agentops.session("priced") as s:
        agentops.record(LLMEvent(model=model, prompt_tokens=1000, completion_tokens=10))
    table = calc_price(TableUsage(input_tokens=1000, output_tokens=10), model, provider_id=provider)
    expected = float(table.total_price)
    assert s.cost_complete and s.cost == pytest.approx(expected)
    assert s.llm_events[0].cost == pytest.approx(expected)


def test_an_llm_event_of_a_registered_model_costs_the_registered_price(
        span_exporter: InMemorySpanExporter, registered_prices: None) -> None:
    """A model priced with register_price() (as the unpriced-call message advises) prices recorded events."""
    from agentops_otel import LLMEvent

    agentops.register_price("house-model", input_per_mtok=1.0, output_per_mtok=2.0)
    with agentops.session("registered") as s:
        agentops.record(LLMEvent(model="house-model", prompt_tokens=1000, completion_tokens=100))
    assert s.cost_complete and s.cost == pytest.approx((1000 * 1.0 + 100 * 2.0) / 1e6)


def test_an_llm_event_without_a_model_says_so_instead_of_advising_register_price(
        span_exporter: InMemorySpanExporter, registered_prices: None) -> None:
    """An event with tokens but no model can't be priced: the bound says the model is missing, tokens still count."""
    from agentops_otel import LLMEvent
    from agentops_otel.testing import AgentAssertionError, assert_cost_below, assert_tokens_below

    agentops.register_price("unknown", input_per_mtok=1.0, output_per_mtok=1.0)  # not a way to price it
    with agentops.session("no-model") as s:
        agentops.record(LLMEvent(prompt_tokens=1000, completion_tokens=10))
    assert not s.cost_complete
    with pytest.raises(AgentAssertionError, match=r"no model named") as failed:
        assert_cost_below(s, 1.0)
    assert "register_price" not in str(failed.value)
    assert_tokens_below(s, 2000)


def test_an_llm_event_whose_model_is_not_text_is_recorded_by_its_name(
        span_exporter: InMemorySpanExporter, caplog: pytest.LogCaptureFixture) -> None:
    """LLMEvent(model=123) is a model named "123": unpriced, said as such, with no internal error logged."""
    from agentops_otel import LLMEvent

    with agentops.session("odd-model") as s:
        agentops.record(LLMEvent(model=123, prompt_tokens=10, completion_tokens=10))  # type: ignore[arg-type]
    assert "internal error" not in caplog.text
    assert [e.model for e in s.llm_events] == ["123"]
    assert not s.cost_complete



def test_event_only_capture_keeps_recorded_events_content_in_the_sessions_views(
        span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    """With event_only capture, record()ed tools, actions and model calls read back with their content."""
    from agentops_otel import LLMEvent, ToolEvent

    monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, "event_only")
    with agentops.session("s") as s:
        agentops.record(ToolEvent(name="search", params={"q": "refund"}, returns=["doc 1"], logs="2 hits"))
        agentops.record(ActionEvent(action_type="plan", params={"ticket": 7}, returns="ok"))
        agentops.record(LLMEvent(model="gpt-4o", prompt="Triage 7", completion="urgent", params={"temperature": 0},
                                 returns={"id": "r1"}, prompt_tokens=3, completion_tokens=1))
    tool, = s.tool_events
    assert (tool.params, tool.returns, tool.logs) == ({"q": "refund"}, ["doc 1"], "2 hits")
    action, = s.action_events
    assert (action.params, action.returns) == ({"ticket": 7}, "ok")
    llm, = s.llm_events
    assert (llm.prompt, llm.completion, llm.params, llm.returns) == ("Triage 7", "urgent", {"temperature": 0},
                                                                     {"id": "r1"})
    assert not any("refund" in str(v) or "Triage" in str(v) for sp in span_exporter.get_finished_spans()
                   for v in (sp.attributes or {}).values())


def test_event_only_capture_keeps_a_decorated_actions_arguments_in_the_sessions_views(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With event_only capture, a @record_action call reads back with its arguments and result."""
    monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, "event_only")

    @record_action("classify")
    def classify(text: str) -> str:
        return "billing"

    with agentops.session("s") as s:
        classify("my invoice is wrong")
    action, = s.action_events
    assert (action.params, action.returns) == ({"text": "my invoice is wrong"}, "billing")

