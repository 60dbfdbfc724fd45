"""Grouping: which session each span belongs to (by ``session.id``, else by ancestry), and how
sessions nest."""

from __future__ import annotations

from agentops_otel import semconv as sc
from agentops_otel.read._record import SpanRecord, is_session_root
from agentops_otel.read._select import on_cycles
from agentops_otel.reassemble._state import _Session


def _claimed(records: list[SpanRecord]) -> bool:
    """Whether a ``session.id`` group is surely one of our sessions: a span of our scope, or a root.

    OpenInference writes ``session.id`` itself (its ``using_session``): an app traced only by it has
    sessions with no root of ours to wait for, and inside one of our sessions it overwrites the id we
    stamped. A span without any scope (a record built by hand, an exporter that drops it) could be
    ours: only spans known to be another's leave the group unclaimed. The scope is checked first: it
    needs no attribute decoded.
    """
    scope = sc.INSTRUMENTATION_SCOPE
    if any(not r.scope or r.scope.startswith(scope) for r in records):
        return True
    return any(is_session_root(r) for r in records)


def _stamped(records: list[SpanRecord]) -> bool:
    """Whether our processor numbered a span of the group: it stamps ``agentops.seq`` beside the id on
    every span of a session, other instrumentations' too, so a session of ours whose own spans were all
    lost is still known as ours."""
    return any(r.attributes.get(sc.SEQ) is not None for r in records)


def _adopt_by_ancestry(groups: dict[str | None, list[SpanRecord]], loose: list[SpanRecord],
                       adopted: dict[str, set[int]]) -> list[SpanRecord]:
    """Give spans without ``session.id`` the session of their nearest ancestor in the same trace.

    Downstream services and un-stamped instrumentations produce such spans inside a session; they
    belong in its replay (so do spans whose id another instrumentation overwrote, passed here too).
    Returns the spans that have no session ancestor.
    """
    traces = {r.trace_id for r in loose}
    owner: dict[tuple[str, str], str] = {}
    for group in sorted(k for k in groups if k is not None):
        for r in groups[group]:
            if r.trace_id in traces:
                owner.setdefault((r.trace_id, r.span_id), group)
    if not owner:
        return loose
    by_key = {(r.trace_id, r.span_id): r for r in loose}
    left: list[SpanRecord] = []
    for r in loose:
        sid: str | None = None
        cur: SpanRecord | None = r
        hops = 0
        while cur is not None and cur.parent_span_id is not None and hops <= len(by_key):
            key = (cur.trace_id, cur.parent_span_id)
            sid = owner.get(key)
            if sid is not None:
                break
            cur = by_key.get(key)
            hops += 1
        if sid is None:
            left.append(r)
        else:
            lst = groups[sid]
            lst.append(r)
            adopted.setdefault(sid, set()).add(id(r))
    return left


def _link_nested(sessions: dict[str, _Session]) -> None:
    """Attach each nested session to the one it ran in (by anchor span or recorded parent id).

    Recorded parents that lead back to the session (its own id, or two sessions naming each other) say
    nothing about which ran in which: every session on such a cycle stays a session of its own, with
    the parent it named in ``parent_cycle`` (an issue of its summary), never hidden inside another.
    The anchor is the root's parent span, in the root's own trace (a span id means nothing across traces).
    A root under a span of one session that names, as its parent session, another one (not that session
    nor a session it ran in: ours records the one it ran in) says two things about which run it was part
    of: it stays a session of its own, with the session of its span parent in ``parent_contested``."""
    # Sorted, so that which of two contradicting links wins never depends on arrival order.
    pending = sorted((s for s in sessions.values() if s.root is not None and (s.anchor or s.parent_sid)),
                     key=lambda s: s.key)
    if not pending:
        return
    # Where does each anchor span live?
    wanted = {(s.root.trace_id, s.anchor) for s in pending if s.anchor and s.root is not None}
    where: dict[tuple[str, str], _Session] = {}
    if wanted:
        for key in sorted(sessions):
            s = sessions[key]
            for r in s.records:
                span = (r.trace_id, r.span_id)
                if span in wanted and span not in where:
                    where[span] = s
    outer_of: dict[str, _Session] = {}
    for s in pending:
        anchored = where.get((s.root.trace_id, s.anchor)) if s.anchor and s.root is not None else None
        outer = anchored
        if outer is None or outer is s:
            outer = sessions.get(s.parent_sid) if s.parent_sid else None
            if outer is None:
                continue
            if anchored is not outer:
                s.anchor = None
        elif s.parent_sid and not _ran_in(outer, s.parent_sid, sessions):
            s.anchor = None
            s.parent_contested = outer.key
            continue
        outer_of[s.key] = outer
    cyclic = on_cycles({k: o.key for k, o in outer_of.items()})
    for s in pending:
        outer = outer_of.get(s.key)
        if outer is None:
            continue
        if s.key in cyclic:
            s.anchor = None
            s.parent_cycle = outer.key
            continue
        outer.nested.append(s)
        s.nest_parent = outer


def _ran_in(inner: _Session, sid: str, sessions: dict[str, _Session]) -> bool:
    """Whether ``inner`` is session ``sid`` or ran in it, by the parents recorded on the way up (a session
    started under a span of one whose end was called elsewhere names that one's parent)."""
    seen: set[str] = set()
    cur: _Session | None = inner
    while cur is not None and cur.key not in seen:
        if cur.key == sid or cur.parent_sid == sid:
            return True
        seen.add(cur.key)
        cur = sessions.get(cur.parent_sid) if cur.parent_sid else None
    return False


def _children_first(sessions: dict[str, _Session]) -> list[_Session]:
    order: list[_Session] = []
    done: set[str] = set()

    def visit(s: _Session) -> None:
        stack: list[tuple[_Session, int]] = [(s, 0)]
        while stack:
            cur, i = stack.pop()
            if cur.key in done:
                continue
            if i < len(cur.nested):
                stack.append((cur, i + 1))
                stack.append((cur.nested[i], 0))
            else:
                done.add(cur.key)
                order.append(cur)

    for s in sessions.values():
        visit(s)
    return order
