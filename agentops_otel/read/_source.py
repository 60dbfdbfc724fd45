"""One small protocol over files and backends, and the URI scheme that picks one.

The CLI and the pytest plugin take a single ``--source`` string; this maps it to a reader so no
caller needs to know whether the spans come from Jaeger, Tempo or a JSON-lines file.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from agentops_otel.read._record import SpanRecord

TimeArg = datetime | float | int | None
"""A point in time: an aware/naive ``datetime`` (naive = UTC) or unix seconds."""


@runtime_checkable
class Source(Protocol):
    """Where sessions are read from."""

    def trace(self, trace_id: str) -> list[SpanRecord]:
        """All spans of one trace; raises ``TraceNotFound`` when there are none."""
        ...

    def session(self, session_id: str) -> list[SpanRecord]:
        """All spans of one session (and of sessions nested in it), across traces."""
        ...

    def search(
        self,
        since: TimeArg = None,
        until: TimeArg = None,
        service: str | None = None,
        tags: Sequence[str] | None = None,
        state: str | None = None,
        limit: int | None = None,
    ) -> Iterator[SpanRecord]:
        """Spans of the sessions whose root matches every given filter (``limit`` counts sessions)."""
        ...

    def close(self) -> None: ...


def open_source(uri: str, *, timeout: float = 10.0) -> Source:
    """``jaeger://host:16686``, ``http(s)://...`` (Jaeger), ``tempo://host:3200``, or a file path."""
    raise NotImplementedError


__all__ = ["Source", "TimeArg", "open_source"]
