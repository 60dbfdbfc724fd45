"""SDK spans (e.g. from an ``InMemorySpanExporter``) as records: the path tests replay through."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from types import MappingProxyType
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan

from agentops_otel.read._record import SpanEventRecord, SpanRecord

_EMPTY: MappingProxyType[str, Any] = MappingProxyType({})


def records_from_spans(spans: Iterable[ReadableSpan]) -> Iterator[SpanRecord]:
    """Convert finished SDK spans; an unfinished one gets ``end_ns == start_ns``.

    Attributes are copied: the SDK's mappings belong to the span, and a record must not change
    under a reader's feet if a (buggy) caller keeps mutating a live span.
    """
    resources: dict[int, MappingProxyType[str, Any]] = {}
    for span in spans:
        ctx = span.context
        if ctx is None:
            continue
        parent = span.parent
        res = span.resource
        resource = resources.get(id(res))
        if resource is None:
            resource = resources[id(res)] = MappingProxyType(dict(res.attributes)) if res is not None else _EMPTY
        start = span.start_time or 0
        status = span.status
        scope = span.instrumentation_scope
        yield SpanRecord(
            trace_id=format(ctx.trace_id, "032x"),
            span_id=format(ctx.span_id, "016x"),
            parent_span_id=format(parent.span_id, "016x") if parent is not None and parent.span_id else None,
            name=span.name,
            kind=int(span.kind.value),
            start_ns=start,
            end_ns=span.end_time if span.end_time is not None else start,
            status_code=int(status.status_code.value) if status is not None else 0,
            status_message=(status.description or "") if status is not None else "",
            attributes=MappingProxyType(dict(span.attributes or {})),
            events=tuple(
                SpanEventRecord(ev.name, ev.timestamp, MappingProxyType(dict(ev.attributes or {})))
                for ev in span.events
            ),
            resource=resource,
            scope=scope.name if scope is not None else "",
        )


__all__ = ["records_from_spans"]
