"""Work a garbage-collection finaliser hands over instead of doing it: no lock is ever taken from GC.

A finaliser (``__del__``) runs wherever the collector happens to start, possibly while this very
thread holds a lock that ending a span needs (the SDK's, a session's, an exporter's): doing the work
there deadlocks. So finalisers only :func:`defer` (a ``deque.append``, atomic and lock-free) and the
work runs on the next ordinary path: the next span any instrumentation starts
(:func:`agentops_otel.export.tracer`), the next session ending or reading its timeline, ``flush()``,
``shutdown()`` and the exit path.

Only the thread running the collection is interrupted: other threads keep ending their spans
themselves, even while a finaliser there blocks (sleeps, closes a socket) with the GIL released.
"""

from __future__ import annotations

import atexit
import gc
import os
from collections import deque
from collections.abc import Callable
from threading import get_ident

from ._guard import report

_queue: deque[Callable[[], None]] = deque()
pending = _queue
"""Truthy while something waits; a cheap check for the hot path."""

_collecting: int | None = None
"""The ident of the thread running a collection (CPython runs one collection at a time)."""


def _watch(phase: str, info: dict[str, int]) -> None:
    global _collecting
    _collecting = get_ident() if phase == "start" else None


gc.callbacks.append(_watch)


def _forget_parents_work() -> None:
    """In a forked child the queued ends are the parent's steps: the parent ends and writes them; ended
    here too, the child would write them a second time."""
    _queue.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_parents_work)


def in_collection() -> bool:
    """Whether this thread is inside the cyclic garbage collector (a finaliser may then have
    interrupted any of its code, holding any lock)."""
    return _collecting == get_ident()


def catch_up() -> None:
    """:func:`run`, from a path a finaliser may take too (starting a span, ending or reading a session):
    inside a collection the work stays queued, the code it interrupted still holding its locks."""
    if _queue and not in_collection():
        run()


_exit_hook = False


def defer(fn: Callable[[], None]) -> None:
    """Queue ``fn`` for the next ordinary path; safe to call from a finaliser.

    The first time, the queue is also given to ``atexit`` (a C-level append, no lock): a program that never
    called ``init()`` (whose exit runs it) and starts no span afterwards would otherwise never run it, and a
    session the collector ended would be lost. Registered this late, it runs before the exit hook of a provider
    made earlier, which is still there to export what it ends."""
    global _exit_hook
    _queue.append(fn)
    if not _exit_hook:
        _exit_hook = True
        atexit.register(catch_up)


def run() -> None:
    """Run what finalisers deferred (each at most once, failures reported, never raised)."""
    while True:
        try:
            fn = _queue.popleft()
        except IndexError:
            return
        try:
            fn()
        except Exception as exc:
            report("deferred", exc)
