"""Model calls whose span outlives their wrapper (streams), tracked until they end.

A session that ends while one of its streams is still open counts it as a call whose cost is not
known (:func:`open_calls_in`) and leaves it running: a handler may return the stream for its caller to
read, and its usage arrives at the end. A stream still open at exit is ended as unfinished
(:func:`end_open_calls`), so it is not lost.
"""

from __future__ import annotations

import os
from typing import Protocol

from . import _guard

__all__ = ["OpenCall", "end_open_calls", "hold_open", "open_calls_in", "release"]


class OpenCall(Protocol):
    """A call whose span outlives its wrapper (a stream): named, and able to end as unfinished."""

    @property
    def name(self) -> str: ...

    def abandon(self) -> None: ...


_open_calls: dict[OpenCall, str | None] = {}
"""Streams still open, with the id of the session they were made in (``None``: outside any). Plain
dict operations, no lock: entries are dropped from finalisers too."""


def _forget_parents_calls() -> None:
    """In a forked child the open streams are the parent's: the parent ends and writes them; the child's
    exit path must not end its copies as unfinished and write them a second time."""
    _open_calls.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_parents_calls)


def hold_open(call: OpenCall, session_id: str | None) -> None:
    """Track ``call`` until :func:`release`: its session (or the exit) ends it if the program doesn't."""
    _open_calls[call] = session_id


def release(call: OpenCall) -> None:
    _open_calls.pop(call, None)


def open_calls_in(session_id: str | None) -> list[OpenCall]:
    """The calls made in session ``session_id`` (``None``: outside any session) that are still open."""
    return [call for call, owner in _open_calls.copy().items() if owner == session_id]


def end_open_calls(session_id: str | None = None) -> None:
    """End as unfinished the calls still open in session ``session_id`` (every one, with ``None``)."""
    for call, owner in _open_calls.copy().items():
        if session_id is None or owner == session_id:
            try:
                call.abandon()
            except Exception as exc:  # abandon is guarded; this only keeps one failure from the rest
                _guard.report("llm.end_open", exc)
            release(call)
