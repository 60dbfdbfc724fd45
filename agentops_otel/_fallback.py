"""A batch the backend did not take is written to the local file instead of being dropped.

The SDK's OTLP exporters retry a failed batch with back-off until their timeout (10 s by default),
then drop it, and the batch processor ignores the result. Wrapping the exporter of the provider we
build gives what the SDK does not: the dropped batch is appended to the local OTLP JSON lines file
(the embedded sink's format, so ``agentops-otel replay`` reads it); ``flush()`` can tell that an
export failed; and at exit the wait for a dead backend can be cut short (:func:`abandon_all`) with the
batch in flight saved to the file first.

Cutting it short needs the export call itself to return: the batch processor holds its export lock
for the whole call, so while an OTLP/HTTP request waits for a backend that accepted the connection and
never answers (up to ``OTEL_EXPORTER_OTLP_TIMEOUT``, 10 s), neither the rest of the queue nor the
provider's shutdown can move, and shutting the exporter down does not wake a blocked socket read. So
the OTLP exporter is called on a helper thread and ``export`` waits for it or for :meth:`abandon`,
whichever comes first; an abandoned request finishes (or times out) on its own, off the way out.

Only exporters we build are wrapped: a provider the user configured keeps exactly the exporters they gave it.
"""

from __future__ import annotations

import contextvars
import os
import threading
import weakref
from collections.abc import Callable, Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from . import _forksafe
from ._guard import guard, report

_registry: weakref.WeakSet[FallbackExporter] = weakref.WeakSet()
_registry_lock = _forksafe.lock()
_failed = 0
"""Batches not delivered by any exporter we built, ever (a count that outlives the exporters)."""
_reported = 0
""":data:`_failed` when :func:`failed_since_asked` was last called."""


class _Call:
    """One batch handed to the primary; ``done`` is set when it returns, or when :meth:`abandon` gives up on it."""

    def __init__(self, spans: Sequence[ReadableSpan]) -> None:
        self.spans = spans
        self.result = SpanExportResult.FAILURE
        self.done = threading.Event()


class FallbackExporter(SpanExporter):
    """Exports through ``primary``; what it fails to send goes to ``fallback`` (the local file), if any."""

    def __init__(self, primary: SpanExporter, fallback: SpanExporter | None = None) -> None:
        self.primary = primary
        self.fallback = fallback
        self._lock = _forksafe.lock()
        self._failures = 0
        self._abandoned = False
        self._in_flight: dict[int, _Call] = {}
        """Batches the primary is working on, by call, so that :meth:`abandon` can save them."""
        with _registry_lock:
            _registry.add(self)

    @property
    def failures(self) -> int:
        """Batches not delivered by the primary since this exporter was built."""
        return self._failures

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        call = _Call(spans)
        with self._lock:
            abandoned = self._abandoned
            if not abandoned:
                self._in_flight[id(call)] = call
        if abandoned:
            return self._spill(spans)
        if self.fallback is None:
            self._send(call)  # the primary is the local file or the console: nothing to wait for
        else:
            _beside(self._send, call)
            call.done.wait()
        with self._lock:
            still_ours = self._in_flight.pop(id(call), None) is not None
        if not still_ours:  # abandon() has already saved this batch
            return SpanExportResult.FAILURE
        if call.result is SpanExportResult.SUCCESS:
            return call.result
        return self._spill(spans)

    def _send(self, call: _Call) -> None:
        try:
            call.result = self.primary.export(call.spans)
        except Exception as exc:
            report("fallback_exporter.export", exc)
        finally:
            call.done.set()

    def _spill(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Count the batch as not sent and keep it in the fallback file."""
        self._count_failure()
        if self.fallback is not None:
            self.fallback.export(spans)
        return SpanExportResult.FAILURE

    def _count_failure(self) -> None:
        global _failed
        with self._lock:
            self._failures += 1
        with _registry_lock:
            _failed += 1

    def keep(self, spans: Sequence[ReadableSpan]) -> None:
        """Spans the batch queue had no room for (:mod:`._overflow`): written to the local file now.

        With a backend they go to the fallback file and count as not delivered; when the file (or the
        console) is the destination itself, they are written there like any batch.
        """
        if self.fallback is not None:
            self._spill(spans)
        elif self.primary.export(spans) is not SpanExportResult.SUCCESS:
            self._count_failure()

    @property
    def keeps_to(self) -> str:
        """Where :meth:`keep` writes, in words, for the one warning that says so."""
        target = self.fallback if self.fallback is not None else self.primary
        path = getattr(target, "path", None)
        return f"the local file {path}" if isinstance(path, str) else type(target).__name__

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
        for call in in_flight:
            self._spill(call.spans)
            call.done.set()  # the batch processor's export returns now, and its queue drains to the file
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


def _forget_parents_batches() -> None:
    """In a forked child the batches in flight are the parent's: the parent delivers them or saves them
    to the file. Saving them again at the child's exit deadline (:meth:`FallbackExporter.abandon`) would
    write them twice."""
    for exporter in list(_registry):
        exporter._in_flight = {}


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_parents_batches)


def _beside(send: Callable[[_Call], None], call: _Call) -> None:
    """Run ``send(call)`` on a daemon thread, in the caller's context (the batch processor's
    suppress-instrumentation flag must travel, or an instrumented HTTP client would trace our export)."""
    context = contextvars.copy_context()
    try:
        threading.Thread(target=context.run, args=(send, call), name="agentops-otel-otlp", daemon=True).start()
    except RuntimeError:  # no new threads while the interpreter finalises: send it here
        context.run(send, call)


def failed_since_asked(*, consume: bool = True) -> bool:
    """Whether a batch of any exporter we built was not delivered since the last call: a flush (or the
    exit) answers for everything since the previous one, not only for what failed while it waited.

    ``consume=False`` asks without moving the mark: for flushes of our own (on SIGTERM, for a failing
    test's link), which must not hide a failure from the program's next ``flush()``."""
    global _reported
    with _registry_lock:
        previous = _reported
        if consume:
            _reported = _failed
        return _failed != previous


def abandon_all() -> None:
    """At the exit deadline: stop every exporter we built from waiting for its backend."""
    with _registry_lock:
        exporters = list(_registry)
    for exporter in exporters:
        exporter.abandon()
