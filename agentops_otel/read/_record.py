"""The one neutral span shape every reader produces and the reassembler consumes.

Readers differ wildly in what they get (SDK objects, three OTLP JSON dialects); downstream code must
not. The record is immutable so a reassembly can share it between timelines without copies, and it
is a ``msgspec.Struct`` without GC tracking because a million of them must stay cheap to build and
to hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import msgspec

from agentops_otel.semconv import (
    INSTRUMENTATION_SCOPE,
    SERVICE_NAME,
    SESSION_END_STATE,
    SESSION_ID,
    SPAN_SESSION,
)

_EMPTY: Mapping[str, Any] = MappingProxyType({})


class SpanEventRecord(msgspec.Struct, frozen=True, gc=False):
    """A span event; exceptions are ``exception`` events with ``exception.type/message/stacktrace``."""

    name: str
    time_ns: int
    attributes: Mapping[str, Any] = _EMPTY


class SpanRecord(msgspec.Struct, frozen=True, gc=False):
    """One finished span, independent of where it was read from.

    Ids are lowercase hex (32 / 16 characters) whatever the wire used. ``attributes`` may be a lazy,
    compact mapping: treat it as read-only.
    """

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: int
    """OpenTelemetry SpanKind value (0 internal, 1 server, 2 client, 3 producer, 4 consumer)."""
    start_ns: int
    end_ns: int
    status_code: int = 0
    """0 unset, 1 ok, 2 error."""
    status_message: str = ""
    attributes: Mapping[str, Any] = _EMPTY
    events: tuple[SpanEventRecord, ...] = ()
    resource: Mapping[str, Any] = _EMPTY
    scope: str = ""

    @property
    def session_id(self) -> str | None:
        value = self.attributes.get(SESSION_ID)
        if value is None or value == "":
            return None
        return value if isinstance(value, str) else str(value)

    @property
    def duration_ns(self) -> int:
        return self.end_ns - self.start_ns

    @property
    def service_name(self) -> str | None:
        value = self.resource.get(SERVICE_NAME)
        return value if isinstance(value, str) else None


def is_session_root(rec: SpanRecord) -> bool:
    """Our session root: ``invoke_agent …`` from our scope, or any span carrying an end state.

    A foreign ``invoke_agent`` span (another agent framework's instrumentation) inside a session
    carries the session's id too, but neither our scope nor an end state.
    """
    if not rec.name.startswith(SPAN_SESSION):
        return False
    return rec.scope.startswith(INSTRUMENTATION_SCOPE) or rec.attributes.get(SESSION_END_STATE) is not None


__all__ = ["SpanEventRecord", "SpanRecord", "is_session_root"]
