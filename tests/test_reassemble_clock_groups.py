"""Where a process's clock went back, found the same way whatever the numbering: repeats, ties, copies, processes."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from agentops_otel import semconv as sc
from agentops_otel.read._lazyattrs import LazyAttributes
from agentops_otel.read._record import SpanRecord
from agentops_otel.reassemble._classify import seq_of
from agentops_otel.reassemble._seq import _process_key, clock_groups
from agentops_otel.reassemble._state import _Session

TRACE = "1" * 32
_PROCESSES = ({"service.name": "agent", "service.instance.id": "p1"},
              {"service.name": "agent", "service.instance.id": "p2"})
_SHARED = tuple(dict(p) for p in _PROCESSES)


def _plain_reading(sess: _Session) -> tuple[dict[int, tuple[str, int]], Any]:
    """Every numbered span by process, sorted by (number, start); the clock went back where a span started
    before one numbered earlier; a number given to two spans orders nothing."""
    groups: dict[Any, list[tuple[int, int, SpanRecord]]] = {}
    numbered = [(seq, r) for r in sess.records if (seq := seq_of(r)) is not None]
    if len(numbered) < 2:
        return {}, None
    for seq, r in numbered:
        groups.setdefault(_process_key(r.resource), []).append((seq, r.start_ns, r))
    order: dict[int, tuple[str, int]] = {}
    seqs: dict[str, tuple[str, int]] = {}
    back: dict[str, tuple[int, ...]] = {}
    for n, key in enumerate(sorted(groups)):
        members = sorted(groups[key], key=lambda m: (m[0], m[1]))
        found: list[int] = []
        latest, prev = -1, None
        for seq, start, r in members:
            if prev is not None and prev[0] == seq:
                if (prev[2].span_id, prev[2].trace_id) != (r.span_id, r.trace_id):
                    found = []
                    break
                continue
            if start < latest:
                found.append(seq)
            latest = max(latest, start)
            prev = (seq, start, r)
        if found:
            back[f"{sess.key}/{n}"] = tuple(found)
            for seq, _, r in members:
                order[id(r)] = seqs[r.span_id] = (f"{sess.key}/{n}", seq)
    return order, (seqs, back) if back else None


_SPANS = st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 6)), st.integers(0, 5), st.integers(0, 1),
                            st.booleans(), st.booleans(), st.integers(0, 9)), max_size=12)


@settings(max_examples=400)
@given(_SPANS)
def test_clock_groups_are_the_plain_readings(spans: list[tuple[int | None, int, int, bool, bool, int]]) -> None:
    """Lazy or plain attributes, shared or equal resources, copies of one span: the same groups, in the same order."""
    records: list[SpanRecord] = []
    for i, (seq, start, process, lazy, shared, copy_of) in enumerate(spans):
        if copy_of < len(records) and copy_of < 3:
            records.append(records[copy_of] if lazy else SpanRecord(
                records[copy_of].trace_id, records[copy_of].span_id, None, "execute_tool t", 0, start, start + 1,
                attributes=records[copy_of].attributes, resource=records[copy_of].resource))
            continue
        attrs: dict[str, Any] = {sc.SESSION_ID: "s1"} if seq is None else {sc.SESSION_ID: "s1", sc.SEQ: seq}
        kvs = [{"key": k, "value": {"intValue": str(v)} if k == sc.SEQ else {"stringValue": v}}
               for k, v in attrs.items()]
        mapping: Any = LazyAttributes(json.dumps(kvs, separators=(",", ":")).encode()) if lazy else attrs
        resource = _SHARED[process] if shared else dict(_PROCESSES[process])
        records.append(SpanRecord(TRACE, f"{i:016x}", None, "execute_tool t", 0, start, start + 1, attributes=mapping,
                                  resource=resource))
    expected_order, expected = _plain_reading(_Session("s1", records, False))
    order, found = clock_groups(_Session("s1", records, False))
    assert list(order.items()) == list(expected_order.items())
    assert (None if found is None else (list(found.seqs.items()), found.back)) == (
        None if expected is None else (list(expected[0].items()), expected[1]))
