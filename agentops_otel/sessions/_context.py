"""Which session is current here: the innermost live one in the OpenTelemetry context.

The session rides in the context (``SESSION_CONTEXT_KEY``), so it follows ``contextvars`` into
asyncio tasks and copied contexts. The last session ended in a context is remembered in a
``ContextVar`` too, so ``get_session()`` after ``end_session()`` still answers there.
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
_latest_started: Session | None = None
"""Fallback for ``get_session()`` called where the context lost track (AgentOps' single-session mode)."""


def note_started(session: Session) -> None:
    global _latest_started
    _latest_started = session


def note_ended(session: Session) -> None:
    global _latest_started
    if _latest_started is session:
        parent = session.parent
        _latest_started = parent if parent is not None and not parent.ended else None
    _last_ended.set(session)


def latest_live() -> Session | None:
    s = _latest_started
    return s if s is not None and not s.ended else None


def current_session() -> Session | None:
    """The innermost live session in this context, or ``None``."""
    found = cast("Session | None", otel_context.get_value(SESSION_CONTEXT_KEY))
    return found if found is not None and not found.ended else None


def get_session(session_id: str | None = None) -> Session | None:
    """The innermost live session here, else the last one ended in this context, else the latest started."""
    if session_id is not None:
        found = cast("Session | None", live_session(session_id))
        if found is not None:
            return found
        last = _last_ended.get()
        return last if last is not None and last.id == session_id else None
    return current_session() or _last_ended.get() or _latest_started


def clear_last_session() -> None:
    """Forget the last ended session in this context (a test harness calls it between tests)."""
    global _latest_started
    _last_ended.set(None)
    if _latest_started is not None and _latest_started.ended:
        _latest_started = None
