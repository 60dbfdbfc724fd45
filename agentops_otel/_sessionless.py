"""Agent steps that start outside any session while a session is open: what no session can vouch for.

A session follows its context, and a thread that did not inherit it (a ``ThreadPoolExecutor`` worker,
``loop.run_in_executor``, a ``threading.Thread``) makes its model and tool calls outside any session.
No session counts them, so a verdict on a session's absence of calls, its call count or its cost
would pass while the agent's own calls ran next door. Which session such a step belongs to cannot be
told (it may be another request's), so none claims it; instead each is numbered here as it starts,
and a session keeps the numbers at its start and end: its verdicts on absence refuse to pass when
steps ran outside any session meanwhile, and name the last few.

Only while some session is open (the processor asks), so a program without sessions pays nothing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

from . import _forksafe, genai_spans, semconv

_NAMED = 20
"""How many of the latest such steps are kept by name (the rest are only counted)."""

_lock = _forksafe.lock()
_last = 0
"""The number of the latest step started outside any session while a session was open."""
_named: deque[tuple[int, str]] = deque(maxlen=_NAMED)


def is_step(attrs: Mapping[str, Any]) -> bool:
    """A model call, tool call or action: what a session's verdicts count (not any span at all)."""
    return (genai_spans.is_llm(attrs) or attrs.get(semconv.GEN_AI_OPERATION_NAME) == semconv.OP_EXECUTE_TOOL
            or semconv.ACTION_TYPE in attrs)


def note(name: str) -> None:
    """A step named ``name`` started outside any session (called by the processor, never raises)."""
    global _last
    with _lock:
        _last += 1
        _named.append((_last, name))


def mark() -> int:
    """Where the count stands now: a session keeps it at its start and at its end."""
    return _last


def between(start: int, end: int | None) -> tuple[int, list[str]]:
    """How many such steps started after mark ``start`` up to ``end`` (``None``: now), and the names of
    the latest of them that are still known."""
    with _lock:
        stop = _last if end is None else end
        names = [name for n, name in _named if start < n <= stop]
    return stop - start, names
