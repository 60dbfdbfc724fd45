"""The span processor that ties every span to its session.

``on_start`` stamps ``session.id`` and ``agentops.seq`` from the parent context, so spans made by
*any* instrumentation inside a session carry them (the reassembler groups by them). In a CI run whose
id the provider's resource lacks (the program's own provider), ``agentops.run.id`` too: a session killed
before its root is exported is still one of the run's (``gate --this-run``). ``on_end`` hands
each finished span to its live session, which keeps a bounded copy for ``get_session()`` and rolls
up counts, tokens and cost. The root span's totals are written by the session itself just before it
ends, because an ended span is frozen.

Both hooks run on the user's thread for every span: they do a context lookup, one attribute write
(of two attributes) and a dict lookup, and never raise. While a session that ended has a step still running
(``_left_running``), each also tells that step's start of a child, or its end, to that session.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from time import time_ns
from typing import TYPE_CHECKING, Final, Protocol

from opentelemetry import context as otel_context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.trace import Tracer

from . import _deferred, _exit, _left_running, _sessionless, semconv
from ._guard import guard, report
from ._open_calls import end_open_calls
from ._span_attrs import set_attributes

if TYPE_CHECKING:
    from collections.abc import Mapping, MutableMapping

logger = logging.getLogger("agentops_otel")

_BACKDATED_NS: Final = 1_000_000
"""A span that reaches ``on_start`` this long after its start time was started at a time its caller gave
(``record(event)`` with the event's own timestamps, another instrumentation replaying callbacks): a
number given now is not its place in the start order, which the reassembler trusts over the clock
(``_start_order``). It is left unnumbered, and ordered by its times."""

SESSION_CONTEXT_KEY = otel_context.create_key("agentops_otel.session")
"""Context key holding the innermost live session; follows contextvars into threads and tasks."""


class _LiveSession(Protocol):
    id: str
    _run_stamp: str | None

    @property
    def ended(self) -> bool: ...

    def _started(self, span: Span) -> int: ...

    def _record(self, span: ReadableSpan, attrs: Mapping[str, object] | None = None) -> None: ...

    def end(self, end_state: object = ..., end_state_reason: object = None) -> None: ...

    def _end_cut_short(self) -> bool: ...

    def _free_locks_at_exit(self) -> None: ...


class Watcher(Protocol):
    """Told of every session that starts, and of every span outside any session as it starts and as it
    ends (see :func:`watch`)."""

    def session_started(self, session: _LiveSession) -> None: ...

    def sessionless_start(self, span: Span) -> None: ...

    def sessionless_span(self, span: ReadableSpan) -> None: ...


_watchers: tuple[Watcher, ...] = ()
"""Replaced whole, never changed in place: the hooks read it without the lock."""

_live: MutableMapping[str, _LiveSession] = weakref.WeakValueDictionary()
"""Sessions that accept spans, by id (weak: see :data:`_open`)."""
_live_lock = threading.Lock()
_open: dict[str, _LiveSession] = {}
"""The latest :data:`OPEN_KEPT` sessions not ended yet, held strongly: one left open where nothing else holds
it (started in an asyncio task or a thread that finished) would otherwise vanish with its context, and the
exit hook could not end and write it as it does the others. Past the bound the oldest are held only by the
program (an abandoned one is then lost): a program that never ends its sessions cannot grow without bound."""
OPEN_KEPT: Final = 256


def _forget_parents_sessions() -> None:
    """In a forked child (a ``multiprocessing`` fork worker, a pre-fork server), the sessions open at
    the fork are the parent's: the parent ends and exports them. The child's exit path (its SIGTERM
    handler, inherited) must not end them a second time, Indeterminate, as its own; a lock another
    thread held at the fork would never be released here."""
    global _live, _live_lock, _open
    _live = weakref.WeakValueDictionary()
    _open = {}
    _live_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_parents_sessions)


def local_tracer() -> Tracer | None:
    """The private tracer of the current session when it is recorded in-process only, else ``None``.

    ``export.tracer()`` asks this first, so the steps of a session the configured tracer would not
    record (SDK disabled, trace sampled out) are recorded where the session's own spans are.
    """
    session = otel_context.get_value(SESSION_CONTEXT_KEY)
    return getattr(session, "_local_tracer", None) if session is not None else None


def watch(watcher: Watcher) -> None:
    """Until :func:`unwatch`, hand ``watcher`` what no single session sees: sessions started anywhere (in
    another thread too) and spans made outside any session, as they start and as they end. The pytest
    plugin's cost limit counts them."""
    global _watchers
    with _live_lock:
        _watchers = (*_watchers, watcher)


def unwatch(watcher: Watcher) -> None:
    global _watchers
    with _live_lock:
        _watchers = tuple(w for w in _watchers if w is not watcher)


def register(session: _LiveSession) -> None:
    with _live_lock:
        _live[session.id] = session
        _open[session.id] = session
        if len(_open) > OPEN_KEPT:
            del _open[next(iter(_open))]  # the oldest: dicts keep insertion order
    for watcher in _watchers:
        with guard("processor.watch_session"):
            watcher.session_started(session)


def unregister(session_id: str) -> None:
    with _live_lock:
        _live.pop(session_id, None)
        _open.pop(session_id, None)


def live_session(session_id: str) -> _LiveSession | None:
    return _live.get(session_id)


def live_sessions() -> list[_LiveSession]:
    """Every session that is still open, anywhere in the process."""
    with _live_lock:
        return [s for s in _live.values() if not s.ended]


def end_all_live(reason: str) -> None:
    """At exit: sessions still open end Indeterminate with ``reason`` (each named in a warning), so
    their spans are exported and the forgotten ``end_session()`` is visible. A session caught in the
    middle of ending (the signal arrived inside ``end()``) has its root span ended here, named too.

    First, on the exit thread, the locks the interrupted thread holds are given up (the registry's, the
    sessions'), then the span ends finalisers deferred run: both need them."""
    global _live_lock
    if not _exit.lock_free(_live_lock):
        _live_lock = threading.Lock()  # held by the thread the signal interrupted, which never resumes
    with _live_lock:
        registered = list(_live.values())
    for s in registered:
        with guard("session.atexit"):
            s._free_locks_at_exit()
    _deferred.run()
    for s in registered:  # outer sessions first: ending one ends its nested ones, which are then skipped
        with guard("session.atexit"):
            name = getattr(s, "name", "session")
            if not s.ended:
                logger.warning("agentops_otel: session %r %s was never ended; ending it Indeterminate (%s)",
                               name, s.id, reason)
                s.end(semconv.END_INDETERMINATE, f"{semconv.NEVER_ENDED}: {reason}")
            elif s._end_cut_short():
                logger.warning("agentops_otel: session %r %s was still ending (%s); writing it as it stood",
                               name, s.id, reason)
    with guard("llm.end_open"):
        end_open_calls()  # streams opened outside any session, never finished: not lost either


def _started_under(span: Span, session: _LiveSession | None) -> None:
    parent = span.parent
    if parent is not None:
        _left_running.started_under(parent.span_id, span.name, session)


class SessionProcessor(SpanProcessor):
    """Stamps and collects spans of live sessions; exports nothing itself (the user's pipeline does)."""

    def on_start(self, span: Span, parent_context: otel_context.Context | None = None) -> None:
        try:
            session: _LiveSession | None = otel_context.get_value(SESSION_CONTEXT_KEY, parent_context)  # type: ignore[assignment]
            if _left_running.steps:  # under a step a session left running as it ended: started after its end
                _started_under(span, session)
            if session is None:
                if _live and _sessionless.is_step(span.attributes or {}):  # only while a session is open
                    _sessionless.note(span.name)
                if _watchers:  # only while a bounded test runs
                    for watcher in _watchers:
                        watcher.sessionless_start(span)
                return
            # One write (one lock, one pass of the SDK's checks) rather than two; the id is stamped
            # even if numbering fails, so the span still reaches its session.
            attrs: dict[str, str | int] = {semconv.SESSION_ID: session.id}
            run = session._run_stamp  # decided once per session: None unless the resource lacks the run id
            if run is not None:
                attrs[semconv.RUN_ID] = run
            try:
                seq = session._started(span)
                start = span.start_time
                if start is None or time_ns() - start < _BACKDATED_NS:
                    attrs[semconv.SEQ] = seq
            finally:
                set_attributes(span, attrs)
        except Exception as exc:
            report("processor.on_start", exc)

    def on_end(self, span: ReadableSpan) -> None:
        try:
            if _left_running.steps and span.context is not None:
                _left_running.ended(span.context.span_id)
            attrs = span.attributes
            copy = getattr(attrs, "copy", None)
            if copy is not None:
                # One plain dict: each look-up in the SDK's mapping (here, in the rollup, in every
                # verdict-bearing count) is a Python-level call, and a key it lacks a raised KeyError.
                try:
                    attrs = copy()
                except AttributeError:  # a proxy of a Mapping without copy() (a span another library rebuilt):
                    pass  # read as it is; raising here left the call out of every total
            if not attrs:
                return
            session_id = attrs.get(semconv.SESSION_ID)
            if session_id is None:
                for watcher in _watchers:
                    watcher.sessionless_span(span)
                return
            # A plain dict first (the sessions open now, nearly always): the weak one's look-up costs more.
            session = _open.get(session_id) or _live.get(session_id) if isinstance(session_id, str) else None
            if session is not None:
                session._record(span, attrs)
        except Exception as exc:
            report("processor.on_end", exc)

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
