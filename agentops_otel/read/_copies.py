"""Two copies of one span (same trace and span id) that say different things.

Copies of a span are normal: an exporter's retry, a batch the backend took but did not acknowledge
that the fallback file kept too, a trace found twice while paging. Such copies are identical, and one
is dropped. Copies that differ (another writer reusing ids, a hand edit, a pipeline that rewrote the
span on one path) contradict each other, and the copy a reader keeps would decide the verdict: the
first in the file, or the one that ended last. So the session names the span and what its copies
disagree on (``Issue.CONFLICTING_COPIES``), and the gate does not judge it. A reader that drops copies
itself (a backend's trace found under two services) drops only the exact ones (:func:`drop_copies`), so
the reassembler sees the others.

Everything a verdict reads is compared: times, status, name, parent, scope, attributes and events.
Not the resource: a collector on one path may add to it (``k8s.*``, ``deployment.*``) and the verdicts
read none of it. Compared only when a span id is seen again, and the attribute bytes first, so a
source without copies pays nothing and one with identical copies one byte comparison each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from agentops_otel._otlp_values import same_value
from agentops_otel.read._lazyattrs import LazyAttributes
from agentops_otel.read._record import SpanRecord

__all__ = ["differences", "drop_copies"]

_ABSENT: Final[Any] = object()


def differences(a: SpanRecord, b: SpanRecord) -> set[str]:
    """What two copies of one span disagree on, by field or attribute name (empty: the same span)."""
    found = {label for label, x, y in (
        ("start time", a.start_ns, b.start_ns), ("end time", a.end_ns, b.end_ns),
        ("status", a.status_code, b.status_code), ("status message", a.status_message, b.status_message),
        ("name", a.name, b.name), ("parent", a.parent_span_id, b.parent_span_id), ("kind", a.kind, b.kind),
        ("scope", a.scope, b.scope)) if x != y}
    found.update(_attributes(a.attributes, b.attributes))
    if a.events != b.events and not _same_events(a, b):
        found.add("events")
    return found


def drop_copies(records: Iterable[SpanRecord]) -> list[SpanRecord]:
    """The records without the exact copies of a span kept before; a copy that differs is kept too."""
    first: dict[tuple[str, str], SpanRecord] = {}
    out: list[SpanRecord] = []
    for r in records:
        key = (r.trace_id, r.span_id)
        o = first.get(key)
        if o is None:
            first[key] = r
            out.append(r)
        elif o is not r and differences(o, r):
            out.append(r)
    return out


def _attributes(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    if a is b:
        return []
    if isinstance(a, LazyAttributes) and isinstance(b, LazyAttributes) and bytes(a.raw) == bytes(b.raw):
        return []  # the same text: the same values, whatever a decode makes of them
    try:
        da, db = _plain(a), _plain(b)
        return [k for k in sorted(da.keys() | db.keys()) if not same_value(da.get(k, _ABSENT), db.get(k, _ABSENT))]
    except RecursionError:  # nested past what can be compared: not shown to be the same
        return ["attributes"]


def _plain(attrs: Mapping[str, Any]) -> Mapping[str, Any]:
    return attrs.decoded() if isinstance(attrs, LazyAttributes) else attrs


def _same_events(a: SpanRecord, b: SpanRecord) -> bool:
    """Events compared by value (NaN equal to NaN, as for attributes)."""
    if len(a.events) != len(b.events):
        return False
    try:
        return all(x.name == y.name and x.time_ns == y.time_ns and same_value(dict(x.attributes), dict(y.attributes))
                   for x, y in zip(a.events, b.events, strict=True))
    except RecursionError:
        return False
