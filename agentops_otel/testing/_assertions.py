"""Behavioural assertions over one agent session: which steps ran, in what order, how it ended, what it cost.

A bare ``assert "fetch_customer_data" in action_types`` fails with ``False`` and leaves the developer to
rerun the agent with prints. Each assertion here fails with a sentence saying what was expected and
what happened instead, followed by the session's text replay (trimmed around the steps that matter)
and its URL, so the failure report alone is enough to see where the agent went wrong.

Everything works on a live or ended :class:`~agentops_otel.Session` (what ``get_session()`` returns)
and on a :class:`~agentops_otel.timeline.Timeline` read back from a backend: both are normalised to a
Timeline first, so the same test code can check a run in-process or a session pulled from Jaeger.
Each assertion records its verdict on the session it checked (see ``_verdicts``), pass or fail.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeAlias

import msgspec

from agentops_otel import config
from agentops_otel.reassemble._summary import Issue
from agentops_otel.render import _format as fmt
from agentops_otel.render.text import render_text
from agentops_otel.semconv import SESSION_END_STATE
from agentops_otel.sessions import Session, normalize_end_state
from agentops_otel.testing._matching import (
    ArgsMatcher,
    ErrorTypes,
    args_match,
    calls_in,
    check_times,
    describe_args,
    error_type_name,
    error_types,
    expected_args,
    matches_name,
    same_error_type,
    unjudged_lines,
    unqualified_hint,
)
from agentops_otel.testing._order import RunOrder
from agentops_otel.testing._partial import forked_lines, partial_view, running_steps, sessionless_lines
from agentops_otel.testing._partial import partial_lines as _partial_lines
from agentops_otel.testing._verdicts import end_state_verdict, verdict
from agentops_otel.timeline import SessionSummary, Step, Timeline

SessionLike: TypeAlias = Session | Timeline
"""What every assertion accepts: the live object from ``get_session()`` or a Timeline read back."""



MAX_REPLAY_STEPS = 40
"""Above this many steps the replay in a message is cut to the neighbourhood of the relevant steps."""
_CONTEXT_STEPS = 3


class AgentAssertionError(AssertionError):
    """A behavioural expectation about an agent session did not hold.

    An ``AssertionError`` so pytest reports it as a test failure (not an error) and ``pytest.raises``
    / ``except AssertionError`` keep working; ``timeline`` keeps what the message was made from.
    """

    __module__ = "agentops_otel.testing"  # how tracebacks name it: the public path, not the private module

    def __init__(self, message: str, timeline: Timeline | None = None, details: str | None = None) -> None:
        super().__init__(f"{message}\n\n{details}" if details else message)
        self.summary = message
        """The sentence(s) without the details (the replay): what a table of many failures shows per row."""
        self.timeline = timeline


# --- normalisation ------------------------------------------------------------------------------------

def as_timeline(session: SessionLike) -> Timeline:
    """The Timeline behind a session, whatever form the test holds it in."""
    if isinstance(session, Timeline):
        return session
    if isinstance(session, Session):
        try:
            timeline: Timeline = session.timeline()
        except KeyError:
            # No span of the session was recorded (a no-op provider): the session's own counters are
            # all there is to say about it.
            return _empty_timeline(session)
        return timeline
    raise TypeError(f"expected a Session or a Timeline, got {type(session).__name__}")


def _empty_timeline(session: Session) -> Timeline:
    start_ns = int(session.start_time.timestamp() * 1e9)
    end = session.end_time
    summary = SessionSummary(
        session_id=session.id, name=session.name, tags=tuple(session.tags), end_state=session.end_state,
        end_reason=session.end_state_reason, service_name=None,
        trace_ids=(session.trace_id,) if session.trace_id else (), root_span_id=session.span_id,
        parent_session_id=session.parent.id if session.parent is not None else None, start_ns=start_ns,
        duration_s=(end - session.start_time).total_seconds() if end is not None else 0.0,
        cost_usd=session._known_cost, cost_complete=session.cost_complete, input_tokens=session.input_tokens,
        output_tokens=session.output_tokens, llm_calls=session.llm_calls, tool_calls=session.tool_calls,
        actions=session.actions, errors=session.error_count, failed_step=None, complete=False,
        issues=("no spans recorded for this session",),
    )
    return Timeline(summary=summary, steps=())


def session_url(session: SessionLike) -> str:
    """Where to open the session in the trace UI (the configured URL template)."""
    if isinstance(session, Session):
        return session.url
    return fmt.url_for(session.summary, config.url_template())


# --- building blocks ------------------------------------------------------------------------------------

def _sequence(calls: Sequence[Step]) -> str:
    return ", ".join(s.name for s in calls) if calls else "(none)"


def _ordinal(n: int) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n} times"


def _excerpt(timeline: Timeline, focus: Iterable[str] = ()) -> Timeline:
    """Long sessions: keep the steps around the focused ones (or the first ones): messages stay short."""
    steps = timeline.steps
    if len(steps) <= MAX_REPLAY_STEPS:
        return timeline
    wanted = set(focus)
    keep: set[int] = set()
    for i, step in enumerate(steps):
        if step.span_id in wanted or step.status == "error":
            keep.update(range(max(0, i - _CONTEXT_STEPS), min(len(steps), i + _CONTEXT_STEPS + 1)))
    if not keep:
        keep = set(range(MAX_REPLAY_STEPS))
    chosen = tuple(s for i, s in enumerate(steps) if i in keep)[: MAX_REPLAY_STEPS * 2]
    return msgspec.structs.replace(timeline, steps=chosen)


def _replay_block(timeline: Timeline, url: str, focus: Iterable[str] = ()) -> str:
    shown = _excerpt(timeline, focus)
    text = render_text(shown, color=False, max_field=100).rstrip("\n")
    if len(shown.steps) < len(timeline.steps):
        text += f"\n(showing {len(shown.steps)} of {len(timeline.steps)} steps)"
    if url:
        text += f"\nSession URL: {url}"
    return text


def replay_text(session: SessionLike) -> str:
    """The replay and URL block that ends every failure message (plain text, never colour)."""
    return _replay_block(as_timeline(session), session_url(session))


def _fail(session: SessionLike, timeline: Timeline, message: str, focus: Iterable[str] = ()) -> None:
    __tracebackhide__ = True
    raise AgentAssertionError(message, timeline, _replay_block(timeline, session_url(session), focus))


# --- the assertions -------------------------------------------------------------------------------------

@verdict
def assert_tool_called(session: SessionLike, name: str, times: int | None = None,
                       with_args: ArgsMatcher | None = None) -> None:
    """``name`` (a tool or an action) ran: ``times`` times exactly if given, with ``with_args`` if given."""
    __tracebackhide__ = True
    if times is not None:
        check_times("assert_tool_called: times", times)
    if with_args is not None:
        with_args = expected_args("assert_tool_called: with_args", with_args)
    timeline = as_timeline(session)
    calls = RunOrder(timeline).by_start(calls_in(timeline))
    named = [s for s in calls if matches_name(s, name)]
    judged = [(s, args_match(s, with_args) if with_args is not None else True) for s in named]
    matching = [s for s, found in judged if found is True]
    unjudged = [found for _, found in judged if isinstance(found, str)]
    ok = len(matching) == times if times is not None else bool(matching)
    # An exact count needs every step; finding the call proves "at least once" on any part. A call whose
    # arguments were not recorded whole may be one more (or the one looked for).
    short = len(matching) <= times if times is not None else not matching
    why = partial_view(session) if times is not None and short else []
    if ok and not why and not (unjudged and short):
        return
    what = f"'{name}'" + (f" with {describe_args(with_args)}" if with_args is not None else "")
    expected = _ordinal(times) if times is not None else "at least once"
    if not why:
        why = partial_view(session)
    seen = " among the steps the session saw" if why else ""
    if unjudged and short:
        seen += (" whose" if why else " among the calls whose") + " arguments were recorded whole"
    lines = [f"expected {what} to be called {expected}, but it was called {len(matching)} "
             f"time{'s' if len(matching) != 1 else ''}{seen}.", *_partial_lines(why)]
    if unjudged:
        lines.extend(unjudged_lines(name, unjudged))
    if with_args is not None and named:
        lines.append(f"'{name}' was called {len(named)} time(s) with:")
        lines.extend(f"  - {s.input if s.input is not None else '(arguments not recorded)'}" for s in named)
    lines.append(f"Called, in order: {_sequence(calls)}")
    _fail(session, timeline, "\n".join(lines), [s.span_id for s in named])


@verdict
def assert_tool_not_called(session: SessionLike, name: str) -> None:
    """The tool or action ``name`` never ran in this session."""
    __tracebackhide__ = True
    timeline = as_timeline(session)
    calls = RunOrder(timeline).by_start(calls_in(timeline))
    named = [s for s in calls if matches_name(s, name)]
    if named:
        at = ", ".join(fmt.offset(s.offset_s) for s in named)
        _fail(session, timeline,
              f"expected '{name}' not to be called, but it was called {_ordinal(len(named))} (at {at}).\n"
              f"Called, in order: {_sequence(calls)}", [s.span_id for s in named])
    why = partial_view(session)
    if why:
        _fail(session, timeline, "\n".join([
            f"expected '{name}' not to be called, but the session cannot show it was not: "
            "it was not among the steps the session saw.", *_partial_lines(why),
            f"Called, in order (steps seen): {_sequence(calls)}"]))


@verdict
def assert_called_in_order(session: SessionLike, names: Sequence[str]) -> None:
    """``names`` ran in this order (other calls may come between them): each ended before the next
    started, or called it (see ``_order`` for what "before" means with concurrency and clock skew)."""
    __tracebackhide__ = True
    timeline = as_timeline(session)
    order = RunOrder(timeline)
    calls = order.by_start(calls_in(timeline))
    reach = order.chains([[s for s in calls if matches_name(s, n)] for n in names])
    position = len(reach)
    if position == len(names):
        return
    matched = RunOrder.chain(reach)
    missing = names[position]
    later = [s for s in calls if matches_name(s, missing)]
    if later and position:
        earliest = min((p for p, _ in reach[-1].values()), key=lambda p: p.offset_s + p.duration_s)
        why = (f"'{missing}' was called, but not after '{names[position - 1]}': "
               + order.why_not(earliest, later[0], names[position - 1], missing))
    elif later:
        why = f"'{missing}' was not found"
    else:
        why = f"'{missing}' was never called"
    _fail(session, timeline, "\n".join([
          f"expected calls in order: {' → '.join(names)}",
          f"matched {position} of {len(names)}: {why}.", *_partial_lines(partial_view(session)),
          f"Called, in order: {_sequence(calls)}"]), [s.span_id for s in matched + later])


@verdict
def assert_called_before(session: SessionLike, first: str, then: str) -> None:
    """A call of ``first`` ended before any call of ``then`` started (or called it); both must have run."""
    __tracebackhide__ = True
    if first == then:  # no call runs before itself: judged, it would fail saying the call "ran first"
        raise ValueError(f"assert_called_before: {first!r} on both sides: a call cannot run before itself; "
                         "name two different steps")
    timeline = as_timeline(session)
    order = RunOrder(timeline)
    calls = order.by_start(calls_in(timeline))
    firsts = [s for s in calls if matches_name(s, first)]
    thens = [s for s in calls if matches_name(s, then)]
    partial = partial_view(session)  # a first call of either may be among the steps not seen
    a = next((x for x in firsts if all(order.before(x, y) for y in thens)), None) if thens else None
    if a is not None and not partial:
        return
    a = a or (firsts[0] if firsts else None)
    b = thens[0] if thens else None
    if partial:
        why = "the first call of each cannot be told apart from calls the session did not see"
    elif a is None or b is None:
        absent = " and ".join(f"'{n}'" for n, s in ((first, a), (then, b)) if s is None)
        why = f"{absent} {'were' if a is None and b is None else 'was'} never called"
    else:
        a = min(firsts, key=lambda s: s.offset_s + s.duration_s)  # the first to end: the likeliest to be first
        b = next((y for y in thens if not order.before(a, y)), b)
        why = order.why_not(a, b, first, then)
    _fail(session, timeline, "\n".join([
          f"expected '{first}' to be called before '{then}', but {why}.", *_partial_lines(partial),
          f"Called, in order: {_sequence(calls)}"]),
          [s.span_id for s in (a, b) if s is not None])


@end_state_verdict
def assert_ended_with(session: SessionLike, end_state: str) -> None:
    """The session ended in ``end_state`` (``Success``, ``Fail`` or ``Indeterminate``, any case)."""
    __tracebackhide__ = True
    wanted = normalize_end_state(end_state)
    timeline = as_timeline(session)
    actual = session.end_state if isinstance(session, Session) else timeline.summary.end_state
    if not isinstance(session, Session) and (why := _end_state_contested(timeline.summary)):
        _fail(session, timeline, f"cannot tell whether the session ended {wanted}: {why}; its recorded end state "
                                 "is not to be trusted, whichever way it reads")
    if actual == wanted:
        return
    if actual is None:
        state = ("is still running" if isinstance(session, Session)
                 else "has no recorded end state (its root span is missing)" if timeline.summary.root_span_id is None
                 else "has no recorded end state (its root span carries none)")
        message = f"expected the session to end {wanted}, but it {state}."
    else:
        reason = session.end_state_reason if isinstance(session, Session) else timeline.summary.end_reason
        message = f"expected the session to end {wanted}, but it ended {actual}" + (
            f" ({reason})." if reason else ".")
    _fail(session, timeline, message)


def _end_state_contested(summary: SessionSummary) -> str:
    """What in a session read back says two things about how it ended (as the gate refuses to judge it): copies
    of its root that differ, several roots, a root whose status contradicts its end state, or an end state
    given twice; empty when nothing does."""
    found = [text for kind, text in zip(summary.issue_kinds, summary.issues, strict=False)
             if kind in _CONTESTING or (kind in _NOTED_VALUES and SESSION_END_STATE in text)]
    return "; ".join(found)


_CONTESTING = frozenset({Issue.CONFLICTING_COPIES, Issue.DUPLICATE_ROOTS, Issue.STATE_CONTRADICTED})
_NOTED_VALUES = frozenset({Issue.UNREADABLE_ATTRIBUTES, Issue.GIVEN_TWICE})


@verdict
def assert_no_errors(session: SessionLike) -> None:
    """No step of the session (nested sessions included) ended in error."""
    __tracebackhide__ = True
    timeline = as_timeline(session)
    errors = [s for s in timeline.errors() if s.kind != "session"]
    # Past its span cap the session's own count still has every failed step; a step it never saw end
    # (or has not yet: still running) may yet fail, so it cannot vouch for none. Read back, a lost span
    # may be the failed one.
    counted = session.error_count if isinstance(session, Session) and session.spans_dropped else 0
    why = partial_view(session, values=False)
    blind = (session.steps_outside or running_steps(session) or sessionless_lines(session)
             or forked_lines(session)) if isinstance(session, Session) else why
    if not errors and not counted and not blind:
        return
    if errors or counted:
        lines = [f"expected no errors, but {max(len(errors), counted)} step(s) failed"
                 + (f" ({counted} counted by the session, {len(errors)} among the steps it still holds)"
                    if counted > len(errors) else "") + ":"]
    elif isinstance(session, Session):
        lines = ["expected no errors, but the session cannot vouch for steps it has not seen end."]
    else:
        lines = ["expected no errors, but the trace cannot vouch for the steps it does not hold."]
    lines.extend(f"  - {fmt.offset(s.offset_s)} {s.kind} {s.name}: {fmt.error_text(s) or 'error'}"
                 for s in errors)
    lines.extend(_partial_lines(why))
    _fail(session, timeline, "\n".join(lines), [s.span_id for s in errors])


@verdict
def assert_error_in_step(session: SessionLike, name: str,
                         error_type: ErrorTypes | None = None) -> None:
    """The step ``name`` (tool, action, model or span name) failed, with ``error_type`` if given: a class
    (or a subclass of it), a type name, or a tuple of them of which any matches, as ``except`` reads one."""
    __tracebackhide__ = True
    wanted = error_types("assert_error_in_step: error_type", error_type) if error_type is not None else ()
    timeline = as_timeline(session)
    failed = [s for s in timeline.errors() if matches_name(s, name)]
    types = [s.error.type if s.error else str(s.attributes.get("error.type") or "") for s in failed]
    if failed and (not wanted or any(same_error_type(t, w) for t in types for w in wanted)):
        return
    what = f"'{name}' to fail" + (f" with {' or '.join(map(error_type_name, wanted))}" if wanted else "")
    if failed:
        got = "; ".join(fmt.error_text(s) or "error" for s in failed)
        why = f"it failed with {got}"
    elif any(matches_name(s, name) for s in timeline.steps):
        why = "it ran without error"
    else:
        why = "it never ran"
    others = [s for s in timeline.errors() if s.kind != "session"]
    hints = {h for t in types for w in wanted if (h := unqualified_hint(t, w))}
    lines = [f"expected {what}, but {why}.", *sorted(hints), *_partial_lines(partial_view(session))]
    if others and not failed:
        lines.append("Steps that failed: " + "; ".join(f"{s.name} ({fmt.error_text(s) or 'error'})"
                                                       for s in others))
    _fail(session, timeline, "\n".join(lines),
          [s.span_id for s in timeline.steps if matches_name(s, name)])


__all__ = [
    "AgentAssertionError",
    "ArgsMatcher",
    "SessionLike",
    "as_timeline",
    "assert_called_before",
    "assert_called_in_order",
    "assert_ended_with",
    "assert_error_in_step",
    "assert_no_errors",
    "assert_tool_called",
    "assert_tool_not_called",
    "partial_view",
    "replay_text",
    "session_url",
]
