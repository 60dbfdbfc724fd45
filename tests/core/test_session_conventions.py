"""The session root follows the GenAI conventions: a conversation id only when the user has one."""

from __future__ import annotations

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel.read import records_from_spans
from agentops_otel.reassemble import reassemble


def _root(exporter: InMemorySpanExporter) -> dict[str, object]:
    return next(dict(s.attributes or {}) for s in exporter.get_finished_spans() if s.parent is None)


def test_no_conversation_id_is_generated(span_exporter: InMemorySpanExporter) -> None:
    """Without the user's conversation id the root carries session.id and no gen_ai.conversation.id."""
    with agentops.session("support") as s:
        pass
    root = _root(span_exporter)
    assert "gen_ai.conversation.id" not in root
    assert root["session.id"] == s.id


def test_the_users_conversation_id_is_recorded(span_exporter: InMemorySpanExporter) -> None:
    """A conversation id the user passes is recorded as gen_ai.conversation.id, next to our session.id."""
    with agentops.session("support", conversation_id="conv_42") as s:
        pass
    root = _root(span_exporter)
    assert root["gen_ai.conversation.id"] == "conv_42"
    assert root["session.id"] == s.id


def test_a_session_without_conversation_id_replays_under_its_session_id(
        span_exporter: InMemorySpanExporter) -> None:
    """The reassembler finds the session by session.id alone."""
    @agentops.tool
    def lookup(x: int) -> int:
        return x

    with agentops.session("support") as s:
        lookup(1)
    result = reassemble(records_from_spans(span_exporter.get_finished_spans()))
    assert [t.summary.session_id for t in result.sessions] == [s.id]
    assert [step.name for step in result.sessions[0].steps] == ["lookup"]
    assert result.pseudo_sessions == []
