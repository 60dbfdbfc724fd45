"""Spans → sessions: grouping, tree, causal order, and the repairs real traces need.

Real exports are messy: the process died before the session root ended, a batch was lost, a
downstream service's clock runs ahead, a retry exported a span twice, another instrumentation
named things its own way. The reassembler never drops a span because of that: every input span
ends up in exactly one session (as its root or one of its steps), in a per-trace pseudo-session
when it carried no ``session.id`` and no ancestor did, in a pseudo-session of its own when its
``session.id`` is another instrumentation's (OpenInference's ``using_session``: no span of that
session is ours), or in the duplicate count (copies that differ are an issue of their session:
see ``read._copies``). ``Accounting``
states the totals so callers (and the property tests) can check it.

Only ``session.id`` is decoded per span up front; classification uses the span name, which the
GenAI conventions make ``{operation} {target}``, and falls back to attributes for names it does not
know. That keeps a reassembly of 200k spans close to the cost of parsing them.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec
from msgspec.structs import replace

from agentops_otel._gc import gc_paused
from agentops_otel.read._lazyattrs import UNKNOWN
from agentops_otel.read._record import SpanRecord
from agentops_otel.reassemble._classify import _LAZY, _session_id_of
from agentops_otel.reassemble._group import _adopt_by_ancestry, _children_first, _claimed, _link_nested, _stamped
from agentops_otel.reassemble._repair import _prepare
from agentops_otel.reassemble._state import _Session
from agentops_otel.reassemble._summary import PSEUDO_REASON, Issue
from agentops_otel.reassemble._unseen import check_root_counts
from agentops_otel.reassemble._walk import _build
from agentops_otel.timeline import PSEUDO_SESSION_PREFIX, SessionSummary, Timeline

FOREIGN_SESSION_REASON = "another instrumentation's session.id: state from its top spans"
"""The end reason of a session keyed by another instrumentation's ``session.id`` (a pseudo-session)."""


class Accounting(msgspec.Struct, frozen=True):
    """Where every input span went; ``spans_in == in_sessions + in_pseudo_sessions + duplicates``."""

    spans_in: int
    in_sessions: int
    """Spans that are a session's root or one of its own steps (nested sessions counted once)."""
    in_pseudo_sessions: int
    """Spans without any session of ours, shown in pseudo-sessions (per trace, or per another
    instrumentation's ``session.id``)."""
    duplicates: int
    """Extra copies of a span already seen (same trace and span id), dropped."""

    @property
    def balanced(self) -> bool:
        return self.spans_in == self.in_sessions + self.in_pseudo_sessions + self.duplicates


class Reassembly(msgspec.Struct, frozen=True):
    """The sessions found in a set of spans, plus what could not be placed in one."""

    sessions: list[Timeline]
    """Real sessions (with a ``session.id``), ordered by start."""
    pseudo_sessions: list[Timeline]
    """One per trace for spans that carried no ``session.id``, and one per ``session.id`` that is another
    instrumentation's (``summary.pseudo`` is True): judged on their top spans, no root awaited."""
    unassigned: list[SpanRecord]
    """The spans of the pseudo-sessions, flat."""
    accounting: Accounting

    def timeline_for(self, session_id: str) -> Timeline:
        """The session's timeline; ``KeyError`` when no such session was found."""
        for tl in self.sessions:
            if tl.summary.session_id == session_id:
                return tl
        for tl in self.pseudo_sessions:
            if tl.summary.session_id == session_id:
                return tl
        raise KeyError(session_id)

    def summaries(self) -> list[SessionSummary]:
        return [tl.summary for tl in self.sessions]


def reassemble(records: Iterable[SpanRecord]) -> Reassembly:
    """Group, order and repair; every input span is accounted for in the result."""
    with gc_paused():
        return _reassemble(records)


def _reassemble(records: Iterable[SpanRecord]) -> Reassembly:
    groups: dict[str | None, list[SpanRecord]] = {}
    n_in = 0
    get = groups.get
    unknown = UNKNOWN
    for r in records:
        n_in += 1
        attrs = r.attributes
        if type(attrs) is _LAZY:
            sid = attrs._sid  # type: ignore[attr-defined]
            if sid is unknown:
                sid = attrs.session_id()  # type: ignore[attr-defined]
        else:
            sid = _session_id_of(r)
        lst = get(sid)
        if lst is None:
            groups[sid] = [r]
        else:
            lst.append(r)
    loose = groups.pop(None, [])
    no_session_ids: dict[str, set[int]] = {}
    # Groups no span of ours claims are another instrumentation's session.id. Their spans that ran inside
    # one of our sessions (the id we stamped was overwritten) go back to it by ancestry, as loose spans do;
    # the rest keep their id: ours when our processor numbered them (our spans were lost), else theirs.
    unclaimed = [k for k, v in groups.items() if k is not None and not _claimed(v)]
    moved = [r for k in unclaimed for r in groups.pop(k)]
    if loose or moved:
        left = _adopt_by_ancestry(groups, loose + moved if moved else loose, no_session_ids)
        if moved:
            moved_ids = {id(r) for r in moved}
            for ids in no_session_ids.values():
                ids -= moved_ids  # they carried a session.id: not flagged as spans without one
            loose = []
            for r in left:
                if id(r) in moved_ids:
                    groups.setdefault(_session_id_of(r), []).append(r)
                else:
                    loose.append(r)
        else:
            loose = left
    foreign = [k for k in unclaimed if k in groups and not _stamped(groups[k])]
    theirs = [_Session(k, groups.pop(k), True) for k in sorted(foreign)]

    sessions: dict[str, _Session] = {k: _Session(k, v, False) for k, v in groups.items() if k is not None}
    for s in (*sessions.values(), *theirs):
        s.no_session = no_session_ids.get(s.key, s.no_session)
    for s in sessions.values():
        _prepare(s)
    _link_nested(sessions)

    groups.clear()
    built: dict[str, Timeline] = {}
    for s in _children_first(sessions):
        built[s.key] = check_root_counts(s, _build(s, built))
        # The working state is no longer needed; holding it would add ~100 bytes a span.
        s.records, s.children, s.top = [], {}, []
    ordered = sorted(built.values(), key=lambda t: (t.summary.start_ns, t.summary.session_id))

    by_trace: dict[str, list[SpanRecord]] = {}
    for r in loose:
        lst = by_trace.get(r.trace_id)
        if lst is None:
            by_trace[r.trace_id] = [r]
        else:
            lst.append(r)
    pseudo: list[Timeline] = []
    dups = sum(s.dups for s in sessions.values())
    for tid, recs in by_trace.items():
        ps = _Session(PSEUDO_SESSION_PREFIX + tid, recs, True)
        _prepare(ps)
        dups += ps.dups
        pseudo.append(_build(ps, {}))
    for ps in theirs:
        loose.extend(ps.records)
        _prepare(ps)
        dups += ps.dups
        tl = _build(ps, {})
        pseudo.append(replace(tl, summary=replace(tl.summary, end_reason=FOREIGN_SESSION_REASON)))
    pseudo.sort(key=lambda t: (t.summary.start_ns, t.summary.session_id))
    acc = Accounting(
        spans_in=n_in,
        in_sessions=sum(t.summary.span_count for t in built.values()),
        in_pseudo_sessions=sum(t.summary.span_count for t in pseudo),
        duplicates=dups,
    )
    return Reassembly(ordered, pseudo, loose, acc)


__all__ = ["FOREIGN_SESSION_REASON", "PSEUDO_REASON", "Accounting", "Issue", "Reassembly", "reassemble"]
