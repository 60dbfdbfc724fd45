"""A batch the backend did not take is written to the local file instead of being dropped.

The SDK's OTLP exporters retry a failed batch with back-off until their timeout (10 s by default),
then drop it, and the batch processor ignores the result. Wrapping the exporter of the provider we
build gives what the SDK does not: the dropped batch is appended to the local OTLP JSON lines file
(the embedded sink's format, so ``agentops-otel replay`` reads it); ``flush()`` can tell that an
export failed; and at exit the wait for a dead backend can be cut short (:func:`abandon_all`) with the
batch in flight saved to the file first.

Only exporters we build are wrapped: a provider the user configured keeps exactly the exporters they gave it.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from ._guard import guard, report

_registry: weakref.WeakSet[FallbackExporter] = weakref.WeakSet()
_registry_lock = threading.Lock()


class FallbackExporter(SpanExporter):
    """Exports through ``primary``; what it fails to send goes to ``fallback`` (the local file), if any."""

    def __init__(self, primary: SpanExporter, fallback: SpanExporter | None = None) -> None:
        self.primary = primary
        self.fallback = fallback
        self._lock = threading.Lock()
        self._failures = 0
        self._abandoned = False
        self._in_flight: dict[int, Sequence[ReadableSpan]] = {}
        """Batches the primary is working on, by call, so that :meth:`abandon` can save them."""
        with _registry_lock:
            _registry.add(self)

    @property
    def failures(self) -> int:
        """Batches not delivered by the primary since this exporter was built."""
        return self._failures

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._abandoned:
            return self._spill(spans)
        call = object()
        with self._lock:
            self._in_flight[id(call)] = spans
        try:
            result = self.primary.export(spans)
        except Exception as exc:
            report("fallback_exporter.export", exc)
            result = SpanExportResult.FAILURE
        with self._lock:
            still_ours = self._in_flight.pop(id(call), None) is not None
        if result is SpanExportResult.SUCCESS:
            return result
        if still_ours:  # otherwise abandon() has already saved this batch
            self._spill(spans)
        return SpanExportResult.FAILURE

    def _spill(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Count the batch as not sent and keep it in the fallback file."""
        with self._lock:
            self._failures += 1
        if self.fallback is not None:
            self.fallback.export(spans)
        return SpanExportResult.FAILURE

    def abandon(self) -> None:
        """Stop waiting for the backend: the batch in flight is saved now, later ones go straight to the file.

        Shutting the primary down is what interrupts the OTLP exporters' retry back-off, so the batch
        processor's queue drains (into the file) within moments instead of after the exporter's timeout.
        """
        if self.fallback is None:
            return  # nothing to fall back to: the primary is the file itself, and it doesn't retry
        with self._lock:
            if self._abandoned:
                return
            self._abandoned = True
            in_flight = list(self._in_flight.values())
            self._in_flight.clear()
        for spans in in_flight:
            self._spill(spans)
        with guard("fallback_exporter.abandon"):
            self.primary.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.primary.force_flush(timeout_millis)

    def shutdown(self) -> None:
        with guard("fallback_exporter.shutdown"):
            if not self._abandoned:
                self.primary.shutdown()
        if self.fallback is not None:
            with guard("fallback_exporter.shutdown"):
                self.fallback.shutdown()


def failures() -> int:
    """Failed batches across every exporter we built: a flush compares it before and after."""
    with _registry_lock:
        return sum(exporter.failures for exporter in _registry)


def abandon_all() -> None:
    """At the exit deadline: stop every exporter we built from waiting for its backend."""
    with _registry_lock:
        exporters = list(_registry)
    for exporter in exporters:
        exporter.abandon()
