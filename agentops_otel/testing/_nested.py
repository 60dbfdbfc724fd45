"""The sessions an agent started inside a test's (or a variation run's) session, read from its spans.

A test that runs in its own session reaches the agent's session through :func:`sessions_in`, typically
``for s in sessions_in(agent_session, name="agent"): assert_...(s)``. Over a session the kill switch left
unrecorded (or that it went on in) the list would be empty, or miss the sessions started meanwhile, and
such a loop would pass without judging anything: so it raises instead, as ``timeline()`` does.
"""

from __future__ import annotations

from agentops_otel import semconv
from agentops_otel.sessions import Session
from agentops_otel.sessions._views import SessionNotRecorded, unrecorded
from agentops_otel.timeline import Timeline

__all__ = ["failed_inside", "nested_sessions", "sessions_in"]


def sessions_in(session: Session, *, name: str | None = None, tag: str | None = None) -> list[Timeline]:
    """Sessions started inside ``session`` (an agent's own session inside a test's), in start order.

    ``get_session()`` inside a test that runs in its own session returns that outer session; this is
    how the test reaches the session the agent started, e.g. to check that *it* ended ``Fail``.
    Raises ``SessionNotRecorded`` (a ``KeyError``) naming why when the kill switch kept ``session``
    from recording them, or some of them.
    """
    why = unrecorded(session)
    if why is not None:
        raise SessionNotRecorded(f"the sessions started inside session {session.id} cannot be listed: {why}")
    return nested_sessions(session, name=name, tag=tag)


def nested_sessions(session: Session, *, name: str | None = None, tag: str | None = None) -> list[Timeline]:
    """:func:`sessions_in` without the refusal: the ones recorded, for a report that says what it lacks."""
    from agentops_otel.read import records_from_spans
    from agentops_otel.reassemble import reassemble

    spans = session.spans  # nested roots included: an ended nested session counts for its parents
    found = [tl for tl in reassemble(records_from_spans(spans)).sessions
             if tl.summary.session_id != session.id]
    found.sort(key=lambda tl: tl.summary.start_ns)
    return [tl for tl in found
            if (name is None or tl.summary.name == name) and (tag is None or tag in tl.summary.tags)]


def failed_inside(session: Session) -> str | None:
    """Why a session the agent started inside ``session`` ended ``Fail`` (the first such); ``None`` if none
    did. Over a session that could not record them, the reason it cannot tell: a run judged on them fails."""
    why = unrecorded(session)
    if why is not None:
        return f"whether the agent's sessions failed cannot be judged: {why}"
    for inner in nested_sessions(session):
        if inner.summary.end_state == semconv.END_FAIL:
            why = inner.summary.end_reason
            return f"the agent's session {inner.summary.name!r} ended Fail" + (f": {why}" if why else "")
    return None
