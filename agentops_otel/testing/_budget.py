"""Cost, call and token bounds over one agent session, for the assertions and the ``agent_cost_limit`` marker.

A bound that reads $0 for a call whose usage never arrived passes a broken agent, so every bound here
fails on a call whose cost (or, for tokens, usage) is unknown, naming the call and why. The opt-outs
(``allow_unpriced``, ``allow_missing_usage``) are explicit and visible: a pass they made possible
warns with :class:`IncompleteCostWarning`, a failure says the figure is only a lower bound.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection, Sequence

from agentops_otel._batch_calls import is_batch, step_calls, unsized_batches
from agentops_otel._bounds import check_bound
from agentops_otel._cost_gaps import (
    GAP_TEXT,
    MODELS_UNWATCHED,
    gap_lines,
    step_gap,
    summary_gaps,
    unknown_counts,
    usage_gap,
)
from agentops_otel._left_running import MODEL_READS
from agentops_otel.reassemble._summary import Issue
from agentops_otel.reassemble._unseen import unseen_steps
from agentops_otel.render import _format as fmt
from agentops_otel.semconv import GAP_BATCH_QUEUED, GAP_STEPS_OUTSIDE, GAP_TOTALS_INTERRUPTED, PRICE_GAPS
from agentops_otel.sessions import Session
from agentops_otel.sessions._lower_bounds import doubted_calls
from agentops_otel.sessions._rollup import Rollup
from agentops_otel.sessions._views import unwatched
from agentops_otel.testing._assertions import MAX_REPLAY_STEPS, SessionLike, _fail, as_timeline
from agentops_otel.testing._partial import (
    forked_lines,
    outside_named,
    partial_lines,
    partial_view,
    running_steps,
    sessionless_lines,
)
from agentops_otel.testing._verdicts import model_verdict
from agentops_otel.timeline import Timeline

__all__ = [
    "IncompleteCostWarning",
    "assert_cost_below",
    "assert_llm_calls_at_most",
    "assert_tokens_below",
    "cost_breakdown",
    "cost_gaps",
    "unheld_gaps",
    "unknown_cost_reasons",
    "unsized_batch_lines",
    "usage_gaps",
]


class IncompleteCostWarning(UserWarning):
    """A cost or token bound passed only because the test opted out of calls whose cost is unknown.

    Emitted by ``assert_cost_below(..., allow_unpriced=True)``, ``assert_tokens_below(...,
    allow_missing_usage=True)`` and the ``agent_cost_limit`` marker's same keywords, so the opt-out
    shows in pytest's warnings summary instead of passing silently.
    """

    __module__ = "agentops_otel.testing"


def cost_breakdown(timeline: Timeline) -> str:
    """One line per model call, with the step that made it: where the money and the tokens went."""
    calls = timeline.llm_calls()
    if not calls:
        return "  no LLM calls recorded"
    by_id = {s.span_id: s for s in timeline.steps}
    lines = []
    count = 0
    for i, step in enumerate(calls, 1):
        gap = step_gap(step)
        cost = (fmt.money(step.cost_usd) if gap is None else "queued" if gap == GAP_BATCH_QUEUED
                else "no usage" if gap not in PRICE_GAPS else "unpriced")
        parent = by_id.get(step.parent_span_id or "")
        within = f"  (in {parent.kind} {parent.name})" if parent is not None else ""
        requests = step_calls(step)
        count += requests
        if is_batch(step):
            size = "number of requests unknown" if unsized_batches((step,)) else \
                f"{requests} request{'s' if requests != 1 else ''}"
            within = f"  (a batch: {size}){within}"
        no_in, no_out = unknown_counts(step)
        lines.append(f"  {i:>2}. {fmt.offset(step.offset_s)}  {step.name:<20} "
                     f"{fmt.tokens(step.input_tokens, not no_in):>6} in / "
                     f"{fmt.tokens(step.output_tokens, not no_out):>5} out  {cost:>10}{within}")
    summary = timeline.summary
    total = fmt.money(summary.cost_usd)
    if not summary.cost_complete:
        why = summary.cost_gaps or summary_gaps(timeline.steps, root_lost=False, root_incomplete=True)
        total += " (incomplete: " + "; ".join(why) + ")"
    unsized = "at least " if unsized_batches(calls) else ""
    lines.append(f"  total: {unsized}{_calls_text(count)}, "
                 f"{fmt.tokens(summary.input_tokens, summary.input_tokens_complete)} in / "
                 f"{fmt.tokens(summary.output_tokens, summary.output_tokens_complete)} out tokens, {total}")
    return "\n".join(lines)


def _gap_block(title: str, lines: Sequence[str]) -> str:
    shown = [f"  - {line}" for line in lines[:MAX_REPLAY_STEPS]]
    if len(lines) > MAX_REPLAY_STEPS:
        shown.append(f"  … {len(lines) - MAX_REPLAY_STEPS} more")
    return "\n".join([title, *shown])


def _calls_text(n: int) -> str:
    return f"{n} LLM call{'s' if n != 1 else ''}"


def cost_gaps(session: SessionLike) -> list[str]:
    """One line per model call whose cost is unknown, and why (empty when the cost is complete).

    What ``assert_cost_below`` and the ``agent_cost_limit`` marker refuse to count as $0.
    """
    timeline = as_timeline(session)
    complete = session.cost_complete if isinstance(session, Session) else timeline.summary.cost_complete
    lines = gap_lines(timeline)
    if isinstance(session, Session):
        # Its root, written as it ended, says steps left running may yet make calls; the session itself knows
        # which have (``_outside``, below): an action or a tool that has ended since leaves out no call.
        lines = [line for line in lines if line != GAP_TEXT[GAP_STEPS_OUTSIDE]]
        lines += unheld_gaps(session, [s.span_id for s in timeline.steps], usage_only=False)
    lines += _still_open(session)
    if not lines and not complete:
        lines = ["some LLM calls have no known cost (their spans are no longer held in memory)"]
    return lines


def unknown_cost_reasons(session: Session) -> list[str]:
    """Why a live session's cost is not known whole, one line each: its calls without a known cost (as
    :func:`cost_gaps`), the children forked while it was current (their calls are in the trace only), steps
    started outside any session while it ran (as ``assert_cost_below`` says them) and, with no model client
    watched, that calls may have gone unseen."""
    lines = cost_gaps(session) + forked_lines(session) + sessionless_lines(session)
    unseen = unwatched(session)
    if unseen is not None and not any(line.startswith(MODELS_UNWATCHED) for line in lines):
        lines.append(unseen)
    return lines


def usage_gaps(session: SessionLike) -> list[str]:
    """One line per model call whose token counts are unknown, and why."""
    timeline = as_timeline(session)
    unheld = unheld_gaps(session, [s.span_id for s in timeline.steps]) if isinstance(session, Session) else []
    return (gap_lines(timeline, usage_only=True) + unheld + _still_open(session)
            + _root_totals_lost(session, timeline))


def unheld_gaps(rollup: Rollup, held: Collection[str], *, usage_only: bool = True, where: str = "") -> list[str]:
    """The calls without usage (``usage_only=False``: without a known cost) among the spans a live session (or the
    calls outside any session) no longer holds past its cap: its held spans show none of them, its totals count
    them all, so a bound on the totals would pass on them. ``held``: the span ids of the steps at hand; ``where``
    follows each call's name.

    The session keeps the calls whose usage lacked a count apart from its held spans (the first hundred, as its
    token reads judge by them); one it counted without keeping may be any of the calls not held."""
    if not rollup.spans_dropped:
        return []
    steps, more = doubted_calls(rollup)
    held = set(held)
    lines = [f"{s.span_name}{where}: {GAP_TEXT.get(gap, gap)} (its span is no longer held, past the span cap)"
             for s in steps if s.span_id not in held and (gap := usage_gap(s) if usage_only else step_gap(s))]
    if more and usage_only:
        lines.append(f"{more} more model calls{where} whose usage lacked a token count (not all of their spans are "
                     "held, past the span cap)")
    return lines


def _root_totals_lost(session: SessionLike, timeline: Timeline) -> list[str]:
    """Read back without its root (or with the trace cut), the session's token totals are those of the
    calls found: a lost call's tokens are in none of them. With a root that says its totals were cut short
    (the process stopped as it counted a step), they are a lower bound as well."""
    summary = timeline.summary
    if isinstance(session, Session):
        return []
    if summary.root_span_id is not None or (summary.pseudo and summary.partial is None):
        interrupted = Issue.TOTALS_INTERRUPTED in summary.issue_kinds
        return [f"{GAP_TEXT[GAP_TOTALS_INTERRUPTED]}: its token totals are a lower bound"] if interrupted else []
    return [f"{why}: the session's own token totals are lost, only the calls found are counted"
            for why in unseen_steps(timeline)]


def _still_open(session: SessionLike) -> list[str]:
    """Streams a live session counted as it ended, still open: their usage comes at their end. And
    steps it never saw end (still running, or started after it ended): model calls they make are in
    no total of the session."""
    if not isinstance(session, Session):
        return []
    lines = [f"{name}: a stream still open when the session ended (its usage comes at its end)"
             for name in session.open_at_end]
    return lines + _outside(session)


def _outside(session: Session) -> list[str]:
    """Steps whose model calls are in no total of the session: never seen end, or (live) not yet, or run in a
    child process forked while it was current. Not an action or a tool left running at its end that has ended
    since: it made no model call after the end, or that call is named as started after it (``_left_running``)."""
    count = session.outside_count(MODEL_READS)
    named = [f"{line} (model calls it makes are not counted)" for line in outside_named(session, MODEL_READS)]
    more = count - len(named)
    running = [f"{name}: still running (model calls it makes are not counted yet)"
               for name in running_steps(session)]
    return forked_lines(session) + named + ([f"{more} more steps outside the session"] if more > 0 else []) + running


def unsized_batch_lines(session: SessionLike, timeline: Timeline | None = None) -> list[str]:
    """One line per batch submit whose number of requests is unknown: each is counted as one model call, so the
    session's count is only a lower bound (see ``_batch_calls``)."""
    if timeline is None:
        timeline = as_timeline(session)
    steps = unsized_batches(timeline.steps)
    lines = [f"{s.span_name} at {fmt.offset(s.offset_s)}: a batch whose number of requests is unknown (each of "
             "them is a model call)" for s in steps]
    more = session.unsized_batches - len(steps) if isinstance(session, Session) else 0
    if more > 0:  # their spans are no longer held in memory
        lines.append(f"{more} more batch{'es' if more != 1 else ''} whose number of requests is unknown")
    return lines


@model_verdict
def assert_cost_below(session: SessionLike, usd: float, *, allow_unpriced: bool = False) -> None:
    """The session's LLM calls (nested sessions included) cost less than ``usd`` dollars.

    A call whose cost is unknown (no usage, an unpriced model) fails the bound, by name: it is never
    counted as $0. ``allow_unpriced=True`` bounds only the priced calls, and warns
    (:class:`IncompleteCostWarning`) when that is what let the bound pass.
    """
    __tracebackhide__ = True
    check_bound("assert_cost_below: usd", usd)
    timeline = as_timeline(session)
    cost = session._known_cost if isinstance(session, Session) else timeline.summary.cost_usd
    gaps = cost_gaps(session) + sessionless_lines(session)
    focus = [s.span_id for s in timeline.llm_calls()]
    if gaps and not allow_unpriced:
        _fail(session, timeline,
              f"expected the session to cost below {fmt.money(usd)}, but its cost is incomplete: "
              f"{fmt.money(cost)} is only what the priced calls cost.\n"
              + _gap_block("Calls without a known cost:", gaps)
              + "\nPass allow_unpriced=True to bound only the priced calls.\n"
              f"Cost by call:\n{cost_breakdown(timeline)}", focus)
    if cost < usd:
        if gaps:
            warnings.warn(IncompleteCostWarning(
                f"assert_cost_below passed with allow_unpriced=True: {fmt.money(cost)} leaves out "
                + "; ".join(gaps)), stacklevel=3)  # past the verdict wrapper, to the test's line
        return
    left_out = (f" (allow_unpriced=True left out {_calls_text(len(gaps))} without a known cost: "
                + "; ".join(gaps) + ")") if gaps else ""
    _fail(session, timeline,
          f"expected the session to cost below {fmt.money(usd)}, but it cost "
          f"{'at least ' if gaps else ''}{fmt.money(cost)}{left_out}.\n"
          f"Cost by call:\n{cost_breakdown(timeline)}", focus)


@model_verdict
def assert_llm_calls_at_most(session: SessionLike, n: int) -> None:
    """The session made at most ``n`` model calls (nested sessions included); a batch it submitted counts as the
    requests it queued, and one whose number of requests is unknown makes the bound fail rather than pass."""
    __tracebackhide__ = True
    check_bound("assert_llm_calls_at_most: n", n)
    timeline = as_timeline(session)
    count = session.llm_calls if isinstance(session, Session) else timeline.summary.llm_calls
    unsized = unsized_batch_lines(session, timeline)
    if unsized and count <= n:
        _fail(session, timeline,
              f"expected at most {n} LLM call{'s' if n != 1 else ''}, but the session submitted batches whose "
              f"requests it cannot count ({count} counted, each such batch as one):\n"
              + _gap_block("Batches of unknown size:", unsized), [s.span_id for s in timeline.llm_calls()])
    outside = _outside(session) if isinstance(session, Session) else []
    unclaimed = sessionless_lines(session)
    if (outside or unclaimed) and count <= n:
        what = "of steps it never saw end" if outside else "made outside any session while it ran"
        _fail(session, timeline,
              f"expected at most {n} LLM call{'s' if n != 1 else ''}, but the session cannot count the calls "
              f"{what} ({count} counted):\n" + _gap_block("Steps outside the session:", outside + unclaimed),
              [s.span_id for s in timeline.llm_calls()])
    # Read back, the count is of the calls found: a lost span may be one more.
    lost = partial_view(session) if not isinstance(session, Session) and count <= n else []
    if lost:
        _fail(session, timeline,
              f"expected at most {n} LLM call{'s' if n != 1 else ''}, but the trace does not hold every step "
              f"({count} among those it holds).\n" + "\n".join(partial_lines(lost)),
              [s.span_id for s in timeline.llm_calls()])
    if count <= n:
        return
    _fail(session, timeline,
          f"expected at most {n} LLM call{'s' if n != 1 else ''}, but the session made {count}.\n"
          f"Calls:\n{cost_breakdown(timeline)}",
          [s.span_id for s in timeline.llm_calls()])


@model_verdict
def assert_tokens_below(session: SessionLike, n: int, *, allow_missing_usage: bool = False) -> None:
    """The session used fewer than ``n`` tokens, input and output together (nested sessions included).

    A call that reported no usage fails the bound, by name (its tokens are unknown, not zero), unless
    ``allow_missing_usage=True``, which warns when that is what let the bound pass.
    """
    __tracebackhide__ = True
    check_bound("assert_tokens_below: n", n)
    timeline = as_timeline(session)
    if isinstance(session, Session):
        used = session.input_tokens + session.output_tokens
    else:
        used = timeline.summary.input_tokens + timeline.summary.output_tokens
    gaps = usage_gaps(session) + sessionless_lines(session)
    focus = [s.span_id for s in timeline.llm_calls()]
    if gaps and not allow_missing_usage:
        _fail(session, timeline,
              f"expected fewer than {n} tokens, but the token count is incomplete: {used} is only what the "
              "calls that reported usage used.\n"
              + _gap_block("Calls without usage:", gaps)
              + "\nPass allow_missing_usage=True to bound only the calls that reported usage.\n"
              f"Tokens by call:\n{cost_breakdown(timeline)}", focus)
    if used < n:
        if gaps:
            warnings.warn(IncompleteCostWarning(
                f"assert_tokens_below passed with allow_missing_usage=True: {used} tokens leave out "
                + "; ".join(gaps)), stacklevel=3)  # past the verdict wrapper, to the test's line
        return
    left_out = (f" (allow_missing_usage=True left out {_calls_text(len(gaps))} without usage)"
                if gaps else "")
    _fail(session, timeline,
          f"expected fewer than {n} tokens, but the session used {'at least ' if gaps else ''}{used}{left_out}.\n"
          f"Tokens by call:\n{cost_breakdown(timeline)}", focus)
