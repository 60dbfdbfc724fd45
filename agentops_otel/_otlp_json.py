"""OTLP JSON lines, as the OpenTelemetry Collector's file exporter writes them.

One ``{"resourceSpans": [...]}`` object per line (per export batch): hex ids, int64 values as
strings, enums as integers, camelCase keys. Writing the collector's own format means the embedded
default sink, a collector's file exporter and our readers all speak one dialect. Attribute values
are encoded by ``_otlp_values``, which also holds their decoding, so the two directions stay one.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import msgspec
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from . import _forksafe
from ._guard import report
from ._otlp_values import attributes_to_key_values
from ._private import private_folder
from ._serialize import str_subclass_as_str

_encoder = msgspec.json.Encoder(enc_hook=str_subclass_as_str)


def span_to_json(span: ReadableSpan) -> dict[str, Any]:
    ctx = span.context
    out: dict[str, Any] = {
        "traceId": format(ctx.trace_id, "032x") if ctx else "",
        "spanId": format(ctx.span_id, "016x") if ctx else "",
        "name": span.name,
        "kind": span.kind.value + 1,  # the SDK's INTERNAL is 0; OTLP's SPAN_KIND_INTERNAL is 1
        "startTimeUnixNano": str(span.start_time or 0),
        "endTimeUnixNano": str(span.end_time or 0),
        "attributes": attributes_to_key_values(span.attributes),
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
            {"timeUnixNano": str(e.timestamp), "name": e.name, "attributes": attributes_to_key_values(e.attributes)}
            for e in span.events
        ]
    if span.links:
        out["links"] = [
            {"traceId": format(link.context.trace_id, "032x"), "spanId": format(link.context.span_id, "016x"),
             "attributes": attributes_to_key_values(link.attributes)}
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
            "resource": {"attributes": attributes_to_key_values(resource.attributes if resource else None)},
            "scopeSpans": [
                {"scope": {"name": name, **({"version": version} if version else {})}, "spans": items}
                for (name, version), items in scopes.items()
            ],
        })
    return _encoder.encode({"resourceSpans": resource_spans})


class OTLPJsonFileExporter(SpanExporter):
    """Appends each batch as one JSON line; the file and its folder are created on first write.

    Traces hold prompts and tool arguments, so what we create is private: the file 0600, and any
    folder we create 0700 with a ``.gitignore`` (``*``) so a run inside a repository leaves
    ``git status`` clean. ``own_folder`` marks the folder as ours even when it exists already (the
    embedded default ``.agentops-otel``, perhaps left by an older version): it is tightened the same
    way. A folder of the user's that already exists is never changed.
    """

    def __init__(self, path: str | os.PathLike[str], own_folder: bool = False) -> None:
        self.path = os.fspath(path)
        self.own_folder = own_folder
        self._lock = _forksafe.lock()
        self._fd: int | None = None
        self._closed = False

    def _open(self) -> int:
        folder = os.path.dirname(self.path)
        if folder:
            private_folder(folder, folder if self.own_folder else None)
        return os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def _write(self, fd: int, line: bytes) -> None:
        """The whole line, with plain ``os.write``: a buffered file object has a lock of its own, which a
        forked child would find held for good if the parent's export was inside a write at the fork."""
        view = memoryview(line)
        while view:
            written = os.write(fd, view)
            if not written:
                raise OSError(f"no room to write to {self.path}")
            view = view[written:]

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._closed:
            return SpanExportResult.FAILURE
        try:
            line = encode_batch(spans) + b"\n"
            with self._lock:
                if self._fd is None:
                    self._fd = self._open()
                self._write(self._fd, line)
            return SpanExportResult.SUCCESS
        except Exception as exc:
            report("file_exporter.export", exc)
            return SpanExportResult.FAILURE

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
