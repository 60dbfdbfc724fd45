"""``@tool`` (and AgentOps' ``@record_action`` / ``@record_tool``, in :mod:`._agentops_tools`): each call of
the decorated function becomes a child span.

The wrapper is a thin shell around four guarded helpers (start, success, failure, end), so the user's
function runs exactly once, outside any ``try`` of ours that could swallow its exceptions; the span is
the current span while the function runs, so LLM calls made inside are its children. Sync, async,
generator and async-generator functions each get a wrapper of the same kind, which keeps
``inspect.iscoroutinefunction`` and friends truthful for frameworks that look.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar, cast, overload

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from . import _deferred, _replay_hook, config, export, semconv
from ._error_text import known_secrets, scrub
from ._error_text import record_exception as record_masked
from ._guard import describe, fault_point, report, type_name
from ._redact import mask_text
from ._serialize import content_json, plain_content_json
from ._tool_generators import wrap_async_gen, wrap_gen
from .sessions._context import current_session, detach_keeping_sessions
from .sessions._session import Session

_F = TypeVar("_F", bound=Callable[..., Any])


_KNOWN_PER_SESSION = 64
"""How many failed tools' secret values a session keeps for its own records (the longest)."""


class _Step:
    """What one decorated function records: precomputed at decoration time, shared by its calls."""

    __slots__ = ("arg_names", "base_attrs", "content_keys", "has_varargs", "session_kw", "skip_first", "span_name")

    def __init__(self, fn: Callable[..., Any], span_name: str, base_attrs: dict[str, Any],
                 content_keys: tuple[str, str], *, session_kw: bool = False) -> None:
        self.span_name = span_name
        self.base_attrs = base_attrs
        self.content_keys = content_keys
        names: list[str] = []
        self.has_varargs = False
        declares_session = True  # a signature we cannot read may take it: never take it away then
        try:
            params = inspect.signature(fn).parameters
            declares_session = "session" in params and params["session"].kind in (
                inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
            for p in params.values():
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                    names.append(p.name)
                elif p.kind is p.VAR_POSITIONAL:
                    self.has_varargs = True
        except (TypeError, ValueError):
            self.has_varargs = True
        self.skip_first = bool(names) and names[0] in ("self", "cls")
        self.arg_names = tuple(names)
        # AgentOps' decorators take session= from the call (see session_context), unless it is the function's
        self.session_kw = session_kw and not declares_session

    @staticmethod
    def session_context(kwargs: dict[str, Any]) -> otel_context.Context | None:
        """AgentOps 0.3's ``session=`` on a call of a decorated function: taken out of ``kwargs`` (0.3's
        decorators consume it: the function never sees it), and the context of that session returned, to
        record the call in it (``None``: the current session, as 0.3 read it). A value that is not a
        session is left for the function, which may take it in ``**kwargs``."""
        if "session" not in kwargs:
            return None
        given = kwargs["session"]
        if given is None:
            del kwargs["session"]
            return None
        if not isinstance(given, Session):
            return None
        del kwargs["session"]
        return given._ctx

    def arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """Name the call's arguments the way the user wrote the signature (``self`` left out)."""
        bound: dict[str, Any] = {}
        names = self.arg_names
        for i, value in enumerate(args):
            if i < len(names):
                if i == 0 and self.skip_first:
                    continue
                bound[names[i]] = value
            else:
                bound.setdefault("*args", []).append(value)
        bound.update(kwargs)
        return bound

    def start(self, args: tuple[Any, ...], kwargs: dict[str, Any],
              base: otel_context.Context | None = None) -> tuple[Span, object] | None:
        """Start the span and make it current (over ``base``, a session's context, if given); ``None``
        if telemetry failed (the call still runs)."""
        if config.disabled():
            return None
        try:
            fault_point("tool.start")
            span = export.tracer().start_span(self.span_name, context=base, kind=SpanKind.INTERNAL,
                                              attributes=self.base_attrs)
            capture = config.content_capture()
            if capture.recorded and span.is_recording():
                key = self.content_keys[0]
                _put(span, capture, key, content_json(key, self.arguments(args, kwargs), config.max_value_chars(),
                                                      arguments=True))
            return span, otel_context.attach(trace.set_span_in_context(span, base))
        except Exception as exc:
            report("tool.start", exc)
            return None

    def records_content(self, started: tuple[Span, object]) -> bool:
        """Whether this call's result is recorded (worth serialising yielded items for)."""
        try:
            return config.content_capture().recorded and started[0].is_recording()
        except Exception as exc:
            report("tool.capture", exc)
            return False

    def succeed(self, started: tuple[Span, object], result: Any, *, plain: bool = False) -> None:
        """End the call with ``result`` recorded (``plain``: already bounded, as a generator's is)."""
        span, token = started
        try:
            fault_point("tool.end")
            capture = config.content_capture()
            if capture.recorded and span.is_recording():
                key = self.content_keys[1]
                _put(span, capture, key, plain_content_json(key, result) if plain
                     else content_json(key, result, config.max_value_chars()))
        except Exception as exc:
            report("tool.end", exc)
        self.close(span, token)

    def fail(self, started: tuple[Span, object], exc: BaseException, args: tuple[Any, ...] = (),
             kwargs: dict[str, Any] | None = None) -> None:
        """End the call as failed; the error's text is masked like its arguments (a secret argument it
        repeats, ``denied for password=…``, included)."""
        span, token = started
        try:
            fault_point("tool.error")
            known = known_secrets(self.arguments(args, kwargs or {})) if args or kwargs else ()
            session = current_session()
            if known:  # the error may escape the sessions around it: their records mask these too
                outer = session
                while outer is not None:
                    merged = sorted({*outer.known_secrets, *known}, key=len, reverse=True)
                    outer.known_secrets = tuple(merged[:_KNOWN_PER_SESSION])
                    outer = outer.parent
            if session is not None and session.known_secrets:
                # An inner tool's error passing through this one: this tool never saw the secret it repeats.
                known = session.known_secrets
            record_masked(span, exc, known)
            span.set_attribute(semconv.ERROR_TYPE, type_name(exc))
            span.set_status(Status(StatusCode.ERROR, scrub(semconv.STATUS_DESCRIPTION, describe(exc), known)))
        except Exception as err:
            report("tool.error", err)
        self.close(span, token)

    @staticmethod
    def close(span: Span, token: object) -> None:
        try:
            detach_keeping_sessions(token, span)
        except Exception as exc:
            report("tool.detach", exc)
        if _deferred.in_collection():
            # A generator tool finalised by the garbage collector: ending the span may need a lock
            # this thread already holds, so the end is deferred (see _deferred).
            _deferred.defer(span.end)
            return
        try:
            span.end()
        except Exception as exc:
            report("tool.end_span", exc)

    def suspend(self, started: tuple[Span, object]) -> otel_context.Context:
        """Between two yields the consumer runs: our span must not be its current span. Returns the body's
        own context, to :meth:`resume` it in."""
        body = otel_context.get_current()
        try:
            detach_keeping_sessions(started[1], started[0])
        except Exception as exc:
            report("tool.detach", exc)
        return body

    def resume(self, started: tuple[Span, object], body: otel_context.Context) -> tuple[Span, object]:
        """The body goes on in the context it left, not in the consumer's: a generator handed to another
        thread, task or session still makes its calls as a step of the session it was started in (the
        consumer's session would count calls made under a span of another trace, and this one lose them)."""
        try:
            return started[0], otel_context.attach(body)
        except Exception as exc:
            report("tool.resume", exc)
            return started


def _put(span: Span, capture: config.ContentCapture, key: str, value: str) -> None:
    """Record one content value where capture puts it: the span's attribute, and/or an event of the span
    under the same name (``event_only``: the arguments when the call starts, the result when it ends)."""
    if capture.on_span:
        span.set_attribute(key, value)
    if capture.on_event:
        span.add_event(semconv.EVENT_STEP_CONTENT, {key: value})


def wrap(fn: _F, step: _Step) -> _F:
    if inspect.isasyncgenfunction(fn):
        return wrap_async_gen(fn, step)  # type: ignore[return-value]
    if inspect.isgeneratorfunction(fn):
        return wrap_gen(fn, step)  # type: ignore[return-value]
    if inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            started = step.start(args, kwargs, step.session_context(kwargs) if step.session_kw else None)
            if started is None:
                return await _replay_hook.acall(step, fn, args, kwargs)
            try:
                result = await (fn(*args, **kwargs) if _replay_hook.hook is None
                                else _replay_hook.acall(step, fn, args, kwargs))
            except BaseException as exc:
                step.fail(started, exc, args, kwargs)
                raise
            step.succeed(started, result)
            return result
        return run_async  # type: ignore[return-value]

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        started = step.start(args, kwargs, step.session_context(kwargs) if step.session_kw else None)
        if started is None:
            return _replay_hook.call(step, fn, args, kwargs)
        try:
            result = fn(*args, **kwargs) if _replay_hook.hook is None else _replay_hook.call(step, fn, args, kwargs)
        except BaseException as exc:
            step.fail(started, exc, args, kwargs)
            raise
        step.succeed(started, result)
        return result
    return run  # type: ignore[return-value]


def decorate_method(f: _F, decorate: Callable[[_F], _F]) -> _F:
    """Decorate the function inside a ``@staticmethod`` / ``@classmethod`` and wrap it back, so the
    method binds (or does not) exactly as undecorated: our wrapper is a plain function, which an
    instance would otherwise bind as ``self``."""
    if isinstance(f, (staticmethod, classmethod)):
        return cast(_F, type(f)(decorate(cast(_F, f.__func__))))
    return decorate(f)


@overload
def tool(fn: _F, /) -> _F: ...
@overload
def tool(fn: str | None = None, /, *, name: str | None = None, tool_type: str = "function",
         description: str | None = None) -> Callable[[_F], _F]: ...
def tool(fn: _F | str | None = None, /, *, name: str | None = None, tool_type: str = "function",
         description: str | None = None) -> _F | Callable[[_F], _F]:
    """Record each call as an ``execute_tool {name}`` span: arguments, result, duration, errors.

    The name may come first, as ``@record_action("fetch")`` takes its type: ``@tool("search")``.
    """
    if isinstance(fn, str):
        if name is not None:
            raise TypeError(f"tool({fn!r}, name={name!r}): give the tool's name once")
        fn, name = None, fn
    elif fn is not None and not callable(fn) and not isinstance(fn, classmethod):
        raise TypeError(f"@tool takes a function or the tool's name, got {type(fn).__name__}")

    def decorate(f: _F) -> _F:
        return wrap(f, tool_step(f, name, tool_type, description))

    return decorate_method(fn, decorate) if fn is not None else lambda f: decorate_method(f, decorate)


def tool_step(f: Callable[..., Any], name: str | None, tool_type: str = "function", description: str | None = None,
              *, session_kw: bool = False) -> _Step:
    """What ``@tool`` (and AgentOps' ``@record_tool``) records of each call of ``f``."""
    tool_name = mask_text(str(name or getattr(f, "__name__", "tool")))  # a name holding a key is recorded masked
    attrs: dict[str, Any] = {
        semconv.GEN_AI_OPERATION_NAME: semconv.OP_EXECUTE_TOOL,
        semconv.GEN_AI_TOOL_NAME: tool_name,
        semconv.GEN_AI_TOOL_TYPE: tool_type,
    }
    if description:
        attrs[semconv.GEN_AI_TOOL_DESCRIPTION] = mask_text(description)
    return _Step(f, f"{semconv.SPAN_TOOL} {tool_name}", attrs,
                 (semconv.GEN_AI_TOOL_CALL_ARGUMENTS, semconv.GEN_AI_TOOL_CALL_RESULT), session_kw=session_kw)
