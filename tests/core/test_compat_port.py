"""AgentOps 0.3 code that runs unchanged after `import agentops_otel as agentops`: decorator arguments,
`session=` on decorated calls, `record_function`, and an end state AgentOps would only warn about."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Callable, Iterator

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import record_action
from agentops_otel.testing import AgentAssertionError, assert_ended_with


class CardDeclined(Exception):
    pass


def charge_card(state: object) -> None:
    """The article's pattern: end the session in the except handler, then re-raise the agent's error."""
    agentops.start_session(tags=["support"])
    try:
        raise CardDeclined("card declined")
    except Exception as e:
        agentops.end_session(state, end_state_reason=str(e))
        raise


@pytest.mark.parametrize("state", ["Failed", None, "", 0, True])
def test_an_unknown_end_state_in_the_except_handler_lets_the_agents_error_through(
        span_exporter: InMemorySpanExporter, state: object) -> None:
    """end_session("Failed") while the agent's error propagates warns (naming it) instead of replacing that error."""
    with pytest.warns(RuntimeWarning, match=rf"end_session\({state!r}\): end state must be one of Success, Fail, "
                                            "Indeterminate"), pytest.raises(CardDeclined):
        charge_card(state)


def test_an_unknown_end_state_in_the_except_handler_ends_the_session_indeterminate(
        span_exporter: InMemorySpanExporter) -> None:
    """The session is not left open, and its end reason names the state it was given, so a Fail check fails."""
    with pytest.warns(RuntimeWarning), pytest.raises(CardDeclined):
        charge_card("Failed")
    s = agentops.get_session()
    assert s is not None and s.end_state == "Indeterminate"
    assert s.end_state_reason == "invalid end state 'Failed': card declined"
    with pytest.raises(AgentAssertionError):
        assert_ended_with(s, "Fail")


def test_an_unknown_end_state_in_the_except_handler_under_warnings_as_errors_still_lets_the_error_through(
        span_exporter: InMemorySpanExporter, caplog: pytest.LogCaptureFixture) -> None:
    """With warnings turned into errors, the warning goes to the log rather than replace the agent's error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(CardDeclined):
            charge_card("Failed")
    assert "end_session('Failed'): end state must be one of" in caplog.text


def test_session_end_session_with_an_unknown_state_warns_as_agentops_does(
        span_exporter: InMemorySpanExporter) -> None:
    """AgentOps 0.3's session.end_session("Failed") warns rather than raise; the session ends Indeterminate."""
    s = agentops.start_session()
    with pytest.warns(RuntimeWarning, match=r"end_session\('Failed'\): end state must be one of Success, Fail"):
        s.end_session("Failed", "gave up")
    assert (s.end_state, s.end_state_reason) == ("Indeterminate", "invalid end state 'Failed': gave up")


def test_record_action_takes_event_name_by_keyword(span_exporter: InMemorySpanExporter) -> None:
    """@record_action(event_name="classify_intent"), AgentOps 0.3's spelling, names the action."""
    @record_action(event_name="classify_intent")
    def classify(message: str) -> str:
        return "billing"

    with agentops.session("s") as s:
        assert classify("x") == "billing"
    assert [e.action_type for e in s.action_events] == ["classify_intent"]


@pytest.fixture
def two_sessions() -> Iterator[tuple[agentops.Session, agentops.Session]]:
    first = agentops.start_session(tags=["a"])
    second = agentops.start_session(tags=["b"])
    yield first, second
    agentops.end_all_sessions()


def test_session_keyword_records_the_action_in_that_session(
        span_exporter: InMemorySpanExporter, two_sessions: tuple[agentops.Session, agentops.Session]) -> None:
    """classify("hi", session=s1) records the action in s1 and does not hand session= to the function."""
    s1, s2 = two_sessions

    @record_action("classify_intent")
    def classify(message: str) -> str:
        return "billing"

    assert classify("hi", session=s1) == "billing"
    assert [(e.action_type, e.params) for e in s1.action_events] == [("classify_intent", {"message": "hi"})]
    assert s2.action_events == []


def test_session_keyword_puts_what_the_action_calls_in_that_session(
        span_exporter: InMemorySpanExporter, two_sessions: tuple[agentops.Session, agentops.Session]) -> None:
    """A tool the action calls is recorded in the session the action was given, with it."""
    s1, s2 = two_sessions

    @agentops.tool
    def lookup(q: str) -> str:
        return q

    @record_action("route")
    def route(message: str) -> str:
        return lookup(message)

    route("hi", session=s1)
    assert [e.name for e in s1.tool_events] == ["lookup"] and s2.tool_events == []


def test_session_keyword_records_the_tool_call_in_that_session(
        span_exporter: InMemorySpanExporter, two_sessions: tuple[agentops.Session, agentops.Session]) -> None:
    """search("q", session=s1) on a @record_tool function records the tool call in s1."""
    s1, s2 = two_sessions

    @agentops.record_tool(tool_name="search")
    def search(q: str) -> list[str]:
        return [q]

    assert search("q", session=s1) == ["q"]
    assert [e.name for e in s1.tool_events] == ["search"] and s2.tool_events == []


def test_session_keyword_on_an_async_action_records_it_in_that_session(
        span_exporter: InMemorySpanExporter, two_sessions: tuple[agentops.Session, agentops.Session]) -> None:
    """An async @record_action takes session= too."""
    s1, s2 = two_sessions

    @record_action("classify_intent")
    async def classify(message: str) -> str:
        return "billing"

    assert asyncio.run(classify("hi", session=s1)) == "billing"
    assert [e.action_type for e in s1.action_events] == ["classify_intent"] and s2.action_events == []


def test_session_keyword_on_a_generator_action_records_it_in_that_session(
        span_exporter: InMemorySpanExporter, two_sessions: tuple[agentops.Session, agentops.Session]) -> None:
    """A generator @record_action takes session= too."""
    s1, s2 = two_sessions

    @record_action("stream_reply")
    def stream(message: str) -> Iterator[str]:
        yield from message.split()

    assert list(stream("a b", session=s1)) == ["a", "b"]
    assert [e.action_type for e in s1.action_events] == ["stream_reply"] and s2.action_events == []


def test_session_keyword_none_records_in_the_current_session(span_exporter: InMemorySpanExporter) -> None:
    """session=None, as AgentOps took it, means the current session and is not handed to the function."""
    @record_action("classify_intent")
    def classify(message: str) -> str:
        return "billing"

    with agentops.session("s") as s:
        assert classify("hi", session=None) == "billing"
    assert [e.action_type for e in s.action_events] == ["classify_intent"]


def test_a_function_with_its_own_session_parameter_receives_it(span_exporter: InMemorySpanExporter) -> None:
    """A decorated function that declares session (a database session, say) gets the value it was given."""
    @record_action("save")
    def save(row: str, session: object = None) -> object:
        return session

    with agentops.session("s") as s:
        assert save("r", session=s) is s
    assert [e.action_type for e in s.action_events] == ["save"]


def test_record_function_is_the_deprecated_name_of_record_action(span_exporter: InMemorySpanExporter) -> None:
    """@agentops.record_function("name") records an action, with the DeprecationWarning AgentOps 0.3 gave."""
    with pytest.warns(DeprecationWarning, match="record_function is deprecated: use record_action"):
        @agentops.record_function("classify_intent")
        def classify(message: str) -> str:
            return "billing"

    with agentops.session("s") as s:
        assert classify("hi") == "billing"
    assert [e.action_type for e in s.action_events] == ["classify_intent"]


@pytest.fixture
def default_tags_reset() -> Iterator[None]:
    yield
    agentops.init(default_tags=[])


def test_init_tags_are_the_default_tags_as_in_agentops(span_exporter: InMemorySpanExporter,
                                                       default_tags_reset: None) -> None:
    """AgentOps 0.3's init(tags=[...]) (its deprecated name of default_tags) tags every session, not none."""
    with pytest.warns(DeprecationWarning, match=r"init\(tags=\.\.\.\) is AgentOps' deprecated name of default_tags"):
        agentops.init(api_key="k", tags=["legacy", "v1"])
    s = agentops.start_session(tags=["run"])
    agentops.end_session("Success")
    assert s.tags == ["legacy", "v1", "run"]


@pytest.mark.parametrize("end", [
    lambda s: s.end_session("Fail", end_state_reason="bad"),
    lambda s: agentops.end_session("Fail", end_state_reason="bad", session=s),
    lambda s: s.end("Fail", "bad"),
], ids=["session.end_session", "end_session(session=)", "session.end"])
def test_ending_a_session_its_outer_session_already_ended_warns_that_its_end_state_stays(
        span_exporter: InMemorySpanExporter, end: Callable[[agentops.Session], object]) -> None:
    """AgentOps' overlapping sessions nest here: ending the inner one after the outer one ended it is said."""
    outer = agentops.start_session(tags=["a"])
    inner = agentops.start_session(tags=["b"])
    outer.end_session("Success")
    with pytest.warns(RuntimeWarning, match=r"end_session\('Fail'\) comes too late: session .* had been ended "
                                            r"Indeterminate when the session it was nested in, .* ended") as caught:
        end(inner)
    assert (caught[0].filename, caught[0].lineno) == (__file__, end.__code__.co_firstlineno)  # the line ending it
    assert inner.end_state == "Indeterminate"


def test_session_id_is_the_uuid_agentops_code_looks_sessions_up_by() -> None:
    """AgentOps 0.3 code reads ``session.session_id`` (a UUID) and looks the session up by its text."""
    import uuid

    session = agentops.start_session(tags=["port"])
    assert session is not None
    try:
        assert isinstance(session.session_id, uuid.UUID) and str(session.session_id) == session.id
        assert agentops.get_session(str(session.session_id)) is session
    finally:
        agentops.end_session("Success", session=session)


def test_init_with_auto_start_session_returns_the_session_it_started(span_exporter: InMemorySpanExporter) -> None:
    """AgentOps 0.3's ``session = agentops.init(..., auto_start_session=True)`` hands back the session it started."""
    session = agentops.init(api_key="k", auto_start_session=True)
    try:
        assert isinstance(session, agentops.Session) and agentops.get_session() is session
        session.record(agentops.ActionEvent(action_type="step"))
        session.end_session("Success")
        assert [e.action_type for e in session.action_events] == ["step"]
    finally:
        agentops.end_all_sessions()


def test_init_with_auto_start_session_under_the_kill_switch_still_returns_a_session(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Under AGENTOPS_OTEL_DISABLED the ported ``session = init(auto_start_session=True)`` still gets one to end."""
    from agentops_otel import semconv

    monkeypatch.setenv(semconv.ENV_DISABLED, "true")
    session = agentops.init(api_key="k", auto_start_session=True)
    try:
        assert isinstance(session, agentops.Session) and agentops.get_session() is session
        session.end_session("Success")
        assert session.end_state == "Success"
    finally:
        agentops.end_all_sessions()


def test_init_with_auto_start_session_inside_a_session_returns_that_one(span_exporter: InMemorySpanExporter) -> None:
    """Inside a session (the plugin's, for a test) it starts no nested one and returns the current session."""
    outer = agentops.start_session(tags=["outer"])
    try:
        assert agentops.init(api_key="k", auto_start_session=True) is outer
        assert agentops.init(api_key="k") is None
    finally:
        agentops.end_all_sessions()


def test_get_session_finds_the_session_by_its_uuid() -> None:
    """``agentops.get_session(session.session_id)``, the UUID as AgentOps 0.3 compared it, finds the session."""
    session = agentops.start_session(tags=["port"])
    try:
        assert agentops.get_session(session.session_id) is session
        assert agentops.get_session(session.session_id.hex) is session
        assert agentops.get_session(session.id.upper()) is session
    finally:
        agentops.end_session("Success", session=session)
    assert agentops.get_session(session.session_id) is session  # the last one ended here, as by its text


def test_get_session_given_no_id_says_so() -> None:
    """A session object or a number given as the id is a clear TypeError, not a silent ``None``."""
    session = agentops.start_session(tags=["port"])
    try:
        with pytest.raises(TypeError, match=r"get_session\(session_id=\.\.\.\) takes the session's id \(a str or "
                                            r"UUID\), got Session"):
            agentops.get_session(session)  # type: ignore[arg-type]
    finally:
        agentops.end_session("Success", session=session)
