"""Spans → sessions: grouping, tree, causal order, and the repairs real traces need."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from agentops_otel.read._record import SpanRecord
from agentops_otel.timeline import Timeline


class Accounting(msgspec.Struct, frozen=True):
    """Every input span ends up in exactly one bucket: the totals must add up."""

    spans_in: int
    steps: int
    """Spans shown as steps (or as a session root) in exactly one session they belong to."""
    duplicates: int
    unassigned: int


class Reassembly(msgspec.Struct, frozen=True):
    """The sessions found in a set of spans, plus what could not be placed."""

    sessions: list[Timeline]
    unassigned: list[SpanRecord]
    accounting: Accounting

    def timeline_for(self, session_id: str) -> Timeline:
        """The session's timeline; ``KeyError`` when no such session was found."""
        for tl in self.sessions:
            if tl.summary.session_id == session_id:
                return tl
        raise KeyError(session_id)


def reassemble(records: Iterable[SpanRecord]) -> Reassembly:
    """Group, order and repair; every input span is accounted for in the result."""
    raise NotImplementedError
