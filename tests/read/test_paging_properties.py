"""The pager against an adversarial search: whatever subset of a full window the backend returns, every
trace is read, or what was not is reported."""

from __future__ import annotations

import random
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from agentops_otel.read._paging import Coverage, Fetch, Load, page_window
from agentops_otel.read._record import SpanRecord

starts = st.lists(st.integers(min_value=0, max_value=2_000), min_size=0, max_size=300)


def _backend(times: list[int], seed: int) -> tuple[dict[str, int], Fetch]:
    traces = {f"{i:032x}": t for i, t in enumerate(times)}
    rng = random.Random(seed)

    def fetch(lo: int, hi: int, limit: int) -> tuple[int, Load]:
        hits = [tid for tid, t in traces.items() if lo <= t <= hi]
        rng.shuffle(hits)  # any subset: not the newest, not the oldest
        picked = hits[:limit]
        records = [SpanRecord(tid, "0" * 16, None, "root", 0, traces[tid], traces[tid] + 1) for tid in picked]
        return len(picked), lambda _skip: records

    return traces, fetch


@settings(max_examples=150, deadline=None)
@given(starts, st.integers(min_value=1, max_value=40), st.integers(min_value=0, max_value=2**32))
def test_every_trace_is_read_or_reported(times: list[int], page: int, seed: int) -> None:
    """All traces come back exactly once unless more than a page start in one unit; then that is reported."""
    traces, fetch = _backend(times, seed)
    coverage = Coverage()
    found = page_window(fetch, 0, 2_000, page=page, per_second=1, coverage=coverage, what="t")
    ids = [r.trace_id for r in found]
    assert len(ids) == len(set(ids))
    crowded = max(Counter(times).values(), default=0) >= page
    if crowded:
        assert coverage.unseen
    else:
        assert set(ids) == set(traces) and not coverage.unseen


@settings(max_examples=50, deadline=None)
@given(starts, st.integers(min_value=1, max_value=10), st.integers(min_value=0, max_value=2**32))
def test_a_larger_limit_for_one_unit_recovers_crowded_instants(times: list[int], page: int, seed: int) -> None:
    """With max_page, a unit holding fewer than max_page traces is read whole."""
    traces, fetch = _backend(times, seed)
    coverage = Coverage()
    found = page_window(fetch, 0, 2_000, page=page, per_second=1, coverage=coverage, what="t",
                        max_page=page * 16)
    if max(Counter(times).values(), default=0) < page * 16:
        assert {r.trace_id for r in found} == set(traces) and not coverage.unseen
