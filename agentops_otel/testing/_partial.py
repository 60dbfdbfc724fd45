"""Whether a live session's held spans are all of its steps, for the verdicts that need every one.

Past its span cap (``AGENTOPS_OTEL_MAX_SESSION_SPANS``) a session no longer holds its oldest spans, and a
step it started may still be running, or only start, after it ended. Its counters are complete; the
held spans are not. A verdict on absence, an exact count or an order refuses to pass on such a view.
"""

from __future__ import annotations

from collections.abc import Sequence

from agentops_otel import semconv
from agentops_otel.sessions import Session
from agentops_otel.timeline import Timeline

__all__ = ["partial_lines", "partial_view"]


def partial_view(session: Session | Timeline) -> list[str]:
    """Why the steps a live session holds are not all of its steps (empty when they are).

    A verdict on absence, an exact count or an order cannot pass on part of a session: each of these
    lines is a reason it refuses to. A Timeline read back carries its own completeness signals.
    """
    if not isinstance(session, Session):
        return []
    why: list[str] = []
    if session.spans_dropped:
        why.append(f"{session.spans_dropped} steps of this session were not kept: it holds only its last "
                   f"{session._spans.maxlen} spans (raise {semconv.ENV_MAX_SESSION_SPANS} to keep more)")
    if session.steps_outside:
        named = session.steps_outside_named
        more = session.steps_outside - len(named)
        why.append(f"{session.steps_outside} step(s) of this session ran outside it, so it never saw them "
                   "end: " + "; ".join(named) + (f"; and {more} more" if more > 0 else ""))
    return why


def partial_lines(why: Sequence[str]) -> list[str]:
    return ["Only part of the session can be checked:", *(f"  - {w}" for w in why)] if why else []
