"""Session counts and cost over a time window from a Prometheus that stores the session metrics.

The collector (``collector-config/session-metrics.yaml``) counts every top-level session root before
any sampling and pushes the counters to Prometheus over OTLP. It also counts, apart, the late ``Fail``
verdicts the pytest plugin writes when a test failed after the code under test had ended its session
(the root is frozen and still says ``Success``): the collector cannot join them to their roots, so the
counts here do, by the end state each verdict says its root shows (see :func:`fold_late_fails`).
A window's figures are then one PromQL query each, whatever the volume: no search depth, no sample, no
spans fetched. The queries use
``increase(...[window] anchored)``: no extrapolation to the window's edges, so the result is the exact
difference of the counters (Prometheus stores a zero at each series' start with
``created-timestamp-zero-ingestion``, so a series born inside the window counts from zero).

Names: the series and label names are the OTLP attribute names as Prometheus' OTLP translation writes
them (dots to underscores, ``_total`` on counters, the unit on the histogram); see :func:`label`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import httpx

from agentops_otel import semconv
from agentops_otel._end_states import canonical_end_state
from agentops_otel.read._errors import MalformedPayload, ReadError
from agentops_otel.read._http import HttpBackend

__all__ = [
    "CALLS_METRIC",
    "COST_METRIC",
    "DURATION_BUCKET_METRIC",
    "LATE_FAILS_METRIC",
    "PrometheusReader",
    "SessionCounts",
    "fold_late_fails",
    "label",
    "window_selector",
]

CALLS_METRIC = "agentops_session_calls_total"
"""Sessions (top-level session roots) counted by the collector's ``span_metrics/sessions`` connector."""
COST_METRIC = "agentops_session_cost_micros_total"
"""Summed ``agentops.session.cost_micros`` (1e-6 USD) from the ``signal_to_metrics/cost`` connector."""
DURATION_BUCKET_METRIC = "agentops_session_duration_milliseconds_bucket"
"""Session duration histogram buckets (``le`` in milliseconds)."""
LATE_FAILS_METRIC = "agentops_session_late_fails_total"
"""Late ``Fail`` verdicts of top-level sessions (``signal_to_metrics/late_fails``), by the end state their
frozen root shows (``semconv.VERDICT_ROOT_END_STATE``); their roots are in ``CALLS_METRIC`` under it."""
_COLLECTOR = "agentops_collector"
"""Which collector counted a series (several may push into one Prometheus)."""


def label(attribute: str) -> str:
    """The Prometheus label an OTLP attribute becomes (Prometheus' underscore escaping)."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", attribute)


def _quote(value: str) -> str:
    """A PromQL string literal (double-quoted, backslash escapes)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _regex_quote(value: str) -> str:
    """``value`` matched literally inside a PromQL (RE2) regular expression."""
    return re.sub(r"([.*+?()\[\]{}|^$\\])", r"\\\1", value)


def window_selector(*, service: str | None = None, tags: Sequence[str] = (), run_id: str | None = None,
                    extra: Mapping[str, str] | None = None) -> str:
    """The ``{...}`` label matchers for the gate's filters.

    A session's tags are one label holding the JSON list (``["smoke","billing"]``), so each wanted tag
    is a regex match for the quoted tag inside it.
    """
    matchers = []
    if service:
        matchers.append(f"job={_quote(service)}")
    for tag in tags:
        matchers.append(f"{label(semconv.TAGS)}=~{_quote('.*' + _regex_quote(_json_string(tag)) + '.*')}")
    if run_id:
        matchers.append(f"{label(semconv.RUN_ID)}={_quote(run_id)}")
    for key, value in (extra or {}).items():
        matchers.append(f"{key}={_quote(value)}")
    return "{" + ",".join(matchers) + "}"


def _json_string(text: str) -> str:
    """``text`` as a JSON string literal, as the collector renders list elements."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


@dataclass(frozen=True)
class SessionCounts:
    """Exact figures for one window, as Prometheus computed them."""

    sessions: int
    by_state: dict[str, int]
    """Sessions by end state as the gate reads them: the root's ``agentops.session.end_state`` (``unknown``
    where a root carried none), but ``Fail`` for a session that failed after its root had ended."""
    cost_usd: float
    """Summed cost of the window's sessions (only the priced part of an incomplete one)."""
    incomplete_cost: int
    """Sessions whose cost is known only in part (``agentops.session.cost_complete`` false)."""
    since: datetime
    until: datetime
    queries: list[str] = field(default_factory=list)
    """The PromQL behind the figures, for the report."""
    late_fails: int = 0
    """Sessions moved to ``Fail`` from the end state their root shows (in ``by_state`` already)."""
    late_fails_outside: int = 0
    """Late ``Fail`` verdicts whose session is not counted in the window (its root was counted before it,
    or is not yet): left out."""

    @property
    def failures(self) -> int:
        """Sessions that ended in ``Fail``, in any spelling ``end_session()`` accepts."""
        return sum(n for state, n in self.by_state.items() if canonical_end_state(state) == semconv.END_FAIL)

    @property
    def indeterminate(self) -> int:
        """Sessions that ended ``Indeterminate``: neither passes nor failures (the metrics cannot tell the
        ones we ended for a program that never did, which the file gate counts as failures, from the rest)."""
        return sum(n for state, n in self.by_state.items()
                   if canonical_end_state(state) == semconv.END_INDETERMINATE)

    @property
    def unknown_states(self) -> dict[str, int]:
        """Counts under a label that is no end state (``unknown``: the root carried none; a value another
        writer made up): neither passes nor failures."""
        return {state: n for state, n in self.by_state.items() if n and canonical_end_state(state) is None}


class PrometheusReader:
    """Runs the gate's PromQL on ``base_url`` (``http://host:9090``) through its HTTP API.

    Usable as a context manager; pass ``client`` to share an ``httpx.Client`` and ``headers`` for auth.
    """

    KIND = "Prometheus"

    def __init__(self, base_url: str, timeout: float = 10.0, *, client: httpx.Client | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        self._http = HttpBackend(self.KIND, base_url, timeout, client, headers)
        self.base_url = self._http.base_url
        self.shown_url = self._http.shown_url

    def query(self, promql: str, at: datetime | None = None) -> list[tuple[dict[str, str], float]]:
        """An instant query: ``(labels, value)`` per series of the vector (a scalar has no labels)."""
        params: dict[str, Any] = {"query": promql}
        if at is not None:
            params["time"] = f"{at.timestamp():.3f}"
        resp = self._http.get_any("/api/v1/query", params)
        if resp.status_code == 404:
            raise ReadError(f"{self.KIND} at {self.shown_url} has no /api/v1/query: is it Prometheus?")
        try:
            doc = resp.json()
        except (ValueError, RecursionError):
            raise MalformedPayload(f"{self.KIND} at {self.shown_url}: the query answer is not JSON") from None
        return _vector(doc, self.shown_url)

    def session_counts(self, since: datetime, until: datetime | None = None, *, service: str | None = None,
                       tags: Sequence[str] = (), run_id: str | None = None) -> SessionCounts:
        """Sessions by end state, summed cost and incomplete-cost sessions in ``[since, until]``."""
        until = until or datetime.now(UTC)
        if until <= since:
            raise ReadError(f"empty window: {since.isoformat()} is not before {until.isoformat()}")
        window = f"[{max(1, round((until - since).total_seconds() * 1000))}ms] anchored"
        selector = window_selector(service=service, tags=tags, run_id=run_id)
        by_state_q = (f"sum by ({label(semconv.SESSION_END_STATE)}) "
                      f"(increase({CALLS_METRIC}{selector}{window}))")
        incomplete_selector = window_selector(service=service, tags=tags, run_id=run_id,
                                              extra={label(semconv.SESSION_COST_COMPLETE): "false"})
        incomplete_q = f"sum(increase({CALLS_METRIC}{incomplete_selector}{window}))"
        cost_q = f"sum(increase({COST_METRIC}{selector}{window})) / 1e6"
        late_q = (f"sum by ({label(semconv.VERDICT_ROOT_END_STATE)}) "
                  f"(increase({LATE_FAILS_METRIC}{selector}{window}))")
        roots = self._by_label(by_state_q, until, label(semconv.SESSION_END_STATE))
        late = self._by_label(late_q, until, label(semconv.VERDICT_ROOT_END_STATE))
        by_state, moved, outside = fold_late_fails(roots, late)
        incomplete = sum(_count(value) for _, value in self.query(incomplete_q, until))
        cost = sum(value for _, value in self.query(cost_q, until) if math.isfinite(value))
        return SessionCounts(sessions=sum(by_state.values()), by_state=by_state, cost_usd=cost,
                             incomplete_cost=incomplete, since=since, until=until,
                             queries=[by_state_q, late_q, cost_q, incomplete_q], late_fails=moved,
                             late_fails_outside=outside)

    def _by_label(self, promql: str, at: datetime, key: str) -> dict[str, int]:
        """A ``sum by (key)`` query's counts by the label's value (``unknown`` where a series has none)."""
        counts: dict[str, int] = {}
        for labels, value in self.query(promql, at):
            state = labels.get(key, "unknown")
            counts[state] = counts.get(state, 0) + _count(value)
        return counts

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PrometheusReader:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def fold_late_fails(roots: Mapping[str, int], late: Mapping[str, int]) -> tuple[dict[str, int], int, int]:
    """Sessions by the end state the gate reads them in, how many moved to ``Fail``, how many late verdicts
    found no session of theirs in the window.

    The metrics cannot pair a verdict with its root, only count both: each late ``Fail`` moves one session
    out of the count of the end state it says its root shows, never out of ``Fail`` (that session is a
    failure already) and never more than that count holds (the rest belong to roots counted outside the
    window), so no session is counted twice. A verdict naming no end state (written before verdicts named
    it) moves a pass first, then an ``Indeterminate``: a failing test never counts as a passing session."""
    states = dict(roots)
    moved = outside = 0

    def take(state: str, wanted: int) -> int:
        n = max(0, min(wanted, states.get(state, 0)))
        if n:
            states[state] -= n
        return n

    for state, k in sorted(late.items()):
        canonical = canonical_end_state(state)
        if k <= 0 or canonical == semconv.END_FAIL:
            continue
        got = take(state, k)
        if got < k and canonical is None:
            for other in _by_preference(states):
                got += take(other, k - got)
        moved += got
        outside += k - got
    if moved:
        fail = next((s for s in states if canonical_end_state(s) == semconv.END_FAIL), semconv.END_FAIL)
        states[fail] = states.get(fail, 0) + moved
    return states, moved, outside


def _by_preference(states: Mapping[str, int]) -> list[str]:
    """The non-Fail end states a late Fail naming none is taken from: passes, then Indeterminate, then the rest."""
    order = {semconv.END_SUCCESS: 0, semconv.END_INDETERMINATE: 1}
    candidates = [s for s in states if canonical_end_state(s) != semconv.END_FAIL]
    return sorted(candidates, key=lambda s: (order.get(canonical_end_state(s) or "", 2), s))


def _count(value: float) -> int:
    """A counter increase as a session count (the anchored increase of an int counter is whole)."""
    return round(value) if math.isfinite(value) else 0


def _vector(doc: Any, where: str) -> list[tuple[dict[str, str], float]]:
    """The samples of a ``/api/v1/query`` answer; Prometheus' own error text on a failed query."""
    if not isinstance(doc, dict):
        raise MalformedPayload(f"Prometheus at {where}: the query answer is not an object")
    if doc.get("status") != "success":
        raise ReadError(f"Prometheus at {where} rejected the query: {doc.get('errorType', '?')}: "
                        f"{doc.get('error', 'no error text')}")
    data = doc.get("data")
    if not isinstance(data, dict):
        raise MalformedPayload(f"Prometheus at {where}: the query answer has no data")
    kind, result = data.get("resultType"), data.get("result")
    try:
        if kind == "scalar":
            return [({}, float(result[1]))]  # type: ignore[index]
        if kind == "vector" and isinstance(result, list):
            return [({str(k): str(v) for k, v in item.get("metric", {}).items()}, float(item["value"][1]))
                    for item in result]
    except (TypeError, KeyError, IndexError, ValueError):
        pass
    raise MalformedPayload(f"Prometheus at {where}: unexpected query result ({kind!r})")
