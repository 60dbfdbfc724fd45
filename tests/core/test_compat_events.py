"""AgentOps 0.3's event classes, ported by one import: every keyword they take is taken here too.

Apart from ``test_compat.py`` (already past the module size the house keeps); same fixtures, same story.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import ActionEvent, ErrorEvent, LLMEvent, ToolEvent, config, semconv

START = "2025-03-01T10:00:00.000000+00:00"
END = "2025-03-01T10:00:02.500000+00:00"


def _no_internal_error(caplog: pytest.LogCaptureFixture) -> None:
    assert "internal error" not in caplog.text


def test_action_event_takes_every_agentops_keyword(span_exporter: InMemorySpanExporter,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """An ActionEvent built with all of AgentOps 0.3's keywords records and reads back as before."""
    agent = uuid.uuid4()
    with agentops.session("s") as s:
        agentops.record(ActionEvent(event_type="actions", params={"q": "refund"}, returns="ok",
                                    init_timestamp=START, end_timestamp=END, agent_id=agent, id=uuid.uuid4(),
                                    action_type="search", logs="looked it up", screenshot="data:image/png;base64,AA"))
    _no_internal_error(caplog)
    [event] = s.action_events
    assert (event.action_type, event.params, event.returns, event.logs) == ("search", {"q": "refund"}, "ok",
                                                                             "looked it up")
    assert event.agent_id == str(agent)
    assert (event.init_timestamp, event.end_timestamp) == (datetime.fromisoformat(START), datetime.fromisoformat(END))


def test_llm_event_takes_every_agentops_keyword(span_exporter: InMemorySpanExporter,
                                                caplog: pytest.LogCaptureFixture) -> None:
    """An LLMEvent built with all of AgentOps 0.3's keywords records, and reads back with its agent and thread."""
    agent, thread = uuid.uuid4(), uuid.uuid4()
    with agentops.session("s") as s:
        agentops.record(LLMEvent(event_type="llms", params={"temperature": 0.2}, returns={"choices": []},
                                 init_timestamp=START, end_timestamp=END, agent_id=agent, id=uuid.uuid4(),
                                 thread_id=thread, prompt="hello", prompt_tokens=12, completion="hi there",
                                 completion_tokens=3, cost=0.001, model="gpt-4o"))
    _no_internal_error(caplog)
    [event] = s.llm_events
    assert (event.model, event.prompt, event.completion) == ("gpt-4o", "hello", "hi there")
    assert (event.prompt_tokens, event.completion_tokens, event.cost) == (12, 3, 0.001)
    assert (event.agent_id, event.thread_id) == (str(agent), str(thread))
    assert (event.params, event.returns) == ({"temperature": 0.2}, {"choices": []})
    assert event.init_timestamp == datetime.fromisoformat(START)
    assert s.cost == pytest.approx(0.001)
    span = next(x for x in span_exporter.get_finished_spans() if x.name == "chat gpt-4o")
    assert span.attributes is not None
    assert span.attributes[semconv.GEN_AI_AGENT_ID] == str(agent)
    assert span.attributes[semconv.GEN_AI_CONVERSATION_ID] == str(thread)


def test_tool_event_takes_every_agentops_keyword(span_exporter: InMemorySpanExporter,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    """A ToolEvent built with all of AgentOps 0.3's keywords records, and reads back with its agent."""
    agent = uuid.uuid4()
    with agentops.session("s") as s:
        agentops.record(ToolEvent(event_type="tools", params={"city": "Paris"}, returns="sunny",
                                  init_timestamp=START, end_timestamp=END, agent_id=agent, id=uuid.uuid4(),
                                  name="weather", logs={"cache": "miss"}))
    _no_internal_error(caplog)
    [event] = s.tool_events
    assert (event.name, event.params, event.returns, event.logs) == ("weather", {"city": "Paris"}, "sunny",
                                                                     {"cache": "miss"})
    assert event.agent_id == str(agent)
    assert event.end_timestamp == datetime.fromisoformat(END)


def test_error_event_takes_every_agentops_keyword(span_exporter: InMemorySpanExporter,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    """An ErrorEvent built with all of AgentOps 0.3's keywords records at its timestamp and reads back."""
    with agentops.session("s") as s:
        agentops.record(ErrorEvent(trigger_event=ActionEvent(action_type="pay"), exception=TimeoutError("slow"),
                                   error_type="TimeoutError", code="E504", details="gave up",
                                   logs="Traceback ...", timestamp=START))
    _no_internal_error(caplog)
    [error] = s.errors
    assert (error.error_type, error.code, error.details, error.logs) == ("TimeoutError", "E504", "gave up",
                                                                         "Traceback ...")
    assert isinstance(error.trigger_event, ActionEvent) and error.trigger_event.action_type == "pay"
    assert error.init_timestamp == error.timestamp == datetime.fromisoformat(START)


def test_error_event_init_timestamp_wins_over_timestamp(span_exporter: InMemorySpanExporter) -> None:
    """Given both, an ErrorEvent's init_timestamp is its time, as for every other event."""
    with agentops.session("s") as s:
        agentops.record(ErrorEvent(error_type="E", timestamp=START, init_timestamp=END))
    assert s.errors[0].init_timestamp == datetime.fromisoformat(END)


@pytest.mark.parametrize(("value", "error"), [(1_700_000_000, TypeError), ("yesterday", ValueError)])
def test_error_event_timestamp_that_is_not_one_gets_a_clear_error(
        span_exporter: InMemorySpanExporter, value: object, error: type[Exception]) -> None:
    """ErrorEvent(timestamp=1700000000) names the field instead of recording the error at some other time."""
    with agentops.session("s"):
        with pytest.raises(error, match=r"record\(\): ErrorEvent\.timestamp takes a datetime or an ISO 8601 string"):
            agentops.record(ErrorEvent(error_type="E", timestamp=value))  # type: ignore[arg-type]


def test_events_default_their_id_and_event_type_as_agentops_does() -> None:
    """Each event gets a fresh uuid4 id and AgentOps' event_type value unless given."""
    first, second = ActionEvent(), ActionEvent()
    assert isinstance(first.id, uuid.UUID) and first.id.version == 4 and first.id != second.id
    assert [e.event_type for e in (ActionEvent(), LLMEvent(), ToolEvent(), ErrorEvent())] == [
        "actions", "llms", "tools", "errors"]


def test_events_built_positionally_keep_their_field_order() -> None:
    """Positional arguments still land on the fields they always did: the AgentOps ones are added after."""
    assert ActionEvent("search", {"q": 1}).params == {"q": 1}
    assert (LLMEvent("gpt-4o", "hi", "hello", 5, 2).completion_tokens, LLMEvent("gpt-4o").model) == (2, "gpt-4o")
    assert ToolEvent("weather", {"city": "Paris"}).name == "weather"
    assert ErrorEvent(None, None, "PaymentError", "E402").code == "E402"


def test_llm_event_params_and_returns_are_content(span_exporter: InMemorySpanExporter,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """An LLMEvent's params and returns are masked and bounded, and not recorded without content capture."""
    with agentops.session("s") as s:
        agentops.record(LLMEvent(model="gpt-4o", params={"api_key": "abc123", "system": "x" * 10_000},
                                 returns={"text": "done"}))
    params = s.llm_events[0].params
    assert params["api_key"] == "[REDACTED]"
    assert re.search(r"…\[truncated \d+ chars\]$", params["system"])
    monkeypatch.setattr(config.state, "capture_override", config.ContentCapture.NO_CONTENT)
    with agentops.session("s") as quiet:
        agentops.record(LLMEvent(model="gpt-4o", params={"customer": "4417"}, returns={"text": "secret"}))
    assert (quiet.llm_events[0].params, quiet.llm_events[0].returns) == (None, None)


def test_error_event_trigger_reads_back_with_the_triggering_events_id(span_exporter: InMemorySpanExporter) -> None:
    """The trigger of a recorded error reads back with the id of the event that triggered it, as AgentOps links them."""
    action = ActionEvent(action_type="pay")
    with agentops.session("s") as s:
        agentops.record(action)
        agentops.record(ErrorEvent(trigger_event=action, error_type="CardDeclined"))
    assert s.errors[0].trigger_event.id == action.id


def test_a_failed_decorated_step_reads_back_as_an_error_triggered_by_that_step(
        span_exporter: InMemorySpanExporter) -> None:
    """As AgentOps 0.3's ``@record_action`` / ``@record_tool`` recorded it, the error's trigger is the failed step."""
    @agentops.record_action("charge")
    def charge(amount: int) -> None:
        raise ValueError("card declined")

    @agentops.record_tool("lookup")
    def lookup(customer_id: str) -> None:
        raise KeyError(customer_id)

    with agentops.session("s") as s:
        for step, arg in ((charge, 5), (lookup, "42")):
            with pytest.raises((ValueError, KeyError)):
                step(arg)
    action_error, tool_error = s.errors
    assert isinstance(action_error.trigger_event, ActionEvent)
    assert (action_error.trigger_event.action_type, action_error.trigger_event.params) == ("charge", {"amount": 5})
    assert action_error.trigger_event == s.action_events[0]
    assert isinstance(tool_error.trigger_event, ToolEvent) and tool_error.trigger_event.name == "lookup"
    assert tool_error.trigger_event == s.tool_events[0]
