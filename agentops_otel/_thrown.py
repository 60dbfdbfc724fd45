"""What a wrapper stepping a generator or coroutine by hand throws into it: the exception thrown into the wrapper
(``throw()``, ``athrow()``, ``close()``, a task's cancellation), without the traceback entry the wrapper's own
``yield`` added as it caught it. Undecorated, such an exception's traceback ends at the body's ``yield``; left in, the
entry would put the error's innermost frame in our code (where a traceback's reader, an error tracker's grouping,
looks first)."""

from __future__ import annotations

import sys

__all__ = ["unwound"]


def unwound(exc: BaseException) -> BaseException:
    """``exc``, caught by the caller's ``except``, with the entry for the caller's frame taken off its traceback. Read
    and set from C (``sys.exc_info``, ``BaseException.with_traceback``), never through the exception's own
    attributes: a ``__getattribute__`` guarding ``__traceback__`` would raise into the program."""
    tb = sys.exc_info()[2]
    if tb is not None and tb.tb_frame is sys._getframe(1):
        BaseException.with_traceback(exc, tb.tb_next)
    return exc
