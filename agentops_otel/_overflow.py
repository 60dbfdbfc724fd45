"""The batch processor of the provider we build: spans its full queue has no room for go to the local file.

The SDK's ``BatchSpanProcessor`` holds at most ``OTEL_BSP_MAX_QUEUE_SIZE`` spans (2048) waiting for the
exporter; past that it drops one for each new span, logs "Queue full, dropping Span." and tells no one
(no count, no failed result). A burst of spans while the backend is slow then loses data quietly, and
``flush()`` had no way to know. Here the queue keeps its size and the SDK keeps doing all the batching;
only the span that would push one out is diverted: it waits in an overflow list and is written, in
batches and off the program's thread, to the local file (through :meth:`FallbackExporter.keep`, which
counts it as not delivered, so ``flush()`` and the exit path say so). We log that once, with the setting
to raise.

The check in ``on_end`` (every span, on the program's thread) is one ``len()`` of the SDK's deque: no
lock. Two threads can both pass it with one free place left; the SDK's deque is built with
:data:`_SLACK` places beyond the limit so that such a race never makes it push a span out. That needs
two private fields of the SDK's processor (``_batch_processor._queue`` and ``_max_queue_size``); an SDK
without them keeps its own behaviour.
"""

from __future__ import annotations

import collections
import logging
import os
import threading
import weakref
from collections.abc import Callable
from typing import Final

from opentelemetry.sdk.environment_variables import (
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
    OTEL_BSP_MAX_QUEUE_SIZE,
    OTEL_BSP_SCHEDULE_DELAY,
)
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from ._fallback import FallbackExporter
from ._guard import guard
from .config import config_warning, positive_int_env

logger = logging.getLogger("agentops_otel")

_SLACK: Final = 1024
"""Places beyond the limit: spans of threads racing past the ``len()`` check at once still fit."""


_SDK_QUEUE: Final = 2048
_SDK_DELAY_MILLIS: Final = 5000
_SDK_BATCH: Final = 512
"""The SDK's defaults for the three ``OTEL_BSP_*`` sizes it refuses to start with when they are wrong."""


def batch_settings() -> tuple[int, int, int]:
    """Queue size, schedule delay and batch size from the ``OTEL_BSP_*`` variables, each usable.

    The SDK's processor raises on a zero or negative value, or on a batch larger than the queue: with no
    processor there is no provider, and every span of the run (LLM calls included) was lost behind one
    log line. A bad value is named instead and the SDK's default used in its place.
    """
    queue = positive_int_env(OTEL_BSP_MAX_QUEUE_SIZE, _SDK_QUEUE)
    delay = positive_int_env(OTEL_BSP_SCHEDULE_DELAY, _SDK_DELAY_MILLIS)
    batch = positive_int_env(OTEL_BSP_MAX_EXPORT_BATCH_SIZE, _SDK_BATCH)
    if batch > queue:
        fitted = min(_SDK_BATCH, queue)
        raw_batch = os.environ.get(OTEL_BSP_MAX_EXPORT_BATCH_SIZE)
        if raw_batch is not None and raw_batch.strip():
            config_warning(OTEL_BSP_MAX_EXPORT_BATCH_SIZE, raw_batch,
                           f"is more than the queue holds ({OTEL_BSP_MAX_QUEUE_SIZE} {queue}); using {fitted}")
        else:
            config_warning(OTEL_BSP_MAX_QUEUE_SIZE, os.environ.get(OTEL_BSP_MAX_QUEUE_SIZE, ""),
                           f"is less than a batch ({OTEL_BSP_MAX_EXPORT_BATCH_SIZE} {batch}); "
                           f"exporting batches of {fitted}")
        batch = fitted
    return queue, delay, batch


class OverflowingBatchSpanProcessor(BatchSpanProcessor):
    """The SDK's batch processor, except that a full queue overflows to the local file instead of dropping."""

    def __init__(self, exporter: FallbackExporter) -> None:
        sizes = batch_settings()
        super().__init__(exporter, max_queue_size=sizes[0], schedule_delay_millis=sizes[1],
                         max_export_batch_size=sizes[2])
        self._keeper = exporter
        self._overflow: collections.deque[ReadableSpan] = collections.deque()
        self._warned = False
        self._writing = False
        self._write_lock = threading.Lock()
        """One writer at a time, so a flush returns only once a batch another writer took is written."""
        self._closed = False
        self._queue: collections.deque[ReadableSpan] | None = None
        inner = getattr(self, "_batch_processor", None)
        queue = getattr(inner, "_queue", None)
        limit = getattr(inner, "_max_queue_size", None)
        if inner is not None and isinstance(queue, collections.deque) and isinstance(limit, int) \
                and queue.maxlen == limit and not queue:
            self._limit = limit
            self._batch = int(getattr(inner, "_max_export_batch_size", 512))
            self._queue = collections.deque(maxlen=limit + _SLACK)
            inner._queue = self._queue
            inner._max_queue_size = limit + _SLACK
            _processors.add(self)

    def _after_fork(self) -> None:
        """In a forked child: the parent's overflow is the parent's to write, and a writer thread that was
        running at the fork does not exist here: its lock and flag would block every flush for good."""
        self._overflow.clear()
        self._write_lock = threading.Lock()
        self._writing = False

    def on_end(self, span: ReadableSpan) -> None:
        queue = self._queue
        if queue is None or len(queue) < self._limit or self._closed:
            BatchSpanProcessor.on_end(self, span)  # not super(): ~100 ns less, on every span
            return
        if not (span.context and span.context.trace_flags.sampled):
            return
        self._overflow.append(span)
        if not self._warned:
            self._warned = True
            logger.warning("agentops_otel: the batch queue is full (OTEL_BSP_MAX_QUEUE_SIZE=%d): the backend "
                           "takes spans more slowly than the program makes them; what does not fit goes to %s "
                           "instead. Raise OTEL_BSP_MAX_QUEUE_SIZE to send bursts like this one to the backend.",
                           self._limit, self._keeper.keeps_to)
        if len(self._overflow) >= self._batch and not self._writing:
            self._writing = True
            _beside(self._write)

    def _write(self) -> None:
        """Write the overflow to the file, batch by batch, until it is empty (never on the program's thread
        from ``on_end``: there a daemon thread does it)."""
        with self._write_lock:
            try:
                while self._overflow:
                    batch: list[ReadableSpan] = []
                    while len(batch) < self._batch:
                        try:
                            batch.append(self._overflow.popleft())  # atomic beside on_end's append
                        except IndexError:
                            break
                    with guard("overflow.write"):
                        self._keeper.keep(batch)
            finally:
                self._writing = False

    def force_flush(self, timeout_millis: int | None = None) -> bool:
        self._write()  # first: the file takes them at once, whatever the backend is doing
        return super().force_flush(timeout_millis)

    def shutdown(self) -> None:
        self._closed = True
        self._write()
        super().shutdown()  # type: ignore[no-untyped-call]  # the SDK leaves it unannotated


_processors: weakref.WeakSet[OverflowingBatchSpanProcessor] = weakref.WeakSet()
"""Every processor alive, for the one fork handler below.

``os.register_at_fork`` handlers can never be removed: one per processor grew the process by a handler
(and a closure) at each ``init()`` after a ``shutdown()``, for good. One handler walking a weak set
holds no processor and does not grow."""


def _after_fork_in_child() -> None:
    for processor in list(_processors):
        processor._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _beside(write: Callable[[], None]) -> None:
    """Run ``write`` on a daemon thread: the program's thread only appends to the overflow."""
    try:
        threading.Thread(target=write, name="agentops-otel-overflow", daemon=True).start()
    except RuntimeError:  # no new threads while the interpreter finalises: do it here
        write()
