"""Whether the steps at hand are all of a session's steps, for the verdicts that need every one.

Past its span cap (``AGENTOPS_OTEL_MAX_SESSION_SPANS``) a live session no longer holds its oldest spans,
a step it started may still be running (as the test checks it, or after it ended), or only start after
it ended. Its counters are complete;
the held spans are not. A session read back from a trace lost spans on the way when its root is
missing, counts more steps than arrived, or the backend cut the trace; attributes that could not be
read, or copies of a span that differ, hide what a step was. A verdict on absence, an exact count or an
order refuses to pass on such a view.
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry import trace

from agentops_otel import _sessionless, config, semconv
from agentops_otel.reassemble._summary import Issue, unreadable_issue
from agentops_otel.reassemble._unseen import unseen_steps
from agentops_otel.sessions import Session
from agentops_otel.sessions._judged import NotJudgeable
from agentops_otel.sessions._views import DISABLED_MIDWAY, unrecorded
from agentops_otel.timeline import Timeline

__all__ = ["DISABLED_MIDWAY", "NotJudgeable", "dropped_lines", "forked_lines", "outside_lines", "outside_named",
           "partial_lines", "partial_view", "running_steps", "sessionless_lines", "unrecorded"]

_NAMED = 20
"""How many running steps a refusal names; the rest are counted."""


def partial_view(session: Session | Timeline, *, values: bool = True) -> list[str]:
    """Why the steps at hand are not all of the session's steps (empty when they are).

    A verdict on absence, an exact count or an order cannot pass on part of a session: each of these
    lines is a reason it refuses to. ``values=False`` leaves out attributes that could not be read, for
    a verdict that reads none (a step's status is not an attribute).
    """
    if isinstance(session, Timeline):
        return _read_back(session, values)
    why = dropped_lines(session)
    why.extend(outside_lines(session))
    why.extend(sessionless_lines(session))
    why.extend(forked_lines(session))
    if running := running_steps(session):
        named = running[:_NAMED]
        more = len(running) - len(named)
        why.append(f"{len(running)} step(s) of this session are still running, so it has not seen them end: "
                   + "; ".join(named) + (f"; and {more} more" if more > 0 else ""))
    return why


def dropped_lines(session: Session) -> list[str]:
    """The spans a live session no longer holds past its cap (empty when it holds them all): its counters still
    count their steps, its event lists do not show them."""
    if not session.spans_dropped:
        return []
    return [f"{session.spans_dropped} steps of this session were not kept: it holds only its last "
            f"{session._spans.maxlen} spans (raise {semconv.ENV_MAX_SESSION_SPANS} to keep more)"]


def outside_lines(session: Session, reads: frozenset[str] | None = None) -> list[str]:
    """The steps of a live session it never saw end (still running as it ended, or started after), which none of
    its counters and held spans have (empty when none). ``reads``: only those a figure counting these kinds of
    step (``_left_running.MODEL_READS``...) leaves out, which are the steps of those kinds left running at the
    end, once they have all ended and none started after the end (see ``_left_running``)."""
    count = session.outside_count(reads)
    if not count:
        return []
    named = outside_named(session, reads)
    shown = "; ".join([*named, *([f"and {count - len(named)} more"] if count > len(named) else [])])
    if count < session.steps_outside:
        return [f"{count} step(s) of this session were still running when it ended, so it never saw them end: "
                + shown]
    outliving = len(session._outliving)
    return [f"{count} step(s) of this session ran outside it, so it never saw them end: " + shown
            + (f" ({outliving} of them still running: what they start next is in none of its figures)"
               if outliving else "")]


def outside_named(session: Session, reads: frozenset[str] | None = None) -> list[str]:
    """The first few of the steps :func:`outside_lines` counts for ``reads``, each as "span name: why"."""
    if session.outside_count(reads) < session.steps_outside:
        return [line for kind, line in session._left_running_named if reads is not None and kind in reads]
    return list(session.steps_outside_named)


def sessionless_lines(session: Session | Timeline) -> list[str]:
    """The steps that started outside any session in this process while ``session`` ran (empty when none,
    or for a session read back): any of them may have been its own, run where its context did not reach."""
    if not isinstance(session, Session):
        return []
    count, names = _sessionless.between(*session._sessionless)
    if not count:
        return []
    more = count - len(names)
    shown = ": " + "; ".join(names) + (f"; and {more} more" if more > 0 and names else "") if names else ""
    return [f"{count} step(s) ran outside any session in this process while this session ran, so it cannot "
            "tell whether they were its own (a thread its context did not reach, such as a ThreadPoolExecutor's "
            "worker: submit through agentops.SessionExecutor(pool) or agentops.carry_context(fn))" + shown]


def forked_lines(session: Session | Timeline) -> list[str]:
    """Why a live session cannot vouch for what a child process it was forked into did (empty when this process
    never forked while it was current, or for a session read back: the trace holds the children's steps)."""
    if not isinstance(session, Session) or not session.forks:
        return []
    times = "once" if session.forks == 1 else f"{session.forks} times"
    return [f"this process forked {times} while this session was current (a multiprocessing fork Pool, Process or "
            "ProcessPoolExecutor, os.fork()): the child took the session along, and the steps it ran are in the trace "
            "under this session's id but in none of this session object's steps, counts or cost. Judge the session "
            "read back from the trace once the children have exited (each saves its spans as it exits): "
            f"agentops.flush(), then reassemble(open_source(SOURCE).session({session.id!r})).timeline_for("
            f"{session.id!r}) (agentops_otel.reassemble, agentops_otel.read), which every assertion takes; SOURCE is "
            f"the local file ({config.file_path()}) or your backend (jaeger://host:16686)"]


def running_steps(session: Session) -> list[str]:
    """Names of the steps a live session (or a live nested one) started and has not seen end yet.

    Not the sessions' own roots, nor the steps the caller is inside (an action checking its own session):
    whatever those still do happens after this check, in the caller's own flow; a step they run
    elsewhere meanwhile is among the running ones itself.
    """
    running: dict[int, tuple[str, int | None, bool]] = {}
    roots: set[int] = set()
    todo = [session]
    while todo:
        s = todo.pop()
        if s.ended:
            continue  # what it never saw end was noted as it ended (steps_outside)
        running.update(s._running.copy())  # a copy: other threads add and drop entries meanwhile
        if s._span is not None:
            roots.add(s._span.get_span_context().span_id)
        todo.extend(list(s._children))
    here: int | None = trace.get_current_span().get_span_context().span_id
    while here is not None and here in running and here not in roots:
        roots.add(here)
        here = running[here][1]
    return [name for sid, (name, _, _) in running.items() if sid not in roots]


def _read_back(timeline: Timeline, values: bool) -> list[str]:
    """The issues of a session read back that mean steps were lost, as the replay words them."""
    why = unseen_steps(timeline)
    kinds = timeline.summary.issue_kinds
    if Issue.CONFLICTING_COPIES in kinds:  # a step in two versions (its status too): either may be the true one
        why.append(timeline.summary.issues[kinds.index(Issue.CONFLICTING_COPIES)])
    if values:
        noted = [timeline.summary.issues[kinds.index(k)] for k in (Issue.UNREADABLE_ATTRIBUTES, Issue.GIVEN_TWICE)
                 if k in kinds]
        if noted:
            why.extend(noted)
        elif found := timeline.unreadable_attributes():
            why.append(unreadable_issue(found))
    return why


def partial_lines(why: Sequence[str]) -> list[str]:
    return ["Only part of the session can be checked:", *(f"  - {w}" for w in why)] if why else []
