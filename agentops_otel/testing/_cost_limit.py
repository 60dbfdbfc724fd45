"""The ``agent_cost_limit`` marker: its bounds, what one test spent, and the verdict on the two.

The test's session counts what runs in its context: the test, its fixtures and the agents nested in
it. A thread does not inherit that context (``threading.Thread``, a ``ThreadPoolExecutor``), so an
agent running there starts a session beside the test's, or makes its model calls outside any
session; neither reaches the test's totals, and a limit judged on them alone passed a test that
spent fifty times its budget. So while a bounded test runs, :class:`Spend` watches the process
(``processor.watch``): a session started during the test outside its session is judged with it,
and model calls made outside any session are counted like a session's, each named in the failure.

What the watch sees is charged by when it *started*: a call (or session) that began while the test
ran is the test's, wherever it ends. One a thread of an earlier test left running is not, though it
ends during this test: it is not this test's spend, and it would fail a test that made no call. One
this test started and left running when it ends is this test's, with its cost unknown (see
:meth:`Spend.parts`); the next test is not charged for it either.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, Span

from agentops_otel import genai_spans, processor
from agentops_otel._bounds import is_bound, not_a_bound
from agentops_otel._cost_gaps import GAP_TEXT, step_gap, usage_gap
from agentops_otel._guard import report
from agentops_otel._left_running import MODEL_READS
from agentops_otel._open_calls import open_calls_in
from agentops_otel.render import _format as fmt
from agentops_otel.sessions import Session
from agentops_otel.sessions._lifecycle import harness_session
from agentops_otel.sessions._rollup import Rollup
from agentops_otel.sessions._views import unwatched
from agentops_otel.testing._assertions import MAX_REPLAY_STEPS, as_timeline
from agentops_otel.testing._budget import (
    IncompleteCostWarning,
    _outside,
    cost_breakdown,
    cost_gaps,
    unheld_gaps,
    unsized_batch_lines,
    usage_gaps,
)
from agentops_otel.testing._partial import unrecorded

from .. import _forksafe

__all__ = ["Spend", "limit_problems", "marker_limits"]

OUTSIDE_TITLE = "Model calls outside any session during the test:"
_UNSEEN = object()


@dataclass(frozen=True)
class _Part:
    """One source of spend: the test's session, another session started during it, or the sessionless calls."""

    title: str | None
    cost: float
    llm_calls: int
    input_tokens: int
    output_tokens: int
    steps_outside: int
    """Steps the session never saw end that may be model calls or make them (``_left_running.MODEL_READS``), plus
    the forks that took it into a child: its call count is no whole count."""
    cost_gaps: Callable[[], list[str]]
    usage_gaps: Callable[[], list[str]]
    outside: Callable[[], list[str]]
    breakdown: Callable[[], str]
    unsized_batches: int = 0
    """Batches of unknown size among its calls (each counted as one: ``llm_calls`` is a lower bound)."""
    unsized: Callable[[], list[str]] = list


def _session_part(session: Session, title: str | None) -> _Part:
    return _Part(title, session._known_cost, session.llm_calls, session.input_tokens, session.output_tokens,
                 session.outside_count(MODEL_READS) + session.forks, lambda: cost_gaps(session),
                 lambda: usage_gaps(session), lambda: _outside(session), lambda: cost_breakdown(as_timeline(session)),
                 session.unsized_batches, lambda: unsized_batch_lines(session))


class Spend:
    """The test's session, plus what :func:`processor.watch` reports between :meth:`start` and :meth:`stop`."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.others: list[Session] = []
        """Sessions started during the test that are not nested in its session, nor in one another."""
        self._sessionless = Rollup("outside any session", None)
        self._in_flight: dict[int, str | None] = {}
        """Spans started outside any session during the test and not ended yet: span id to the name of a
        model call, ``None`` for any other span (one becomes a model call only at its end, as OpenInference's
        LangChain spans do). Plain dict operations from any thread, no lock, as a session's running steps."""
        self._open_before: set[object] = set()
        self._lock = _forksafe.lock()

    def start(self) -> None:
        processor.watch(self)  # first: a stream opened meanwhile is then in flight, not passed over
        self._open_before = set(open_calls_in(None))

    def stop(self) -> None:
        processor.unwatch(self)

    # --- processor.Watcher (any thread; never raises into the program) ---------------------------
    def session_started(self, session: object) -> None:
        """A session nested in the test's (or in one counted already) rolls up there; any other is the test's too."""
        if not isinstance(session, Session) or session is self.session:
            return
        with self._lock:
            ancestor = session.parent
            while ancestor is not None:
                if ancestor is self.session or any(ancestor is other for other in self.others):
                    return
                ancestor = ancestor.parent
            self.others.append(session)

    def sessionless_start(self, span: Span) -> None:
        """A span starting outside any session: noted now, so a model call still in flight as the test
        ends is not passed over (its span, and with it its usage, comes only at its end), and one that
        ends during the test is counted only if it started during it."""
        try:
            llm = genai_spans.is_llm(span.attributes or {})
            self._in_flight[span.get_span_context().span_id] = span.name if llm else None
        except Exception as exc:
            report("spend.sessionless_start", exc)

    def sessionless_span(self, span: ReadableSpan) -> None:
        """A span ending outside any session: a model call counts if it started during the test (one an
        earlier test left running is not this test's)."""
        try:
            if span.context is None or self._in_flight.pop(span.context.span_id, _UNSEEN) is _UNSEEN:
                return
            if genai_spans.is_llm(span.attributes or {}):
                self._sessionless._record(span)
        except Exception as exc:
            report("spend.sessionless_span", exc)

    # --- what the marker judges -----------------------------------------------------------------
    def _others(self) -> list[Session]:
        """The sessions started during the test outside its session, less those of another test running at
        the same time (a runner that runs tests in threads): that test's session and the ones nested in it
        are that test's spend. Asked when judging: a test's session is known as such only once it started."""
        with self._lock:
            others = list(self.others)
        return [s for s in others if harness_session(s) in (None, self.session)]

    def unrecorded(self) -> str | None:
        """Why the test's spend could not be counted (the kill switch, or no model client instrumented), if
        so: no bound passes then."""
        others = self._others()
        return next((why for s in (self.session, *others) if (why := unrecorded(s) or unwatched(s)) is not None), None)

    def parts(self, *, settled: bool = True) -> list[_Part]:
        """``settled=False``: the fixtures' teardown may still finish the calls in flight (a pool it joins),
        so they are counted but not yet called unknown."""
        others = self._others()
        parts = [_session_part(self.session, None)]
        parts += [_session_part(s, f"Session {s.name} {s.id} (started during the test, outside its session):")
                  for s in others]
        open_now = [c for c in open_calls_in(None) if c not in self._open_before]
        # A copy: other threads add and drop entries.
        in_flight = [name for name in self._in_flight.copy().values() if name is not None]
        for stream in open_now:  # an open stream is a call in flight too: counted once, as a stream
            if stream.name in in_flight:
                in_flight.remove(stream.name)
        rollup = self._sessionless
        if rollup.llm_calls or open_now or in_flight or not rollup.cost_complete:
            unknown = [f"{c.name} (outside any session): a stream still open at the end of the test "
                       "(its usage comes at its end)" for c in open_now]
            unknown += [f"{name} (outside any session): a call still in flight at the end of the test "
                        "(its usage comes at its end)" for name in in_flight if settled]
            parts.append(_Part(OUTSIDE_TITLE, rollup._known_cost, rollup.llm_calls + len(open_now) + len(in_flight),
                               rollup.input_tokens, rollup.output_tokens, 0,
                               lambda: self._gaps(usage_only=False) + unknown,
                               lambda: self._gaps(usage_only=True) + unknown, list,
                               lambda: self._breakdown([c.name for c in open_now], in_flight),
                               rollup.unsized_batches, self._unsized))
        return parts

    def _unsized(self) -> list[str]:
        from agentops_otel.read import records_from_spans
        from agentops_otel.reassemble import reassemble

        timelines = reassemble(records_from_spans(self._sessionless.spans)).pseudo_sessions
        lines = [f"{line} (outside any session)" for t in timelines for line in unsized_batch_lines(t)]
        return lines or [f"{self._sessionless.unsized_batches} batches outside any session whose number of requests "
                         "is unknown"]

    def _calls(self) -> list[tuple[str, int | None, int | None, float | None, str | None, str | None]]:
        """(name, input tokens, output tokens, cost, why the cost is unknown, why the tokens are) of each
        sessionless call."""
        from agentops_otel.read import records_from_spans
        from agentops_otel.reassemble import reassemble

        timelines = reassemble(records_from_spans(self._sessionless.spans)).pseudo_sessions
        steps = sorted((s for t in timelines for s in t.llm_calls()), key=lambda s: s.start_ns)
        return [(s.name, s.input_tokens, s.output_tokens, s.cost_usd, step_gap(s), usage_gap(s)) for s in steps]

    def _gaps(self, *, usage_only: bool) -> list[str]:
        # The token bound asks why the counts are unknown (a priced call can lack them too), as in a session.
        lines = [f"{name} (outside any session): {GAP_TEXT.get(gap, gap)}"
                 for name, _, _, _, cost_gap, usage in self._calls()
                 if (gap := usage if usage_only else cost_gap) is not None]
        # Past the cap the held spans are the last ones: a call dropped before them is still in the totals.
        rollup = self._sessionless
        held = [format(s.context.span_id, "016x") for s in rollup.spans if s.context is not None]
        lines += unheld_gaps(rollup, held, usage_only=usage_only, where=" (outside any session)")
        if not usage_only and not lines and not rollup.cost_complete:  # only calls with usage are kept apart
            lines.append("some calls outside any session have no known cost (their spans are no longer held in "
                         "memory)")
        return lines

    def _breakdown(self, streams: list[str], in_flight: list[str]) -> str:
        calls = self._calls()
        lines = [f"  {i:>2}. {name:<20} {tin or 0:>6} in / {tout or 0:>5} out  "
                 f"{fmt.money(cost) if gap is None else GAP_TEXT.get(gap, gap):>10}"
                 for i, (name, tin, tout, cost, gap, _) in enumerate(calls[:MAX_REPLAY_STEPS], 1)]
        if len(calls) > MAX_REPLAY_STEPS:
            lines.append(f"  … {len(calls) - MAX_REPLAY_STEPS} more")
        lines += [f"   - {name}: a stream still open (its usage comes at its end)" for name in streams]
        lines += [f"   - {name}: still in flight (its usage comes at its end)" for name in in_flight]
        return "\n".join(lines) or "  (their spans are no longer held in memory)"


def limit_problems(spend: Spend, limits: Mapping[str, Any], name: str = "agent_cost_limit", *,
                   warn: bool = True, settled: bool = True) -> str | None:
    """What ``limits`` (usd, llm_calls, tokens, allow_*) say about a test's spend so far, or None when all hold.

    A bound over data that is missing (a call without usage or a known price) fails, naming the
    calls; with the marker's opt-out it holds on what is known, and an ``IncompleteCostWarning`` says so
    (unless ``warn=False``: a look before the final judgement must not warn twice). ``settled=False``
    looks before the fixtures' teardown, which may yet finish the calls still in flight.
    """
    if (why := spend.unrecorded()) is not None:
        return f"{name} cannot be checked: {why}."
    parts = spend.parts(settled=settled)
    cost = round(sum(p.cost for p in parts), 12)
    llm_calls = sum(p.llm_calls for p in parts)
    tin, tout = sum(p.input_tokens for p in parts), sum(p.output_tokens for p in parts)
    over: list[str] = []
    unknown: list[str] = []
    allowed: list[str] = []
    usd, calls, tokens = limits.get("usd"), limits.get("llm_calls"), limits.get("tokens")
    if usd is not None:
        gaps = [g for p in parts for g in p.cost_gaps()]
        at_least = "at least " if gaps else ""
        if cost > float(usd):
            over.append(f"cost {at_least}{fmt.money(cost)} is over the limit of {fmt.money(float(usd))}")
        if gaps and not limits.get("allow_unpriced"):
            unknown.append("Calls without a known cost (never counted as $0; allow_unpriced=True bounds only the "
                           "priced calls):")
            unknown.extend(f"  - {g}" for g in gaps)
        elif gaps:
            allowed.append(f"usd bound checked with allow_unpriced=True: {fmt.money(cost)} leaves out "
                           + "; ".join(gaps))
    if calls is not None and llm_calls > int(calls):
        over.append(f"{'at least ' if any(p.unsized_batches for p in parts) else ''}{llm_calls} LLM calls are "
                    f"over the limit of {int(calls)}")
    elif calls is not None:
        if any(p.steps_outside for p in parts):
            unknown.append("Steps the session never saw end (their LLM calls are not counted):")
            unknown.extend(f"  - {g}" for p in parts for g in p.outside())
        if any(p.unsized_batches for p in parts):
            unknown.append("Batches whose number of requests is unknown (each counted as one LLM call, the least "
                           "it can be):")
            unknown.extend(f"  - {g}" for p in parts if p.unsized_batches for g in p.unsized())
    if tokens is not None:
        gaps = [g for p in parts for g in p.usage_gaps()]
        if tin + tout > int(tokens):
            over.append(f"{'at least ' if gaps else ''}{tin + tout} tokens ({tin} in / "
                        f"{tout} out) are over the limit of {int(tokens)}")
        if gaps and not limits.get("allow_missing_usage"):
            unknown.append("Calls without usage (their tokens are unknown, not zero; allow_missing_usage=True "
                           "bounds only the calls that reported usage):")
            unknown.extend(f"  - {g}" for g in gaps)
        elif gaps:
            allowed.append(f"tokens bound checked with allow_missing_usage=True: {tin + tout} tokens leave out "
                           + "; ".join(gaps))
    if not over and not unknown:
        for note in allowed if warn else ():
            warnings.warn(IncompleteCostWarning(f"{name}: {note}"), stacklevel=1)
        return None
    head = (f"{name} exceeded: " + "; ".join(over) + "." if over
            else f"{name} cannot be checked: some calls have no known cost.")
    lines = [head, *unknown, *(f"Note: {note}" for note in allowed), "Cost by call (all sessions of this test):"]
    for part in parts:
        if part.title:
            lines.append(part.title)
        try:
            lines.append(part.breakdown())
        except Exception as exc:  # the limit verdict stands even if the replay machinery fails
            lines.append(f"  (breakdown unavailable: {type(exc).__name__}: {exc})")
    lines.append(f"Session URL: {spend.session.url}")
    return "\n".join(lines)


_LIMITS = ("usd", "llm_calls", "tokens")
_OPT_OUTS = ("allow_unpriced", "allow_missing_usage")
_OPT_OUT_OF = {"allow_unpriced": "usd", "allow_missing_usage": "tokens"}
"""Each opt-out and the bound it loosens."""


def _one_marker(marker: pytest.Mark, name: str) -> dict[str, Any]:
    """One marker's keyword limits, or a setup failure that says how to spell them."""
    limits: dict[str, Any] = dict(marker.kwargs)
    numbers = {k: v for k, v in limits.items() if k in _LIMITS}
    if marker.args or not numbers or set(limits) - set(_LIMITS) - set(_OPT_OUTS) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers.values()) or not all(
            isinstance(limits[k], bool) for k in _OPT_OUTS if k in limits):
        pytest.fail(f"@pytest.mark.{name} takes usd=, llm_calls= and/or tokens= as numbers, and "
                    f"allow_unpriced= / allow_missing_usage= as True or False "
                    f"(got args {marker.args!r}, kwargs {marker.kwargs!r})", pytrace=False)
    for key, value in numbers.items():
        if not is_bound(value):  # NaN never compares over a limit: the test would always pass
            pytest.fail(f"@pytest.mark.{name}: {not_a_bound(key, value)}", pytrace=False)
    return limits


def marker_limits(item: pytest.Item, name: str = "agent_cost_limit") -> dict[str, Any] | None:
    """The limits of every marker that applies (the test's, its class's, its module's), or None for none.

    Each marker's bounds hold as written: a test's own marker adds to a module-wide budget, it does not
    replace it. So where two bound the same quantity the lower wins, and an opt-out holds only if every
    marker bounding that quantity allows it.
    """
    markers = [_one_marker(m, name) for m in item.iter_markers(name)]
    if not markers:
        return None
    merged: dict[str, Any] = {}
    for key in _LIMITS:
        values = [m[key] for m in markers if key in m]
        if values:
            merged[key] = min(values)
    for opt_out, bound in _OPT_OUT_OF.items():
        bounding = [m for m in markers if bound in m]
        if bounding and all(m.get(opt_out) for m in bounding):
            merged[opt_out] = True
    return merged
