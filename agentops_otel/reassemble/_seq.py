"""The clock groups of one session: the spans one process numbered (``agentops.seq``), and whether their
times disagree with their numbers (see :mod:`agentops_otel._start_order` for what that settles).

Every span's number is read here, so it is read from the raw attribute bytes where it can be
(``LazyAttributes.whole_number``): decoding a tool's attributes means decoding its arguments and result.
Groups whose times agree with their numbers, nearly all of them, leave nothing behind: the walk orders
their steps by time, which is then their order by number too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agentops_otel import semconv as sc
from agentops_otel._start_order import StartOrder
from agentops_otel.read._record import SpanRecord
from agentops_otel.reassemble._classify import seq_of
from agentops_otel.reassemble._state import _Session

__all__ = ["clock_groups"]

_READER_NOTES = frozenset({sc.READ_PARTIAL, sc.READ_UNREADABLE})
"""Put on a resource by the reader, not by the process: two batches of one process may differ in them."""


def _process_key(resource: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """What tells two processes apart: their resources' attributes (the reader's notes left out)."""
    return tuple(sorted((k, repr(v)) for k, v in resource.items() if k not in _READER_NOTES))


def clock_groups(sess: _Session) -> tuple[dict[int, tuple[str, int]], StartOrder | None]:
    """For the spans of the groups whose clock went back: ``id(record) -> (group, seq)``, what the walk
    orders siblings by, and the :class:`StartOrder` the timeline keeps (None when no group's did)."""
    if sess.pseudo:
        return {}, None
    numbered: list[tuple[int, SpanRecord]] = []
    for r in sess.records:
        seq = seq_of(r)
        if seq is not None:
            numbered.append((seq, r))
    if len(numbered) < 2:
        return {}, None
    keys: dict[int, tuple[Any, tuple[tuple[str, str], ...]]] = {}
    groups: dict[tuple[tuple[str, str], ...], list[tuple[int, int, SpanRecord]]] = {}
    for seq, r in numbered:
        res = r.resource
        cached = keys.get(id(res))
        if cached is None:
            cached = keys[id(res)] = (res, _process_key(res))  # the resource is kept: its id is not reused
        groups.setdefault(cached[1], []).append((seq, r.start_ns, r))
    order: dict[int, tuple[str, int]] = {}
    seqs: dict[str, tuple[str, int]] = {}
    back: dict[str, tuple[int, ...]] = {}
    for n, key in enumerate(sorted(groups)):
        members = groups[key]
        members.sort(key=lambda m: (m[0], m[1]))
        went_back = _went_back(members)
        if not went_back:
            continue
        name = f"{sess.key}/{n}"
        back[name] = tuple(went_back)
        for seq, _, r in members:
            order[id(r)] = (name, seq)
            seqs[r.span_id] = (name, seq)
    return order, (StartOrder(seqs, back) if back else None)


def _went_back(members: list[tuple[int, int, SpanRecord]]) -> list[int]:
    """The numbers at which the clock went back (sorted by number): a span started, by its time, before
    one numbered earlier. Nothing when a number repeats (a copy of the same span aside): a forked child
    numbers on like its parent, so the group's numbers order nothing."""
    found: list[int] = []
    latest = -1
    prev: tuple[int, int, SpanRecord] | None = None
    for m in members:
        seq, start, r = m
        if prev is not None and prev[0] == seq:
            if prev[2].span_id != r.span_id or prev[2].trace_id != r.trace_id:
                return []
            continue  # the same span exported twice
        if start < latest:
            found.append(seq)
        elif start > latest:
            latest = start
        prev = m
    return found
