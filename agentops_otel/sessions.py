"""Sessions: one agent run = one root span (``invoke_agent {name}``) and everything beneath it.

A session is made current through the OpenTelemetry context, so it follows ``contextvars`` into
asyncio tasks, ``copy_context()`` threads and (once :func:`agentops_otel.init` patched them)
``concurrent.futures`` executors. A session started inside another is nested: its root is a child
span of the outer one, and every span it records also counts for the outer session.

The live session keeps a bounded list of the spans it produced, so ``get_session()`` answers from
what was really emitted (the same data a backend would show), not from a parallel bookkeeping.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import itertools
import threading
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast, overload

import msgspec
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from . import config, export, semconv
from ._guard import fault_point, guard, report
from ._serialize import from_json
from .events import ActionEvent, ErrorEvent, LLMEvent, ToolEvent
from .processor import SESSION_CONTEXT_KEY, register, unregister

if TYPE_CHECKING:
    from .timeline import Timeline

_P = ParamSpec("_P")
_R = TypeVar("_R")

_STATE_BY_NAME = {s.lower(): s for s in semconv.END_STATES}
_STATUS_FOR_STATE = {
    semconv.END_SUCCESS: StatusCode.OK,
    semconv.END_FAIL: StatusCode.ERROR,
    semconv.END_INDETERMINATE: StatusCode.UNSET,
}

_last_ended: contextvars.ContextVar[Session | None] = contextvars.ContextVar(
    "agentops_otel_last_ended", default=None
)
_latest_started: Session | None = None
"""Fallback for ``get_session()`` called where the context lost track (AgentOps' single-session mode)."""


def normalize_end_state(value: object) -> str:
    """Accept ``"success"``, ``EndState.SUCCESS``... and return the canonical spelling, or raise."""
    raw = getattr(value, "value", value)
    if isinstance(raw, str):
        found = _STATE_BY_NAME.get(raw.strip().lower())
        if found is not None:
            return found
    raise ValueError(f"end state must be one of {', '.join(semconv.END_STATES)}, got {value!r}")


def _iso(ns: int | None) -> datetime | None:
    return None if ns is None else datetime.fromtimestamp(ns / 1e9, tz=UTC)


def _span_error(span: ReadableSpan) -> str | None:
    if span.status.status_code is not StatusCode.ERROR:
        return None
    for event in span.events:
        if event.name == "exception" and event.attributes:
            etype = event.attributes.get("exception.type", "Error")
            message = event.attributes.get("exception.message", "")
            return f"{etype}: {message}" if message else str(etype)
    attrs = span.attributes or {}
    etype = attrs.get(semconv.ERROR_TYPE)
    detail = span.status.description or attrs.get(semconv.ERROR_MESSAGE)
    if etype and detail:
        return f"{etype}: {detail}"
    return str(etype or detail or "error")


def _span_id(span: ReadableSpan) -> str | None:
    return trace.format_span_id(span.context.span_id) if span.context else None


def _step_fields(span: ReadableSpan) -> dict[str, Any]:
    """What every event rebuilt from a span carries: its timing, its error and where to find it."""
    return {"init_timestamp": _iso(span.start_time), "end_timestamp": _iso(span.end_time),
            "error": _span_error(span), "span_id": _span_id(span)}


class Session:
    """A live or ended agent session; what ``start_session()`` and ``get_session()`` return."""

    def __init__(
        self,
        name: str,
        tags: Sequence[str],
        parent: Session | None,
        conversation_id: str | None,
    ) -> None:
        self.id = str(uuid.uuid4())
        self.name = name
        self.tags: list[str] = [str(t) for t in tags]
        self.parent = parent
        self.conversation_id = conversation_id
        self.end_state: str | None = None
        self.end_state_reason: str | None = None
        self.trace_id: str | None = None
        self.span_id: str | None = None
        self.start_time: datetime = datetime.now(UTC)
        self.end_time: datetime | None = None
        self._span: trace.Span | None = None
        self._ctx: otel_context.Context | None = None
        self._prev_ctx: otel_context.Context | None = None
        self._children: list[Session] = []
        self._lock = threading.Lock()
        self._seq = itertools.count(1)
        self._spans: deque[ReadableSpan] = deque(maxlen=max(1, config.max_session_spans()))
        self.spans_dropped = 0
        # Rollup, including nested sessions.
        self.llm_calls = 0
        self.tool_calls = 0
        self.actions = 0
        self.error_count = 0
        self.input_tokens = 0
        self.output_tokens = 0
        self.cache_read_tokens = 0
        self.cache_write_tokens = 0
        self.reasoning_tokens = 0
        self._cost_usd = 0.0
        self.cost_complete = True
        self.failed_span_id: str | None = None
        self.failed_span_name: str | None = None

    # --- processor hooks (hot path) -----------------------------------------------------------
    def _next_seq(self) -> int:
        return next(self._seq)

    def _record(self, span: ReadableSpan) -> None:
        """Called by the processor for each finished span of this session (and of nested ones)."""
        attrs = span.attributes or {}
        op = attrs.get(semconv.GEN_AI_OPERATION_NAME)
        failed = span.status.status_code is StatusCode.ERROR
        # A session's own root is summarised by the session itself; it only counts for the outer ones.
        session: Session | None = self.parent if op == semconv.OP_INVOKE_AGENT and (
            attrs.get(semconv.SESSION_ID) == self.id) else self
        while session is not None:
            with session._lock:
                if len(session._spans) == session._spans.maxlen:
                    session.spans_dropped += 1
                session._spans.append(span)
                if op in semconv.LLM_OPERATIONS:
                    session._add_llm(attrs)
                elif op == semconv.OP_EXECUTE_TOOL:
                    session.tool_calls += 1
                elif semconv.ACTION_TYPE in attrs:
                    session.actions += 1
                if failed and op != semconv.OP_INVOKE_AGENT:
                    session.error_count += 1
                    if session.failed_span_id is None:
                        session.failed_span_id = _span_id(span)
                        session.failed_span_name = span.name
            session = session.parent

    def _add_llm(self, attrs: Any) -> None:
        self.llm_calls += 1
        self.input_tokens += int(attrs.get(semconv.GEN_AI_USAGE_INPUT_TOKENS) or 0)
        self.output_tokens += int(attrs.get(semconv.GEN_AI_USAGE_OUTPUT_TOKENS) or 0)
        self.cache_read_tokens += int(attrs.get(semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS) or 0)
        self.cache_write_tokens += int(attrs.get(semconv.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS) or 0)
        self.reasoning_tokens += int(attrs.get(semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS) or 0)
        cost = attrs.get(semconv.COST_USD)
        if cost is None:
            self.cost_complete = False
        else:
            self._cost_usd += float(cost)

    # --- what users read ------------------------------------------------------------------------
    @property
    def cost(self) -> float:
        """USD spent by the LLM calls of this session and its nested sessions (0.0 if none priced)."""
        return round(self._cost_usd, 12)

    @property
    def ended(self) -> bool:
        return self.end_state is not None

    @property
    def url(self) -> str:
        """Link to this session in the trace UI (template: ``AGENTOPS_OTEL_URL_TEMPLATE``)."""
        template = config.url_template()
        values = {"trace_id": self.trace_id or "", "span_id": self.span_id or "", "session_id": self.id}
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError) as exc:
            report("session.url", exc)
            return config.DEFAULT_URL_TEMPLATE.format(**values)

    @property
    def spans(self) -> list[ReadableSpan]:
        """Finished spans of this session (and nested ones), in start order; bounded in memory."""
        with self._lock:
            spans = list(self._spans)
        spans.sort(key=lambda s: (s.start_time or 0, (s.attributes or {}).get(semconv.SEQ, 0)))
        return spans

    @property
    def action_events(self) -> list[ActionEvent]:
        return [
            ActionEvent(
                action_type=cast(str, a.get(semconv.ACTION_TYPE)),
                params=from_json(a.get(semconv.ACTION_PARAMS)),
                returns=from_json(a.get(semconv.ACTION_RETURNS)),
                **_step_fields(s),
            )
            for s in self.spans
            if semconv.ACTION_TYPE in (a := s.attributes or {})
        ]

    @property
    def tool_events(self) -> list[ToolEvent]:
        return [
            ToolEvent(
                name=cast(str, a.get(semconv.GEN_AI_TOOL_NAME)),
                params=from_json(a.get(semconv.GEN_AI_TOOL_CALL_ARGUMENTS)),
                returns=from_json(a.get(semconv.GEN_AI_TOOL_CALL_RESULT)),
                **_step_fields(s),
                tool_call_id=cast("str | None", a.get(semconv.GEN_AI_TOOL_CALL_ID)),
            )
            for s in self.spans
            if (a := s.attributes or {}).get(semconv.GEN_AI_OPERATION_NAME) == semconv.OP_EXECUTE_TOOL
        ]

    @property
    def llm_events(self) -> list[LLMEvent]:
        return [
            LLMEvent(
                model=cast(str, a.get(semconv.GEN_AI_RESPONSE_MODEL) or a.get(semconv.GEN_AI_REQUEST_MODEL)),
                prompt=from_json(a.get(semconv.GEN_AI_INPUT_MESSAGES)),
                completion=from_json(a.get(semconv.GEN_AI_OUTPUT_MESSAGES)),
                prompt_tokens=cast("int | None", a.get(semconv.GEN_AI_USAGE_INPUT_TOKENS)),
                completion_tokens=cast("int | None", a.get(semconv.GEN_AI_USAGE_OUTPUT_TOKENS)),
                cost=cast("float | None", a.get(semconv.COST_USD)),
                operation=cast(str, a.get(semconv.GEN_AI_OPERATION_NAME)),
                **_step_fields(s),
            )
            for s in self.spans
            if (a := s.attributes or {}).get(semconv.GEN_AI_OPERATION_NAME) in semconv.LLM_OPERATIONS
        ]

    @property
    def errors(self) -> list[ErrorEvent]:
        """Every step that ended in error, innermost first as they happened."""
        out: list[ErrorEvent] = []
        for s in self.spans:
            a = s.attributes or {}
            if s.status.status_code is not StatusCode.ERROR or a.get(semconv.GEN_AI_OPERATION_NAME) == (
                semconv.OP_INVOKE_AGENT
            ):
                continue
            text = _span_error(s) or "error"
            etype, _, details = text.partition(": ")
            out.append(
                ErrorEvent(
                    error_type=cast(str, a.get(semconv.ERROR_TYPE) or etype),
                    details=cast("str | None", a.get(semconv.ERROR_MESSAGE)) or details or text,
                    init_timestamp=_iso(s.start_time),
                    step_name=s.name,
                    span_id=_span_id(s),
                )
            )
        return out

    @property
    def events(self) -> list[ActionEvent | ToolEvent | LLMEvent]:
        """Actions, tools and LLM calls together, in start order."""
        merged: list[ActionEvent | ToolEvent | LLMEvent] = [*self.action_events, *self.tool_events,
                                                             *self.llm_events]
        merged.sort(key=lambda e: e.init_timestamp or datetime.min.replace(tzinfo=UTC))
        return merged

    def timeline(self) -> Timeline:
        """The reassembled, ordered timeline of this session (see :mod:`agentops_otel.timeline`).

        A running session is rooted at its still-open span, ended "now" for the replay and reported
        with no end state, so a test can show the replay of the session it is inside.
        Raises ``KeyError`` when no span of the session was recorded (a no-op tracer provider).
        """
        from .read import records_from_spans
        from .reassemble import reassemble
        from .timeline import RUNNING_REASON

        records = list(records_from_spans(self.spans))
        root = self._root_readable if self.ended else self._span
        if isinstance(root, ReadableSpan):
            for record in records_from_spans([root]):
                if not self.ended:
                    record = msgspec.structs.replace(record, end_ns=max(record.start_ns, time.time_ns()))
                records.insert(0, record)
        timeline = reassemble(records).timeline_for(self.id)
        if self.ended:
            return timeline
        summary = msgspec.structs.replace(timeline.summary, end_state=None, end_reason=RUNNING_REASON)
        return msgspec.structs.replace(timeline, summary=summary)

    _root_readable: ReadableSpan | None = None

    # --- lifecycle ------------------------------------------------------------------------------
    def end(self, end_state: object = semconv.END_SUCCESS, end_state_reason: str | None = None,
            *, exception: BaseException | None = None) -> None:
        """End the session; idempotent. A bad ``end_state`` still ends it (Indeterminate), then raises."""
        if self.end_state is not None:
            return
        bad_state: ValueError | None = None
        try:
            state = normalize_end_state(end_state)
        except ValueError as exc:
            bad_state, state = exc, semconv.END_INDETERMINATE
            end_state_reason = f"invalid end state {end_state!r}" + (
                f": {end_state_reason}" if end_state_reason else "")
        for child in list(self._children):
            if child.end_state is None:
                child.end(semconv.END_INDETERMINATE, "parent session ended first")
        self.end_state, self.end_state_reason = state, end_state_reason
        self.end_time = datetime.now(UTC)
        with guard("session.end"):
            self._finish_span(exception)
        with guard("session.restore_context"):
            self._restore_context()
        global _latest_started
        if _latest_started is self:
            _latest_started = self.parent if self.parent is not None and not self.parent.ended else None
        _last_ended.set(self)
        unregister(self.id)
        if self.parent is not None:
            with self.parent._lock:
                if self in self.parent._children:
                    self.parent._children.remove(self)
        if bad_state is not None:
            raise bad_state

    def _finish_span(self, exception: BaseException | None) -> None:
        span = self._span
        if span is None:
            return
        fault_point("session.end")
        state = cast(str, self.end_state)
        attrs: dict[str, Any] = {
            semconv.SESSION_END_STATE: state,
            semconv.SESSION_COST_USD: self.cost,
            semconv.SESSION_COST_MICROS: round(self._cost_usd * 1_000_000),
            semconv.SESSION_COST_COMPLETE: self.cost_complete,
            semconv.SESSION_LLM_CALLS: self.llm_calls,
            semconv.SESSION_TOOL_CALLS: self.tool_calls,
            semconv.SESSION_ACTIONS: self.actions,
            semconv.SESSION_ERRORS: self.error_count,
            semconv.GEN_AI_USAGE_INPUT_TOKENS: self.input_tokens,
            semconv.GEN_AI_USAGE_OUTPUT_TOKENS: self.output_tokens,
        }
        if self.cache_read_tokens:
            attrs[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = self.cache_read_tokens
        if self.reasoning_tokens:
            attrs[semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = self.reasoning_tokens
        if self.end_state_reason:
            attrs[semconv.SESSION_END_REASON] = self.end_state_reason
        if state == semconv.END_FAIL:
            if self.failed_span_id:
                attrs[semconv.SESSION_FAILED_SPAN_ID] = self.failed_span_id
                attrs[semconv.SESSION_FAILED_SPAN_NAME] = cast(str, self.failed_span_name)
            attrs[semconv.ERROR_TYPE] = (type(exception).__qualname__ if exception is not None
                                         else self._failing_error_type() or "_OTHER")
        if exception is not None:
            span.record_exception(exception)
        span.set_attributes(attrs)
        span.set_status(Status(_STATUS_FOR_STATE[state],
                               self.end_state_reason if state == semconv.END_FAIL else None))
        span.end()
        if isinstance(span, ReadableSpan):
            self._root_readable = span

    def _failing_error_type(self) -> str | None:
        if self.failed_span_id is None:
            return None
        for s in reversed(self.spans):
            if _span_id(s) == self.failed_span_id:
                return cast("str | None", (s.attributes or {}).get(semconv.ERROR_TYPE))
        return None

    def _restore_context(self) -> None:
        """Make the enclosing session current again, if this session is still the current one here."""
        if self._ctx is None or otel_context.get_current() is not self._ctx:
            return
        prev = self._prev_ctx or otel_context.Context()
        # Skip over sessions that were ended out of order while we were current.
        while True:
            outer = otel_context.get_value(SESSION_CONTEXT_KEY, prev)
            if not isinstance(outer, Session) or not outer.ended or outer._prev_ctx is None:
                break
            prev = outer._prev_ctx
        otel_context.attach(prev)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is not None:
            self.end(semconv.END_FAIL, f"{type(exc).__name__}: {exc}", exception=exc)
        else:
            self.end(semconv.END_SUCCESS)

    def __repr__(self) -> str:
        state = self.end_state or "running"
        return f"<Session {self.name!r} {self.id} {state} cost=${self.cost:.6f}>"


def start_session(
    name: str | Sequence[str] | None = None,
    tags: Iterable[str] | None = None,
    *,
    new_trace: bool = False,
    conversation_id: str | None = None,
    attributes: dict[str, Any] | None = None,
    **_agentops_kwargs: Any,
) -> Session:
    """Start a session and make it current in this context (explicit-style API).

    Unknown keyword arguments of the AgentOps API (``inherited_session_id``...) are accepted and
    ignored, so existing calls keep working.
    """
    global _latest_started
    if isinstance(name, (list, tuple)) and tags is None:  # AgentOps: start_session(["tag"])
        name, tags = None, name
    parent_ctx = otel_context.get_current()
    outer = otel_context.get_value(SESSION_CONTEXT_KEY, parent_ctx)
    parent = outer if isinstance(outer, Session) and not outer.ended else None
    tag_list = [tags] if isinstance(tags, str) else list(tags or ())
    defaults = config.state.extra.get("default_tags")
    if isinstance(defaults, list):
        tag_list = [*defaults, *(t for t in tag_list if t not in defaults)]
    if not isinstance(name, str) or not name:
        default = config.state.extra.get("service_name")
        name = config.service_name(default if isinstance(default, str) else None)
    session = Session(name, tag_list, parent, conversation_id)
    with guard("session.start"):
        fault_point("session.start")
        export.ensure_processor()
        span_parent_ctx = otel_context.Context() if new_trace else parent_ctx
        root_ctx = otel_context.set_value(SESSION_CONTEXT_KEY, session, span_parent_ctx)
        attrs: dict[str, Any] = {
            semconv.GEN_AI_OPERATION_NAME: semconv.OP_INVOKE_AGENT,
            semconv.GEN_AI_AGENT_NAME: session.name,
            semconv.GEN_AI_CONVERSATION_ID: conversation_id or session.id,
            semconv.SESSION_NAME: session.name,
            semconv.TAGS: session.tags,
        }
        if parent is not None:
            attrs[semconv.SESSION_PARENT_ID] = parent.id
        if attributes:
            attrs.update(attributes)
        links: tuple[Link, ...] = ()
        if new_trace and parent is not None and parent._span is not None:
            links = (Link(parent._span.get_span_context()),)
        register(session)
        span = export.tracer().start_span(
            f"{semconv.SPAN_SESSION} {session.name}", context=root_ctx, kind=SpanKind.INTERNAL,
            attributes=attrs, links=links,
        )
        session._span = span
        span_ctx = span.get_span_context()
        session.trace_id = trace.format_trace_id(span_ctx.trace_id)
        session.span_id = trace.format_span_id(span_ctx.span_id)
        new_ctx = trace.set_span_in_context(span, otel_context.set_value(SESSION_CONTEXT_KEY, session,
                                                                          parent_ctx))
        session._prev_ctx = parent_ctx
        session._ctx = new_ctx
        otel_context.attach(new_ctx)
    if parent is not None:
        with parent._lock:
            parent._children.append(session)
    _latest_started = session
    return session


def current_session() -> Session | None:
    """The innermost live session in this context, or ``None``."""
    found = otel_context.get_value(SESSION_CONTEXT_KEY)
    return found if isinstance(found, Session) and not found.ended else None


def get_session(session_id: str | None = None) -> Session | None:
    """The innermost live session here, else the last one ended in this context, else the latest started."""
    if session_id is not None:
        from .processor import live_session

        found = live_session(session_id)
        if isinstance(found, Session):
            return found
        last = _last_ended.get()
        return last if last is not None and last.id == session_id else None
    return current_session() or _last_ended.get() or _latest_started


def clear_last_session() -> None:
    """Forget the last ended session in this context (a test harness calls it between tests)."""
    global _latest_started
    _last_ended.set(None)
    if _latest_started is not None and _latest_started.ended:
        _latest_started = None


def end_session(end_state: object = semconv.END_SUCCESS, end_state_reason: str | None = None,
                *, session: Session | None = None, **_agentops_kwargs: Any) -> Session | None:
    """End the given (or current) session. Returns it, or ``None`` when there was nothing to end."""
    target = session or current_session() or (
        _latest_started if _latest_started is not None and not _latest_started.ended else None)
    if target is None:
        report("end_session", RuntimeError("end_session() called with no active session"))
        return None
    target.end(end_state, end_state_reason)
    return target


class session:
    """A session as a context manager or a decorator (sync and async functions).

    An exception escaping the block ends the session ``Fail`` with the exception recorded, then
    propagates unchanged; a normal exit ends it ``Success`` unless it was ended explicitly inside.
    """

    def __init__(self, name: str | None = None, *, tags: Iterable[str] | None = None,
                 new_trace: bool = False, conversation_id: str | None = None,
                 attributes: dict[str, Any] | None = None) -> None:
        self._kwargs: dict[str, Any] = dict(tags=tags, new_trace=new_trace,
                                            conversation_id=conversation_id, attributes=attributes)
        self._name = name
        self._active: list[Session] = []

    def __enter__(self) -> Session:
        s = start_session(self._name, **self._kwargs)
        self._active.append(s)
        return s

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        s = self._active.pop()
        s.__exit__(exc_type, exc, tb)

    async def __aenter__(self) -> Session:
        return self.__enter__()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self.__exit__(exc_type, exc, tb)

    @overload
    def __call__(self, fn: Callable[_P, Awaitable[_R]]) -> Callable[_P, Awaitable[_R]]: ...
    @overload
    def __call__(self, fn: Callable[_P, _R]) -> Callable[_P, _R]: ...
    def __call__(self, fn: Callable[_P, Any]) -> Callable[_P, Any]:
        name = self._name or getattr(fn, "__name__", "session")
        kwargs = self._kwargs

        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def run_async(*args: _P.args, **kw: _P.kwargs) -> Any:
                with session(name, **kwargs):
                    return await fn(*args, **kw)
            return run_async

        @functools.wraps(fn)
        def run(*args: _P.args, **kw: _P.kwargs) -> Any:
            with session(name, **kwargs):
                return fn(*args, **kw)
        return run


def _end_all_live(reason: str) -> None:
    """At interpreter exit: sessions still open end Indeterminate so their spans are exported."""
    from .processor import _live

    for s in list(_live.values()):
        if isinstance(s, Session) and not s.ended:
            with guard("session.atexit"):
                s.end(semconv.END_INDETERMINATE, reason)


__all__ = ["Session", "clear_last_session", "current_session", "end_session", "get_session", "session", "start_session"]
