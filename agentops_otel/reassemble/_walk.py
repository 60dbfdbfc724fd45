"""The walk: a depth-first pass producing steps in causal order, repairing clock skew on the way,
and splicing in the timelines of nested sessions."""

from __future__ import annotations

from typing import Any

import msgspec

from agentops_otel import semconv as sc
from agentops_otel._redact import mask_text
from agentops_otel._start_order import StartOrder, in_seq_order
from agentops_otel.read._record import SpanRecord
from agentops_otel.reassemble._classify import (
    _KIND_CACHE_FOREIGN,
    _KIND_CACHE_OWN,
    _NO_FLAGS,
    _OWN_SCOPE,
    _STATUS,
    _classify,
    _service,
    _sort_siblings,
    seq_of,
)
from agentops_otel.reassemble._masked import foreign_content, is_own, shown_content
from agentops_otel.reassemble._repair import _cut_cycles
from agentops_otel.reassemble._seq import clock_groups
from agentops_otel.reassemble._state import _Session
from agentops_otel.reassemble._summary import _summarise
from agentops_otel.timeline import (
    FLAG_CLOCK_SKEW,
    FLAG_CYCLE,
    FLAG_DUPLICATE,
    FLAG_FOREIGN,
    FLAG_NO_SESSION,
    FLAG_ORPHAN,
    Step,
    StepStatus,
    Timeline,
)

_VERDICT = f"{sc.SPAN_EVALUATION} "
"""Spans of verdicts (``evaluation {name}``) start when the check ran, often after the session ended."""


def _fit(rec: SpanRecord, base: int, parent: SpanRecord | None, pstart: int, pend: int) -> int:
    """Extra shift so the child sits inside its parent (0 when it already does or may not).

    Another service's child, on another clock, is centred in its parent: the request and the answer are
    taken to cross the network equally fast (as Jaeger's and Zipkin's skew repairs do). Moved only as far
    as the parent's edge, it would be put ahead of the parent's local steps that ran before the call."""
    if parent is None:
        return 0
    cs = rec.start_ns + base
    ce = rec.end_ns + base
    other_clock = rec.resource is not parent.resource and _service(rec) != _service(parent)
    if cs >= pstart and (ce <= pend or not other_clock):
        return 0
    if not other_clock:
        return pstart - cs  # one clock: a rounding, moved the least
    duration = rec.end_ns - rec.start_ns
    if duration <= pend - pstart:
        return pstart + (pend - pstart - duration) // 2 - cs
    return pstart - cs  # longer than its parent: they start together


def _skew_of(rec: SpanRecord, base: int, parent: SpanRecord | None, pstart: int, pend: int) -> int:
    """The shift the walk gives ``rec`` below a parent it inherited ``base`` from (0: none)."""
    if parent is None or rec.name.startswith(_VERDICT):  # a verdict is judged after the fact: late is not skew
        return base
    s0 = rec.start_ns + base
    if s0 < pstart or (rec.end_ns + base > pend and rec.resource is not parent.resource):
        return base + _fit(rec, base, parent, pstart, pend)
    return base


def _order(level: list[SpanRecord], base: int, parent: SpanRecord | None, pstart: int, pend: int,
           loose: set[int] | None = None) -> None:
    """Siblings in the order of their start once clock skew is repaired: sorted on the raw clock, a
    step shifted inside its parent would be listed out of time order with the local steps around it."""
    _sort_siblings(level)
    if parent is None or len(level) < 2:
        return
    lo = pstart - base  # the parent's span on the children's (unshifted) clock
    hi = pend - base
    if level[0].start_ns >= lo and all(k.end_ns <= hi or k.resource is parent.resource for k in level):
        return  # nothing moves: the raw order is the repaired order

    def key(k: SpanRecord) -> tuple[int, int, str, str]:
        p = None if loose and id(k) in loose else parent
        seq = seq_of(k)
        return (k.start_ns + _skew_of(k, base, p, pstart, pend), seq if seq is not None else 1 << 62,
                k.span_id, k.trace_id)

    level.sort(key=key)


def _build(sess: _Session, built: dict[str, Timeline]) -> Timeline:
    """Timeline of one session, splicing in the already-built timelines of sessions nested in it."""
    by_seq, start_order = clock_groups(sess)
    steps, start, end_max, visited, shifted, shift_total = _walk(sess, built, by_seq)
    if visited < sess.expected:
        # Some spans hang below a parent cycle and were never reached: cut the cycles, walk again.
        _cut_cycles(sess)
        steps, start, end_max, visited, shifted, shift_total = _walk(sess, built, by_seq)
    inner = [built[n.key] for n in sess.nested if n.key in built]
    nested = tuple(e for tl in inner for e in tl.summary.evaluations)
    inner_orders = [tl.start_order for tl in inner if tl.start_order is not None]
    if inner_orders:  # the nested sessions' steps are listed here too
        start_order = (start_order or StartOrder({}, {})).merged(inner_orders)
    return _summarise(sess, steps, start, end_max, shifted, shift_total, nested, start_order)


def _walk(sess: _Session, built: dict[str, Timeline],
          by_seq: dict[int, tuple[str, int]]) -> tuple[list[Step], int, int, int, int, int]:
    """Depth-first walk producing steps in causal order, repairing clock skew on the way; the steps of
    a clock group that went back (``by_seq``) are ordered among themselves by their numbers."""
    root = sess.root
    children = sess.children
    nested_at: dict[str | None, list[SpanRecord]] = {}
    nested_by_root: dict[int, _Session] = {}
    for n in sess.nested:
        if n.root is not None:
            nested_at.setdefault(n.anchor, []).append(n.root)
            nested_by_root[id(n.root)] = n
    # Depth 0: the root's children, plus spans and nested sessions hanging at the session level.
    loose_top = sess.top + nested_at.get(None, [])
    level0: list[SpanRecord] = list(loose_top)
    if root is not None:
        level0 += [k for k in children.get(root.span_id, ()) if k.trace_id == root.trace_id]
        level0 += nested_at.get(root.span_id, [])
    starts = [r.start_ns for r in loose_top]
    if root is not None:
        starts.append(root.start_ns)
    start = min(starts) if starts else (min(r.start_ns for r in level0) if level0 else 0)
    if root is None:
        _sort_siblings(level0)
    else:
        _order(level0, 0, root, root.start_ns, root.end_ns, {id(r) for r in loose_top} if loose_top else None)
    seq_in_group = by_seq.get
    if by_seq:
        in_seq_order(level0, lambda r: seq_in_group(id(r)))
    # DFS stack items: (record, depth, inherited shift, parent record, parent's effective start, end)
    stack: list[tuple[SpanRecord, int, int, SpanRecord | None, int, int]] = []
    if root is None:
        stack = [(rec, 0, 0, None, 0, 0) for rec in reversed(level0)]
    elif not loose_top:
        rs, re_ = root.start_ns, root.end_ns
        stack = [(rec, 0, 0, root, rs, re_) for rec in reversed(level0)]
    else:
        loose_ids = {id(r) for r in loose_top}
        for rec in reversed(level0):
            if id(rec) in loose_ids:
                stack.append((rec, 0, 0, None, 0, 0))
            else:
                stack.append((rec, 0, 0, root, root.start_ns, root.end_ns))

    steps: list[Step] = []
    append = steps.append
    pop = stack.pop
    push = stack.append
    sid: str | None = None if sess.pseudo else sess.key
    dup_ids = sess.dup_ids
    no_session = sess.no_session
    cut = sess.cut
    presumed_root = sess.presumed_root
    multi_trace = len(sess.trace_ids) > 1
    end_max = root.end_ns if root is not None else start
    shifted_subtrees = 0
    shift_total = 0
    kinds_own = _KIND_CACHE_OWN
    kinds_foreign = _KIND_CACHE_FOREIGN
    children_get = children.get
    status_names: tuple[StepStatus, ...] = _STATUS
    no_flags = _NO_FLAGS
    prev_resource: Any = None
    svc: str | None = None
    prev_scope: Any = None
    own = True
    cache = kinds_own
    plain = not (dup_ids or no_session or nested_by_root or nested_at)
    visited = 0
    while stack:
        rec, depth, base, parent, ps, pe = pop()
        if base:
            s0 = rec.start_ns + base
            e0 = rec.end_ns + base
        else:
            s0 = rec.start_ns  # share the record's int: a million steps, 32 bytes each
            e0 = rec.end_ns
        shift = base
        if parent is not None and (s0 < ps or (e0 > pe and rec.resource is not parent.resource)) and (
                not rec.name.startswith(_VERDICT)):  # a verdict is judged after the fact: late is not skew
            extra = _fit(rec, base, parent, ps, pe)
            if extra:
                shift += extra
                s0 += extra
                e0 += extra
                shifted_subtrees += 1
                shift_total += abs(extra)
        resource = rec.resource
        if resource is not prev_resource:
            v = resource.get(sc.SERVICE_NAME)
            svc = v if isinstance(v, str) else None
            prev_resource = resource
        if nested_by_root:
            nested = nested_by_root.get(id(rec))
            if nested is not None:
                inner = built[nested.key]
                _splice(rec, nested, inner, depth, shift, s0, start, steps, svc)
                inner_end = max(e0, inner.summary.start_ns + shift + int(inner.summary.duration_s * 1e9))
                if inner_end > end_max:
                    end_max = inner_end
                continue
        visited += 1
        scope = rec.scope
        if scope is not prev_scope:
            own = scope.startswith(_OWN_SCOPE)
            cache = kinds_own if own else kinds_foreign
            prev_scope = scope
        name = rec.name
        classified = cache.get(name)
        if classified is None:
            kind, label, by_name = _classify(rec, own)
            if by_name:
                if len(cache) > 10_000:
                    cache.clear()
                cache[name] = (kind, label)
        else:
            kind, label = classified
        if e0 > end_max and kind != "evaluation":
            end_max = e0  # a verdict judged after the end is shown after it, and lengthens nothing
        if parent is not None and not shift and own and plain:
            flags = no_flags
        else:
            flags = no_flags
            if parent is None and rec.parent_span_id is not None and rec.parent_span_id != presumed_root:
                flags = (FLAG_CYCLE,) if id(rec) in cut else (FLAG_ORPHAN,)
            if shift:
                flags = (*flags, FLAG_CLOCK_SKEW)
            if dup_ids and rec.span_id in dup_ids:
                flags = (*flags, FLAG_DUPLICATE)
            if not own:
                flags = (*flags, FLAG_FOREIGN)
            if no_session and id(rec) in no_session:
                flags = (*flags, FLAG_NO_SESSION)
        span_id = rec.span_id
        if own:
            attrs, events, message = rec.attributes, rec.events, rec.status_message
        else:  # masked as ours are at capture: every reader of the step's content reads it masked
            attrs, events, message = foreign_content(rec)
            label, name = mask_text(label), mask_text(name)  # a span named after the URL it fetched, key and all
        # The one positional construction of a Step (keywords cost ~3x per span here, measured);
        # tests/test_reassemble_split.py pins the field order it relies on.
        append(Step(span_id, rec.parent_span_id, rec.trace_id, sid, kind, label, name,
                    (s0 - start) / 1e9, (rec.end_ns - rec.start_ns) / 1e9, depth,
                    status_names[rec.status_code] if 0 <= rec.status_code <= 2 else "error",
                    attrs, events, flags, shift, svc, message, s0))
        kids = children_get(span_id)
        nest = nested_at.get(span_id) if nested_at else None
        if kids is None and nest is None:
            continue
        if kids is None:
            level = []
        elif multi_trace:
            level = [k for k in kids if k.trace_id == rec.trace_id]
        else:
            level = kids[:]
        if nest:
            level += nest
        _order(level, shift, rec, s0, e0)
        if by_seq:
            in_seq_order(level, lambda r: seq_in_group(id(r)))
        d1 = depth + 1
        for kid in reversed(level):
            push((kid, d1, shift, rec, s0, e0))
    return steps, start, end_max, visited, shifted_subtrees, shift_total


def _splice(rec: SpanRecord, nested: _Session, inner: Timeline, depth: int, shift: int, s0: int, start: int,
            steps: list[Step], svc: str | None) -> None:
    """A nested session in its parent's timeline: one ``session`` step, then its steps beneath."""
    attrs, events, message, span_name = shown_content(rec)
    flags = (FLAG_CLOCK_SKEW,) if shift else _NO_FLAGS
    if not is_own(rec):
        flags = (*flags, FLAG_FOREIGN)
    steps.append(Step(
        span_id=rec.span_id, parent_span_id=rec.parent_span_id, trace_id=rec.trace_id, session_id=nested.key,
        kind="session", name=inner.summary.name or span_name, span_name=span_name, offset_s=(s0 - start) / 1e9,
        duration_s=(rec.end_ns - rec.start_ns) / 1e9, depth=depth,
        status=_STATUS[rec.status_code] if 0 <= rec.status_code <= 2 else "error",
        attributes=attrs, events=events, flags=flags,
        skew_ns=shift, service_name=svc, status_message=message, start_ns=s0))
    for st in inner.steps:
        st_start = st.start_ns + shift
        st_flags = st.flags if not shift or FLAG_CLOCK_SKEW in st.flags else (*st.flags, FLAG_CLOCK_SKEW)
        steps.append(msgspec.structs.replace(
            st, depth=st.depth + depth + 1, offset_s=(st_start - start) / 1e9,
            skew_ns=st.skew_ns + shift, flags=st_flags, start_ns=st_start))
