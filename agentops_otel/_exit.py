"""Leave without losing what already ended, and without hanging on a backend that is down.

Spans wait in the batch processor's queue for up to five seconds before they are exported, so
whatever ends the process must push them out first. Python's own ways out (the script's end,
``sys.exit``, an unhandled exception, the end of a pytest run) run ``atexit`` handlers, where
``export.shutdown`` does it. SIGTERM, the way containers, CI runners and process managers stop a
program, does not: by default the process dies on the spot. So ``init()`` installs a SIGTERM handler
that chains whatever was there:

* the program's own Python handler: we flush, then call it; it decides what happens next (carry on,
  ``sys.exit`` and the ``atexit`` path, ``os._exit``...);
* the default action: we end open sessions (Indeterminate), flush, shut our provider down, then
  restore the default and re-raise the signal, so the process still dies *of SIGTERM* (status -15, no
  ``atexit``, exactly as without us);
* ignored, or a handler set outside Python: left alone.

A handler the program installs after ``init()`` replaces ours; it is then in charge, and if it leaves
through ``sys.exit`` the ``atexit`` path still saves everything.

Every wait is bounded by :func:`agentops_otel.config.exit_timeout_millis`. The work runs on a helper
thread, so a lock held by the interrupted main thread cannot hang the exit, and the batch processor's
``force_flush`` (which ignores its timeout) cannot either. At the deadline the exporters we built stop
waiting for their backend and write what is left to the local file (:mod:`._fallback`).

Ending the open sessions needs their locks, and the main thread may hold one: the signal lands between
any two bytecodes, in the middle of rolling a step up into its session, or of ending one. That thread
never resumes, so on the helper thread each such wait is short (:func:`lock_free`): what is still held
after it is taken as the interrupted thread's, and the session is written without it. An end that thread
had begun is not waited for; one another thread is running is, for part of the bound (:func:`wait_seconds`):
that thread runs on.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any, Generic, Protocol, TypeVar

from opentelemetry.sdk.trace import TracerProvider

from . import _deferred, _fallback
from ._guard import guard

_T = TypeVar("_T")

SPILL_GRACE_SECONDS = 1.0
"""After the deadline: time allowed to write what is left to the local file (milliseconds of work)."""

FOREVER_MILLIS = 365 * 86_400_000
"""The longest wait we pass on: a year is forever to a program, while ``flush(10**13)`` passed on as it is
overflows the thread join (``threading.TIMEOUT_MAX``) and the wait failed instead of waiting."""

STUCK_AFTER_SECONDS = 0.5
"""On the exit thread, how long a session's lock is waited for before it is taken as held by a thread that
will not let go (the one the signal interrupted): our locks are only ever held for a few dict and counter
updates. An end of a session that the thread asking for the exit had begun is not waited for at all."""
OTHERS_SHARE = 0.5
"""Share of the exit's time bound within which an end of a session running on another thread is waited for.
That thread is running (a signal stops only the one it lands on; at a normal exit none is stopped) and an end
only runs the program's hooks: cut short after half a second, a session it was ending Success in a slow hook
was written Indeterminate, its totals marked cut short. One stuck for good still leaves the other half to
write every session."""

_previous: Any = None
"""What SIGTERM did before ``init()``: ``signal.SIG_DFL`` or the program's own handler."""
_installed = False
_stopping = False


class _Lock(Protocol):
    def acquire(self, blocking: bool = ..., timeout: float = ...) -> bool: ...

    def release(self) -> None: ...


class _ExitThread(threading.local):
    until: float | None = None
    """Set on the thread doing the exit work: the ``time.monotonic()`` past which it waits for no lock."""
    others_until: float = 0.0
    """Past which it waits for no end of a session running on another thread (:data:`OTHERS_SHARE`)."""
    asker: int | None = None
    """The thread that asked for the exit (the one a signal interrupted): an end it had begun never resumes."""


_here = _ExitThread()


def lock_free(lock: _Lock) -> bool:
    """Whether ``lock`` can be taken, waited for at most until the exit's short bound; always ``True`` off
    the exit thread (nothing to free there). ``False``: its holder is stuck, and the caller stops using it."""
    until = _here.until
    if until is None:
        return True
    if not lock.acquire(True, max(0.0, until - time.monotonic())):
        return False
    lock.release()
    return True


def wait_seconds(usual: float, thread: int | None) -> float:
    """How long to wait for ``thread`` to finish what it is doing: ``usual``, or on the exit thread none for
    the thread that asked for the exit and what is left of the others' share (:data:`OTHERS_SHARE`) for any
    other."""
    if _here.until is None:
        return usual
    if thread is None or thread == _here.asker:
        return 0.0
    return min(usual, max(0.0, _here.others_until - time.monotonic()))


def on_exit_thread() -> bool:
    return _here.until is not None


class _Task(Generic[_T]):
    """``fn`` on a daemon thread, so the caller can stop waiting for it."""

    def __init__(self, fn: Callable[[], _T], name: str) -> None:
        self.result: _T | None = None
        self._fn = fn
        self._thread: threading.Thread | None = threading.Thread(target=self._run, name=name, daemon=True)
        try:
            self._thread.start()
        except RuntimeError:  # no new threads while the interpreter finalises: do it here, unbounded
            self._thread = None
            self._run()

    def _run(self) -> None:
        with guard("exit.task"):
            self.result = self._fn()

    def wait(self, seconds: float) -> bool:
        """``True`` once ``fn`` has returned (or raised, which the guard reports)."""
        if self._thread is None:
            return True
        self._thread.join(max(0.0, seconds))
        return not self._thread.is_alive()


def flush(provider: TracerProvider, timeout_millis: float, *, ours: bool = False) -> bool:
    """Export what ended; ``False`` if that took longer than the timeout, or a batch (spans a full queue
    had no room for, too) was not delivered since the last flush."""
    timeout_millis = min(timeout_millis, FOREVER_MILLIS)
    task = _Task(lambda: provider.force_flush(int(timeout_millis)), "agentops-otel-flush")
    done = task.wait(timeout_millis / 1000)
    failed = _fallback.failed_since_asked(consume=not ours)
    return done and bool(task.result) and not failed


def finish(provider: TracerProvider | None, own: TracerProvider | None, timeout_millis: float,
           end_live: Callable[[], None] | None = None) -> bool:
    """End open sessions, flush ``provider``, shut ``own`` (the one we built) down; at the deadline,
    write the rest to the file.

    Returns whether everything was delivered in time. Later batches of the exporters we built go to
    the file once the deadline has passed (the process is on its way out).
    """
    timeout_millis = min(timeout_millis, FOREVER_MILLIS)
    stuck_after = min(STUCK_AFTER_SECONDS, timeout_millis / 2000)
    asker = threading.get_ident()

    def work() -> bool:
        now = time.monotonic()
        _here.until, _here.asker = now + stuck_after, asker
        _here.others_until = now + timeout_millis * OTHERS_SHARE / 1000
        try:
            if end_live is not None:
                end_live()  # frees what the interrupted thread holds first, then runs what finalisers deferred
            _deferred.run()  # span ends a finaliser handed over: they belong to the sessions ending now
        finally:
            _here.until = _here.asker = None
        ok = provider is None or bool(provider.force_flush(int(timeout_millis)))
        if own is not None:
            own.shutdown()
        return ok

    task = _Task(work, "agentops-otel-exit")
    done = task.wait(timeout_millis / 1000)
    if not done:
        _fallback.abandon_all()
        task.wait(SPILL_GRACE_SECONDS)
    failed = _fallback.failed_since_asked()
    return done and bool(task.result) and not failed


def install_sigterm_handler() -> None:
    """Chain our SIGTERM handler in front of what was there (from the main thread only: Python's rule)."""
    global _previous, _installed
    if _installed or threading.current_thread() is not threading.main_thread():
        return
    with guard("exit.install_sigterm"):
        current = signal.getsignal(signal.SIGTERM)
        _installed = True
        if current is signal.SIG_IGN or current is None or current is _on_sigterm:
            return  # ignored on purpose, or handled outside Python: not ours to change
        _previous = current
        signal.signal(signal.SIGTERM, _on_sigterm)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    global _stopping
    previous = _previous
    from . import config, export

    if callable(previous):  # the program's own handler decides what happens next; save first
        if not _stopping:
            _stopping = True
            try:
                with guard("exit.sigterm"):
                    export.flush_ours(config.exit_timeout_millis())
            finally:
                _stopping = False
        previous(signum, frame)
        return
    if not _stopping:  # a second SIGTERM while we save: the sender means it, die now
        _stopping = True
        with guard("exit.sigterm"):
            export.shutdown_for(f"process received {signal.Signals(signum).name} before the session ended")
    _die_of(signum)


def _die_of(signum: int) -> None:
    """End the way the default action would: killed by the signal, ``atexit`` not run."""
    signal.signal(signum, signal.SIG_DFL)
    signal.raise_signal(signum)
    os._exit(128 + signum)  # only if the signal is blocked in this thread
