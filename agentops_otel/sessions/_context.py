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
from typing import TYPE_CHECKING, cast

from opentelemetry import context as otel_context

from ..processor import SESSION_CONTEXT_KEY, live_session

if TYPE_CHECKING:
    from ._session import Session

_last_ended: contextvars.ContextVar[Session | None] = contextvars.ContextVar(
    "agentops_otel_last_ended", default=None
)


def note_ended(session: Session) -> None:
    _last_ended.set(session)


def detach_keeping_sessions(token: object) -> None:
    """Detach a decorator's context ``token``, keeping current a session started under it and still open.

    ``start_session()`` inside a decorated function makes the session current the way an undecorated
    call would leave it: for the caller, after the function returns. Detaching the decorator's token
    alone would restore the context from before the call and drop that session. Its context is put
    back instead, and the outermost session started under the token returns, when it ends, to the
    caller's context (not to the decorator's span, which has ended by then).
    """
    inner = otel_context.get_current()
    otel_context.detach(token)  # type: ignore[arg-type]
    outer = otel_context.get_current()
    found = _live(inner)
    if found is None or found is _live(outer):
        return
    bottom = found
    while bottom._prev_ctx is not None and (below := _live(bottom._prev_ctx)) is not None \
            and below is not _live(outer):
        bottom = below
    bottom._prev_ctx = outer
    otel_context.attach(inner)


def _live(ctx: otel_context.Context) -> Session | None:
    found = cast("Session | None", otel_context.get_value(SESSION_CONTEXT_KEY, ctx))
    return found if found is not None and not found.ended else None


def current_session() -> Session | None:
    """The innermost live session in this context, or ``None``."""
    return _live(otel_context.get_current())


def get_session(session_id: str | None = None) -> Session | None:
    """The innermost live session here, else the last one ended in this context, else ``None``.

    With ``session_id``: that session if it is still open (anywhere in the process) or was the
    last one ended here.
    """
    if session_id is not None:
        found = cast("Session | None", live_session(session_id))
        if found is not None:
            return found
        last = _last_ended.get()
        return last if last is not None and last.id == session_id else None
    return current_session() or _last_ended.get()


def clear_last_session() -> None:
    """Forget the last ended session in this context (a test harness calls it between tests)."""
    _last_ended.set(None)
