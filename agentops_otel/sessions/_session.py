"""The session object: one root span, its end state, and the way back to the enclosing context."""

from __future__ import annotations

import itertools
import os
import reprlib
import threading
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Final, cast

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import Status, StatusCode
from opentelemetry.util.types import AttributeValue

from .. import _deferred, _exit, _left_running, _sessionless, config, semconv
from .._end_states import block_end, canonical_end_state, reason_text
from .._error_text import record_exception, scrub
from .._guard import fault_point, guard, report, type_name
from .._open_calls import open_calls_in
from .._redact import REDACTED, mask_text
from ..processor import SESSION_CONTEXT_KEY, unregister
from . import _views
from ._agentops import AgentOpsMethods, warn_late_end
from ._collected import end_after_collection
from ._context import note_ended, rebased, returning_context
from ._judged import JudgedReads
from ._rollup import Rollup

if TYPE_CHECKING:
    from ..timeline import Timeline

_STATUS_FOR_STATE = {
    semconv.END_SUCCESS: StatusCode.OK,
    semconv.END_FAIL: StatusCode.ERROR,
    semconv.END_INDETERMINATE: StatusCode.UNSET,
}


def normalize_end_state(value: object) -> str:
    """Accept ``"success"``, ``EndState.SUCCESS``... and return the canonical spelling, or raise."""
    found = canonical_end_state(value)
    if found is not None:
        return found
    raise ValueError(f"end state must be one of {', '.join(semconv.END_STATES)}, got {safe_repr(value)}")


def safe_repr(value: object) -> str:
    """A short repr of a user's value for an error message; never raises."""
    try:
        return reprlib.repr(value)
    except BaseException:  # the error being reported is the one the user must see (see _guard.describe)
        return f"<{type_name(value, qualified=False)} object>"


def _span_name(span: object) -> str:
    name = getattr(span, "name", None)
    return name if isinstance(name, str) else "a span"


def _own(span: object) -> bool:
    scope = getattr(span, "instrumentation_scope", None)
    return scope is not None and scope.name == semconv.INSTRUMENTATION_SCOPE


def _ancestors(parent: int | None, running: dict[int, tuple[str, int | None, bool]]) -> list[int]:
    """Ids of the ``running`` spans above a span whose parent is ``parent``, innermost first."""
    found: list[int] = []
    while parent is not None and parent in running and parent not in found:
        found.append(parent)
        parent = running[parent][1]
    return found


class Session(JudgedReads, Rollup, AgentOpsMethods):
    """A live or ended agent session; what ``start_session()`` and ``get_session()`` return."""

    parent: Session | None

    def __init__(
        self,
        name: str,
        tags: Sequence[str],
        parent: Session | None,
        conversation_id: str | None,
    ) -> None:
        super().__init__(str(uuid.uuid4()), parent)
        self.name = mask_text(name)  # a name or tag holding a key is shown, exported and printed masked
        self.tags: list[str] = [mask_text(str(t)) for t in tags]
        self.conversation_id = conversation_id
        self.end_state: str | None = None
        self.end_state_reason: str | None = None
        self.trace_id: str | None = None
        self.span_id: str | None = None
        self.start_time: datetime = datetime.now(UTC)
        self.end_time: datetime | None = None
        self._span: trace.Span | None = None
        self._local_tracer: trace.Tracer | None = None
        self.not_exported: str | None = None
        """Why no backend will have this session (it is recorded in this process only), or ``None``."""
        self._unrecorded = False
        """Started under the kill switch (or inside a session that was): none of its steps are recorded."""
        self._switched_on: tuple[int, int | None] = (config.switched_on(), None)
        """``config.switched_on()`` at its start and end: differing, the switch went on while it ran."""
        self._watched: tuple[bool, bool | None] = (config.models_watched(), None)
        """``config.models_watched()`` at its start, and at its end with no client uninstrumented meanwhile:
        a model call made while either is False may have gone unseen (see ``_views.unwatched``)."""
        self._uninstrumented = config.state.uninstrumented
        self._switched_off: tuple[Mapping[str, str], tuple[tuple[str, str], ...] | None] = (
            _views.switched_off_unwatched(), None)
        """The SDKs ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS`` left unwatched at its start, and at its end those
        of either moment the program had imported: their calls went unseen (see ``_views.unwatched``)."""
        self._sessionless: tuple[int, int | None] = (_sessionless.mark(), None)
        """``_sessionless.mark()`` at its start and end: steps started outside any session meanwhile."""
        self._ctx: otel_context.Context | None = None
        self._prev_ctx: otel_context.Context | None = None
        self._children: list[Session] = []
        self._ended_by: Session | None = None
        """The enclosing session whose end ended this one: a later end of this one is then said to come too late."""
        self._seq = itertools.count(1)
        self.known_secrets: tuple[str, ...] = ()
        """Secret argument values of its tools that failed (``_error_text.known_secrets``): their errors may escape
        this session and repeat them, in its end reason and its root's exception."""
        self._ending: int | None = None
        """The thread ending it, from the start of ``end()``: another thread's ``end()`` meanwhile only waits."""
        self._end_done = threading.Event()
        self._pid = os.getpid()
        """The process that owns the root span: a forked child's copy of the session never ends it."""
        self._run_stamp: str | None = None
        """The CI run id the processor stamps on each of its spans (set once the root exists; ``None`` outside a
        run or when the provider's resource names the run): see ``ci_run.run_to_stamp``."""

    def _started(self, span: trace.Span) -> int:
        """The processor hands each span started in this session here (hot path) and stamps it with
        the number returned. A span that starts after the session ended is one of its steps that its
        counters and held spans will never have: noted, so verdicts on absence refuse to pass."""
        # Its name and parent only (never the span: one the program drops unended must not be pinned),
        # put in first and checked after, so a session ending on another thread meanwhile either finds
        # it still running or leaves it here to be noted as late: never neither.
        sid = span.get_span_context().span_id
        parent = getattr(span, "parent", None)
        self._running[sid] = (_span_name(span), parent.span_id if parent is not None else None, _own(span))
        if self.end_state is not None and self._running.pop(sid, None) is not None:
            self.note_outside([f"{_span_name(span)}: started after the session ended"])
        return next(self._seq)

    def _note_still_running(self, streams: list[str]) -> None:
        """Steps started here and still running as the session ends, less the ``streams`` already noted
        as open calls (and the spans inside them): the session will not see them end. Each with its kind,
        which tells the figures it can be missing from (see :mod:`.._left_running`)."""
        running = self._running.copy()
        self._running.clear()
        if self._span is not None:
            running.pop(self._span.get_span_context().span_id, None)
        streams_left, skipped = list(streams), set()
        for sid, (name, _, _) in running.items():
            if name in streams_left:
                streams_left.remove(name)
                skipped.add(sid)
        left = [(sid, _left_running.kind_of(name, own), f"{name}: still running when the session ended")
                for sid, (name, parent, own) in running.items()
                if sid not in skipped and not any(p in skipped for p in _ancestors(parent, running))]
        self.note_left_running(left)

    # --- what users read ------------------------------------------------------------------------
    @property
    def ended(self) -> bool:
        return self.end_state is not None

    @property
    def url(self) -> str:
        """Link to this session in the trace UI (template: ``AGENTOPS_OTEL_URL_TEMPLATE``)."""
        values = (self.trace_id or "", self.span_id or "", self.id)
        made = config.link(config.url_template(), *values)
        if made is None:
            report("session.url", ValueError(f"{semconv.ENV_URL_TEMPLATE} can't make a link; using the default"))
            made = config.link(config.DEFAULT_URL_TEMPLATE, *values)
        return made or ""

    def timeline(self) -> Timeline:
        """The reassembled, ordered timeline of this session (see :mod:`agentops_otel.timeline`).

        A running session is rooted at its still-open span, ended "now" for the replay and reported
        with no end state, so a test can show the replay of the session it is inside.
        A session no backend will get (SDK disabled, trace sampled out, no exporter) has a timeline
        too, with an issue saying so.
        """
        _deferred.catch_up()  # a nested session the collector ended is in it, ended
        return _views.timeline_of(self)

    _root_readable: ReadableSpan | None = None

    # --- lifecycle ------------------------------------------------------------------------------
    def end(self, end_state: object = semconv.END_SUCCESS, end_state_reason: object = None,
            *, exception: BaseException | None = None) -> None:
        """End the session; idempotent. A bad ``end_state`` still ends it (Indeterminate), then raises.

        ``end_state_reason`` is text; an exception or a number given instead is recorded as text
        (see :func:`reason_text`)."""
        if _deferred.in_collection():  # a finaliser's: the end waits for an ordinary path (see _collected)
            end_after_collection(self, end_state, end_state_reason, exception)
            return
        _deferred.catch_up()  # a nested session's end the collector handed over comes first, as it would have
        bad_state = self._end(end_state, end_state_reason, exception, here=True)
        if bad_state is not None:
            raise bad_state

    def _end(self, end_state: object, end_state_reason: object, exception: BaseException | None, *,
             here: bool) -> ValueError | None:
        """:meth:`end`, returning the error for a bad end state. ``here``: in the context the session
        was ended in; ``False`` when the end was deferred, the context having been left already."""
        if self.end_state is not None:
            if self._ended_by is not None:
                warn_late_end(self, self._ended_by, end_state)
            return None
        me = threading.get_ident()
        with self._lock:
            ending, self._ending = self._ending, self._ending or me
        if ending is not None and ending != me:
            # Another thread is ending it (end_session(session=s) there, end_all_sessions(), the pytest
            # plugin): one end, its state the one written, and this caller finds it ended on return. Ended
            # twice, the root said one state and the session object the other, which a verdict then judged.
            # The same thread again is a signal handler's end arriving inside this one's: it goes on, as it
            # always did (see _end_cut_short).
            if not self._end_done.wait(_exit.wait_seconds(_END_WAIT_S, ending)) and _exit.on_exit_thread():
                # At exit, an end that has not finished by now may never finish (the thread the signal
                # interrupted, or one stuck in a hook): the root is written as it stands, not lost.
                self._end_cut_short(semconv.END_INDETERMINATE,
                                    end_state_reason if isinstance(end_state_reason, str) else None)
            return None
        end_state_reason = reason_text(end_state_reason)
        for value in self.known_secrets:
            end_state_reason = end_state_reason and end_state_reason.replace(value, REDACTED)
        bad_state: ValueError | None = None
        try:
            state = normalize_end_state(end_state)
        except ValueError as exc:
            shown = safe_repr(end_state)
            bad_state = ValueError(f"end_session({shown}): {exc.args[0].partition(', got')[0]} (or "
                                   "agentops.END_SUCCESS / END_FAIL / END_INDETERMINATE); "
                                   "the session was ended Indeterminate")
            state = semconv.END_INDETERMINATE
            end_state_reason = f"invalid end state {shown}" + (
                f": {end_state_reason}" if end_state_reason else "")
        for child in list(self._children):
            if child.end_state is None:
                child._end(semconv.END_INDETERMINATE, "parent session ended first", None, here=here)
                child._ended_by = self
        with guard("session.open_calls"):
            self.note_open_calls([call.name for call in open_calls_in(self.id)])
        self.end_state, self.end_state_reason = state, end_state_reason
        with guard("session.still_running"):  # after end_state: a span starting now is noted as late
            self._note_still_running(self.open_at_end)
        self.end_time = datetime.now(UTC)
        self._switched_on = (self._switched_on[0], config.switched_on())
        self._watched = (self._watched[0], config.models_watched_since(self._uninstrumented))
        self._switched_off = (self._switched_off[0], _views.switched_off_imported(self._switched_off[0]))
        self._sessionless = (self._sessionless[0], _sessionless.mark())
        if _views.unwatched(self) is not None:  # written on the root: a reader of the trace knows it too
            self.cost_complete = False
            self.cost_incomplete_reason = self.cost_incomplete_reason or semconv.GAP_MODELS_UNWATCHED
        with guard("session.end"):
            self._finish_span(exception)
        if here:
            with guard("session.restore_context"):
                self._restore_context()
            note_ended(self)
        unregister(self.id)
        self._end_done.set()
        if self.parent is not None:
            with self.parent._lock:
                if self in self.parent._children:
                    self.parent._children.remove(self)
        return bad_state

    def _finish_span(self, exception: BaseException | None) -> None:
        span = self._span
        if span is None or self._pid != os.getpid():  # a forked child's copy: the parent writes it
            return
        state = cast(str, self.end_state)
        try:
            self._summarise(span, state, exception)
        except Exception as exc:
            report("session.end", exc)
            with guard("session.end_state"):  # the summary is lost: never let the cost look complete
                span.set_attributes({semconv.SESSION_END_STATE: state, semconv.SESSION_COST_COMPLETE: False})
        finally:
            span.end()  # the root is the session: whatever failed above, it ends and is exported
            if isinstance(span, ReadableSpan):
                self._root_readable = span

    def _end_cut_short(self, state: str | None = None, reason: str | None = None) -> bool:
        """At exit: end the root span of a session whose ``end()`` was cut short before it ended it (a
        SIGTERM arriving inside ``end()``: the handler runs on this thread, which never resumes; or an end
        on another thread that does not finish in time, waited for here too), so the session is still
        written. Its end state is the one that end chose, or else ``state`` (with ``reason``). ``False`` when
        there was nothing to end.

        No program code runs here (no redaction hook; it may be what sent the signal): a summary not
        yet written keeps only the end state, and the totals are marked incomplete.
        """
        if self._end_done.wait(_exit.wait_seconds(_END_WAIT_S, self._ending)):
            return False  # another thread's end, which finished meanwhile: it wrote the root whole
        span = self._span
        state = self.end_state or state
        if state is None or span is None or not span.is_recording():
            return False
        if semconv.SESSION_END_STATE not in (getattr(span, "attributes", None) or {}):
            attrs: dict[str, AttributeValue] = {
                semconv.SESSION_END_STATE: state, semconv.SESSION_COST_COMPLETE: False,
                semconv.SESSION_COST_INCOMPLETE_REASON: semconv.GAP_TOTALS_INTERRUPTED}
            if self.end_state is None and reason:
                attrs[semconv.SESSION_END_REASON] = reason
            span.set_attributes(attrs)
        span.end()
        return True

    def _summarise(self, span: trace.Span, state: str, exception: BaseException | None) -> None:
        """The root's summary: end state, totals, the failing step, the content edges.

        Each part under its own guard: one that fails (a reason the hook chokes on, an exception that
        can't be recorded) must not take the cost and counts with it. Only the totals failing marks
        the cost incomplete.
        """
        attrs: dict[str, AttributeValue] = {semconv.SESSION_END_STATE: state, semconv.SESSION_COST_COMPLETE: False}
        with guard("session.totals"):
            fault_point("session.end")
            attrs.update(self.totals_attributes())
        reason = self.end_state_reason
        with guard("session.end_reason"):
            fault_point("session.end_reason")
            if reason:
                attrs[semconv.SESSION_END_REASON] = scrub(semconv.SESSION_END_REASON, reason)
        if state == semconv.END_FAIL:
            with guard("session.failure"):
                fault_point("session.failure")
                if self.failed_span_id:
                    attrs[semconv.SESSION_FAILED_SPAN_ID] = self.failed_span_id
                    attrs[semconv.SESSION_FAILED_SPAN_NAME] = cast(str, self.failed_span_name)
                attrs[semconv.ERROR_TYPE] = (type_name(exception) if exception is not None
                                             else self.failing_error_type() or "_OTHER")
        if exception is not None:
            with guard("session.exception"):
                fault_point("session.exception")
                record_exception(span, exception, self.known_secrets)
        with guard("session.content_edges"):
            if config.content_capture().on_span:
                with self._lock:
                    held = list(self._spans)
                attrs.update(_views.content_edges(held))
        span.set_attributes(attrs)
        with guard("session.status"):
            fault_point("session.status")
            span.set_status(Status(_STATUS_FOR_STATE[state], scrub(semconv.STATUS_DESCRIPTION, reason)
                                   if reason and state == semconv.END_FAIL else None))

    def _restore_context(self) -> None:
        """Make the enclosing session current again, if this session is the current one here.

        Also where a decorator's span is current over this session (``end_session()`` inside a
        ``@tool``): the span stays current, over the enclosing session's context, so the rest of the
        function sees the session it would see undecorated.
        """
        current = otel_context.get_current()
        if self._ctx is None or otel_context.get_value(SESSION_CONTEXT_KEY, current) is not self:
            return
        prev = returning_context(self)
        otel_context.attach(prev if current is self._ctx else rebased(current, self._ctx, prev))

    def __enter__(self) -> Session:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        state, reason = block_end(exc)
        self.end(state, reason, exception=exc if state == semconv.END_FAIL else None)

    def __repr__(self) -> str:
        state = self.end_state or "running"
        # What a user prints is what they read as the bill: a sum that leaves calls out says so.
        known = self._known_cost
        cost = f"cost=${known:.6f}" if self.cost_complete else f"cost>=${known:.6f} (incomplete)"
        return f"<Session {self.name!r} {self.id} {state} {cost}>"


_END_WAIT_S: Final = 5.0
"""How long an ``end()`` racing another thread's waits for it to finish (it only blocks in a redaction hook)."""
