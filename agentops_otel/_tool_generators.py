"""The wrappers of a generator or async-generator tool (or action): its span stays open while it is iterated, and the
program sees the body as it would undecorated (every ``send``/``throw``, ``GeneratorExit`` included, reaches it)."""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, Callable, Generator
from typing import TYPE_CHECKING, Any, Final

from . import config
from ._cut import MORE_ITEMS_MARKER
from ._guard import report
from ._serialize import BoundedItems, bounded
from ._thrown import unwound

if TYPE_CHECKING:
    from .tools import _Step

__all__ = ["wrap_async_gen", "wrap_gen"]

_MAX_GEN_ITEMS: Final = 100
"""Yielded items recorded in a generator tool's result at most (the count is always recorded)."""


class _Yielded:
    """A generator tool's yielded items, each recorded when it is yielded.

    Recorded then, as bounded plain data, not kept: the consumer may change an item afterwards, and
    a generator streaming large chunks must not have them all kept alive until it finishes. The
    items share three quarters of the ``max_value_chars`` budget (the rest is the return value's)
    and are walked once, as one list's items would be; past the budget, or past
    :data:`_MAX_GEN_ITEMS`, only the count goes on, and a ``…[N more items]`` marker says what was
    left out.
    """

    __slots__ = ("count", "recorded", "records")

    def __init__(self, records: bool) -> None:
        self.count = 0
        self.records = records
        self.recorded = BoundedItems(config.max_value_chars() * 3 // 4 if records else 0)

    def add(self, item: Any) -> None:
        self.count += 1
        if len(self.recorded.items) >= _MAX_GEN_ITEMS:
            return
        try:
            self.recorded.add(item)
        except Exception as exc:
            self.recorded.budget.left = 0  # record no more: the count still goes on
            report("tool.yield", exc)

    def result(self, outcome: dict[str, Any]) -> dict[str, Any]:
        """The result as bounded plain data: the items as recorded, ``outcome`` in the budget they left.
        Nothing of ``outcome`` is read when nothing is recorded (its objects' own code must not run)."""
        if not self.records:
            return {"yielded": self.count}
        items = self.recorded.items
        if len(items) < self.count and items:
            items = [*items, MORE_ITEMS_MARKER.format(n=self.count - len(items))]
        limit = config.max_value_chars()
        room = max(limit // 4 + max(self.recorded.budget.left, 0), 1)
        return {"yielded": self.count, "items": items, **{k: bounded(v, room) for k, v in outcome.items()}}


def _closing(thrown: BaseException | None) -> bool:
    """Whether what was thrown in is ``GeneratorExit`` (the consumer closing), by the class the interpreter holds:
    ``isinstance()`` reads ``__class__`` through the exception's own ``__getattribute__``, and what that raised would
    replace the body's return."""
    return thrown is not None and issubclass(type(thrown), GeneratorExit)


def wrap_gen(fn: Callable[..., Generator[Any, Any, Any]], step: _Step) -> Callable[..., Any]:
    """The wrapper steps the body itself, recorded or not, never by ``yield from``: that would ``close()`` the
    body when ``GeneratorExit`` is thrown in, where an undecorated body has it thrown (and may catch it, yield
    again or return). ``close()`` on the wrapper throws it in the same way, so a body that yields again makes
    ``close()`` raise the ``RuntimeError`` it raises undecorated, and goes on."""

    @functools.wraps(fn)
    def run_gen(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        base = step.session_context(kwargs) if step.session_kw else None
        started = step.start(args, kwargs, base)
        to_send: Any = None
        to_throw: BaseException | None = None
        if started is None:
            plain = fn(*args, **kwargs)
            while True:
                try:
                    item = plain.throw(to_throw) if to_throw is not None else plain.send(to_send)
                except StopIteration as stop:
                    return stop.value
                try:
                    to_send, to_throw = (yield item), None
                except BaseException as exc:  # GeneratorExit too
                    to_send, to_throw = None, unwound(exc)
        yielded = _Yielded(step.records_content(started))
        try:
            gen = fn(*args, **kwargs)
            while True:
                item = gen.throw(to_throw) if to_throw is not None else gen.send(to_send)
                to_throw = None
                yielded.add(item)
                body = step.suspend(started)
                try:
                    to_send = yield item
                except BaseException as exc:  # GeneratorExit too: the consumer closing it (break, close(), GC)
                    to_throw = unwound(exc)
                started = step.resume(started, body)
        except StopIteration as stop:
            # A body that returns when closed was still stopped early by its consumer (recorded as before).
            step.succeed(started, yielded.result({"closed_early": True} if _closing(to_throw)
                                                 else {"return": stop.value}), plain=True)
            return stop.value
        except GeneratorExit:
            step.succeed(started, yielded.result({"closed_early": True}), plain=True)
            raise
        except BaseException as exc:
            step.fail(started, exc, args, kwargs)
            raise
    return run_gen


def wrap_async_gen(fn: Callable[..., AsyncGenerator[Any, Any]], step: _Step) -> Callable[..., Any]:
    """The same for an async generator: ``asend``/``athrow`` reach the body recorded or not (an ``async for``
    hands it ``None`` and throws nothing in), and ``GeneratorExit`` is thrown in, not turned into ``aclose()``."""

    @functools.wraps(fn)
    async def run_agen(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
        base = step.session_context(kwargs) if step.session_kw else None
        started = step.start(args, kwargs, base)
        to_send: Any = None
        to_throw: BaseException | None = None
        if started is None:
            plain = fn(*args, **kwargs)
            while True:
                try:
                    item = await (plain.athrow(to_throw) if to_throw is not None else plain.asend(to_send))
                except StopAsyncIteration:
                    return
                try:
                    to_send, to_throw = (yield item), None
                except BaseException as exc:  # GeneratorExit too
                    to_send, to_throw = None, unwound(exc)
        yielded = _Yielded(step.records_content(started))
        try:
            agen = fn(*args, **kwargs)
            while True:
                item = await (agen.athrow(to_throw) if to_throw is not None else agen.asend(to_send))
                to_throw = None
                yielded.add(item)
                body = step.suspend(started)
                try:
                    to_send = yield item
                except BaseException as exc:  # GeneratorExit too (see wrap_gen)
                    to_throw = unwound(exc)
                started = step.resume(started, body)
        except StopAsyncIteration:
            step.succeed(started, yielded.result({"closed_early": True} if _closing(to_throw) else {}), plain=True)
        except GeneratorExit:
            step.succeed(started, yielded.result({"closed_early": True}), plain=True)
            raise
        except BaseException as exc:
            step.fail(started, exc, args, kwargs)
            raise
    return run_agen
