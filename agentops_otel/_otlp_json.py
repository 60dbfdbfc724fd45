"""OTLP JSON lines, as the OpenTelemetry Collector's file exporter writes them.

One ``{"resourceSpans": [...]}`` object per line (per export batch): hex ids, int64 values as
strings, enums as integers, camelCase keys. Writing the collector's own format means the embedded
default sink, a collector's file exporter and our readers all speak one dialect.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from ._guard import report

_encoder = msgspec.json.Encoder()


def encode_any_value(value: Any) -> dict[str, Any]:
    """One attribute value in OTLP's ``AnyValue`` JSON shape."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, bytes):
        import base64

        return {"bytesValue": base64.b64encode(value).decode()}
    if isinstance(value, Sequence):
        return {"arrayValue": {"values": [encode_any_value(v) for v in value]}}
    if isinstance(value, Mapping):
        return {"kvlistValue": {"values": key_values(value)}}
    return {"stringValue": str(value)}


def key_values(attrs: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    return [{"key": k, "value": encode_any_value(v)} for k, v in (attrs or {}).items()]


def span_to_json(span: ReadableSpan) -> dict[str, Any]:
    ctx = span.context
    out: dict[str, Any] = {
        "traceId": format(ctx.trace_id, "032x") if ctx else "",
        "spanId": format(ctx.span_id, "016x") if ctx else "",
        "name": span.name,
        "kind": span.kind.value + 1,  # the SDK's INTERNAL is 0; OTLP's SPAN_KIND_INTERNAL is 1
        "startTimeUnixNano": str(span.start_time or 0),
        "endTimeUnixNano": str(span.end_time or 0),
        "attributes": key_values(span.attributes),
        "status": {"code": span.status.status_code.value},
    }
    if ctx is not None and ctx.trace_state:
        out["traceState"] = ctx.trace_state.to_header()
    if span.parent is not None:
        out["parentSpanId"] = format(span.parent.span_id, "016x")
    if span.status.description:
        out["status"]["message"] = span.status.description
    if span.events:
        out["events"] = [
            {"timeUnixNano": str(e.timestamp), "name": e.name, "attributes": key_values(e.attributes)}
            for e in span.events
        ]
    if span.links:
        out["links"] = [
            {"traceId": format(link.context.trace_id, "032x"), "spanId": format(link.context.span_id, "016x"),
             "attributes": key_values(link.attributes)}
            for link in span.links
        ]
    return out


def encode_batch(spans: Sequence[ReadableSpan]) -> bytes:
    """Group spans by resource and scope, the way OTLP nests them."""
    by_resource: dict[int, tuple[Any, dict[tuple[str, str], list[dict[str, Any]]]]] = {}
    for span in spans:
        resource = span.resource
        entry = by_resource.setdefault(id(resource), (resource, {}))
        scope = span.instrumentation_scope
        key = (scope.name if scope else "", (scope.version or "") if scope else "")
        entry[1].setdefault(key, []).append(span_to_json(span))
    resource_spans = []
    for resource, scopes in by_resource.values():
        resource_spans.append({
            "resource": {"attributes": key_values(resource.attributes if resource else None)},
            "scopeSpans": [
                {"scope": {"name": name, **({"version": version} if version else {})}, "spans": items}
                for (name, version), items in scopes.items()
            ],
        })
    return _encoder.encode({"resourceSpans": resource_spans})


class OTLPJsonFileExporter(SpanExporter):
    """Appends each batch as one JSON line; the file and its folder are created on first write."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._lock = threading.Lock()
        self._file: Any = None
        self._closed = False

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._closed:
            return SpanExportResult.FAILURE
        try:
            line = encode_batch(spans) + b"\n"
            with self._lock:
                if self._file is None:
                    folder = os.path.dirname(self.path)
                    if folder:
                        os.makedirs(folder, exist_ok=True)
                    self._file = open(self.path, "ab")  # noqa: SIM115 - kept open across batches
                self._file.write(line)
                self._file.flush()
            return SpanExportResult.SUCCESS
        except Exception as exc:
            report("file_exporter.export", exc)
            return SpanExportResult.FAILURE

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            if self._file is not None:
                self._file.close()
                self._file = None
