"""What a session read back from a trace did not show: the steps lost on the way to the backend.

A verdict on absence ("never called", "no errors", "identical") read from the spans found is only as
good as the spans found. The root span carries the session's own counts, written by the process that
ran it; fewer steps found than it counts means spans were lost. Issues of these kinds say a session's
steps are not all of its steps, and the verdicts that need every step refuse to pass on it.
"""

from __future__ import annotations

import math
from typing import Any, Final

import msgspec

from agentops_otel import semconv as sc
from agentops_otel.reassemble._state import _Session
from agentops_otel.reassemble._summary import Issue
from agentops_otel.timeline import Timeline

__all__ = ["UNSEEN_KINDS", "check_root_counts", "unseen_steps"]

UNSEEN_KINDS: Final = frozenset({Issue.TRACE_CUT, Issue.ROOT_MISSING, Issue.STEPS_MISSING,
                                 Issue.FAILED_STEP_MISSING, Issue.ORPHANS, Issue.CYCLES, Issue.TOTALS_INTERRUPTED})
"""Issues that mean steps of the session are not among (or not in their place in) the steps found:
the root's counts say more, its failing step is absent, a parent never arrived, the backend cut the
trace, there is no root to count anything, or the process was stopped while it counted a step. Clock
skew, duplicates and adoption lose no step."""


def _count(value: Any) -> int | None:
    """A count the root declares; anything else (another writer's text, NaN) declares nothing."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if math.isfinite(value) else None


def check_root_counts(sess: _Session, timeline: Timeline) -> Timeline:
    """The timeline, marked incomplete when its root counts more actions or failed steps than were found.

    LLM and tool calls are checked as the summary is made; actions are calls to the assertions too,
    and a failed step the root counted but the trace lacks would let ``assert_no_errors`` pass.
    """
    root = sess.root
    if root is None or sess.pseudo:
        return timeline
    s = timeline.summary
    missing = []
    for key, found, label in ((sc.SESSION_ACTIONS, s.actions, "actions"), (sc.SESSION_ERRORS, s.errors, "errors")):
        declared = _count(root.attributes.get(key))
        if declared is not None and declared > found:
            missing.append(f"root reports {declared} {label}, {found} found")
    if not missing:
        return timeline
    summary = msgspec.structs.replace(s, complete=False, issues=(*s.issues, *missing),
                                      issue_kinds=(*s.issue_kinds, *(Issue.STEPS_MISSING for _ in missing)))
    return msgspec.structs.replace(timeline, summary=summary)


def unseen_steps(timeline: Timeline) -> list[str]:
    """Why the steps of this read-back session are not all of its steps (empty when they are), one
    line per issue, as the replay lists it."""
    s = timeline.summary
    lines = [text for text, kind in zip(s.issues, s.issue_kinds, strict=False) if kind in UNSEEN_KINDS]
    if not lines and not s.complete and not s.pseudo:  # incomplete for a reason not known here: say so
        lines = list(s.issues) or ["the session was not recorded in full"]
    return lines
