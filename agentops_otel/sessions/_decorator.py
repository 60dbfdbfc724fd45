"""``session(...)``: a session as a context manager or a decorator.

One ``session(...)`` object may be entered by many threads or tasks at once (a decorator's object is
shared by every call), so the sessions it started are kept per context, never in the object.

A decorated generator (sync or async) runs each step of its body in a context of its own where the
session is current: the session covers the body from the first step to exhaustion, and the caller's
code between two steps is not in it.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import sys
from collections.abc import AsyncGenerator, Awaitable, Callable, Coroutine, Generator, Iterable
from types import TracebackType
from typing import Any, ParamSpec, TypeVar, overload

from .._thrown import unwound
from ._lifecycle import attribute_dict, name_or_tags, start_session, tag_strings
from ._session import Session

_P = ParamSpec("_P")
_R = TypeVar("_R")


_entered: contextvars.ContextVar[tuple[tuple[SessionScope, Session], ...]] = contextvars.ContextVar(
    "agentops_otel_session_scopes", default=())
"""The sessions each ``session(...)`` object entered here and has not exited, innermost last.

One variable for the process, never one per object: a variable set in a context stays in it for the
context's life, and a decorated function makes a new object per call, so a thread that serves requests
for days would have kept one entry per session it ever ran."""


class SessionScope:
    """What ``session("name", ...)`` returns: a context manager, async context manager and decorator."""

    def __init__(self, name: str | None = None, *, tags: Iterable[str] | None = None,
                 new_trace: bool = False, conversation_id: str | None = None,
                 attributes: dict[str, Any] | None = None) -> None:
        # A bad name or tags= fails where it is written, not at the first call; a generator is read once
        # here (every session this scope starts gets the same tags).
        name, tags = name_or_tags(name, tags, "session()")
        tag_list = None if tags is None else tag_strings(tags, "session(tags=...)")
        self._kwargs: dict[str, Any] = dict(tags=tag_list, new_trace=new_trace, conversation_id=conversation_id,
                                            attributes=attribute_dict(attributes, "session(attributes=...)"))
        self._name = name

    def __enter__(self) -> Session:
        s = start_session(self._name, **self._kwargs)
        _entered.set((*_entered.get(), (self, s)))
        return s

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        entered = _entered.get()
        for at in range(len(entered) - 1, -1, -1):  # the latest entry of this scope: it may be nested in itself
            scope, s = entered[at]
            if scope is self:
                _entered.set(entered[:at] + entered[at + 1:])
                s.__exit__(exc_type, exc, tb)
                return
        raise RuntimeError("session(...) exited in a context where it was not entered")

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
        if isinstance(fn, (staticmethod, classmethod)):  # decorate the function inside: it binds as undecorated
            return type(fn)(self(fn.__func__))
        name = self._name or getattr(fn, "__name__", "session")
        kwargs = self._kwargs

        def scope() -> SessionScope:
            return SessionScope(name, **kwargs)

        if inspect.isasyncgenfunction(fn):
            return _async_generator_in_session(scope, fn)

        if inspect.isgeneratorfunction(fn):
            return _generator_in_session(scope, fn)

        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def run_async(*args: _P.args, **kw: _P.kwargs) -> Any:
                with scope():
                    return await fn(*args, **kw)
            return run_async

        @functools.wraps(fn)
        def run(*args: _P.args, **kw: _P.kwargs) -> Any:
            with scope():
                return fn(*args, **kw)
        return run


def _generator_in_session(scope: Callable[[], SessionScope],
                          fn: Callable[_P, Generator[Any, Any, Any]]) -> Callable[_P, Generator[Any, Any, Any]]:
    """The wrapper steps the body itself, never by ``yield from``: that would ``close()`` the body when
    ``GeneratorExit`` is thrown in, where an undecorated body has it thrown (and may catch it)."""

    @functools.wraps(fn)
    def run_gen(*args: _P.args, **kw: _P.kwargs) -> Generator[Any, Any, Any]:
        gen = fn(*args, **kw)  # before the session starts: a call with wrong arguments fails with none left open
        this = scope()
        ctx = contextvars.copy_context()
        ctx.run(this.__enter__)
        sent: Any = None
        thrown: BaseException | None = None
        while True:
            try:
                item = ctx.run(gen.send, sent) if thrown is None else ctx.run(gen.throw, thrown)
            except StopIteration as stop:
                ctx.run(this.__exit__, *_how_it_ended(thrown))
                return stop.value
            except BaseException as exc:
                # The traceback as the interpreter holds it: reading ``exc.__traceback__`` runs the user's
                # ``__getattribute__``, outside any guard, and what it raises would replace their exception.
                ctx.run(this.__exit__, type(exc), exc, sys.exc_info()[2])
                raise
            try:
                sent, thrown = (yield item), None
            except BaseException as exc:
                # ``GeneratorExit`` too: thrown into the body, as ``close()`` (a consumer stopping early: ``break``,
                # a client gone, garbage collection) throws it undecorated. Escaping the body, it ends the session
                # Indeterminate, "stopped early", as for a ``with`` block around the same ``yield``; a body that
                # catches it and yields again gets the same ``RuntimeError`` from ``close()`` as undecorated.
                sent, thrown = None, unwound(exc)

    return run_gen


def _async_generator_in_session(scope: Callable[[], SessionScope],
                                fn: Callable[_P, AsyncGenerator[Any, Any]]) -> Callable[_P, AsyncGenerator[Any, Any]]:
    """The wrapper is itself an async generator function (not a function returning one): pytest-asyncio,
    FastAPI and others decide how to run a function by ``inspect.isasyncgenfunction``."""

    @functools.wraps(fn)
    async def run_agen(*args: _P.args, **kw: _P.kwargs) -> AsyncGenerator[Any, Any]:
        agen = fn(*args, **kw)  # before the session starts: a call with wrong arguments fails with none left open
        this = scope()
        ctx = contextvars.copy_context()
        ctx.run(this.__enter__)
        sent: Any = None
        thrown: BaseException | None = None
        while True:
            try:
                step = agen.asend(sent) if thrown is None else agen.athrow(thrown)
                item = await _InContext(ctx, step)
            except StopAsyncIteration:
                ctx.run(this.__exit__, *_how_it_ended(thrown))
                return
            except BaseException as exc:
                ctx.run(this.__exit__, type(exc), exc, sys.exc_info()[2])  # see _generator_in_session
                raise
            try:
                sent, thrown = (yield item), None
            except BaseException as exc:  # GeneratorExit too (see _generator_in_session)
                sent, thrown = None, unwound(exc)

    return run_agen


def _how_it_ended(thrown: BaseException | None) -> tuple[type[BaseException] | None, BaseException | None, None]:
    """The session's exit for a body that returned after ``thrown`` was thrown in: a body returning on
    ``GeneratorExit`` (``close()``, ``break``) was still stopped by its consumer before it finished, so its session
    ends as if the exit had escaped (Indeterminate, stopped early), not Success. Sorted by ``type()``, never
    ``isinstance()`` (see :func:`.._end_states.block_end`)."""
    if thrown is not None and issubclass(type(thrown), GeneratorExit):
        return type(thrown), thrown, None
    return None, None, None


class _InContext:
    """Await a coroutine with every one of its steps run in ``ctx`` (the event loop is unaware)."""

    def __init__(self, ctx: contextvars.Context, coro: Awaitable[Any]) -> None:
        self._ctx = ctx
        self._coro: Coroutine[Any, Any, Any] = coro  # type: ignore[assignment]

    def __await__(self) -> Generator[Any, Any, Any]:
        sent: Any = None
        thrown: BaseException | None = None
        while True:
            try:
                if thrown is None:
                    item = self._ctx.run(self._coro.send, sent)
                else:
                    item = self._ctx.run(self._coro.throw, thrown)
            except StopIteration as stop:
                return stop.value
            try:
                sent, thrown = (yield item), None
            except BaseException as exc:
                sent, thrown = None, unwound(exc)


@overload
def session(name: Callable[_P, _R], /) -> Callable[_P, _R]: ...
@overload
def session(name: str | None = None, *, tags: Iterable[str] | None = None, new_trace: bool = False,
            conversation_id: str | None = None, attributes: dict[str, Any] | None = None) -> SessionScope: ...
def session(name: Any = None, *, tags: Iterable[str] | None = None, new_trace: bool = False,
            conversation_id: str | None = None, attributes: dict[str, Any] | None = None) -> Any:
    """A session as ``with session("name"):``, ``async with``, ``@session("name")`` or bare ``@session``.

    An exception escaping the block ends the session ``Fail`` with the exception recorded, then
    propagates unchanged; a normal exit ends it ``Success`` unless it was ended explicitly inside. A generator
    closed before it finished (its consumer stopped reading) ends it ``Indeterminate``, "stopped early".
    """
    if callable(name) or isinstance(name, classmethod):
        return SessionScope()(name)
    return SessionScope(name, tags=tags, new_trace=new_trace, conversation_id=conversation_id,
                        attributes=attributes)

