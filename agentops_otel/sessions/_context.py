"""Which session is current here: the innermost live one in the OpenTelemetry context.

The session rides in the context (``SESSION_CONTEXT_KEY``), so it follows ``contextvars`` into
asyncio tasks and copied contexts, and nowhere else: a thread or task that started no session and
inherited none has none. There is deliberately no process-wide "latest session" to fall back on: in
a server that would hand one request another request's session. The last session ended in a context
is remembered in a ``ContextVar``, so ``get_session()`` right after ``end_session()`` still answers
there (the AgentOps flow ``end_session(); get_session().url``).
"""

from __future__ import annotations

import contextvars
import uuid
from typing import TYPE_CHECKING, cast

from opentelemetry import context as otel_context
from opentelemetry import trace

from ..processor import SESSION_CONTEXT_KEY, live_session

if TYPE_CHECKING:
    from opentelemetry.trace import Span

    from ._session import Session

_last_ended: contextvars.ContextVar[Session | None] = contextvars.ContextVar(
    "agentops_otel_last_ended", default=None
)


_ABSENT = object()


def note_ended(session: Session) -> None:
    _last_ended.set(session)


def detach_keeping_sessions(token: object, span: Span) -> None:
    """Detach a decorator's context ``token`` (its ``span``'s), keeping what the call did to the session.

    Without the decorator, ``start_session()`` or ``end_session()`` in the function changes the
    caller's context; detaching the token alone would undo that. So the caller gets the context it
    would have without the decorator: a session started under ``span`` and still open stays current
    (and, when it ends, returns to the caller's context, not to ``span``'s, which has ended by then);
    a session that was current for the caller and ended under ``span`` gives way to the one it
    returns to, under whatever the caller had layered on it (an outer tool's span).
    """
    inner = otel_context.get_current()
    otel_context.detach(token)  # type: ignore[arg-type]
    outer = otel_context.get_current()
    # A Context is a dict: read directly, this runs at every decorated call and every yield.
    after = cast("Session | None", inner.get(SESSION_CONTEXT_KEY))
    before = cast("Session | None", outer.get(SESSION_CONTEXT_KEY))
    if after is before:  # the common case: the call changed no session
        return
    base = outer
    if before is not None and before.ended and before._ctx is not None:
        base = rebased(outer, before._ctx, returning_context(before))
    bottom = _started_under(after, span, before)
    if bottom is not None:
        bottom._prev_ctx = base
        otel_context.attach(inner)
    elif base is not outer:
        otel_context.attach(base)


def _started_under(session: Session | None, span: Span, before: Session | None) -> Session | None:
    """The outermost of the open sessions up to ``session`` that started while ``span`` was current."""
    if session is None or session.ended:
        return None
    while session is not None and session is not before and session._prev_ctx is not None:
        if trace.get_current_span(session._prev_ctx) is span:
            return session
        session = _session_in(session._prev_ctx)
    return None


def returning_context(session: Session) -> otel_context.Context:
    """The context ``session`` returns to when it ends: the one it started in, past sessions ended since."""
    prev = session._prev_ctx or otel_context.Context()
    while (outer := _session_in(prev)) is not None and outer.ended and outer._prev_ctx is not None:
        prev = outer._prev_ctx
    return prev


def rebased(ctx: otel_context.Context, old: otel_context.Context,
            new: otel_context.Context) -> otel_context.Context:
    """``ctx`` with what was layered on ``old`` (a decorator's current span) layered on ``new`` instead."""
    layers = {key: value for key, value in ctx.items() if old.get(key, _ABSENT) is not value}
    return otel_context.Context({**new, **layers}) if layers else new


def _session_in(ctx: otel_context.Context) -> Session | None:
    return cast("Session | None", otel_context.get_value(SESSION_CONTEXT_KEY, ctx))


def _live(ctx: otel_context.Context) -> Session | None:
    found = _session_in(ctx)
    return found if found is not None and not found.ended else None


def current_session() -> Session | None:
    """The innermost live session in this context, or ``None``."""
    return _live(otel_context.get_current())


def get_session(session_id: str | uuid.UUID | None = None) -> Session | None:
    """The innermost live session here, else the last one ended in this context, else ``None``.

    With ``session_id``: that session if it is still open (anywhere in the process) or was the
    last one ended here. The id is its text or AgentOps 0.3's ``session.session_id`` (a ``UUID``, which
    0.3 compared with), in any spelling of it.
    """
    if session_id is not None:
        session_id = _id_text(session_id)
        found = cast("Session | None", live_session(session_id))
        if found is not None:
            return found
        last = _last_ended.get()
        return last if last is not None and last.id == session_id else None
    return current_session() or _last_ended.get()


def _id_text(session_id: object) -> str:
    """A session id as the session holds it (``str(uuid4())``): given as a ``UUID``, or as a UUID's text in
    another spelling (``.hex``, upper case), the same id; anything else not text is the caller's mistake."""
    if isinstance(session_id, uuid.UUID):
        return str(session_id)
    if not isinstance(session_id, str):
        raise TypeError("get_session(session_id=...) takes the session's id (a str or UUID), got "
                        f"{type(session_id).__name__}; get_session() with no id returns the current session")
    try:
        return str(uuid.UUID(session_id))
    except ValueError:
        return session_id  # no UUID: no session has it, and the lookup says so with None


def clear_last_session() -> None:
    """Forget the last ended session in this context (a test harness calls it between tests)."""
    _last_ended.set(None)
