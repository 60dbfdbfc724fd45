"""Tree repair: duplicates, the root, parent links, orphans and parent cycles."""

from __future__ import annotations

from typing import Any

from agentops_otel import semconv as sc
from agentops_otel.read._copies import differences
from agentops_otel.read._record import SpanRecord, is_session_root
from agentops_otel.reassemble._classify import (
    _root_key,
    _str,
)
from agentops_otel.reassemble._state import _Session


def _prepare(sess: _Session) -> None:
    """Deduplicate, find the root, and link children to parents (cutting cycles)."""
    recs = sess.records
    by_id: dict[Any, SpanRecord] = {r.span_id: r for r in recs}
    tids = {r.trace_id for r in recs}
    multi = len(tids) > 1
    if len(by_id) != len(recs):
        by_id = _dedup(sess, recs)
    sess.trace_ids = tuple(sorted(tids)) if multi else (recs[0].trace_id,)
    uniq = list(by_id.values())
    # Root.
    if not sess.pseudo:
        adopted = sess.no_session
        roots = [r for r in uniq if r.name.startswith(sc.SPAN_SESSION) and is_session_root(r)
                 and (not adopted or id(r) not in adopted)]
        if roots:
            roots.sort(key=_root_key)
            sess.root = roots[0]
            sess.duplicate_roots = roots[1:]
            sess.anchor = roots[0].parent_span_id
            sess.parent_sid = _str(roots[0].attributes.get(sc.SESSION_PARENT_ID))
            if multi and sess.trace_ids[0] != roots[0].trace_id:
                rest = tuple(t for t in sess.trace_ids if t != roots[0].trace_id)
                sess.trace_ids = (roots[0].trace_id, *rest)
    root = sess.root
    children: dict[Any, list[SpanRecord]] = {}
    top: list[SpanRecord] = []
    missing_parents: dict[str, int] = {}
    multi_trace = multi
    for r in uniq:
        if r is root:
            continue
        p = r.parent_span_id
        if p is None:
            top.append(r)
            continue
        o = by_id.get(p)
        if o is not None and (not multi_trace or o.trace_id == r.trace_id):
            lst = children.get(p)
            if lst is None:
                children[p] = [r]
            else:
                lst.append(r)
        elif multi_trace and (r.trace_id, p) in by_id:
            children.setdefault(p, []).append(r)
        else:
            top.append(r)
            missing_parents[p] = missing_parents.get(p, 0) + 1
    if root is None and missing_parents:
        # The process died: the most common missing parent is the session root that never ended.
        sess.presumed_root = max(missing_parents.items(), key=lambda kv: (kv[1], kv[0]))[0]
    sess.orphans = sum(n for p, n in missing_parents.items() if p != sess.presumed_root)
    sess.children = children
    sess.top = top
    sess.expected = len(uniq) - (root is not None)


def _dedup(sess: _Session, recs: list[SpanRecord]) -> dict[Any, SpanRecord]:
    """Keep one copy per (trace, span id); equal span ids in different traces are different spans.

    Copies that differ are noted (``sess.conflicts``: see ``read._copies``); of those, the one that saw the span
    end last is kept, and of two that ended together the failed one, so the replay does not show a
    failure's copy as fine."""
    by_id: dict[Any, SpanRecord] = {}
    for r in recs:
        k: Any = r.span_id
        o = by_id.get(k)
        if o is not None and o.trace_id != r.trace_id:
            k = (r.trace_id, r.span_id)
            o = by_id.get(k)
        if o is None:
            by_id[k] = r
            continue
        sess.dups += 1
        sess.dup_ids.add(r.span_id)
        if r is not o:
            fields = differences(o, r)
            if fields:
                sess.conflicts.setdefault(k, (o, set()))[1].update(fields)
        if (r.end_ns, r.status_code == 2) > (o.end_ns, o.status_code == 2):
            by_id[k] = r
    return by_id


def _cut_cycles(sess: _Session) -> None:
    """Detach, earliest first, the spans no walk from the top reaches: they sit on parent cycles."""
    children = sess.children
    root = sess.root
    uniq = [r for lst in children.values() for r in lst]
    seen: set[int] = set()
    stack = list(sess.top)
    if root is not None:
        stack.append(root)
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        stack.extend(children.get(n.span_id, ()))
    for r in sorted(uniq, key=_root_key):  # a total order: which span is cut must not depend on arrival
        if id(r) in seen:
            continue
        # r is on or below a cycle: detach it from its parent and walk what hangs below it.
        lst = children.get(r.parent_span_id) if r.parent_span_id is not None else None
        if lst is not None:
            lst[:] = [x for x in lst if x is not r]
        sess.top.append(r)
        sess.cycles += 1
        sess.cut.add(id(r))
        stack = [r]
        while stack:
            n = stack.pop()
            if id(n) in seen:
                continue
            seen.add(id(n))
            stack.extend(children.get(n.span_id, ()))
