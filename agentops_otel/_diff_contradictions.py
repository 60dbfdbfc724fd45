"""What in a session read back contradicts itself, for ``diff``.

The gate does not judge such a session (``_gate_contradictions``); a diff of it would be as much a guess:
two copies of one span that differ, a key given twice with different values, several roots under one
session id, a root saying Success with status ERROR. The reassembler keeps one of each (a copy, the first
value, the earliest root) and the steps are compared on that, so "identical", or a divergence, would say
which line of the file came first. The diff still shows what it found on what was kept, and says what
it rests on.
"""

from __future__ import annotations

from agentops_otel.reassemble._summary import Issue
from agentops_otel.timeline import Timeline

__all__ = ["contradictions", "step_notes"]

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
