"""The CI gate: do recent sessions stay within bounds (failure rate, cost per session)?

``agentops-otel gate`` is a thin shell over this module, so a CI script or a pytest plugin can apply
the same verdict to timelines it already holds::

    from agentops_otel.gate import evaluate_gate, report_lines
    result = evaluate_gate(timelines, max_failure_rate=0.05, max_cost=0.10)
    print("\\n".join(report_lines(result)))
    sys.exit(0 if result.ok else 1)

A cost bound never passes on missing data: a session with a call whose cost is unknown (no usage,
an unpriced model, a lost root) breaks it, naming the calls, unless the caller opts out with
``allow_unpriced`` — and then the report says whose cost is only a lower bound.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import semconv
from ._cost_gaps import gap_lines
from .render import _format as fmt
from .timeline import Timeline

__all__ = ["GateResult", "evaluate_gate", "report_doc", "report_lines", "top_level"]

_SHOWN = 20
"""Sessions listed per heading; the rest are counted."""


def top_level(timelines: Iterable[Timeline]) -> list[Timeline]:
    """Sessions not nested in another one found alongside: nested steps already show inside them."""
    items = list(timelines)
    ids = {t.summary.session_id for t in items}
    return [t for t in items if t.summary.parent_session_id not in ids]


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

    @property
    def ok(self) -> bool:
        return not self.broken


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def evaluate_gate(timelines: Sequence[Timeline], *, max_failure_rate: float, max_cost: float | None = None,
                  min_sessions: int = 1, allow_unpriced: bool = False) -> GateResult:
    """Apply the bounds to top-level sessions (nested sessions are part of their parent's run; a trace
    without a session.id is a run of its own)."""
    runs = top_level(timelines)
    n = len(runs)
    failed = [t.summary.session_id for t in runs if t.summary.end_state == semconv.END_FAIL]
    rate = len(failed) / n if n else None
    costs = [t.summary.cost_usd for t in runs]
    broken = []
    if n < min_sessions:
        broken.append(f"only {_plural(n, 'session')} found, need at least {min_sessions}")
    if rate is not None and rate > max_failure_rate:
        broken.append(f"failure rate {rate:.1%} > {max_failure_rate:.1%}")
    over: list[str] = []
    incomplete: list[str] = []
    gaps: dict[str, list[str]] = {}
    if max_cost is not None:
        over = [t.summary.session_id for t in runs if t.summary.cost_usd > max_cost]
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
        sessions=n, failures=len(failed), failure_rate=rate, max_cost=max(costs) if costs else None,
        mean_cost=sum(costs) / n if n else None, over_cost=over, broken=broken, failed_sessions=failed,
        incomplete_cost=incomplete, cost_gaps=gaps, allow_unpriced=allow_unpriced,
        max_failure_rate=max_failure_rate, max_cost_per_session=max_cost, min_sessions=min_sessions,
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
        "broken": result.broken,
    }


def report_lines(result: GateResult, url_for: Callable[[str], str] | None = None) -> list[str]:
    """The figures, the sessions behind each broken bound, and the verdict (the last line)."""
    rate = "n/a" if result.failure_rate is None else f"{result.failure_rate:.1%}"
    lines = [f"Failed: {result.failures}/{result.sessions} = {rate} (max {result.max_failure_rate:.1%})"]
    if result.max_cost is not None:
        bound = ("" if result.max_cost_per_session is None
                 else f" (bound {fmt.money(result.max_cost_per_session)})")
        lines.append(f"Cost per session: max {fmt.money(result.max_cost)}, mean {fmt.money(result.mean_cost)}"
                     f"{bound}")
    link = url_for or (lambda _id: "")
    for title, ids in (("Failed sessions:", result.failed_sessions), ("Over the cost bound:", result.over_cost)):
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
    lines.append("PASS" if result.ok else "FAIL: " + "; ".join(result.broken))
    return lines
