"""Error text as recorded: an exception's message and stack trace, a span's status, a session's end reason.

Error text is whatever the user's code, a provider or a proxy put in an exception (a 100 kB HTML error page, a
minified script on one line), and it is recorded on the user's thread, between the raise and the caller. So
it is cut to the value bound (``config.max_value_chars``, :data:`._cut.TRUNCATED_MARKER` saying how much
went) *before* it is masked, like every other recorded value: its cost is that of ``max_value_chars``
characters, whatever the exception holds. A stack trace keeps the frames nearest the raise within the same
bound, each of its lines (a frame, an exception's message) cut to a quarter of it.

The secret values a failed call was given (:func:`known_secrets`) are masked wherever the text repeats them,
then the text goes past the user's hook (:func:`._redact.apply_hook`).
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from typing import Any, Final

from opentelemetry.trace import Span

from . import config, semconv
from ._cut import TRUNCATED_MARKER, truncate_masked
from ._guard import type_name
from ._redact import REDACTION_FAILED, apply_hook, is_secret_key

__all__ = ["SHORTEST_KNOWN", "exception_type", "known_secrets", "record_exception", "safe_str", "scrub"]


def safe_str(exc: BaseException) -> str:
    """``str(exc)``, or a marker when that raises anything at all: the exception is the user's, on its
    way to them, and must not be replaced by what its ``__str__`` raises (see ``_guard.describe``)."""
    try:
        return str(exc)
    except BaseException:
        return f"<unprintable {type_name(exc)}>"


def scrub(attribute: str, text: str, known: tuple[str, ...] = ()) -> str:
    """Error text (an exception's message, a status, an end reason) as recorded: cut to the value bound, masked
    (``known`` too: secret values the text may repeat, see :func:`known_secrets`), then past the user's hook,
    which is told ``attribute``; a hook returning a non-string fails closed."""
    return _hooked(attribute, truncate_masked(text, config.max_value_chars(), known))


def _hooked(attribute: str, text: str) -> str:
    out = apply_hook(attribute, text)
    return out if isinstance(out, str) else REDACTION_FAILED


_SHORTEST_LINE: Final = 80
"""What a line of a stack trace keeps at least when the value bound is small (unless the bound is smaller)."""


def _stacktrace(exc: BaseException, limit: int, known: tuple[str, ...]) -> str:
    """The stack trace as Python prints it, cut and masked: each line (a frame, an exception's message) cut to
    a quarter of ``limit``, and the lines nearest the raise kept within ``limit``, a marker saying how much of
    the rest was left out (the oldest frames first: the last lines say where and why it was raised)."""
    try:
        lines = list(traceback.TracebackException(type(exc), exc, exc.__traceback__, compact=True).format())
    except BaseException:
        return ""
    longest = max(limit // 4, min(limit, _SHORTEST_LINE))
    kept: list[str] = []
    room = limit
    for line in reversed(lines):
        shown = truncate_masked(line, longest, known)
        if line.endswith("\n") and not shown.endswith("\n"):
            shown += "\n"
        if len(shown) > room:
            break
        kept.append(shown)
        room -= len(shown)
    left_out = sum(len(line) for line in lines[:len(lines) - len(kept)])
    if left_out:
        kept.append(TRUNCATED_MARKER.format(n=left_out) + "\n")
    return "".join(reversed(kept))


SHORTEST_KNOWN: Final = 6
"""A secret argument's value shorter than this is not searched for in error text: "no" or "1234" would mask
ordinary words and numbers, and a password that short is not one worth hiding from a trace."""
_KNOWN_MAX: Final = 32
_KNOWN_DEPTH: Final = 6


def known_secrets(arguments: Mapping[str, Any]) -> tuple[str, ...]:
    """The string values a call's arguments hold under secret-named keys (``password``, ``config["api_token"]``):
    masked by their name in the recorded arguments, they are masked in the call's error text too, which often
    repeats them (``denied for password=…``). Off the per-call path: read only when a call failed."""
    found: list[str] = []

    def walk(value: Any, depth: int) -> None:
        if depth > _KNOWN_DEPTH or len(found) >= _KNOWN_MAX:
            return
        if isinstance(value, Mapping):
            for key, item in list(value.items())[:_KNOWN_MAX * 8]:
                if isinstance(key, str) and is_secret_key(key):
                    if isinstance(item, str) and len(item) >= SHORTEST_KNOWN:
                        found.append(item)
                else:
                    walk(item, depth + 1)
        elif isinstance(value, (list, tuple)):
            for item in value[:_KNOWN_MAX * 8]:
                walk(item, depth + 1)

    walk(arguments, 0)
    return tuple(sorted(set(found), key=len, reverse=True))  # the longest first: one may contain another


def exception_type(exc: BaseException) -> str:
    """``module.Qualname`` of the exception's class (a builtin's bare name), as ``exception.type`` is
    written: what tells ``myapp.ValidationError`` from pydantic's. Never raises."""
    try:
        module = type(exc).__module__
    except BaseException:
        module = None
    qualname = type_name(exc)
    return f"{module}.{qualname}" if isinstance(module, str) and module and module != "builtins" else qualname


def record_exception(span: Span, exc: BaseException, known: tuple[str, ...] = ()) -> None:
    """``span.record_exception`` with message and stack trace cut and masked (``known`` too, see :func:`scrub`);
    ``exc`` itself is left alone."""
    limit = config.max_value_chars()
    span.add_event(semconv.EVENT_EXCEPTION, {
        semconv.EXCEPTION_TYPE: exception_type(exc),
        semconv.EXCEPTION_MESSAGE: scrub(semconv.EXCEPTION_MESSAGE, safe_str(exc), known),
        semconv.EXCEPTION_STACKTRACE: _hooked(semconv.EXCEPTION_STACKTRACE, _stacktrace(exc, limit, known)),
    })
