"""Which sessions a search returns: the root filter, the index a first pass builds, and the selection.

Shared by every source: a file applies it to everything it streams, a backend to what its own search
(which can only pre-filter) returned. A session is found through its root span; its spans are its
own, those of sessions nested in it, and spans without any ``session.id`` in the same traces.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

from agentops_otel import semconv as sc
from agentops_otel._end_states import canonical_end_state
from agentops_otel.read._copies import drop_copies
from agentops_otel.read._record import SpanRecord, is_session_root
from agentops_otel.read._time import TimeArg, to_ns

__all__ = ["Index", "RootFilter", "dedup", "filter_records", "on_cycles", "search_in", "select"]


class RootFilter:
    """The search filters, applied to a session's root span."""

    def __init__(self, since: TimeArg, until: TimeArg, service: str | None, tags: Sequence[str] | None,
                 state: str | None, run: str | None = None) -> None:
        self.since = to_ns(since)
        self.until = to_ns(until)
        self.service = service
        self.tags = frozenset(tags or ())
        self.state = state if state is None else canonical_end_state(state) or state
        self.run = run

    @property
    def empty(self) -> bool:
        return (self.since is None and self.until is None and self.service is None and not self.tags
                and self.state is None and self.run is None)

    def matches(self, root: SpanRecord) -> bool:
        if self.run is not None and root.attributes.get(sc.RUN_ID, root.resource.get(sc.RUN_ID)) != self.run:
            return False
        if self.since is not None and root.start_ns < self.since:
            return False
        if self.until is not None and root.start_ns > self.until:
            return False
        if self.service is not None and root.service_name != self.service:
            return False
        if self.state is not None and canonical_end_state(root.attributes.get(sc.SESSION_END_STATE)) != self.state:
            return False
        if self.tags:
            raw = root.attributes.get(sc.TAGS)
            have = {raw} if isinstance(raw, str) else set(raw) if isinstance(raw, (list, tuple)) else set()
            if not self.tags <= have:
                return False
        return True


_VERDICT = f"{sc.SPAN_EVALUATION} "


class Index:
    """What a first pass learns: session roots, nesting, and which traces hold which sessions."""

    def __init__(self) -> None:
        self.roots: dict[str, SpanRecord] = {}
        self.first: dict[str, SpanRecord] = {}
        """Each session's earliest span: stands in for a root that never arrived (or was cut)."""
        self.parent_of: dict[str, str] = {}
        self.traces_of: dict[str, set[str]] = {}
        self.loose_traces: set[str] = set()
        self.loose_first: dict[str, SpanRecord] = {}
        """Earliest span of each trace with spans lacking ``session.id``."""

    def add(self, rec: SpanRecord) -> None:
        sid = rec.session_id
        if sid is None:
            self.loose_traces.add(rec.trace_id)
            known = self.loose_first.get(rec.trace_id)
            if known is None or rec.start_ns < known.start_ns:
                self.loose_first[rec.trace_id] = rec
            return
        traces = self.traces_of.get(sid)
        if traces is None:
            self.traces_of[sid] = {rec.trace_id}
        else:
            traces.add(rec.trace_id)
        # A verdict written later, maybe elsewhere, belongs to its session but never stands in for it:
        # on its own it is no session (no phantom "root missing" run where only the verdict is).
        if not rec.name.startswith(_VERDICT):
            known = self.first.get(sid)
            if known is None or rec.start_ns < known.start_ns:
                self.first[sid] = rec
        if is_session_root(rec):
            known = self.roots.get(sid)
            if known is None or rec.start_ns < known.start_ns:
                self.roots[sid] = rec
                parent = rec.attributes.get(sc.SESSION_PARENT_ID)
                if isinstance(parent, str) and parent and parent != sid:
                    self.parent_of[sid] = parent

    def closure(self, sids: Iterable[str]) -> set[str]:
        """The sessions and every session nested in them, at any depth."""
        children: dict[str, list[str]] = {}
        for child, parent in self.parent_of.items():
            children.setdefault(parent, []).append(child)
        out: set[str] = set()
        stack = list(sids)
        while stack:
            s = stack.pop()
            if s in out:
                continue
            out.add(s)
            stack.extend(children.get(s, ()))
        return out

    def keep(self, sids: set[str], traces_alone: Iterable[str] = ()) -> Callable[[SpanRecord], bool]:
        traces = set().union(*(self.traces_of.get(s, set()) for s in sids)) if sids else set()
        traces.update(traces_alone)

        def wanted(rec: SpanRecord) -> bool:
            sid = rec.session_id
            return sid in sids if sid is not None else rec.trace_id in traces

        return wanted


def on_cycles(parent: dict[str, str]) -> set[str]:
    """The keys whose chain of parents comes back to them (a key its own parent included): each walked once."""
    done: set[str] = set()
    found: set[str] = set()
    for start in parent:
        path: list[str] = []
        on_path: set[str] = set()
        k: str | None = start
        while k is not None and k not in done and k not in on_path:
            path.append(k)
            on_path.add(k)
            k = parent.get(k)
        if k is not None and k in on_path:
            found.update(path[path.index(k):])
        done.update(path)
    return found


def matching_roots(index: Index, flt: RootFilter, *, nested: bool = False) -> list[SpanRecord]:
    """The roots (or stand-ins) of the sessions and session-less traces that match, newest first.

    Only outermost ones unless ``nested``: the gate judges runs, and a nested session is part of its
    parent's run; a listing (``nested=True``) finds the agent's session tagged ``support`` inside a
    test's session tagged ``test`` too."""
    # A session whose root never arrived is still a session: its earliest span stands in, and
    # matches only the filters a span without the root's attributes can meet (the run id is on every
    # span's resource). So is a trace without any session.id (another instrumentation's app).
    stand_ins = flt.state is None and not flt.tags
    matched = [r for r in index.roots.values() if flt.matches(r)]
    if stand_ins:
        matched += [r for sid, r in index.first.items() if sid not in index.roots and flt.matches(r)]
        in_sessions = set().union(*index.traces_of.values()) if index.traces_of else set()
        matched += [r for tid, r in index.loose_first.items() if tid not in in_sessions and flt.matches(r)]
    if not nested:  # a nested session is part of its parent's run: only outermost matches
        # Sessions whose parents lead back to them are nested in none of them (as the reassembler reads them).
        cyclic = on_cycles(index.parent_of)
        matched = [r for r in matched if r.session_id not in index.parent_of
                   or index.parent_of[r.session_id or ""] not in index.roots or r.session_id in cyclic]
    matched.sort(key=lambda r: r.start_ns, reverse=True)
    return matched


def select(index: Index, flt: RootFilter, limit: int | None, *,
           nested: bool = False) -> tuple[set[str], set[str]]:
    """(session ids, trace ids of traces without any session) to show, most recent first."""
    matched = matching_roots(index, flt, nested=nested)
    if limit is not None:
        matched = matched[:limit]
    return selected(index, matched)


def selected(index: Index, matched: Iterable[SpanRecord]) -> tuple[set[str], set[str]]:
    """:func:`select`'s answer for the given roots: their sessions with nested ones, and loose traces."""
    matched = list(matched)
    sids = index.closure(r.session_id for r in matched if r.session_id is not None)
    return sids, {r.trace_id for r in matched if r.session_id is None}


def filter_records(records: list[SpanRecord], sids: set[str]) -> list[SpanRecord]:
    index = Index()
    for r in records:
        index.add(r)
    keep = index.keep(index.closure(sids))
    return [r for r in records if keep(r)]


def dedup(records: list[SpanRecord]) -> list[SpanRecord]:
    """Without the exact copies of a span (a trace found by two searches); copies that differ stay, for the
    reassembler to name (see ``_copies``)."""
    return drop_copies(records)


def search_in(found: list[SpanRecord], since: TimeArg, until: TimeArg, service: str | None,
               tags: Sequence[str] | None, state: str | None, limit: int | None,
               run: str | None = None, *, nested: bool = False) -> Iterator[SpanRecord]:
    """The backend pre-filtered by what it can; the exact filters apply to the roots here (``nested``: as
    in :func:`matching_roots`)."""
    index = Index()
    records = dedup(found)
    for r in records:
        index.add(r)
    keep = index.keep(*select(index, RootFilter(since, until, service, tags, state, run), limit, nested=nested))
    for r in records:
        if keep(r):
            yield r
