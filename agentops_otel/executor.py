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
from typing import Generic, ParamSpec, TypeVar

from opentelemetry import context as otel_context

from . import _replay_hook
from ._guard import guard
from .processor import SESSION_CONTEXT_KEY

__all__ = ["SessionExecutor", "carry_context"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


class _Carried(Generic[_P, _R]):
    """``fn`` run in a captured context; pickled, it is ``fn`` itself.

    A context cannot cross a process boundary, so what a ``ProcessPoolExecutor`` (or any pickler)
    sends is the plain function, and there it runs as it would unwrapped. A closure could not do
    this: ``functools.wraps`` gives it ``fn``'s name, and pickle then refuses it as an impostor.
    Its steps there reach no session of this process, so the session it was carried from notes it as
    a step outside it: no verdict on that session's absence of calls, call count or cost passes without them.
    """

    def __init__(self, fn: Callable[_P, _R], captured: otel_context.Context) -> None:
        functools.update_wrapper(self, fn)
        self._fn = fn
        self._captured = captured
        self._lineage = _replay_hook.LINEAGE.get() if _replay_hook.hook is not None else None

    def __call__(self, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        token = otel_context.attach(self._captured)
        # While a recording runs, the call is a branch of the agent forked where it was submitted.
        forked = None if _replay_hook.hook is None else _replay_hook.LINEAGE.set(_replay_hook.Fork(self._lineage))
        try:
            return self._fn(*args, **kwargs)
        finally:
            if forked is not None:
                _replay_hook.LINEAGE.reset(forked)
            otel_context.detach(token)

    def __reduce__(self) -> tuple[Callable[[Callable[_P, _R]], Callable[_P, _R]], tuple[Callable[_P, _R]]]:
        with guard("executor.sent_away"):
            session = otel_context.get_value(SESSION_CONTEXT_KEY, self._captured)
            note = getattr(session, "note_outside", None)
            if note is not None and not getattr(session, "ended", True):  # an ended one's totals are on its root
                note([f"{getattr(self._fn, '__qualname__', None) or type(self._fn).__name__}: sent to another "
                      "process, where the session cannot see its steps"])
        return _itself, (self._fn,)

    def __copy__(self) -> _Carried[_P, _R]:
        return self  # as a function is: copying must not drop the context

    def __deepcopy__(self, memo: dict[int, object]) -> _Carried[_P, _R]:
        return self


def _itself(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    return fn


def carry_context(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """``fn`` bound to the caller's session and current span, wherever it is later called.

    Only the OpenTelemetry context is swapped in for the call and restored after it; every other
    contextvar of the thread that runs it is left untouched. In another process ``fn`` runs as itself.
    A ``fn`` that is not callable is refused here, where it was written, not later in a worker thread.
    """
    if not callable(fn):
        raise TypeError(f"carry_context() takes a callable, got {type(fn).__name__}")
    return _Carried(fn, otel_context.get_current())


class SessionExecutor(Executor):
    """An executor whose tasks run in the submitter's session: ``SessionExecutor(ThreadPoolExecutor(4))``.

    Everything else (workers, initializer, shutdown) is the wrapped executor's own; ``map`` goes
    through ``submit``, so it carries the context too.
    """

    def __init__(self, executor: Executor) -> None:
        # SessionExecutor(4) (the worker count) would only fail at the first submit, far from here
        if not callable(getattr(executor, "submit", None)):
            raise TypeError("SessionExecutor(...) takes an executor to wrap, e.g. "
                            f"SessionExecutor(ThreadPoolExecutor(4)), got {type(executor).__name__}")
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
