"""Reading every session of a time window from a backend whose search answers at most N traces.

Jaeger's and Tempo's searches return at most ``limit`` traces and say nothing of the rest, and which
ones they pick depends on the storage (Jaeger's memory store returns the most recently *received*,
not the latest to start). So a full answer proves nothing about what it left out, while an answer
short of the limit is complete for its window. The pager walks the window from its end backwards in
slices: a slice that comes back full is narrowed and asked again, a sparse one widens the next, and
every slice it keeps is one the backend answered completely. A slice it cannot narrow (more than
``limit`` traces start within the backend's time resolution) is asked again with a larger limit, and
if still full its traces are kept and the window is reported as not fully seen.

Times are integers in the backend's resolution (Jaeger: microseconds, Tempo: seconds); a slice
``[lo, hi]`` holds every instant from the start of unit ``lo`` to the end of unit ``hi`` (each fetch
asks for exactly that), so consecutive slices neither overlap nor leave a gap. A trace found twice
(a backend that matches a trace by any of its spans) is kept once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from agentops_otel.read._record import SpanRecord

__all__ = ["Coverage", "Fetch", "Load", "page_window"]

Load = Callable[[set[str]], list[SpanRecord]]
"""``load(skip)``: every span of the traces found, except those whose trace id is in ``skip``."""
Fetch = Callable[[int, int, int], tuple[int, Load]]
"""``fetch(start, end, limit)`` -> (how many traces the search found, how to load them): a backend that
lists ids first (Tempo) reads no trace of a slice the pager throws away."""


@dataclass
class Coverage:
    """What a paged search asked and what it could not see, for a verdict that must not pass on a sample."""

    requests: int = 0
    traces: int = 0
    unseen: list[str] = field(default_factory=list)


def _when(unit: int, per_second: int) -> str:
    return datetime.fromtimestamp(unit / per_second, UTC).isoformat(timespec="microseconds" if per_second > 1
                                                                     else "seconds").replace("+00:00", "Z")


def page_window(fetch: Fetch, start: int, end: int, *, page: int, per_second: int, coverage: Coverage,
                what: str, max_page: int | None = None, max_traces: int | None = None) -> list[SpanRecord]:
    """Spans of every trace ``fetch`` finds in ``[start, end]`` (units of 1/``per_second`` s), newest first.

    ``fetch(lo, hi, limit)`` must cover all of units ``lo`` to ``hi``. ``max_page`` lets a slice one unit
    wide be asked again with up to that many traces; ``max_traces`` stops early (the rest is reported unseen).
    """
    page = max(1, page)
    out: list[SpanRecord] = []
    taken: set[str] = set()
    gaps: list[tuple[int, int, int]] = []
    hi, width, limit = end, end - start, page
    while True:
        lo = max(start, hi - width)
        traces, load = fetch(lo, hi, limit)
        coverage.requests += 1
        if traces >= limit:
            if hi > lo:
                width = (hi - lo) // 2  # too many in this slice: claim nothing, ask a narrower one
                continue
            if max_page is not None and limit < max_page:
                limit = min(max_page, limit * 4)
                continue
            if gaps and gaps[-1][0] == hi + 1:  # next to the last gap: one gap, not two
                gaps[-1] = (lo, gaps[-1][1], max(traces, gaps[-1][2]))
            else:
                gaps.append((lo, hi, traces))
        records = [r for r in load(taken) if r.trace_id not in taken]
        taken.update(r.trace_id for r in records)
        out.extend(records)
        if lo <= start:
            break
        if max_traces is not None and len(taken) >= max_traces:
            coverage.unseen.append(f"{what}: stopped after {len(taken)} traces (the limit); traces starting "
                                   f"between {_when(start, per_second)} and {_when(lo, per_second)} not read")
            break
        # Aim the next slice at half a page, judging by this one's density.
        base = max(width, 1)
        width = min(base * 4, max(base // 2, base * page // max(2 * traces, 1)))
        hi, limit = lo - 1, page
    coverage.unseen[:0] = [f"{what}: saw {n} of at least {n} traces starting between {_when(lo, per_second)} and "
                           f"{_when(hi + 1, per_second)} (the search limit, in a window that cannot be narrowed): "
                           "the rest were not seen" for lo, hi, n in gaps]
    coverage.traces += len(taken)
    return out
