"""What a session is told — its name, tags, end reason, a recorded error's details — is masked on its spans and
wherever we show it, as tool arguments are."""

from __future__ import annotations

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import ErrorEvent

KEY = "sk-proj-Abcdefghijklmnop0123456789XYZ"


def _recorded(exporter: InMemorySpanExporter) -> str:
    """Every span's name, attributes, events and status text, as one string."""
    def one(span: ReadableSpan) -> str:
        events = [str(dict(e.attributes or {})) for e in span.events]
        return "\n".join([span.name, str(dict(span.attributes or {})), str(span.status.description), *events])

    return "\n".join(one(s) for s in exporter.get_finished_spans())


def test_a_key_in_a_session_name_and_tags_is_masked(span_exporter: InMemorySpanExporter) -> None:
    """A session named or tagged with a key is recorded and shown with the key masked, the rest kept."""
    with agentops.session(f"retry {KEY}", tags=[f"key={KEY}", "plain"]) as s:
        pass
    assert KEY not in _recorded(span_exporter)
    assert (s.name, s.tags) == ("retry [REDACTED]", ["key=[REDACTED]", "plain"])
    assert "invoke_agent retry [REDACTED]" in _recorded(span_exporter)


def test_a_key_in_start_sessions_tags_is_masked(span_exporter: InMemorySpanExporter) -> None:
    """AgentOps' start_session([tags]) masks a key among its tags."""
    s = agentops.start_session([KEY])
    agentops.end_session("Success")
    assert s.tags == ["[REDACTED]"] and KEY not in _recorded(span_exporter)


def test_a_secret_named_field_of_an_end_reason_given_as_a_dict_is_masked(
        span_exporter: InMemorySpanExporter) -> None:
    """end_session("Fail", {"api_key": ...}) records and keeps the reason with the secret-named value masked."""
    s = agentops.start_session()
    agentops.end_session("Fail", {"api_key": "hunter2-plain", "step": "login"})
    assert "hunter2-plain" not in _recorded(span_exporter) + str(s.end_state_reason)
    assert "login" in str(s.end_state_reason)


def test_a_secret_named_field_of_an_error_events_details_is_masked(span_exporter: InMemorySpanExporter) -> None:
    """ErrorEvent(details={"password": ...}), AgentOps' dict of details, is recorded with that value masked."""
    with agentops.session("errors"):
        agentops.record(ErrorEvent(error_type="LoginError", details={"password": "hunter2-plain", "user": "ann"}))
    recorded = _recorded(span_exporter)
    assert "hunter2-plain" not in recorded and "ann" in recorded


def test_a_key_in_an_end_reason_is_masked_on_the_session_object_too(span_exporter: InMemorySpanExporter) -> None:
    """The reason a failing test's report prints (session.end_state_reason) is masked as the span's is."""
    with agentops.session("keyed") as s:
        s.end("Fail", f"the provider refused {KEY}")
    assert s.end_state_reason == "the provider refused [REDACTED]"
    assert KEY not in _recorded(span_exporter)
