"""The arguments a program passes to ``init()``, ``flush()`` and ``shutdown()``, checked before anything is done.

Unlike the environment variables (read leniently: a typo in a deployment's settings must not stop the
program), a value the program itself passes that means nothing is its mistake, said at once with a
``TypeError``/``ValueError`` naming the argument, rather than failing half-way as our own error.
"""

from __future__ import annotations

import math
import numbers
import reprlib

from .config import ContentCapture, capture_named, link

__all__ = ["capture_argument", "millis_argument", "positive_int_argument", "url_template_argument"]


def capture_argument(value: object) -> ContentCapture:
    """``init(capture_content=...)``: ``True``/``False`` or a mode's name; unlike the environment variable
    (read leniently, see :func:`parse_capture`) a value the program passes that means nothing is an error."""
    if isinstance(value, bool):
        return ContentCapture.SPAN_ONLY if value else ContentCapture.NO_CONTENT
    if not isinstance(value, str):
        raise TypeError(f"init(capture_content=...) takes True, False or a capture mode's name, "
                        f"got {type(value).__name__}")
    mode = capture_named(value)
    if mode is None:
        modes = ", ".join(m.value for m in ContentCapture)
        raise ValueError(f"init(capture_content=...) takes True, False or one of {modes}, got {value!r}")
    return mode


def positive_int_argument(where: str, value: object) -> int:
    """A count or size the program passes: an ``int`` above zero (``True`` is not a size)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{where} takes a positive int, got {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{where} takes a positive int, got {value}")
    return value


def millis_argument(where: str, value: object) -> float:
    """A wait the program passes, in milliseconds: a real number. ``True`` is not one, nor is ``"3000"``
    read from a config file or ``os.environ`` (said here, before anything is done, rather than failing
    half-way as our own error); NaN or infinity is no limit to wait by."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where} takes a number of milliseconds, got {type(value).__name__} {_shown(value)}")
    millis = float(value)
    if not math.isfinite(millis):
        raise ValueError(f"{where} takes a finite number of milliseconds, got {millis}")
    return millis


def _shown(value: object) -> str:
    try:
        return reprlib.repr(value)
    except Exception:
        return "object"


def url_template_argument(value: object) -> str:
    """``init(url_template=...)``: a template that makes a link, checked once here, not on every link."""
    if not isinstance(value, str):
        raise TypeError(f"init(url_template=...) takes a str, got {type(value).__name__}")
    if link(value, "0" * 32, "0" * 16, "session") is None:
        raise ValueError(f"init(url_template=...) can't make a link from {value!r}: use the fields "
                         "{trace_id}, {span_id} and {session_id}")
    return value
