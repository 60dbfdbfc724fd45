"""The reassembler package's contracts that its files rely on."""

from __future__ import annotations

import msgspec

from agentops_otel import semconv as sc
from agentops_otel.read import SpanRecord
from agentops_otel.reassemble import Issue, reassemble
from agentops_otel.timeline import Step


def test_step_field_order_the_walk_relies_on() -> None:
    """The walk builds Steps positionally for speed: the field order it assumes must not drift."""
    assert [f.name for f in msgspec.structs.fields(Step)] == [
        "span_id", "parent_span_id", "trace_id", "session_id", "kind", "name", "span_name", "offset_s",
        "duration_s", "depth", "status", "attributes", "events", "flags", "skew_ns", "service_name",
        "status_message", "start_ns"]


def _span(span_id: str, parent: str | None, name: str, attrs: dict[str, object]) -> SpanRecord:
    return SpanRecord("ab" * 16, span_id, parent, name, 0, 1_000, 2_000, attributes=attrs)


def test_issue_kinds_beside_the_text() -> None:
    """Each issue has a kind code can decide on: a lost root is ROOT_MISSING and the session incomplete."""
    tool = _span("00000000000000b2", "00000000000000b1", "execute_tool lookup",
                 {sc.SESSION_ID: "s1", sc.GEN_AI_OPERATION_NAME: sc.OP_EXECUTE_TOOL})
    (tl,) = reassemble([tool]).sessions
    assert tl.summary.issue_kinds == (Issue.ROOT_MISSING,) and tl.summary.issues == ("root span missing",)
    assert not tl.summary.complete


def test_root_reporting_more_calls_is_a_kind_not_a_text_match() -> None:
    """A root counting more tool calls than were found makes the session incomplete (STEPS_MISSING)."""
    root = _span("00000000000000b1", None, "invoke_agent a", {
        sc.SESSION_ID: "s1", sc.GEN_AI_OPERATION_NAME: sc.OP_INVOKE_AGENT, sc.SESSION_END_STATE: sc.END_SUCCESS,
        sc.SESSION_TOOL_CALLS: 2})
    (tl,) = reassemble([root]).sessions
    assert Issue.STEPS_MISSING in tl.summary.issue_kinds and not tl.summary.complete
