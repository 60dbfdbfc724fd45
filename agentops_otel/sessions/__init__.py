"""Sessions: one agent run = one root span (``invoke_agent {name}``) and everything beneath it.

A session is made current through the OpenTelemetry context, so it follows ``contextvars`` into
asyncio tasks, ``copy_context()`` threads and executors wrapped in
:class:`agentops_otel.SessionExecutor`. A session started inside another is nested: its root is a child
span of the outer one, and every span it records also counts for the outer session.

The live session keeps a bounded list of the spans it produced, so ``get_session()`` answers from
what was really emitted (the same data a backend would show), not from a parallel bookkeeping.

One private module per concept: ``_session`` (the object and its end), ``_context`` (which session
is current here), ``_lifecycle`` (start/end the AgentOps way), ``_decorator`` (``session(...)``),
``_rollup`` (counters), ``_forks`` (sessions a forked child took along), ``_views`` (the AgentOps event
lists), ``_judged`` (those lists, the cost and the counts as a session's fields, refused to a test's own
code where they would pass a check on nothing), ``_agentops`` (AgentOps' methods and fields on the session
object) and ``_agentops_fields`` (its ``event_counts`` and ``get_analytics()``, refused the same way).
"""

from __future__ import annotations

from . import _forks  # noqa: F401  (its fork hook marks the sessions a child process inherits)
from ._context import clear_last_session, current_session, get_session
from ._decorator import session
from ._lifecycle import end_all_sessions, end_session, start_session
from ._session import Session, normalize_end_state

__all__ = [
    "Session",
    "clear_last_session",
    "current_session",
    "end_all_sessions",
    "end_session",
    "get_session",
    "normalize_end_state",
    "session",
    "start_session",
]
