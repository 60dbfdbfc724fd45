"""Spans → sessions: grouping, tree, causal order, and the repairs real traces need.

Real exports are messy: the process died before the session root ended, a batch was lost, a
downstream service's clock runs ahead, a retry exported a span twice, another instrumentation
named things its own way. The reassembler never drops a span because of that: every input span
ends up in exactly one session (as its root or one of its steps), in a per-trace pseudo-session
when it carried no ``session.id`` and no ancestor did, or in the duplicate count. ``Accounting``
states the totals so callers (and the property tests) can check it.

Only ``session.id`` is decoded per span up front; classification uses the span name, which the
GenAI conventions make ``{operation} {target}``, and falls back to attributes for names it does not
know. That keeps a reassembly of 200k spans close to the cost of parsing them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from operator import attrgetter
from typing import Any, Final

import msgspec

from agentops_otel import genai_spans
from agentops_otel import semconv as sc
from agentops_otel._cost_gaps import summary_gaps
from agentops_otel._lazyattrs import UNKNOWN, LazyAttributes
from agentops_otel.read._record import SpanRecord, is_session_root
from agentops_otel.read.otlp_json import gc_paused
from agentops_otel.timeline import (
    FLAG_CLOCK_SKEW,
    FLAG_CYCLE,
    FLAG_DUPLICATE,
    FLAG_FOREIGN,
    FLAG_NO_SESSION,
    FLAG_ORPHAN,
    SessionSummary,
    Step,
    StepKind,
    StepStatus,
    Timeline,
)

PSEUDO_REASON: Final = "no session.id: state from the trace's top spans"
"""``end_reason`` of a trace without a session: Fail when a top-level span failed, else Success."""


class Accounting(msgspec.Struct, frozen=True):
    """Where every input span went; ``spans_in == in_sessions + in_pseudo_sessions + duplicates``."""

    spans_in: int
    in_sessions: int
    """Spans that are a session's root or one of its own steps (nested sessions counted once)."""
    in_pseudo_sessions: int
    """Spans without any session, shown in per-trace pseudo-sessions."""
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
    """One per trace for spans that carried no ``session.id`` (``summary.pseudo`` is True)."""
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


# --- classification --------------------------------------------------------------------------
_NAME_KINDS: Final[dict[str, StepKind]] = {
    sc.OP_CHAT: "llm", sc.OP_TEXT_COMPLETION: "llm", sc.OP_GENERATE_CONTENT: "llm", sc.OP_EMBEDDINGS: "llm",
    sc.OP_EXECUTE_TOOL: "tool", sc.OP_INVOKE_AGENT: "agent", sc.OP_CREATE_AGENT: "agent",
}
_OP_KINDS: Final[dict[str, StepKind]] = dict(_NAME_KINDS)
_OPENINFERENCE_KIND: Final = "openinference.span.kind"
_TRACELOOP_KIND: Final = "traceloop.span.kind"
_OI_KINDS: Final[dict[str, StepKind]] = {
    "LLM": "llm", "EMBEDDING": "llm", "TOOL": "tool", "AGENT": "agent", "CHAIN": "agent",
}
_TL_KINDS: Final[dict[str, StepKind]] = {"workflow": "agent", "agent": "agent", "task": "agent", "tool": "tool"}
_OWN_SCOPE: Final = sc.INSTRUMENTATION_SCOPE
_STATUS: Final[tuple[StepStatus, ...]] = ("unset", "ok", "error")
_NO_FLAGS: Final[tuple[str, ...]] = ()
_MISSING: Final[Any] = object()
# Span name -> (kind, display name) for names whose classification needs no attributes.
_KIND_CACHE_OWN: dict[str, tuple[StepKind, str]] = {}
_KIND_CACHE_FOREIGN: dict[str, tuple[StepKind, str]] = {}


def _classify(rec: SpanRecord, own: bool) -> tuple[StepKind, str, bool]:
    """(kind, display name, decided by the name alone).

    The GenAI conventions name spans ``{operation} {target}``, so a conventional name settles the
    kind without decoding attributes; otherwise ``gen_ai.operation.name``, then OpenInference's
    and traceloop's span kinds, else "other".
    """
    name = rec.name
    head, _, tail = name.partition(" ")
    kind = _NAME_KINDS.get(head)
    if kind is not None and tail:
        return kind, tail, True
    if own and tail:
        if head == sc.SPAN_ACTION:
            return "action", tail, True
        if head == sc.SPAN_ERROR:
            return "error", tail, True
    attrs = rec.attributes
    op = attrs.get(sc.GEN_AI_OPERATION_NAME)
    kind = _OP_KINDS.get(op) if isinstance(op, str) else None
    if kind is None:
        if attrs.get(sc.ACTION_TYPE) is not None:
            return "action", str(attrs.get(sc.ACTION_TYPE)), False
        oi = attrs.get(_OPENINFERENCE_KIND)
        tl = attrs.get(_TRACELOOP_KIND)
        if isinstance(oi, str):
            kind = _OI_KINDS.get(oi.upper(), "other")
        elif isinstance(tl, str):
            kind = _TL_KINDS.get(tl.lower(), "other")
        elif genai_spans.is_llm(attrs):
            kind = "llm"
        elif op is not None:
            kind = "other"
        else:
            return "other", name, False
    if kind == "llm":
        model = attrs.get(sc.GEN_AI_REQUEST_MODEL) or genai_spans.model_of(attrs)
        return kind, str(model) if model else name, False
    if kind == "tool":
        tool = attrs.get(sc.GEN_AI_TOOL_NAME) or attrs.get("tool.name")
        return kind, str(tool) if tool else name, False
    return kind, name, False


def _session_id_of(rec: SpanRecord) -> str | None:
    attrs = rec.attributes
    if type(attrs) is _LAZY:
        return attrs.session_id()  # type: ignore[attr-defined,no-any-return]
    value = attrs.get(sc.SESSION_ID)
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def _service(rec: SpanRecord) -> str | None:
    v = rec.resource.get(sc.SERVICE_NAME)
    return v if isinstance(v, str) else None


def _str(v: Any) -> str | None:
    return None if v is None else v if isinstance(v, str) else str(v)


def _as_int(v: Any) -> int | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return int(v)


def _as_float(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v)


def _seq_key(rec: SpanRecord) -> tuple[int, int, str, str]:
    seq = _as_int(rec.attributes.get(sc.SEQ))
    return (rec.start_ns, seq if seq is not None else 1 << 62, rec.span_id, rec.trace_id)


def _root_key(rec: SpanRecord) -> tuple[int, str, str]:
    return (rec.start_ns, rec.span_id, rec.trace_id)


_START: Final = attrgetter("start_ns")
_LAZY: Final[type] = LazyAttributes


def _sort_siblings(nodes: list[SpanRecord]) -> None:
    """By start time; ties (common with coarse clocks) by ``agentops.seq``, then span id."""
    if len(nodes) < 2:
        return
    nodes.sort(key=_START)
    prev = nodes[0].start_ns
    for n in nodes[1:]:
        if n.start_ns == prev:
            nodes.sort(key=_seq_key)  # decode seq only when a tie makes it matter
            return
        prev = n.start_ns


class _Session:
    """Working state of one session while its timeline is built."""

    __slots__ = (
        "anchor",
        "children",
        "cut",
        "cycles",
        "dup_ids",
        "duplicate_roots",
        "dups",
        "expected",
        "key",
        "nest_parent",
        "nested",
        "no_session",
        "orphans",
        "parent_sid",
        "presumed_root",
        "pseudo",
        "records",
        "root",
        "top",
        "trace_ids",
    )

    def __init__(self, key: str, records: list[SpanRecord], pseudo: bool) -> None:
        self.key = key
        self.records = records
        self.pseudo = pseudo
        self.root: SpanRecord | None = None
        self.duplicate_roots: list[SpanRecord] = []
        self.parent_sid: str | None = None
        self.anchor: str | None = None
        self.nested: list[_Session] = []
        self.nest_parent: _Session | None = None
        self.cut: set[int] = set()
        self.expected = 0
        self.children: dict[Any, list[SpanRecord]] = {}
        self.top: list[SpanRecord] = []
        self.dups = 0
        self.dup_ids: set[str] = set()
        self.orphans = 0
        self.cycles = 0
        self.presumed_root: str | None = None
        self.no_session: set[int] = set()
        self.trace_ids: tuple[str, ...] = ()


def _fit(rec: SpanRecord, base: int, parent: SpanRecord | None, pstart: int, pend: int) -> int:
    """Extra shift so the child sits inside its parent (0 when it already does or may not)."""
    cs = rec.start_ns + base
    if parent is None:
        return 0
    if cs < pstart:
        return pstart - cs
    ce = rec.end_ns + base
    if ce > pend and rec.resource is not parent.resource and _service(rec) != _service(parent):
        # Another service's clock: a child cannot run after its parent returned a result.
        if rec.end_ns - rec.start_ns <= pend - pstart:
            return pend - ce
        if cs > pstart:
            return pstart - cs
    return 0


def _build(sess: _Session, built: dict[str, Timeline]) -> Timeline:
    """Timeline of one session, splicing in the already-built timelines of sessions nested in it."""
    steps, start, end_max, visited, shifted, shift_total = _walk(sess, built)
    if visited < sess.expected:
        # Some spans hang below a parent cycle and were never reached: cut the cycles, walk again.
        _cut_cycles(sess)
        steps, start, end_max, visited, shifted, shift_total = _walk(sess, built)
    return _summarise(sess, steps, start, end_max, shifted, shift_total)


def _walk(sess: _Session, built: dict[str, Timeline]) -> tuple[list[Step], int, int, int, int, int]:
    """Depth-first walk producing steps in causal order, repairing clock skew on the way."""
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
    _sort_siblings(level0)
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
        if parent is not None and (s0 < ps or (e0 > pe and rec.resource is not parent.resource)):
            extra = _fit(rec, base, parent, ps, pe)
            if extra:
                shift += extra
                s0 += extra
                e0 += extra
                shifted_subtrees += 1
                shift_total += abs(extra)
        if e0 > end_max:
            end_max = e0
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
                inner_end = inner.summary.start_ns + shift + int(inner.summary.duration_s * 1e9)
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
        append(Step(span_id, rec.parent_span_id, rec.trace_id, sid, kind, label, name,
                    (s0 - start) / 1e9, (rec.end_ns - rec.start_ns) / 1e9, depth, status_names[rec.status_code],
                    rec.attributes, rec.events, flags, shift, svc, rec.status_message, s0))
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
        _sort_siblings(level)
        d1 = depth + 1
        for kid in reversed(level):
            push((kid, d1, shift, rec, s0, e0))
    return steps, start, end_max, visited, shifted_subtrees, shift_total


def _splice(rec: SpanRecord, nested: _Session, inner: Timeline, depth: int, shift: int, s0: int, start: int,
            steps: list[Step], svc: str | None) -> None:
    """A nested session in its parent's timeline: one ``session`` step, then its steps beneath."""
    steps.append(Step(rec.span_id, rec.parent_span_id, rec.trace_id, nested.key, "session",
                      inner.summary.name or rec.name, rec.name, (s0 - start) / 1e9,
                      (rec.end_ns - rec.start_ns) / 1e9, depth, _STATUS[rec.status_code],
                      rec.attributes, rec.events, (FLAG_CLOCK_SKEW,) if shift else _NO_FLAGS, shift,
                      svc, rec.status_message, s0))
    for st in inner.steps:
        st_start = st.start_ns + shift
        st_flags = st.flags if not shift or FLAG_CLOCK_SKEW in st.flags else (*st.flags, FLAG_CLOCK_SKEW)
        steps.append(msgspec.structs.replace(
            st, depth=st.depth + depth + 1, offset_s=(st_start - start) / 1e9,
            skew_ns=st.skew_ns + shift, flags=st_flags, start_ns=st_start))


def _summarise(sess: _Session, steps: list[Step], start: int, end_max: int, shifted: int,
               shift_total: int) -> Timeline:
    root = sess.root
    issues: list[str] = []
    attrs: Mapping[str, Any] = root.attributes if root is not None else {}
    name: str | None = None
    end_state = end_reason = parent_sid = None
    tags: tuple[str, ...] = ()
    if root is not None:
        name = _str(attrs.get(sc.SESSION_NAME) or attrs.get(sc.GEN_AI_AGENT_NAME))
        if not name:
            _, _, tail = root.name.partition(" ")
            name = tail or root.name
        end_state = _str(attrs.get(sc.SESSION_END_STATE))
        end_reason = _str(attrs.get(sc.SESSION_END_REASON))
        parent_sid = _str(attrs.get(sc.SESSION_PARENT_ID))
        raw_tags = attrs.get(sc.TAGS)
        if isinstance(raw_tags, (list, tuple)):
            tags = tuple(str(t) for t in raw_tags)
        elif isinstance(raw_tags, str) and raw_tags:
            tags = (raw_tags,)
        if end_state is None:
            end_state = {1: sc.END_SUCCESS, 2: sc.END_FAIL}.get(root.status_code, sc.END_INDETERMINATE)
    partial = _partial(sess.records)
    if partial is not None:
        issues.append(f"trace cut by the backend: {partial}")
    elif root is None and not sess.pseudo:
        issues.append("root span missing")
    if len(sess.duplicate_roots):
        issues.append(f"{len(sess.duplicate_roots) + 1} root spans; the earliest is used")

    llm = tool = actions = errors = 0
    # An LLM step wrapping another is the same call seen by a second instrumentation: counted once.
    wrapping = genai_spans.wrappers((st.span_id, st.parent_span_id) for st in steps if st.kind == "llm")
    for st in steps:
        k = st.kind
        if k == "llm":
            if st.span_id in wrapping:
                continue
            llm += 1
        elif k == "tool":
            tool += 1
        elif k == "action":
            actions += 1
        if k == "error" or (st.status == "error" and k != "session"):
            errors += 1  # a failed nested session is counted by its failed steps, as the live session does

    cost = _as_float(attrs.get(sc.SESSION_COST_USD)) if root is not None else None
    cost_complete_attr = attrs.get(sc.SESSION_COST_COMPLETE) if root is not None else None
    tin = _as_int(attrs.get(sc.GEN_AI_USAGE_INPUT_TOKENS)) if root is not None else None
    tout = _as_int(attrs.get(sc.GEN_AI_USAGE_OUTPUT_TOKENS)) if root is not None else None
    cost_complete = bool(cost_complete_attr) if isinstance(cost_complete_attr, bool) else cost is not None
    if cost is None or tin is None or tout is None:
        s_cost = 0.0
        s_in = s_out = 0
        priced = True
        for st in steps:
            if st.kind != "llm" or st.span_id in wrapping:
                continue
            c = st.cost_usd
            if c is None:
                priced = False
            else:
                s_cost += c
            s_in += st.input_tokens or 0
            s_out += st.output_tokens or 0
        if cost is None:
            cost = s_cost
            cost_complete = priced and (root is not None or sess.pseudo)
        tin = s_in if tin is None else tin
        tout = s_out if tout is None else tout
    cost_gaps = summary_gaps(steps, root_lost=root is None and not sess.pseudo, root_incomplete=not cost_complete,
                             trace_cut=partial is not None)
    cost_complete = cost_complete and not cost_gaps

    failed: Step | None = None
    if root is not None:
        fid = _str(attrs.get(sc.SESSION_FAILED_SPAN_ID))
        if fid:
            failed = next((s for s in steps if s.span_id == fid), None)
            if failed is None:
                issues.append(f"failing step {fid} not among the spans")
    if failed is None and (end_state == sc.END_FAIL or root is None):
        failed = next((s for s in steps if s.kind == "error" or s.status == "error"), None)
    if sess.pseudo and steps:
        # A trace without a session is a run too (gateable): it failed when one of its top spans did.
        top_failed = next((s for s in steps if s.depth == 0 and s.status == "error"), None)
        end_state = sc.END_FAIL if top_failed is not None else sc.END_SUCCESS
        end_reason = PSEUDO_REASON
        name = steps[0].span_name
        failed = top_failed or failed

    if root is not None:
        for key, found, label in ((sc.SESSION_LLM_CALLS, llm, "LLM calls"), (sc.SESSION_TOOL_CALLS, tool,
                                  "tool calls")):
            declared = _as_int(attrs.get(key))
            if declared is not None and declared > found:
                issues.append(f"root reports {declared} {label}, {found} found")
    if sess.orphans:
        issues.append(f"{sess.orphans} orphan span{'s' if sess.orphans != 1 else ''} (parent never arrived)")
    if sess.cycles:
        issues.append(f"{sess.cycles} parent cycle{'s' if sess.cycles != 1 else ''} cut")
    if shifted:
        issues.append(f"clock skew: shifted {shifted} subtree{'s' if shifted != 1 else ''} "
                      f"by {shift_total / 1e9:.3g}s")
    if sess.dups:
        issues.append(f"{sess.dups} duplicate span{'s' if sess.dups != 1 else ''} dropped")
    if sess.no_session:
        issues.append(f"{len(sess.no_session)} span{'s' if len(sess.no_session) != 1 else ''} without "
                      "session.id attached by ancestry")
    complete = (root is not None and partial is None and not sess.orphans and not sess.cycles
                and not any(i.startswith("root reports") for i in issues))
    own = len(sess.records) - sess.dups
    summary = SessionSummary(
        session_id=sess.key, name=name, tags=tags, end_state=end_state, end_reason=end_reason,
        service_name=_service(root) if root is not None else (steps[0].service_name if steps else None),
        trace_ids=sess.trace_ids, root_span_id=root.span_id if root is not None else None,
        parent_session_id=parent_sid, start_ns=start, duration_s=max(0, end_max - start) / 1e9,
        cost_usd=cost, cost_complete=cost_complete, cost_gaps=cost_gaps, input_tokens=tin or 0,
        output_tokens=tout or 0,
        llm_calls=llm, tool_calls=tool, actions=actions, errors=errors, failed_step=failed,
        complete=complete, issues=tuple(issues), span_count=own, pseudo=sess.pseudo,
        partial=partial,
    )
    return Timeline(summary, tuple(steps))


def _partial(records: list[SpanRecord]) -> str | None:
    """The reader's note when a backend returned only part of one of these traces (looked up once
    per resource: spans of one batch share it)."""
    prev: Any = None
    for r in records:
        res = r.resource
        if res is not prev:
            why = res.get(sc.READ_PARTIAL)
            if why is not None:
                return str(why)
            prev = res
    return None


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
    """Keep one copy per (trace, span id); equal span ids in different traces are different spans."""
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
        if r.end_ns > o.end_ns:
            by_id[k] = r  # keep the copy that saw the span end last
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
    for r in sorted(uniq, key=_START):
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
    if loose:
        loose = _adopt_by_ancestry(groups, loose, no_session_ids)

    sessions: dict[str, _Session] = {k: _Session(k, v, False) for k, v in groups.items() if k is not None}
    for k, ids in no_session_ids.items():
        sessions[k].no_session = ids
    for s in sessions.values():
        _prepare(s)
    _link_nested(sessions)

    groups.clear()
    built: dict[str, Timeline] = {}
    for s in _children_first(sessions):
        built[s.key] = _build(s, built)
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
        ps = _Session(f"trace:{tid}", recs, True)
        _prepare(ps)
        dups += ps.dups
        pseudo.append(_build(ps, {}))
    pseudo.sort(key=lambda t: (t.summary.start_ns, t.summary.session_id))
    acc = Accounting(
        spans_in=n_in,
        in_sessions=sum(t.summary.span_count for t in built.values()),
        in_pseudo_sessions=sum(t.summary.span_count for t in pseudo),
        duplicates=dups,
    )
    return Reassembly(ordered, pseudo, loose, acc)


def _adopt_by_ancestry(groups: dict[str | None, list[SpanRecord]], loose: list[SpanRecord],
                       adopted: dict[str, set[int]]) -> list[SpanRecord]:
    """Give spans without ``session.id`` the session of their nearest ancestor in the same trace.

    Downstream services and un-stamped instrumentations produce such spans inside a session; they
    belong in its replay. Returns the spans that have no session ancestor.
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
    """Attach each nested session to the one it ran in (by anchor span or recorded parent id)."""
    # Sorted, so that which of two contradicting links wins never depends on arrival order.
    pending = sorted((s for s in sessions.values() if s.root is not None and (s.anchor or s.parent_sid)),
                     key=lambda s: s.key)
    if not pending:
        return
    # Where does each anchor span live?
    wanted = {s.anchor for s in pending if s.anchor}
    where: dict[str, _Session] = {}
    if wanted:
        for key in sorted(sessions):
            s = sessions[key]
            for r in s.records:
                if r.span_id in wanted and r.span_id not in where:
                    where[r.span_id] = s
    for s in pending:
        outer = where.get(s.anchor) if s.anchor else None
        if outer is None or outer is s:
            outer = sessions.get(s.parent_sid) if s.parent_sid else None
            if outer is None or outer is s:
                continue
            s.anchor = None if not (s.anchor and s.anchor in where and where[s.anchor] is outer) else s.anchor
        # Refuse links that would make the nesting circular.
        cur: _Session | None = outer
        while cur is not None and cur is not s:
            cur = cur.nest_parent
        if cur is s:
            s.anchor = None
            continue
        outer.nested.append(s)
        s.nest_parent = outer


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


__all__ = ["PSEUDO_REASON", "Accounting", "Reassembly", "reassemble"]
