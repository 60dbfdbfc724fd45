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
from agentops_otel.read._lazyattrs import UNKNOWN
from agentops_otel.read._record import SpanRecord
from agentops_otel.reassemble._classify import _LAZY, seq_of
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
    # Every span of every reassembly passes here (0.035 s of 50k spans through seq_of and a key per span):
    # a lazy mapping's cached number is read off it, a group is looked up once per run of spans sharing a
    # resource object, and members sort as plain (seq, start, index) tuples.
    lazy, unknown = _LAZY, UNKNOWN
    keys: dict[int, tuple[Any, tuple[tuple[str, str], ...]]] = {}
    groups: dict[tuple[tuple[str, str], ...], tuple[list[tuple[int, int, int]], list[SpanRecord]]] = {}
    prev_res: Any = None
    ranked: list[tuple[int, int, int]] = []
    recs: list[SpanRecord] = []
    numbered = 0
    for r in sess.records:
        attrs = r.attributes
        if type(attrs) is lazy:
            seq = attrs._seq  # type: ignore[attr-defined]
            if seq is unknown:
                seq = attrs.seq()  # type: ignore[attr-defined]
        else:
            seq = seq_of(r)
        if seq is None:
            continue
        numbered += 1
        res = r.resource
        if res is not prev_res:
            cached = keys.get(id(res))
            if cached is None:
                cached = keys[id(res)] = (res, _process_key(res))  # the resource is kept: its id is not reused
            found = groups.get(cached[1])
            if found is None:
                found = groups[cached[1]] = ([], [])
            ranked, recs = found
            prev_res = res
        ranked.append((seq, r.start_ns, len(recs)))
        recs.append(r)
    if numbered < 2:
        return {}, None
    order: dict[int, tuple[str, int]] = {}
    seqs: dict[str, tuple[str, int]] = {}
    back: dict[str, tuple[int, ...]] = {}
    for n, key in enumerate(sorted(groups)):
        ranked, recs = groups[key]
        # By number, then start; equal pairs keep their order (as a stable sort on (seq, start) would).
        ranked.sort()
        went_back = _went_back(ranked, recs)
        if not went_back:
            continue
        name = f"{sess.key}/{n}"
        back[name] = tuple(went_back)
        for seq, _, i in ranked:
            r = recs[i]
            order[id(r)] = (name, seq)
            seqs[r.span_id] = (name, seq)
    return order, (StartOrder(seqs, back) if back else None)


def _went_back(ranked: list[tuple[int, int, int]], recs: list[SpanRecord]) -> list[int]:
    """The numbers at which the clock went back (``ranked``: ``(seq, start, index in recs)`` sorted): a span
    started, by its time, before one numbered earlier. Nothing when a number repeats (a copy of the same span
    aside): a forked child numbers on like its parent, so the group's numbers order nothing."""
    found: list[int] = []
    latest = -1
    prev_seq = -1
    prev_i = -1
    for seq, start, i in ranked:
        if prev_i >= 0 and prev_seq == seq:
            a, b = recs[prev_i], recs[i]
            if a.span_id != b.span_id or a.trace_id != b.trace_id:
                return []
            continue  # the same span exported twice
        if start < latest:
            found.append(seq)
        elif start > latest:
            latest = start
        prev_seq, prev_i = seq, i
    return found
