"""Carrying a session into executor threads, without patching the standard library.

``ThreadPoolExecutor`` runs tasks in its workers' own contexts, so the session (and the current span)
of the code that submitted them is not there. Patching ``submit`` for the whole process would fix that
and break something else: running each task in a copy of the submitter's context hides every
contextvar the executor's ``initializer`` set. So the choice is the user's, per executor or per
callable, and only the OpenTelemetry context travels: the worker's other contextvars stay as they are.

- :class:`SessionExecutor` wraps an executor you hand it; ``submit`` and ``map`` carry the context.
- :func:`carry_context` wraps one callable, for executors you don't create (``loop.run_in_executor``).

``asyncio.create_task`` and ``asyncio.to_thread`` already copy the context; they need neither.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import Executor, Future
from types import TracebackType
from typing import ParamSpec, TypeVar

from opentelemetry import context as otel_context

__all__ = ["SessionExecutor", "carry_context"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


def carry_context(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """``fn`` bound to the caller's session and current span, wherever it is later called.

    Only the OpenTelemetry context is swapped in for the call and restored after it; every other
    contextvar of the thread that runs it is left untouched.
    """
    captured = otel_context.get_current()

    @functools.wraps(fn)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        token = otel_context.attach(captured)
        try:
            return fn(*args, **kwargs)
        finally:
            otel_context.detach(token)

    return run


class SessionExecutor(Executor):
    """An executor whose tasks run in the submitter's session: ``SessionExecutor(ThreadPoolExecutor(4))``.

    Everything else (workers, initializer, shutdown) is the wrapped executor's own; ``map`` goes
    through ``submit``, so it carries the context too.
    """

    def __init__(self, executor: Executor) -> None:
        self.executor = executor

    def submit(self, fn: Callable[_P, _R], /, *args: _P.args, **kwargs: _P.kwargs) -> Future[_R]:
        return self.executor.submit(carry_context(fn), *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.executor.shutdown(wait=wait, cancel_futures=cancel_futures)

    def __enter__(self) -> SessionExecutor:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.shutdown(wait=True)
