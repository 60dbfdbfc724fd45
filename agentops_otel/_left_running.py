"""Steps still running when their session ended: what each one leaves out of that session's figures.

The AgentOps 0.3 port ``@record_action("main") def main(): ...; end_session("Success")`` ends the session from
inside a step: the action is still running as the session ends, and its end comes after the session's, which
never counts it. Once that step has ended, it has left out only itself: one action (a model call, a tool call),
and perhaps one error. What it started after the session ended is in no figure of the session either, but that
is a step of its own, noted as started after the end. So a session keeps the kind of each step it left running
(:func:`kind_of`), and a figure refuses only for steps it could have counted: the model count for a model call
left running, not for an action.

Two things the session cannot see for itself, which the processor tells this module:

- a span starting under one of those steps after the end where the session is no longer current
  (``end_session()`` inside the action gives the caller's context back, the action's span still current in it):
  :func:`started_under` notes it as started after the end, as a span started in the session's own context is;
- the end of one of those steps (:func:`ended`): until then it may still start steps the session will never
  see, so every figure refuses on it.

Only while some session left a step running (the processor asks whether :data:`steps` is empty), so a program
that ends its sessions after their steps pays one dict lookup per span.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Final, Protocol

from . import _forksafe, semconv

LLM: Final = "llm"
TOOL: Final = "tool"
ACTION: Final = "action"
OTHER: Final = "other"
"""A step of which no name of ours tells the kind (another instrumentation's span, our own session or error
span): at its end it may turn out to be a model call, a tool call or an action, so every figure refuses on it."""

MODEL_READS: Final = frozenset({LLM, OTHER})
"""The kinds of step a figure of model calls (their count, tokens, events, cost) can leave out."""
TOOL_READS: Final = frozenset({TOOL, OTHER})
ACTION_READS: Final = frozenset({ACTION, OTHER})

_HEADS: Final = {**dict.fromkeys(semconv.LLM_OPERATIONS, LLM), semconv.SPAN_TOOL: TOOL, semconv.SPAN_ACTION: ACTION}
_KEPT: Final = 4096
"""How many steps left running are followed to their end; past that the oldest is dropped, and its session takes
it as still running for good (its figures refuse: never the other way)."""


def kind_of(name: str, own: bool) -> str:
    """The kind of step a span is, from its name when it is ours (``chat gpt-4o``, ``execute_tool lookup``,
    ``action main``): ours are named for their operation. Another instrumentation's name says nothing for sure
    (a websocket's ``chat support-room``), so its span is :data:`OTHER`."""
    head, _, tail = name.partition(" ")
    return _HEADS.get(head, OTHER) if own and tail else OTHER


class _Session(Protocol):
    def _left_step_ended(self, span_id: int) -> None: ...

    def _late_step(self, name: str, counted_in: object) -> None: ...


steps: dict[int, weakref.ref[_Session]] = {}
"""Span id of each step left running, to the session it was left running in (weakly: a session nobody holds is
read by nobody). The processor's hooks only ask whether it is empty, without the lock."""
_lock = _forksafe.lock()


def keep(span_ids: Iterable[int], session: _Session) -> None:
    """Follow the steps ``session`` left running as it ended, to tell it when each ends or starts another."""
    ref = weakref.ref(session)
    with _lock:
        for sid in span_ids:
            steps[sid] = ref
        while len(steps) > _KEPT:
            del steps[next(iter(steps))]


def ended(span_id: int) -> None:
    """A span ended (processor, any span while :data:`steps` is not empty; never raises)."""
    with _lock:
        ref = steps.pop(span_id, None)
    session = ref() if ref is not None else None
    if session is not None:
        session._left_step_ended(span_id)


def started_under(parent_id: int, name: str, counted_in: object) -> None:
    """A span ``name`` started under span ``parent_id`` (processor, while :data:`steps` is not empty), in the
    session ``counted_in`` (``None``: outside any): under a step left running, it started after that step's
    session ended, which is told so unless it is that session's own."""
    ref = steps.get(parent_id)
    session = ref() if ref is not None else None
    if session is not None and session is not counted_in:
        session._late_step(name, counted_in)
