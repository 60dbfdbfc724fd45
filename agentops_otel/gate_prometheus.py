"""``agentops-otel gate --source prometheus://host:9090``: the gate's verdict from session counters.

Why a second path: over Jaeger or Tempo the gate reads spans, and a search sees at most what the backend
hands back. The collector's counters in Prometheus already hold every session's end state and cost
(counted before sampling), so the window's failure rate is exact at any volume, in a few queries. What
counters cannot tell is each session's own cost or id: the report lists no session ids, and a
per-session cost bound is refused with a pointer to the sources that can check it.
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from agentops_otel.gate import REPORTED_CONFIDENCE, GateResult, judge_rate
from agentops_otel.read._errors import ReadError
from agentops_otel.read._http import parse_headers, shown_url, split_url
from agentops_otel.read._source import Query
from agentops_otel.read._time import window
from agentops_otel.read.prometheus import PrometheusReader, SessionCounts
from agentops_otel.render import _format as fmt

if TYPE_CHECKING:
    from agentops_otel._cli_reader import Reader

__all__ = ["evaluate_counts", "gate_prometheus", "is_prometheus_uri", "prometheus_base_url"]

_SCHEMES = {"prometheus": "http", "prometheus+http": "http", "prometheus+https": "https"}


def is_prometheus_uri(uri: str) -> bool:
    """``prometheus://``, ``prometheus+http://`` or ``prometheus+https://``."""
    scheme, sep, _ = uri.strip().partition("://")
    return bool(sep) and scheme.lower() in _SCHEMES


def prometheus_base_url(uri: str) -> str:
    """``prometheus://host:9090/prefix`` -> ``http://host:9090/prefix``."""
    parts = split_url(uri)
    if not parts.netloc:
        raise ReadError(f"no host in {shown_url(uri)!r}: use prometheus://host:9090")
    return f"{_SCHEMES[parts.scheme.lower()]}://{parts.netloc}{parts.path.rstrip('/')}"


def evaluate_counts(counts: SessionCounts, *, max_failure_rate: float, min_sessions: int = 1,
                    confidence: float | None = None) -> GateResult:
    """The verdict on a window's counts, in the same terms as :func:`agentops_otel.gate.evaluate_gate`
    (the failure-rate bound, the interval, too few sessions); the counts and cost go into the notes."""
    n, failures = counts.sessions - counts.indeterminate, counts.failures
    broken, undecided, interval = judge_rate(failures, n, max_failure_rate=max_failure_rate,
                                             confidence=confidence, min_sessions=min_sessions,
                                             not_judged=counts.indeterminate)
    unknown = counts.unknown_states
    if unknown:
        named = ", ".join(f"{state!r} {k}" for state, k in sorted(unknown.items()))
        undecided.append(f"{sum(unknown.values())} session(s) counted under an unknown end state ({named}; "
                         "'unknown' is a root without one): neither passes nor failures")
    hours = (counts.until - counts.since).total_seconds() / 3600
    per_hour = counts.cost_usd / hours if hours > 0 else None
    mean = counts.cost_usd / counts.sessions if counts.sessions else None
    states = ", ".join(f"{state} {k}" for state, k in sorted(counts.by_state.items())) or "none"
    late = []  # the pytest plugin's failures after the code under test had ended the session itself
    if counts.late_fails:
        late.append(f"{counts.late_fails} session(s) failed after the code under test had ended them "
                    "(a late Fail verdict): counted Fail, not as their root says")
    if counts.late_fails_outside:
        late.append(f"{counts.late_fails_outside} late Fail verdict(s) of sessions not counted in the window: "
                    "left out")
    notes = [f"Exact counts from the session metrics (no search cap); by end state: {states}", *late,
             f"Cost in the window: {fmt.money(counts.cost_usd)}"
             + (f" ({fmt.money(per_hour)}/h)" if per_hour is not None else "")
             + (f", mean {fmt.money(mean)} per session" if mean is not None else "")
             + (f"; {counts.incomplete_cost} session(s) with an incomplete cost" if counts.incomplete_cost else "")]
    figures: dict[str, Any] = {
        "by_end_state": counts.by_state, "total_cost_usd": counts.cost_usd, "cost_per_hour_usd": per_hour,
        "incomplete_cost_sessions": counts.incomplete_cost, "until": counts.until.isoformat(),
        "late_fails": counts.late_fails, "late_fails_outside_window": counts.late_fails_outside,
        "promql": counts.queries,
    }
    return GateResult(sessions=n, failures=failures, failure_rate=failures / n if n else None, max_cost=None,
                      mean_cost=mean, over_cost=[], broken=broken, failed_sessions=[],
                      max_failure_rate=max_failure_rate, min_sessions=min_sessions, interval=interval,
                      interval_confidence=confidence if confidence is not None else REPORTED_CONFIDENCE,
                      confidence=confidence, undecided=undecided, notes=notes, figures=figures)


def gate_prometheus(args: argparse.Namespace, reader: Reader, query: Query) -> GateResult:
    """The CLI's gate over Prometheus at the reader's URI (``GATE_SOURCES`` in ``cli``): the window,
    service, tags and run of ``query``, judged on the counters. Raises ``ReadError`` (exit 2) for what
    counters cannot answer and for an unreachable or refusing Prometheus."""
    if args.max_cost_per_session is not None:
        raise ReadError("--max-cost-per-session needs each session's cost, and Prometheus holds sums: gate "
                        "per-session cost with a trace source (a file, jaeger://, tempo://); the Prometheus "
                        "report shows the window's total and mean cost")
    since, until = window(query.since, query.until, timedelta(hours=1))
    headers = parse_headers(list(args.header)) if args.header else None
    with PrometheusReader(prometheus_base_url(reader.uri), args.timeout, headers=headers) as prometheus:
        counts = prometheus.session_counts(since, until, service=query.service, tags=query.tags, run_id=query.run)
    return evaluate_counts(counts, max_failure_rate=args.max_failure_rate, min_sessions=args.min_sessions,
                           confidence=args.confidence)
