"""Sessions the gate does not judge because their data does not say how they ended.

A verdict on such a session would be a guess: counted by whichever value came first (an attribute
given twice, one of two copies of a span, the earliest of several roots) or by a state nobody defined,
a Fail could pass unseen. Each rule names the sessions it holds back, and any of them makes the verdict
INSUFFICIENT DATA. Nested sessions count too: what a nested session says is part of its run's verdict.
A contradiction that can only make a run fail (a Fail root with status OK) is no reason: it fails.
"""

from __future__ import annotations

import reprlib
from collections.abc import Sequence

from .reassemble._summary import Issue
from .timeline import SessionSummary, Timeline

__all__ = ["unjudgeable"]

_NAMED = 5
"""Sessions named per rule; the rest are counted."""


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _issue(s: SessionSummary, kind: Issue) -> str:
    """The text of the session's issue of ``kind`` ("" for a summary built without texts)."""
    return s.issues[s.issue_kinds.index(kind)] if len(s.issues) == len(s.issue_kinds) else ""


def _root_count(s: SessionSummary) -> str:
    """How many root spans the reassembler found, from its issue ("2 root spans; ...")."""
    count = _issue(s, Issue.DUPLICATE_ROOTS).split(" ", 1)[0]
    return count if count.isdigit() else "several"


def _named(found: Sequence[str]) -> str:
    return ", ".join(found[:_NAMED]) + (", …" if len(found) > _NAMED else "")


def unjudgeable(timelines: Sequence[Timeline]) -> list[str]:
    """Why the verdict can't be given, one line per rule that holds a session back (empty: none does)."""
    why: list[str] = []
    # A key given twice with different values reads as its first: lumped with what could not be read.
    unreadable = [str(t.summary.session_id) for t in timelines
                  if {Issue.UNREADABLE_ATTRIBUTES, Issue.GIVEN_TWICE} & set(t.summary.issue_kinds)
                  or t.unreadable_attributes()]
    if unreadable:
        why.append(f"{_plural(len(unreadable), 'session')} with attributes that could not be read "
                   f"({_named(unreadable)}): see `agentops-otel replay` for which")
    # A state nobody defined is neither a pass nor a failure.
    unknown = [t.summary for t in timelines if Issue.UNKNOWN_END_STATE in t.summary.issue_kinds]
    if unknown:
        named = [f"{s.session_id}: " + ("no end state recorded" if s.end_state is None else reprlib.repr(s.end_state))
                 for s in unknown]
        why.append(f"{_plural(len(unknown), 'session')} with an unknown end state ({_named(named)}; "
                   "not Success, Fail or Indeterminate)")
    # Several roots under one session.id are several runs (an id reused by another writer, a run exported
    # twice under new span ids). Which of their end states is the session's, and whose cost, the data does
    # not say: counted as one run by its earliest root, a Fail would pass unseen.
    merged = [t.summary for t in timelines if Issue.DUPLICATE_ROOTS in t.summary.issue_kinds]
    if merged:
        named = [f"{s.session_id}: {_root_count(s)} roots" for s in merged]
        why.append(f"{_plural(len(merged), 'session')} with more than one root span ({_named(named)}): "
                   "runs sharing a session id can't be judged apart")
    # One span in two copies that differ (the same root once Fail, once Success): counted by the copy kept,
    # the verdict would depend on the order of the lines.
    copies = [t.summary for t in timelines if Issue.CONFLICTING_COPIES in t.summary.issue_kinds]
    if copies:
        named = [f"{s.session_id}: {_issue(s, Issue.CONFLICTING_COPIES).partition(': ')[2] or 'a span'}"
                 for s in copies]
        why.append(f"{_plural(len(copies), 'session')} with copies of one span that differ ({_named(named)}): "
                   "which copy is right the data does not say")
    # Success on a root whose status is ERROR: one of them is wrong, and a pass would trust the end state.
    contradicted = [t.summary for t in timelines if Issue.STATE_CONTRADICTED in t.summary.issue_kinds]
    if contradicted:
        named = [f"{s.session_id}: {_issue(s, Issue.STATE_CONTRADICTED).partition(':')[0] or 'Success and ERROR'}"
                 for s in contradicted]
        why.append(f"{_plural(len(contradicted), 'session')} whose root contradicts itself ({_named(named)}): "
                   "a pass would take the end state's word over the status")
    # A root under a span of one session naming another as its parent: nested in the one, its Fail would be
    # handled by a passing run; counted on its own, its pass would add a run. Which, the data does not say.
    contested = [t.summary for t in timelines if Issue.SESSION_PARENT_CONTESTED in t.summary.issue_kinds]
    if contested:
        named = [f"{s.session_id}: {_issue(s, Issue.SESSION_PARENT_CONTESTED).partition(':')[0] or 'two parents'}"
                 for s in contested]
        why.append(f"{_plural(len(contested), 'session')} under a span of one session naming another as its parent "
                   f"({_named(named)}): which run it was part of the data does not say")
    return why
