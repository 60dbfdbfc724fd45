"""The one guard around telemetry side effects.

Telemetry must never change what the user's program does. Every piece of our code that runs inside
the user's call path (span creation, attribute shaping, cost lookup, stream bookkeeping) runs under
:func:`guard` or :func:`guarded`: a failure is swallowed and logged once per *distinct* failure (site,
exception type and message shape), so a second, different bug at the same site is not hidden behind
the first, while one bug repeated on every call logs one line. The user's own
function is never called under the guard, so its exceptions propagate untouched.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, ParamSpec, TypeVar

from . import _forksafe

logger = logging.getLogger("agentops_otel")

_P = ParamSpec("_P")
_R = TypeVar("_R")

MAX_REMEMBERED = 512
"""Distinct failures remembered; past it the memory starts over (a few repeats logged, never growth)."""

_reported: set[tuple[str, str, str]] = set()
_lock = _forksafe.lock()
_NUMBERS = re.compile(r"0x[0-9a-fA-F]+|\b[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\b"
                      r"|\b[0-9a-fA-F]{8,}\b|\b[0-9a-fA-F]*\d[0-9a-fA-F]*\b|\d+")
"""Addresses, uuids, ids (hexadecimal words of eight digits or more: a span or trace id, even one without a decimal
digit), shorter hexadecimal words holding a digit, then any digits."""


def _shape(exc: BaseException) -> str:
    """The message with its numbers, ids and addresses blanked: ``index 3`` and ``index 7`` are one failure, and
    so are the same failure on span ``00f067aa0ba902b7`` and on span ``53995c3f42cd8ad8``."""
    try:
        text = str(exc)
    except BaseException:  # a message that can't be rendered (see describe) is still one kind of failure
        return "?"
    return _NUMBERS.sub("#", text[:200])


def _safe_repr(exc: BaseException) -> str:
    """``repr(exc)`` for the log line, rendered here (see :func:`describe`) rather than by logging."""
    try:
        return repr(exc)
    except BaseException:
        return f"<unprintable {type_name(exc)}>"


def _first_time(key: tuple[str, str, str]) -> bool:
    """Whether ``key`` is said for the first time (then remembered): repeats stay quiet."""
    with _lock:
        if key in _reported:
            return False
        if len(_reported) >= MAX_REMEMBERED:
            _reported.clear()
        _reported.add(key)
    return True


def report(site: str, exc: BaseException) -> None:
    """Log an internal failure the first time this failure happens at ``site``; repeats stay quiet."""
    if not _first_time((site, type(exc).__qualname__, _shape(exc))):
        return
    try:
        logger.warning("agentops_otel: internal error in %s (telemetry skipped, your call proceeds): %s",
                       site, _safe_repr(exc), exc_info=exc)
    except Exception:  # pragma: no cover - a broken logging config must not break the app either
        pass


def notice(site: str, message: str) -> None:
    """Say once per ``site`` what happens in a situation the user's program made (not a failure of ours):
    a plain warning, no traceback."""
    if not _first_time((site, "notice", "")):
        return
    try:
        logger.warning("agentops_otel: %s", message)
    except Exception:  # pragma: no cover - a broken logging config must not break the app either
        pass


def reset_reports() -> None:
    """Forget which failures were already reported (tests use it to see the log line again)."""
    with _lock:
        _reported.clear()


@contextmanager
def guard(site: str) -> Iterator[None]:
    """Swallow and report any ``Exception`` raised in the block (never ``KeyboardInterrupt``)."""
    try:
        yield
    except Exception as exc:
        report(site, exc)


def guarded(site: str, default: _R) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Decorate a telemetry helper so it returns ``default`` instead of raising."""

    def decorate(fn: Callable[_P, _R]) -> Callable[_P, _R]:
        @functools.wraps(fn)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                report(site, exc)
                return default

        return wrapper

    return decorate


class FaultInjector:
    """Makes a named guarded site raise, so tests can prove the user's call is unaffected.

    Production code calls :func:`fault_point` at the start of each guarded site; it costs one dict
    lookup on an empty dict unless a test armed it.
    """

    armed: ClassVar[dict[str, type[BaseException]]] = {}


ARMED: dict[str, type[BaseException]] = FaultInjector.armed
"""The armed sites (the same dict): hot paths test ``if ARMED:`` before calling :func:`fault_point`,
which saves a call per site on every LLM call when nothing is armed."""


def fault_point(site: str) -> None:
    """Raise the exception a test armed for ``site`` (no-op otherwise)."""
    if FaultInjector.armed:
        exc = FaultInjector.armed.get(site) or FaultInjector.armed.get("*")
        if exc is not None:
            raise exc(f"injected fault at {site}")


def describe(exc: BaseException) -> str:
    """``"Type: message"`` for any exception, even one whose ``__str__`` raises; never raises itself.

    The user's exception is about to propagate to them: computing its text must not replace it, not
    even with a ``KeyboardInterrupt`` or ``SystemExit`` its ``__str__`` raises. So every error is
    caught here, at the price of swallowing a real Ctrl-C that lands inside this ``str()`` call: the
    user's exception still propagates, so the program unwinds either way.
    Credential-shaped text in it is masked (a provider's error may echo the key it was given), after a cut
    to the value bound: the text may be a megabyte (an HTML error page), and this runs before the caller
    gets the exception.
    """
    from . import config  # _redact and _cut report through this module
    from ._cut import truncate_masked

    name = type_name(exc, qualified=False)
    try:
        text = str(exc)
    except BaseException:
        text = "<unprintable exception>"
    return truncate_masked(f"{name}: {text}" if text else name, config.max_value_chars())


def type_name(exc: object, *, qualified: bool = True) -> str:
    """The exception's class name (``__qualname__``, or ``__name__``); never raises.

    A metaclass can make even the name user code, and the exception it belongs to is about to reach
    the user: reading its name must not replace it (whatever it raises, as in :func:`describe`).
    """
    try:
        name = type(exc).__qualname__ if qualified else type(exc).__name__
        return name if isinstance(name, str) else "<unnamed exception>"
    except BaseException:
        return "<unnamed exception>"


def record_exception(span: Any, exc: BaseException) -> None:
    """``span.record_exception(exc)`` with message and stack trace masked; never calls ``str`` unsafely."""
    from ._error_text import record_exception as record_masked

    record_masked(span, exc)
