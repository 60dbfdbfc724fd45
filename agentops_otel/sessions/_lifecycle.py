"""Starting and ending sessions the AgentOps way: ``start_session()`` / ``end_session()`` /
``end_all_sessions()``."""

from __future__ import annotations

import sys
import warnings
import weakref
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, TypeGuard, cast

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Link, SpanKind

from .. import config, export, semconv
from .._guard import fault_point, guard, notice
from ..ci_run import run_attributes, run_to_stamp
from ..processor import SESSION_CONTEXT_KEY, register
from ._agentops import end_warning_of_bad_state
from ._context import current_session, rebased, returning_context
from ._local import local_tracer, not_exported_reason, why_not_recorded
from ._session import Session, normalize_end_state, safe_repr

_UNRECORDED: Final = trace.NoOpTracer()
"""The tracer of a session started while agentops_otel is disabled."""


def tag_strings(tags: object, where: str = "start_session(tags=...)") -> list[str]:
    """``tags=`` as a list of strings; a clear ``TypeError`` naming ``where`` for a value that is not
    a tag list (a single string is one tag, never its characters)."""
    if tags is None:
        return []
    if isinstance(tags, str):
        return [tags]
    if not _tag_list(tags):
        raise TypeError(f"{where} takes a string or a list of strings, got "
                        f"{type(tags).__name__} {safe_repr(tags)}")
    if isinstance(tags, Mapping):  # AgentOps 0.4's dict of tags: each pair a key:value tag (its keys alone lost them)
        tags = [f"{key}:{value}" if value is not None else key for key, value in tags.items()]
    out: list[str] = []
    for tag in tags:
        if isinstance(tag, str):
            out.append(str.__str__(tag))  # an enum's or a framework's str subclass: its text
        elif isinstance(tag, (int, float)) or (not isinstance(tag, (bytes, bytearray, Iterable)) and tag is not None):
            out.append(str(tag))  # a number (or another scalar) is a tag by its text
        else:
            # None (an unset environment variable), bytes, a nested list: recorded, "None" or "b'x'" is a
            # tag no filter would match. Left out and said once; raising would fail the agent's request.
            # Said once per type (never per value: a server tagging each request must not grow our memory).
            config.config_warning(where, type(tag).__name__, "is the type of a tag that is not a string: "
                                  "such tags are left out")
    return out


def _tag_list(value: object) -> TypeGuard[Iterable[object]]:
    """Whether ``value`` can be a list of tags (a dict too: AgentOps 0.4 takes one, see :func:`tag_strings`). Bytes
    iterate as numbers, which no caller meant."""
    return isinstance(value, Iterable) and not isinstance(value, (bytes, bytearray))


def name_or_tags(first: object, tags: Iterable[str] | None, where: str) -> tuple[str | None, Iterable[str] | None]:
    """The name and tags given to ``where``, whose first argument is a session name, or AgentOps' first
    argument of ``start_session``: its tags (a ported ``start_session(["a", "b"])``). Anything else is
    refused by name: it used to be dropped, and ``start_session(123)`` ran as a session named after the
    service, untagged, which no filter of the suite's would find."""
    if first is None or isinstance(first, str):
        return first, tags
    if not _tag_list(first):
        raise TypeError(f"{where} takes a session name (a string) or, as AgentOps' start_session does, a list (or "
                        f"dict) of tags first, got {type(first).__name__} {safe_repr(first)}")
    if tags is not None:
        raise TypeError(f"{where} was given tags twice: {safe_repr(first)} first (AgentOps' tags) and "
                        f"tags={safe_repr(tags)}; pass one")
    return None, cast(Iterable[str], first)


def attribute_dict(attributes: object, where: str = "start_session(attributes=...)") -> dict[str, Any] | None:
    """``attributes=`` as a dict; a clear ``TypeError`` naming ``where`` for anything that is not a mapping
    (read inside the session's set-up, it was our internal error and a session with no root span)."""
    if attributes is None:
        return None
    if not isinstance(attributes, Mapping):
        raise TypeError(f"{where} takes a dict of attribute names to values, got "
                        f"{type(attributes).__name__} {safe_repr(attributes)}")
    return dict(attributes)


def _past_ended(ctx: otel_context.Context, outer: object) -> otel_context.Context:
    """``ctx`` for a new session's root: where the current session was ended elsewhere (another thread)
    and its root is still the current span here, the span it was started under, so the new session is
    not hung under a finished trace as a late step of it."""
    if not (isinstance(outer, Session) and outer.ended and outer._span is not None):
        return ctx
    if trace.get_current_span(ctx) is not outer._span:
        return ctx  # a span of the user's is current: the new session goes under it, as always
    above = getattr(outer._span, "parent", None)
    return trace.set_span_in_context(trace.NonRecordingSpan(above) if above is not None else trace.INVALID_SPAN, ctx)


def _past_ended_sessions(ctx: otel_context.Context, outer: object) -> otel_context.Context:
    """``ctx`` for a new session to return to: where the current session was ended elsewhere (another
    thread), what it returns to, with whatever the program layered on it since.

    Returning to ``ctx`` itself would work as well (an ended session is never current), but it holds the
    ended session, whose own context held the one ended before it: a worker thread whose sessions
    another thread ends kept every one of them alive, spans and all.
    """
    if not (isinstance(outer, Session) and outer.ended and outer._ctx is not None):
        return ctx
    return rebased(ctx, outer._ctx, returning_context(outer))


INHERITED_UNSUPPORTED: Final = (
    "inherited_session_id= is not supported: a session is not continued from its id (AgentOps 0.3 continued it "
    "in another process or worker); a new session was started instead. Carry the session itself: into executor "
    "threads with agentops.SessionExecutor(pool) or pool.submit(agentops.carry_context(fn), ...), into a thread "
    "with contextvars.copy_context().run, into a child process by forking it inside the session; record into a "
    "session you hold with session.record(event), a decorated call's session= keyword, or end_session(..., "
    "session=s). A separate process starts its own session (start_session(conversation_id=...) groups them)")
"""What a port passing AgentOps' ``inherited_session_id=`` is told, once."""


def say_not_inherited(agentops_kwargs: Mapping[str, Any]) -> None:
    """Say once that ``inherited_session_id=`` continues nothing here: dropped in silence, a worker's steps went
    to a session of their own while the suite judged the one it meant to continue, missing them.

    Not implemented: the id names no trace to continue (a session is its root span, whose trace and span ids
    the id does not carry), and a session open in this process is carried by its context, not found by id."""
    if agentops_kwargs.get("inherited_session_id") is not None:
        notice("compat.inherited_session_id", INHERITED_UNSUPPORTED)


def start_session(
    name: str | Iterable[str] | None = None,
    tags: Iterable[str] | None = None,
    *,
    new_trace: bool = False,
    conversation_id: str | None = None,
    attributes: dict[str, Any] | None = None,
    **_agentops_kwargs: Any,
) -> Session:
    """Start a session and make it current in this context (explicit-style API).

    The first argument is the session's name, or its tags as AgentOps takes them (``start_session(["a"])``).
    Unknown keyword arguments of the AgentOps API are accepted and ignored, so existing calls keep working;
    ``inherited_session_id`` starts a new session too, said once in the log (:func:`say_not_inherited`).
    """
    name, tags = name_or_tags(name, tags, "start_session()")  # the caller's mistake, said before anything starts
    say_not_inherited(_agentops_kwargs)
    return _start(name, tags, new_trace=new_trace, conversation_id=conversation_id, attributes=attributes)


def _start(name: str | None, tags: Iterable[str] | None, *, new_trace: bool = False,
           conversation_id: str | None = None, attributes: dict[str, Any] | None = None,
           harness: bool = False) -> Session:
    """:func:`start_session`'s work; ``harness`` marks the session the pytest plugin's before anything else sees it."""
    parent_ctx = otel_context.get_current()
    outer = otel_context.get_value(SESSION_CONTEXT_KEY, parent_ctx)
    parent = outer if isinstance(outer, Session) else None
    while parent is not None and parent.ended:  # ended elsewhere (another thread) but still current here
        parent = parent.parent
    tag_list = tag_strings(tags)
    attributes = attribute_dict(attributes)
    defaults = config.state.extra.get("default_tags")
    if isinstance(defaults, list):
        tag_list = [*defaults, *(t for t in tag_list if t not in defaults)]
    if not isinstance(name, str) or not name:
        default = config.state.extra.get("service_name")
        name = config.service_name(default if isinstance(default, str) else None)
    session = Session(name, tag_list, parent, conversation_id)
    if harness:
        _harness_owned.add(session)
    new_ctx = otel_context.set_value(SESSION_CONTEXT_KEY, session, parent_ctx)
    with guard("session.start"):
        fault_point("session.start")
        export.ensure_processor()
        span_parent_ctx = otel_context.Context() if new_trace else _past_ended(parent_ctx, outer)
        root_ctx = otel_context.set_value(SESSION_CONTEXT_KEY, session, span_parent_ctx)
        run = run_attributes()
        attrs: dict[str, Any] = {
            semconv.GEN_AI_OPERATION_NAME: semconv.OP_INVOKE_AGENT,
            semconv.GEN_AI_AGENT_NAME: session.name,
            semconv.SESSION_NAME: session.name,
            semconv.TAGS: session.tags,
            # Also on the root, not only our resource: a provider the user built has a resource we
            # cannot change, and the gate must find the run's sessions either way.
            **run,
        }
        if conversation_id:
            # The user's conversation only: the conventions say never to generate one (session.id is ours).
            attrs[semconv.GEN_AI_CONVERSATION_ID] = conversation_id
        if parent is not None:
            attrs[semconv.SESSION_PARENT_ID] = parent.id
        if attributes:
            attrs.update(attributes)
        links: tuple[Link, ...] = ()
        if new_trace and parent is not None and parent._span is not None:
            links = (Link(parent._span.get_span_context()),)
        span = export.tracer().start_span(
            f"{semconv.SPAN_SESSION} {session.name}", context=root_ctx, kind=SpanKind.INTERNAL,
            attributes=attrs, links=links,
        )
        if parent is not None and parent._local_tracer is not None:
            session._local_tracer, session.not_exported = parent._local_tracer, parent.not_exported
            session._unrecorded = parent._unrecorded
        elif config.disabled():
            session.not_exported = f"agentops_otel is disabled ({semconv.ENV_DISABLED})"
            session._unrecorded = True  # so no verdict passes on what it never saw (testing._partial)
            # Its steps follow it, even once the switch is cleared: recorded, they would have no
            # recorded root to hang from, and each would become a trace of its own.
            session._local_tracer = _UNRECORDED
        elif not span.is_recording():
            session._local_tracer, session.not_exported = local_tracer(), why_not_recorded()
            span = session._local_tracer.start_span(
                f"{semconv.SPAN_SESSION} {session.name}", context=root_ctx, kind=SpanKind.INTERNAL,
                attributes=attrs, links=links,
            )
        else:
            session.not_exported = not_exported_reason()
        session._span = span
        session._run_stamp = run_to_stamp(run, span)  # its steps' copy, for when the root is never exported
        span_ctx = span.get_span_context()
        session.trace_id = trace.format_trace_id(span_ctx.trace_id)
        session.span_id = trace.format_span_id(span_ctx.span_id)
        new_ctx = trace.set_span_in_context(span, new_ctx)
    # Open to the rest of the process (end_all_sessions(), the exit hook, a test's teardown) only once it has its
    # root: ended from another thread while a processor's on_start still held the root's start, the session had no
    # root to end, and the one started next was never ended nor exported. Registered even when telemetry broke
    # above, and current here: end_session() and get_session() must still find it.
    register(session)
    session._prev_ctx = _past_ended_sessions(parent_ctx, outer)
    session._ctx = new_ctx
    otel_context.attach(new_ctx)
    if parent is not None:
        with parent._lock:
            parent._children.append(session)
    return session


_UNSET: Final = object()


def end_session(state_or_session: object = _UNSET, reason: object = _UNSET, /, *, end_state: object = _UNSET,
                end_state_reason: object = _UNSET, session: Session | None = None,
                **_agentops_kwargs: Any) -> Session | None:
    """End the given (or this context's current) session and return it.

    AgentOps 0.3's ways to say the end state and reason, by position or keyword (``end_session("Fail",
    "why")``, ``end_session(end_state="Fail", end_state_reason="why")``), Success by default. A :class:`Session`
    first is the session to end, as AgentOps 0.4's ``end_session(session)`` took it, the state and reason then
    by keyword (``end_session(s, end_state="Fail")``).

    Where no session is open in this thread or task (none started here, none inherited), this is a
    no-op that returns ``None`` and emits a ``RuntimeWarning``: it never ends a session that another
    thread or task started. ``end_state_reason=exc`` (or a status code) is recorded as text, an
    exception as ``"Type: message"`` the way one escaping a session is.

    A bad end state ends the session Indeterminate (its end reason naming the state given) and raises a
    ``ValueError`` saying so; while an exception is being handled (AgentOps' ``except Exception:
    end_session("Failed"); raise``) it is a ``RuntimeWarning`` instead, so the agent's exception is the
    one that propagates. A call whose arguments do not say which session, state or reason (a session first
    and more after it by position, two sessions, a state or reason given twice) is a ``TypeError`` that ends
    nothing: a session is never ended otherwise than meant.
    """
    if isinstance(state_or_session, Session):
        session = _session_given_first(state_or_session, reason, session)
    else:
        end_state = _once("end state", state_or_session, "end_state", end_state)
        end_state_reason = _once("end state reason", reason, "end_state_reason", end_state_reason)
    end_state = semconv.END_SUCCESS if end_state is _UNSET else end_state
    end_state_reason = None if end_state_reason is _UNSET else end_state_reason
    if session is not None and not isinstance(session, Session):
        raise TypeError(f"end_session(session=...) takes a Session, got {type(session).__name__}")
    target = session or current_session()
    if target is None:
        warnings.warn("agentops_otel: end_session() called where no session is open in this thread or "
                      "task; nothing was ended (sessions follow the context that started them: pass "
                      "session=... to end another one)", RuntimeWarning, stacklevel=2)
        return None
    if sys.exception() is None:
        target.end(end_state, end_state_reason)
    else:
        end_warning_of_bad_state(target, end_state, end_state_reason)
    return target


def _session_given_first(given: Session, more: object, session: Session | None) -> Session:
    """The session ``end_session(given, ...)`` ends (AgentOps 0.4's call), or a ``TypeError`` before anything
    ends where the rest of the call would end it otherwise than meant: more by position (0.4 took nothing
    more: ``end_session(s, "Fail")`` would have ended it Success with the reason "Fail"), or another session."""
    if more is not _UNSET:
        raise TypeError(f"end_session(session, {safe_repr(more)}): after a session, pass the end state and "
                        "reason by keyword: end_session(session, end_state=\"Fail\", end_state_reason=\"...\"), "
                        "or end_session(\"Fail\", \"...\", session=session); nothing was ended")
    if session is not None and session is not given:
        raise TypeError("end_session() was given two sessions, one first and one as session=...: pass one; nothing "
                        "was ended")
    return given


def _once(what: str, positional: object, keyword: str, given: object) -> object:
    """An argument of ``end_session`` given by position or by keyword, never both (Python's own rule for one
    parameter, which the session-first call splits in two)."""
    if positional is _UNSET:
        return given
    if given is not _UNSET:
        raise TypeError(f"end_session() was given the {what} twice: {safe_repr(positional)} by position and "
                        f"{keyword}={safe_repr(given)}; pass one; nothing was ended")
    return positional


_harness_owned: weakref.WeakSet[Session] = weakref.WeakSet()
"""Sessions the pytest plugin started for its tests: theirs to end with the test's outcome."""


def start_harness_session(name: str, tags: Sequence[str]) -> Session:
    """Start the pytest plugin's session of a test, kept out of :func:`end_all_sessions`: a user's teardown that
    ends whatever the agent left open must not end the test's own session before its outcome is known.

    Marked as the harness's before it is registered, never after: under a runner that runs tests at once in
    threads, another test's teardown ending the sessions it left open found it registered but not yet marked,
    took it for a leftover of its own and ended it (Indeterminate, or with its root lost while it started)."""
    return _start(name, tags, harness=True)


def harness_session(session: Session) -> Session | None:
    """The pytest plugin's session of the test ``session`` runs in (itself, or the one it is nested in), if any."""
    found: Session | None = session
    while found is not None and found not in _harness_owned:
        found = found.parent
    return found


def end_all_sessions(end_state: object = semconv.END_INDETERMINATE, end_state_reason: object = None,
                     **_agentops_kwargs: Any) -> list[Session]:
    """AgentOps' ``end_all_sessions()``: end every session still open anywhere in the process, nested ones
    before the sessions around them, and return them. Indeterminate by default, as AgentOps ends them. The
    pytest plugin's session of the running test is left to the plugin (:func:`start_harness_session`)."""
    from ..processor import live_sessions

    try:  # a wrong end state is the caller's mistake: said before anything ends
        normalize_end_state(end_state)
    except ValueError as exc:
        raise ValueError(f"end_all_sessions(): {exc}") from None
    ended: list[Session] = []
    for open_session in reversed(live_sessions()):
        if isinstance(open_session, Session) and not open_session.ended and open_session not in _harness_owned:
            open_session.end(end_state, end_state_reason)
            ended.append(open_session)
    return ended
