"""What in a session read back contradicts itself, for ``diff``.

The gate does not judge such a session (``_gate_contradictions``); a diff of it would be as much a guess:
two copies of one span that differ, a key given twice with different values, several roots under one
session id, a root saying Success with status ERROR. The reassembler keeps one of each (a copy, the first
value, the earliest root) and the steps are compared on that, so "identical", or a divergence, would say
which line of the file came first. The diff still shows what it found on what was kept, and says what
it rests on.

Sessions nested in a compared one count too, as the gate judges them with their run: their steps are among its
steps, but what their own spans say two ways (copies of one of them that differ, a root whose status contradicts
its end state) is in their summaries only. So is a session whose root hangs under a span of the compared one while
naming another session as its parent: which run it was part of, the data does not say.
"""

from __future__ import annotations

from collections.abc import Sequence

from agentops_otel.reassemble._summary import Issue
from agentops_otel.timeline import Timeline

__all__ = ["contradictions", "nested_contradictions", "nested_in", "step_notes"]

_CONTRADICTING = frozenset({Issue.CONFLICTING_COPIES, Issue.DUPLICATE_ROOTS, Issue.STATE_CONTRADICTED,
                            Issue.GIVEN_TWICE, Issue.SESSION_PARENT_CONTESTED})


def contradictions(t: Timeline) -> list[str]:
    """What the session says two ways, one line each (empty: nothing): the issues of its summary, and the keys
    given twice on steps reassembly did not decode (decoded now, as ``Timeline.unreadable_attributes`` does)."""
    s = t.summary
    found = [text for kind, text in zip(s.issue_kinds, s.issues, strict=False) if kind in _CONTRADICTING]
    named = " ".join(found)
    for step in t.steps:
        decode = getattr(step.attributes, "decoded", None)
        if decode is not None:
            decode()
        twice = getattr(step.attributes, "given_twice", None)
        if twice:
            note = f"{step.span_name}: {twice}"
            if note not in named:  # already among the summary's (a step reassembly decoded)
                found.append(note)
    return found


def step_notes(t: Timeline) -> set[str]:
    """The ``"span: note"`` entries of ``Timeline.unreadable_attributes`` that are keys given twice only (named
    among the contradictions instead)."""
    out: set[str] = set()
    for step in t.steps:
        twice = getattr(step.attributes, "given_twice", None)
        if twice and twice == getattr(step.attributes, "decode_error", None):
            out.add(f"{step.span_name}: {twice}")
    return out


def nested_in(t: Timeline, found: Sequence[Timeline]) -> list[Timeline]:
    """The sessions of ``found`` nested in ``t`` at any depth (their roots are among its steps), and those hanging
    under a span of ``t`` while naming another session as their parent (shown as sessions of their own)."""
    sid = t.summary.session_id
    inner = {s.session_id for s in t.steps if s.kind == "session" and s.session_id not in (None, sid)}
    under = f"parent span in {sid}, "  # the contested parent's issue, as the reassembler words it
    return [x for x in found if x.summary.session_id != sid and (x.summary.session_id in inner or any(
        kind == Issue.SESSION_PARENT_CONTESTED and text.startswith(under)
        for kind, text in zip(x.summary.issue_kinds, x.summary.issues, strict=False)))]


def nested_contradictions(t: Timeline, nested: Sequence[Timeline], named: Sequence[str]) -> list[str]:
    """:func:`contradictions` of the sessions nested in ``t``, each as ``child (nested in parent): what``, but those
    ``named`` already (a nested root's key given twice is a step of ``t`` too)."""
    said = " ".join(named)
    out: list[str] = []
    for child in nested:
        s = child.summary
        where = s.parent_session_id if s.parent_session_id is not None else f"a span of {t.summary.session_id}"
        out.extend(f"{s.session_id} (nested in {where}): {what}" for what in contradictions(child)
                   if what not in said and not any(line in what for line in named))
    return out
