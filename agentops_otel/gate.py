"""The CI gate: do recent sessions stay within bounds (failure rate, cost per session)?

``agentops-otel gate`` is a thin shell over this module, so a CI script or a pytest plugin can apply
the same verdict to timelines it already holds::

    from agentops_otel.gate import evaluate_gate, report_lines
    result = evaluate_gate(timelines, max_failure_rate=0.05, max_cost=0.10)
    print("\\n".join(report_lines(result)))
    sys.exit(0 if result.ok else 1)

The verdict is one of three: PASS, FAIL (a bound is broken) and INSUFFICIENT DATA (fewer sessions than
``min_sessions``; under ``confidence``, a Wilson interval whose upper end is above the bound while the
observed rate is not; a source that could not show every session of the window, unless
``require_complete`` is False; data that does not say how a session ended: an unknown end state,
unreadable attributes, several root spans under one session id, copies of one span that differ, a root
under one session's span naming another as its parent). Only
PASS is ``ok``. The interval is always
reported, at ``confidence`` or 95%.

A cost bound never passes on missing data: a session with a call whose cost is unknown (no usage,
an unpriced model, a lost root) breaks it, naming the calls, unless the caller opts out with
``allow_unpriced`` — and then the report says whose cost is only a lower bound.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import semconv
from ._bounds import check_bound
from ._cost_gaps import gap_lines
from ._gate_contradictions import unjudgeable
from ._interval import sessions_needed, wilson_interval
from .read._record import SpanRecord, is_session_root
from .read._select import on_cycles
from .reassemble._summary import Issue
from .render import _format as fmt
from .timeline import SessionSummary, Timeline

__all__ = ["GateResult", "evaluate_gate", "judge_rate", "report_doc", "report_lines", "top_level", "variant_outcomes",
           "variants_of", "wilson_interval"]

REPORTED_CONFIDENCE = 0.95
"""The interval shown when the gate is not asked to decide on one."""

_SHOWN = 20
"""Sessions listed per heading; the rest are counted."""


def top_level(timelines: Iterable[Timeline]) -> list[Timeline]:
    """Sessions not nested in another one found alongside: nested steps already show inside them.

    A session whose parents lead back to it (its own id, two naming each other: the reassembler clears
    such a parent, a summary built elsewhere may not) is nested in none of them: a run of its own."""
    items = list(timelines)
    parent = {t.summary.session_id: p for t in items if (p := t.summary.parent_session_id) is not None}
    cyclic = on_cycles(parent) if parent else set()
    ids = {t.summary.session_id for t in items}
    return [t for t in items if t.summary.parent_session_id not in ids or t.summary.session_id in cyclic]


@dataclass(frozen=True)
class GateResult:
    """The figures the gate decides on, and what it decided."""

    sessions: int
    failures: int
    failure_rate: float | None
    max_cost: float | None
    mean_cost: float | None
    over_cost: list[str]
    broken: list[str]
    failed_sessions: list[str]
    incomplete_cost: list[str] = field(default_factory=list)
    """Sessions whose cost is unknown in part (checked only under a cost bound)."""
    cost_gaps: dict[str, list[str]] = field(default_factory=dict)
    """Why, per session in ``incomplete_cost``: one line per call without a known cost."""
    allow_unpriced: bool = False
    max_failure_rate: float = 1.0
    max_cost_per_session: float | None = None
    min_sessions: int = 0
    interval: tuple[float, float] | None = None
    """Wilson interval of the failure rate at ``interval_confidence`` (None without sessions)."""
    interval_confidence: float = REPORTED_CONFIDENCE
    confidence: float | None = None
    """When set, the gate decides on the interval's upper end, not the point rate."""
    undecided: list[str] = field(default_factory=list)
    """Why the data cannot support a verdict (too few sessions, too wide an interval, an incomplete read)."""
    unseen: list[str] = field(default_factory=list)
    """What the source could not show of the window (a search cap, a page it could not narrow)."""
    require_complete: bool = True
    flaky_variants: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Variant label -> (failed, runs), for variants that both passed and failed."""
    failing_variants: dict[str, int] = field(default_factory=dict)
    """Variant label -> runs, for variants that failed every time."""
    never_ended: list[str] = field(default_factory=list)
    """Sessions the program never ended (killed, hung or still running): counted as failures."""
    root_cut: list[str] = field(default_factory=list)
    """Sessions whose root the backend cut from their trace: end state unknown, counted as failures."""
    indeterminate: list[str] = field(default_factory=list)
    """Sessions the program ended Indeterminate: left out of the count, neither passes nor failures."""
    notes: list[str] = field(default_factory=list)
    """Figures a source adds to the report, shown before the verdict (Prometheus: counts by end state, cost)."""
    figures: dict[str, Any] = field(default_factory=dict)
    """The same for the JSON report, merged into it."""

    @property
    def ok(self) -> bool:
        return not self.broken and not self.undecided

    @property
    def verdict(self) -> str:
        """``PASS``, ``FAIL`` or ``INSUFFICIENT DATA``."""
        return "FAIL" if self.broken else "INSUFFICIENT DATA" if self.undecided else "PASS"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _pct(x: float) -> str:
    return f"{x:.1%}"


def judge_rate(failures: int, sessions: int, *, max_failure_rate: float, confidence: float | None = None,
               min_sessions: int = 1, not_judged: int = 0) -> tuple[list[str], list[str], tuple[float, float] | None]:
    """(broken, undecided, interval) for a failure count: the part of the verdict any source can feed
    (a backend that counts sessions without listing them, too). ``sessions`` are the judged ones;
    ``not_judged`` more ended Indeterminate."""
    check_bound("max_failure_rate", max_failure_rate, at_most=1)
    broken: list[str] = []
    undecided: list[str] = []
    level = confidence if confidence is not None else REPORTED_CONFIDENCE
    interval = wilson_interval(failures, sessions, level) if sessions else None
    rate = failures / sessions if sessions else None
    if sessions < min_sessions:
        aside = f" ({not_judged} more ended Indeterminate: not judged)" if not_judged else ""
        undecided.append(f"only {_plural(sessions, 'session')} found{aside}, need at least {min_sessions}")
    elif confidence is not None and not sessions:
        undecided.append(f"no sessions: nothing to be {confidence:.0%} confident about")
    if rate is not None and rate > max_failure_rate:
        broken.append(f"failure rate {_pct(rate)} > {_pct(max_failure_rate)}")
    elif confidence is not None and interval is not None and interval[1] > max_failure_rate:
        need = sessions_needed(failures, sessions, max_failure_rate, confidence)
        more = f"; at this rate about {need} sessions would show it" if need is not None else ""
        undecided.append(f"at {confidence:.0%} confidence the failure rate may be up to {_pct(interval[1])}, "
                         f"above {_pct(max_failure_rate)}{more}")
    return broken, undecided, interval


def never_ended(s: SessionSummary) -> bool:
    """Whether the program never ended this session: we ended it for the program (at exit, on SIGTERM, the
    pytest plugin after the test), or its root never arrived (the process was killed, or still runs)."""
    return (s.end_reason or "").startswith(semconv.NEVER_ENDED) or (
        not s.pseudo and Issue.ROOT_MISSING in s.issue_kinds)


def root_cut(s: SessionSummary) -> bool:
    """Whether the backend returned this session's trace without its root (Tempo's PARTIAL): the end state
    went with the root, so, like a root that never arrived, the run is not shown to have passed."""
    return not s.pseudo and s.root_span_id is None and Issue.TRACE_CUT in s.issue_kinds


def undecided_by_program(s: SessionSummary) -> bool:
    """Ended Indeterminate by the program itself (not by us for a program that never ended it)."""
    return s.end_state == semconv.END_INDETERMINATE and not never_ended(s) and not root_cut(s)


def failed(s: SessionSummary) -> bool:
    """A failure for the gate: ended Fail, never ended (a run that did not finish did not pass), or its
    root was cut (a run not shown to pass)."""
    return s.end_state == semconv.END_FAIL or never_ended(s) or root_cut(s)


def _cut_traces(timelines: Iterable[Timeline]) -> list[str]:
    """What the backend cut from the sessions' traces, one line per session: part of the window not seen."""
    return [f"{t.summary.session_id}: trace cut by the backend ({t.summary.partial})"
            for t in timelines if t.summary.partial is not None]


def variant_outcomes(runs: Sequence[Timeline], variants: Mapping[str, str]) -> tuple[
        dict[str, tuple[int, int]], dict[str, int]]:
    """(flaky, consistently failing) variants among the runs that name one: same input, different verdicts."""
    seen: dict[str, list[int]] = {}
    for t in runs:
        label = variants.get(t.summary.session_id)
        if label is not None:
            tally = seen.setdefault(label, [0, 0])
            tally[0] += failed(t.summary)
            tally[1] += 1
    flaky = {v: (f, n) for v, (f, n) in seen.items() if 0 < f < n}
    failing = {v: n for v, (f, n) in seen.items() if f == n}
    return flaky, failing


def variants_of(records: Iterable[SpanRecord]) -> dict[str, str]:
    """Session id -> variant, from the roots of variation runs (``agentops.variant``).

    Runs are grouped by the whole input (``agentops.variant.key``), not by the cut display label: where two
    inputs share a label, the label gets the key's first digits so they stay apart in the report.
    """
    found: dict[str, tuple[str, str]] = {}
    for r in records:
        label = r.attributes.get(semconv.VARIANT)
        if isinstance(label, str) and r.session_id is not None and is_session_root(r):
            key = r.attributes.get(semconv.VARIANT_KEY)
            found[r.session_id] = (label, key if isinstance(key, str) else f"{r.name}\x00{label}")
    keys_of: dict[str, set[str]] = {}
    for label, key in found.values():
        keys_of.setdefault(label, set()).add(key)
    return {sid: label if len(keys_of[label]) == 1 else f"{label} (#{key[:8]})"
            for sid, (label, key) in found.items()}


def evaluate_gate(timelines: Sequence[Timeline], *, max_failure_rate: float, max_cost: float | None = None,
                  min_sessions: int = 1, allow_unpriced: bool = False, confidence: float | None = None,
                  unseen: Sequence[str] = (), require_complete: bool = True,
                  variants: Mapping[str, str] | None = None) -> GateResult:
    """Apply the bounds to top-level sessions (nested sessions are part of their parent's run; a trace
    without a session.id is a run of its own).

    ``unseen`` is what the source says it could not show, to which the traces it cut (``summary.partial``)
    are added; unless ``require_complete`` is False it makes the verdict INSUFFICIENT DATA (a session not
    seen may be the failing one: a pass would be a pass on missing data). ``variants`` maps session
    ids of variation runs to their variant's label.
    """
    if max_cost is not None:  # a NaN bound compares false with every cost: it would pass them all
        check_bound("max_cost", max_cost)
    # A run the program itself ended Indeterminate (a skipped test, Ctrl-C) is no evidence either way:
    # counted as a pass it would let a suite whose every test was skipped pass the gate.
    indeterminate = [t.summary.session_id for t in top_level(timelines) if undecided_by_program(t.summary)]
    runs = [t for t in top_level(timelines) if not undecided_by_program(t.summary)]
    n = len(runs)
    failures = [t.summary.session_id for t in runs if failed(t.summary)]
    unfinished = [t.summary.session_id for t in runs if never_ended(t.summary)]
    cut = [t.summary.session_id for t in runs if root_cut(t.summary)]
    # Any session, nested ones too: a cut is part of the window the source did not show.
    unseen = [*unseen, *_cut_traces(timelines)]
    rate = len(failures) / n if n else None
    costs = [t.summary.cost_usd for t in runs]
    broken, undecided, interval = judge_rate(len(failures), n, max_failure_rate=max_failure_rate,
                                             confidence=confidence, min_sessions=min_sessions,
                                             not_judged=len(indeterminate))
    if unseen and require_complete:
        undecided.append("the source did not show every session of the window (--allow-incomplete judges "
                         "what it showed)")
    # Any session, nested ones too: data that does not say how a session ended is no evidence either way.
    undecided.extend(unjudgeable(timelines))
    # Variation runs nested in a test's own session (agentops_session_per_test) count as runs here too.
    flaky, failing = variant_outcomes(timelines, variants or {})
    over: list[str] = []
    incomplete: list[str] = []
    gaps: dict[str, list[str]] = {}
    if max_cost is not None:
        # Not "cost > bound": a NaN cost (a hand-built summary) compares false with it and would pass.
        over = [t.summary.session_id for t in runs if not t.summary.cost_usd <= max_cost]
        if over:
            broken.append(f"{_plural(len(over), 'session')} cost more than {fmt.money(max_cost)}")
        for t in runs:
            if not t.summary.cost_complete:
                incomplete.append(t.summary.session_id)
                gaps[t.summary.session_id] = gap_lines(t) or ["cost incomplete (reason not recorded)"]
        if incomplete and not allow_unpriced:
            broken.append(f"{_plural(len(incomplete), 'session')} with an incomplete cost "
                          "(calls without usage or a known price; --allow-unpriced bounds only the priced calls)")
    return GateResult(
        sessions=n, failures=len(failures), failure_rate=rate, max_cost=max(costs) if costs else None,
        mean_cost=sum(costs) / n if n else None, over_cost=over, broken=broken, failed_sessions=failures,
        incomplete_cost=incomplete, cost_gaps=gaps, allow_unpriced=allow_unpriced,
        max_failure_rate=max_failure_rate, max_cost_per_session=max_cost, min_sessions=min_sessions,
        interval=interval, interval_confidence=confidence if confidence is not None else REPORTED_CONFIDENCE,
        confidence=confidence, undecided=undecided, unseen=list(unseen), require_complete=require_complete,
        flaky_variants=flaky, failing_variants=failing, never_ended=unfinished, root_cut=cut,
        indeterminate=indeterminate,
    )


def report_doc(result: GateResult) -> dict[str, Any]:
    """The figures as a JSON-ready dict (the CLI adds where and since when it read)."""
    return {
        "ok": result.ok, "sessions": result.sessions, "failures": result.failures,
        "failure_rate": result.failure_rate, "max_failure_rate": result.max_failure_rate,
        "max_cost_usd": result.max_cost, "mean_cost_usd": result.mean_cost,
        "max_cost_per_session": result.max_cost_per_session, "over_cost": result.over_cost,
        "incomplete_cost": result.incomplete_cost, "cost_gaps": result.cost_gaps,
        "allow_unpriced": result.allow_unpriced, "failed_sessions": result.failed_sessions,
        "never_ended": result.never_ended, "root_cut": result.root_cut, "indeterminate": result.indeterminate,
        "broken": result.broken, "verdict": result.verdict, "undecided": result.undecided,
        "interval": list(result.interval) if result.interval else None,
        "interval_confidence": result.interval_confidence, "confidence": result.confidence,
        "min_sessions": result.min_sessions, "unseen": result.unseen, "complete": not result.unseen,
        "flaky_variants": {k: {"failed": f, "runs": n} for k, (f, n) in result.flaky_variants.items()},
        "failing_variants": {k: {"failed": n, "runs": n} for k, n in result.failing_variants.items()},
        **result.figures,
    }


def report_lines(result: GateResult, url_for: Callable[[str], str] | None = None) -> list[str]:
    """The figures, the sessions behind each broken bound, and the verdict (the last line)."""
    rate = "n/a" if result.failure_rate is None else f"{result.failure_rate:.1%}"
    ci = "" if result.interval is None else (
        f"; {result.interval_confidence:.0%} interval {_pct(result.interval[0])}–{_pct(result.interval[1])}"
        + (" (decides)" if result.confidence is not None else ""))
    lines = [f"Failed: {result.failures}/{result.sessions} = {rate} (max {result.max_failure_rate:.1%}){ci}"]
    if result.indeterminate:
        n = len(result.indeterminate)
        lines.append(f"{_plural(n, 'session')} ended Indeterminate (not judged): "
                     + ", ".join(result.indeterminate[:_SHOWN]) + (", …" if n > _SHOWN else ""))
    if result.unseen:
        lines.append("Not seen" + (" (the verdict needs every session; --allow-incomplete judges what was seen)"
                                   if result.require_complete else " (judged on what was seen: --allow-incomplete)")
                     + ":")
        lines.extend(f"  {gap}" for gap in result.unseen[:_SHOWN])
    if result.flaky_variants:
        lines.append("Flaky variants (passed and failed across repetitions):")
        lines.extend(f"  {v}  failed {f} of {n}" for v, (f, n) in sorted(result.flaky_variants.items()))
    if result.failing_variants:
        lines.append("Consistently failing variants:")
        lines.extend(f"  {v}  failed {n} of {n}" for v, n in sorted(result.failing_variants.items()))
    if result.max_cost is not None:
        bound = ("" if result.max_cost_per_session is None
                 else f" (bound {fmt.money(result.max_cost_per_session)})")
        lines.append(f"Cost per session: max {fmt.money(result.max_cost)}, mean {fmt.money(result.mean_cost)}"
                     f"{bound}")
    link = url_for or (lambda _id: "")
    not_ended = {*result.never_ended, *result.root_cut}  # listed under their own headings
    ended_failed = [i for i in result.failed_sessions if i not in not_ended]
    for title, ids in (("Failed sessions:", ended_failed), ("Over the cost bound:", result.over_cost)):
        if ids:
            lines.append(title)
            lines.extend(f"  {i}  {link(i)}".rstrip() for i in ids[:_SHOWN])
            if len(ids) > _SHOWN:
                lines.append(f"  … {len(ids) - _SHOWN} more")
    for title, ids in (("Never ended (killed, hung or still running; counted as failed):", result.never_ended),
                       ("Root cut by the backend (end state unknown; counted as failed):", result.root_cut)):
        if ids:
            lines.append(title)
            lines.extend(f"  {i}  {link(i)}".rstrip() for i in ids[:_SHOWN])
            if len(ids) > _SHOWN:
                lines.append(f"  … {len(ids) - _SHOWN} more")
    if result.incomplete_cost:
        if result.allow_unpriced:
            n = len(result.incomplete_cost)
            who = "1 session's cost is a lower bound" if n == 1 else f"{n} sessions' costs are lower bounds"
            lines.append(f"--allow-unpriced: {who} (calls without a known cost left out):")
        else:
            lines.append("Incomplete cost (never counted as $0):")
        for sid in result.incomplete_cost[:_SHOWN]:
            lines.extend(f"  {sid}: {gap}" for gap in result.cost_gaps.get(sid, ())[:5])
        if len(result.incomplete_cost) > _SHOWN:
            lines.append(f"  … {len(result.incomplete_cost) - _SHOWN} more")
    lines.extend(result.notes)
    if result.broken:
        lines.append("FAIL: " + "; ".join(result.broken + result.undecided))
    elif result.undecided:
        lines.append("INSUFFICIENT DATA: " + "; ".join(result.undecided))
    else:
        lines.append("PASS")
    # Session ids and variant names are recorded text (any instrumentation's session.id): in a CI log an
    # escape sequence or a carriage return among them could rewrite the lines around it.
    return [fmt.escape(line) for line in lines]
