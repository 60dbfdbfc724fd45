"""``session(...)``: a session as a context manager or a decorator."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import Any, ParamSpec, TypeVar, overload

from ._lifecycle import start_session
from ._session import Session

_P = ParamSpec("_P")
_R = TypeVar("_R")


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
