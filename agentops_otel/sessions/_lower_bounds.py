"""Which of a live session's model counts are only lower bounds, in the words a refused read shows.

A batch submitted with its number of requests unknown is in ``llm_calls`` as one call; a call that reported no
usage (a stream without ``include_usage``, a gateway's empty usage, a batch) adds no tokens, nor does a stream
still open when the session ended. ``assert_llm_calls_at_most`` and ``assert_tokens_below`` refuse on these; a
test's bare ``assert s.llm_calls <= 3`` or ``assert s.output_tokens < 500`` would pass on the bound, so
``_judged`` refuses those reads with the lines here. Each count is checked on its own: a call that reported its
prompt count and no completion count leaves ``input_tokens`` whole.

Cheap checks first (counters the rollup keeps); the calls are named, reading their spans, only when a read
refuses (only ever in a test).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .._step import Step
    from ._rollup import Rollup
    from ._session import Session

__all__ = ["CALLS", "INPUT", "OUTPUT", "LowerBound", "doubted_calls", "input_unknown", "output_unknown",
           "unsized_calls"]


class LowerBound(NamedTuple):
    """What can leave one of the counts a lower bound, and what to check instead."""

    lines: Callable[[Session], list[str]]
    """Why the count of this session is a lower bound, one line each (empty when it is whole)."""
    left_out: str
    instead: str


def unsized_calls(session: Session) -> list[str]:
    """The batches counted as one call each whose number of requests is unknown (empty when none)."""
    if not session.unsized_batches:
        return []
    from ..testing._budget import unsized_batch_lines

    lines = unsized_batch_lines(session)
    return lines or [f"{session.unsized_batches} batch submits whose number of requests is unknown"]


def input_unknown(session: Session) -> list[str]:
    """The calls whose input token count (and so its cache counts) is unknown, or that may still report it."""
    return _unknown(session, output=False)


def output_unknown(session: Session) -> list[str]:
    """The calls whose output token count (and so its reasoning count) is unknown, or that may still report it."""
    return _unknown(session, output=True)


def _unknown(session: Session, *, output: bool) -> list[str]:
    if not (session.open_at_end or session._usage_doubts):
        return []
    lines = [f"{name}: a stream still open when the session ended (its usage comes at its end)"
             for name in session.open_at_end]
    from .._cost_gaps import GAP_TEXT, unknown_counts, usage_gap

    steps, more = doubted_calls(session)
    for step in steps:
        if unknown_counts(step)[output]:
            gap = usage_gap(step) or ""
            lines.append(f"{step.span_name}: {GAP_TEXT.get(gap, gap)}")
    if more:  # not held to tell which: none of them may be taken as whole
        lines.append(f"{more} more model calls whose usage lacked a token count")
    return lines


def doubted_calls(rollup: Rollup) -> tuple[list[Step], int]:
    """The model calls counted whose usage lacked a count that ``rollup`` kept (whether or not it still holds their
    spans past its cap), as steps, and how many more it counted without keeping them. Kept apart from the held
    spans because these decide whether a token total is whole: past the cap, a dropped one is still named."""
    with rollup._lock:
        spans, doubts = list(rollup._usage_doubt_spans), rollup._usage_doubts
    if not spans:
        return [], doubts
    from ..read import records_from_spans
    from ..reassemble import reassemble

    found = reassemble(records_from_spans(spans))
    steps = [step for timeline in (*found.sessions, *found.pseudo_sessions) for step in timeline.steps]
    return steps, max(0, doubts - len(spans))


_TOKENS_INSTEAD = ("assert_tokens_below(session, n), which names each call without usage (allow_missing_usage=True "
                   "bounds the calls that reported it)")
CALLS = LowerBound(unsized_calls, "each batch whose number of requests is unknown counts as one call",
                   "assert_llm_calls_at_most(session, n), which names them")
INPUT = LowerBound(input_unknown, "it leaves out the tokens of calls that did not report them", _TOKENS_INSTEAD)
OUTPUT = LowerBound(output_unknown, "it leaves out the tokens of calls that did not report them", _TOKENS_INSTEAD)
