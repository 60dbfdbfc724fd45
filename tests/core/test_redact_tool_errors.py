"""A tool whose error repeats a secret argument (``denied for password=hunter2…``): the argument is masked by
its name, so its value is masked in the recorded error too."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import config

PASSWORD = "hunter2-correct-horse"


def _tool_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    (span,) = [s for s in exporter.get_finished_spans() if s.name.startswith("execute_tool")]
    return span


def _recorded(span: ReadableSpan) -> str:
    events = [str(dict(e.attributes or {})) for e in span.events]
    return "\n".join([str(dict(span.attributes or {})), str(span.status.description), *events])


def test_a_secret_argument_repeated_in_the_tools_error_is_masked(span_exporter: InMemorySpanExporter) -> None:
    """The error's message, stack trace and status keep their text with the password's value masked;
    the user still gets their exception, message untouched."""
    @agentops.tool
    def login(user: str, password: str) -> None:
        raise PermissionError(f"denied for {user}: password={password} rejected")

    with agentops.session("login"), pytest.raises(PermissionError) as raised:
        login("ada", password=PASSWORD)

    assert PASSWORD in str(raised.value)
    recorded = _recorded(_tool_span(span_exporter))
    assert PASSWORD not in recorded
    assert "denied for ada: password=[REDACTED] rejected" in recorded


def test_a_nested_secret_argument_repeated_in_the_tools_error_is_masked(
        span_exporter: InMemorySpanExporter) -> None:
    """A secret-named field inside a dict argument is masked in the error as in the arguments."""
    @agentops.tool
    def connect(config: dict[str, str]) -> None:
        raise ConnectionError(f"cannot connect with {config['api_token']}")

    with agentops.session("connect"), pytest.raises(ConnectionError):
        connect({"host": "db", "api_token": PASSWORD})

    assert PASSWORD not in _recorded(_tool_span(span_exporter))


def test_a_short_secret_value_does_not_mask_ordinary_words(span_exporter: InMemorySpanExporter) -> None:
    """A secret argument too short to be told from ordinary text ("no") is not searched for in the error."""
    @agentops.tool
    def login(password: str) -> None:
        raise PermissionError("no such user")

    with agentops.session("login"), pytest.raises(PermissionError):
        login(password="no")

    assert "no such user" in _recorded(_tool_span(span_exporter))


def test_the_tools_error_escaping_its_session_is_masked_on_the_session_too(
        span_exporter: InMemorySpanExporter) -> None:
    """The same error ends the session Fail: its reason, its root's exception and status mask the value too."""
    @agentops.tool
    def login(password: str) -> None:
        raise PermissionError(f"denied: password={password}")

    with pytest.raises(PermissionError), agentops.session("login") as s:
        login(PASSWORD)

    (root,) = [sp for sp in span_exporter.get_finished_spans() if sp.name.startswith("invoke_agent")]
    assert PASSWORD not in _recorded(root)
    assert PASSWORD not in str(s.end_state_reason) and "[REDACTED]" in str(s.end_state_reason)


def test_the_tools_error_passing_through_an_outer_tool_is_masked_there_too(
        span_exporter: InMemorySpanExporter) -> None:
    """An outer tool the error escapes through (one that never saw the password) records it masked as well."""
    @agentops.tool
    def login(password: str) -> None:
        raise PermissionError(f"denied: password={password}")

    @agentops.tool
    def run_task(task: str) -> None:
        login(PASSWORD)

    with pytest.raises(PermissionError), agentops.session("task"):
        run_task("checkout")

    (outer,) = [s for s in span_exporter.get_finished_spans() if s.name == "execute_tool run_task"]
    assert PASSWORD not in _recorded(outer)
    assert "password=[REDACTED]" in _recorded(outer)


def test_the_tools_error_recorded_as_an_error_event_is_masked(span_exporter: InMemorySpanExporter) -> None:
    """An agent that catches the tool's error and records it (agentops.record(ErrorEvent(exception=...))) records
    it masked, as the tool's span does."""
    @agentops.tool
    def login(password: str) -> None:
        raise PermissionError(f"denied: password={password}")

    with agentops.session("task"):
        try:
            login(PASSWORD)
        except PermissionError as exc:
            agentops.record(agentops.ErrorEvent(exception=exc))

    (error,) = [s for s in span_exporter.get_finished_spans() if s.name.startswith("error")]
    assert PASSWORD not in _recorded(error)


def test_a_secret_argument_the_cut_of_a_long_error_would_split_is_masked_whole(
        span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    """An error longer than the value bound is cut before a repeated secret argument the cut falls inside: no
    part of it is recorded, and the marker says what was left out."""
    monkeypatch.setattr(config.state, "max_value_chars", 40)

    @agentops.tool
    def login(password: str) -> None:
        raise PermissionError("denied, tried " + "x" * 20 + PASSWORD + " " + "y" * 100)

    with agentops.session("login"), pytest.raises(PermissionError):
        login(password=PASSWORD)

    recorded = _recorded(_tool_span(span_exporter))
    assert PASSWORD[:6] not in recorded
    assert "denied, tried xxxxxxxxxxxxxxxxxxxx[REDACTED]…[truncated 122 chars]" in recorded
