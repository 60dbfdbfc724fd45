"""What a tool or an action is named (by the decorator or a recorded event) is masked on its span, in the span's
name and attributes, as a session's name is."""

from __future__ import annotations

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import ActionEvent, ErrorEvent, ToolEvent, semconv

KEY = "sk-proj-Abcdefghijklmnop0123456789XYZ"


def _recorded(exporter: InMemorySpanExporter) -> str:
    """Every span's name, attributes, events and status text, as one string."""
    def one(span: ReadableSpan) -> str:
        events = [str(dict(e.attributes or {})) for e in span.events]
        return "\n".join([span.name, str(dict(span.attributes or {})), str(span.status.description), *events])

    return "\n".join(one(s) for s in exporter.get_finished_spans())


def _only(exporter: InMemorySpanExporter, prefix: str) -> ReadableSpan:
    (span,) = [s for s in exporter.get_finished_spans() if s.name.startswith(prefix)]
    return span


def test_a_key_in_a_tools_name_is_masked(span_exporter: InMemorySpanExporter) -> None:
    """@tool("fetch sk-…") records ``execute_tool fetch [REDACTED]`` and the tool name masked alike."""
    @agentops.tool(f"fetch {KEY}")
    def fetch() -> int:
        return 1

    with agentops.session("s"):
        assert fetch() == 1
    span = _only(span_exporter, "execute_tool")
    assert span.name == "execute_tool fetch [REDACTED]"
    assert (span.attributes or {})[semconv.GEN_AI_TOOL_NAME] == "fetch [REDACTED]"
    assert KEY not in _recorded(span_exporter)


def test_a_key_in_an_actions_type_is_masked(span_exporter: InMemorySpanExporter) -> None:
    """@record_action("login sk-…") records the action's type with the key masked, in the name and attribute."""
    @agentops.record_action(f"login {KEY}")
    def login() -> str:
        return "ok"

    with agentops.session("s"):
        login()
    span = _only(span_exporter, "action")
    assert span.name == "action login [REDACTED]"
    assert (span.attributes or {})[semconv.ACTION_TYPE] == "login [REDACTED]"
    assert KEY not in _recorded(span_exporter)


def test_a_key_in_a_recorded_events_name_is_masked(span_exporter: InMemorySpanExporter) -> None:
    """record() of an ActionEvent, a ToolEvent and an ErrorEvent named with a key masks the key in each."""
    with agentops.session("s") as s:
        agentops.record(ActionEvent(action_type=f"call {KEY}"))
        agentops.record(ToolEvent(name=f"tool {KEY}"))
        agentops.record(ErrorEvent(error_type=f"Err {KEY}", details="failed"))
    assert KEY not in _recorded(span_exporter)
    assert [e.action_type for e in s.action_events] == ["call [REDACTED]"]
    assert [e.name for e in s.tool_events] == ["tool [REDACTED]"]
    assert {_only(span_exporter, p).name for p in ("action", "execute_tool", "error")} == {
        "action call [REDACTED]", "execute_tool tool [REDACTED]", "error Err [REDACTED]"}


def test_an_ordinary_tool_name_is_recorded_as_given(span_exporter: InMemorySpanExporter) -> None:
    """A plain name, even one that mentions tokens or passwords, is left as it is."""
    @agentops.tool("reset_password token_count")
    def reset() -> None:
        return None

    reset()
    span = _only(span_exporter, "execute_tool")
    assert span.name == "execute_tool reset_password token_count"
    assert (span.attributes or {})[semconv.GEN_AI_TOOL_NAME] == "reset_password token_count"
