"""One small protocol over files and backends, and the URI scheme that picks one.

The CLI and the pytest plugin take a single ``--source`` string; this maps it to a reader so no
caller needs to know whether the spans come from Jaeger, Tempo or a JSON-lines file.

A session is found through its root span (``invoke_agent …`` carrying the end state), and
"the spans of a session" means its own spans, those of sessions nested in it (their roots name it
in ``agentops.session.parent_id``), and spans without any ``session.id`` in the same traces (a
downstream service's), which the reassembler attaches by ancestry.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

from agentops_otel import semconv as sc
from agentops_otel.read._errors import ReadError, TraceNotFound
from agentops_otel.read._http import norm_trace_id, parse_headers
from agentops_otel.read._paging import Coverage
from agentops_otel.read._record import SpanRecord, is_session_root
from agentops_otel.read._time import TimeArg, to_ns

# One search over a backend fetches at most this many traces per service.
_SEARCH_DEPTH = 100


@runtime_checkable
class Source(Protocol):
    """Where sessions are read from."""

    def trace(self, trace_id: str) -> list[SpanRecord]:
        """All spans of one trace; raises ``TraceNotFound`` when there are none."""
        ...

    def session(self, session_id: str) -> list[SpanRecord]:
        """All spans of one session (and of sessions nested in it), across traces."""
        ...

    def search(
        self,
        since: TimeArg = None,
        until: TimeArg = None,
        service: str | None = None,
        tags: Sequence[str] | None = None,
        state: str | None = None,
        limit: int | None = None,
    ) -> Iterator[SpanRecord]:
        """Spans of the sessions whose root matches every given filter (``limit`` counts sessions,
        most recent first)."""
        ...

    def scan(self, query: Query) -> Scan:
        """Every session of the query's window, or as many as the source could show and what it could not."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Query:
    """What a gate judges: the sessions whose root starts in the window and matches every filter."""

    since: TimeArg = None
    until: TimeArg = None
    service: str | None = None
    tags: Sequence[str] = ()
    run: str | None = None
    """Only sessions of this CI run (``agentops.run.id`` on the root or its resource)."""
    page: int = _SEARCH_DEPTH
    """Traces per backend request (a backend caps each search; the gate pages through the window)."""
    limit: int | None = None
    """Stop after this many sessions (what is left is reported as not seen)."""


@dataclass
class Scan:
    """The spans of the sessions found, and what the source could not show (empty: it saw everything)."""

    records: list[SpanRecord]
    unseen: list[str] = field(default_factory=list)
    requests: int = 0


# --- shared selection logic -------------------------------------------------------------------
class _RootFilter:
    """The search filters, applied to a session's root span."""

    def __init__(self, since: TimeArg, until: TimeArg, service: str | None, tags: Sequence[str] | None,
                 state: str | None, run: str | None = None) -> None:
        self.since = to_ns(since)
        self.until = to_ns(until)
        self.service = service
        self.tags = frozenset(tags or ())
        self.state = state
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
        if self.state is not None and root.attributes.get(sc.SESSION_END_STATE) != self.state:
            return False
        if self.tags:
            raw = root.attributes.get(sc.TAGS)
            have = {raw} if isinstance(raw, str) else set(raw) if isinstance(raw, (list, tuple)) else set()
            if not self.tags <= have:
                return False
        return True


class _Index:
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
            self.first[sid] = rec
        else:
            traces.add(rec.trace_id)
            if rec.start_ns < self.first[sid].start_ns:
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


def _select(index: _Index, flt: _RootFilter, limit: int | None) -> tuple[set[str], set[str]]:
    """(session ids, trace ids of traces without any session) to show, most recent first."""
    # A session whose root never arrived is still a session: its earliest span stands in, and
    # matches only the filters a span without the root's attributes can meet. So is a trace
    # without any session.id (another instrumentation's app).
    stand_ins = flt.state is None and not flt.tags and flt.run is None
    matched = [r for r in index.roots.values() if flt.matches(r)]
    if stand_ins:
        matched += [r for sid, r in index.first.items() if sid not in index.roots and flt.matches(r)]
        in_sessions = set().union(*index.traces_of.values()) if index.traces_of else set()
        matched += [r for tid, r in index.loose_first.items() if tid not in in_sessions and flt.matches(r)]
    # Nested sessions are shown inside their parent: list only outermost matches.
    matched = [r for r in matched if r.session_id not in index.parent_of
               or index.parent_of[r.session_id or ""] not in index.roots]
    matched.sort(key=lambda r: r.start_ns, reverse=True)
    if limit is not None:
        matched = matched[:limit]
    sids = index.closure(r.session_id for r in matched if r.session_id is not None)
    return sids, {r.trace_id for r in matched if r.session_id is None}


def _filter_records(records: list[SpanRecord], sids: set[str]) -> list[SpanRecord]:
    index = _Index()
    for r in records:
        index.add(r)
    keep = index.keep(index.closure(sids))
    return [r for r in records if keep(r)]


# --- files ------------------------------------------------------------------------------------
class FileSource:
    """An OTLP JSON(-lines) file, plain or gzip; every query streams it (twice when filtering)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        if not os.path.exists(self.path):
            raise ReadError(f"{self.path}: no such file")

    def _stream(self) -> Iterator[SpanRecord]:
        from agentops_otel.read.otlp_json import read_otlp_file

        return read_otlp_file(self.path)

    def trace(self, trace_id: str) -> list[SpanRecord]:
        tid = norm_trace_id(trace_id)
        out = [r for r in self._stream() if r.trace_id == tid]
        if not out:
            raise TraceNotFound(f"no spans of trace {tid} in {self.path}")
        return out

    def session(self, session_id: str) -> list[SpanRecord]:
        index = _Index()
        for r in self._stream():
            index.add(r)
        if session_id not in index.traces_of:
            raise TraceNotFound(f"no spans of session {session_id} in {self.path}")
        keep = index.keep(index.closure([session_id]))
        return [r for r in self._stream() if keep(r)]

    def search(
        self,
        since: TimeArg = None,
        until: TimeArg = None,
        service: str | None = None,
        tags: Sequence[str] | None = None,
        state: str | None = None,
        limit: int | None = None,
    ) -> Iterator[SpanRecord]:
        flt = _RootFilter(since, until, service, tags, state)
        if flt.empty and limit is None:
            yield from self._stream()
            return
        index = _Index()
        for r in self._stream():
            index.add(r)
        keep = index.keep(*_select(index, flt, limit))
        for r in self._stream():
            if keep(r):
                yield r

    def scan(self, query: Query) -> Scan:
        index = _Index()
        for r in self._stream():
            index.add(r)
        flt = _RootFilter(query.since, query.until, query.service, query.tags, None, query.run)
        keep = index.keep(*_select(index, flt, query.limit))
        return Scan([r for r in self._stream() if keep(r)])

    def close(self) -> None:
        pass


# --- backends ---------------------------------------------------------------------------------
class JaegerSource:
    """Sessions in Jaeger, found through the v3 search API by attribute."""

    def __init__(self, base_url: str, timeout: float = 10.0, *,
                 headers: Mapping[str, str] | None = None) -> None:
        from agentops_otel.read.jaeger import JaegerReader

        self.reader = JaegerReader(base_url, timeout, headers=headers)

    def trace(self, trace_id: str) -> list[SpanRecord]:
        return self.reader.trace(trace_id)

    def session(self, session_id: str) -> list[SpanRecord]:
        found = self.reader.search(attributes={sc.SESSION_ID: session_id}, limit=_SEARCH_DEPTH)
        if not found:
            raise TraceNotFound(f"Jaeger at {self.reader.base_url} has no spans with "
                                f"{sc.SESSION_ID}={session_id}")
        # Sessions nested in a separate trace name their parent on the root.
        found += self.reader.search(attributes={sc.SESSION_PARENT_ID: session_id}, limit=_SEARCH_DEPTH)
        return _filter_records(_dedup(found), {session_id})

    def search(
        self,
        since: TimeArg = None,
        until: TimeArg = None,
        service: str | None = None,
        tags: Sequence[str] | None = None,
        state: str | None = None,
        limit: int | None = None,
    ) -> Iterator[SpanRecord]:
        attrs = {sc.GEN_AI_OPERATION_NAME: sc.OP_INVOKE_AGENT}
        if state is not None:
            attrs[sc.SESSION_END_STATE] = state
        depth = max(limit or _SEARCH_DEPTH, 1)
        found = self.reader.search(service=service, since=since, until=until, attributes=attrs, limit=depth)
        yield from _search_in(found, since, until, service, tags, state, limit)

    def scan(self, query: Query) -> Scan:
        attrs = {sc.GEN_AI_OPERATION_NAME: sc.OP_INVOKE_AGENT}
        if query.run is not None:
            attrs[sc.RUN_ID] = query.run  # Jaeger matches span and resource attributes alike
        coverage = Coverage()
        found = self.reader.scan(query.service, query.since, query.until, attrs, page=query.page,
                                 coverage=coverage, max_traces=query.limit)
        return _scanned(found, query, coverage)

    def close(self) -> None:
        self.reader.close()


class TempoSource:
    """Sessions in Tempo, found with TraceQL (tenants: ``headers={"X-Scope-OrgID": …}``)."""

    def __init__(self, base_url: str, timeout: float = 10.0, *,
                 headers: Mapping[str, str] | None = None) -> None:
        from agentops_otel.read.tempo import TempoReader

        self.reader = TempoReader(base_url, timeout, headers=headers)

    def trace(self, trace_id: str) -> list[SpanRecord]:
        return self.reader.trace(trace_id)

    def session(self, session_id: str) -> list[SpanRecord]:
        sid = _traceql_string(session_id)
        found = self.reader.search(
            f'{{ span."{sc.SESSION_ID}" = {sid} || span."{sc.SESSION_PARENT_ID}" = {sid} }}',
            limit=_SEARCH_DEPTH)
        if not found:
            raise TraceNotFound(f"Tempo at {self.reader.base_url} has no spans with {sc.SESSION_ID}={session_id}")
        return _filter_records(_dedup(found), {session_id})

    def search(
        self,
        since: TimeArg = None,
        until: TimeArg = None,
        service: str | None = None,
        tags: Sequence[str] | None = None,
        state: str | None = None,
        limit: int | None = None,
    ) -> Iterator[SpanRecord]:
        conds = [f'span."{sc.GEN_AI_OPERATION_NAME}" = "{sc.OP_INVOKE_AGENT}"']
        if state is not None:
            conds.append(f'span."{sc.SESSION_END_STATE}" = {_traceql_string(state)}')
        if service is not None:
            conds.append(f"resource.service.name = {_traceql_string(service)}")
        found = self.reader.search("{ " + " && ".join(conds) + " }", since=since, until=until,
                                   limit=max(limit or _SEARCH_DEPTH, 1))
        yield from _search_in(found, since, until, service, tags, state, limit)

    def scan(self, query: Query) -> Scan:
        conds = [f'span."{sc.GEN_AI_OPERATION_NAME}" = "{sc.OP_INVOKE_AGENT}"']
        if query.service is not None:
            conds.append(f"resource.service.name = {_traceql_string(query.service)}")
        if query.run is not None:
            conds.append(f".{sc.RUN_ID} = {_traceql_string(query.run)}")  # unscoped: span or resource
        coverage = Coverage()
        found = self.reader.scan("{ " + " && ".join(conds) + " }", query.since, query.until, page=query.page,
                                 coverage=coverage, max_traces=query.limit)
        return _scanned(found, query, coverage)

    def close(self) -> None:
        self.reader.close()


def _scanned(found: list[SpanRecord], query: Query, coverage: Coverage) -> Scan:
    records = list(_search_in(found, query.since, query.until, query.service, query.tags, None, None,
                              query.run))
    return Scan(records, coverage.unseen, coverage.requests)


def _traceql_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dedup(records: list[SpanRecord]) -> list[SpanRecord]:
    seen: set[tuple[str, str]] = set()
    out: list[SpanRecord] = []
    for r in records:
        key = (r.trace_id, r.span_id)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def _search_in(found: list[SpanRecord], since: TimeArg, until: TimeArg, service: str | None,
               tags: Sequence[str] | None, state: str | None, limit: int | None,
               run: str | None = None) -> Iterator[SpanRecord]:
    """The backend pre-filtered by what it can; the exact filters apply to the roots here."""
    index = _Index()
    records = _dedup(found)
    for r in records:
        index.add(r)
    keep = index.keep(*_select(index, _RootFilter(since, until, service, tags, state, run), limit))
    for r in records:
        if keep(r):
            yield r


# --- the URI scheme ---------------------------------------------------------------------------
_FILE_SUFFIXES = (".jsonl", ".json", ".gz", ".ndjson")


def open_source(uri: str, *, timeout: float = 10.0, headers: Mapping[str, str] | None = None) -> Source:
    """``jaeger://host:16686``, ``http(s)://…`` (Jaeger), ``tempo://host:3200``, or a file path.

    ``jaeger+https://`` and ``tempo+https://`` select TLS; a path may also be ``file://…``.
    ``headers`` go with every request to a backend (a tenant's ``X-Scope-OrgID``, ``Authorization``);
    without them, ``AGENTOPS_OTEL_SOURCE_HEADERS`` (``name=value,…``) is read.
    """
    if headers is None:
        headers = parse_headers(os.environ.get(sc.ENV_SOURCE_HEADERS))
    text = uri.strip()
    if not text:
        raise ReadError("empty source: give a file path, jaeger://host:16686 or tempo://host:3200")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    rest = text[len(parts.scheme) + 3:] if "://" in text else ""
    if scheme in ("jaeger", "jaeger+http", "jaeger+https"):
        return JaegerSource(("https://" if scheme.endswith("https") else "http://") + rest, timeout, headers=headers)
    if scheme in ("tempo", "tempo+http", "tempo+https"):
        return TempoSource(("https://" if scheme.endswith("https") else "http://") + rest, timeout, headers=headers)
    if scheme in ("http", "https"):
        return JaegerSource(text, timeout, headers=headers)
    if scheme == "file":
        return FileSource(parts.path)
    if scheme and len(scheme) > 1:  # not a Windows drive letter
        raise ReadError(f"unknown source scheme {scheme!r} in {uri!r}: use a file path, "
                        "jaeger://host:16686, http(s)://… (Jaeger) or tempo://host:3200")
    if not os.path.exists(text):
        hint = "" if text.endswith(_FILE_SUFFIXES) else " (expected a .jsonl, .json or .gz file)"
        raise ReadError(f"{text}: no such file{hint}")
    return FileSource(text)


__all__ = ["FileSource", "JaegerSource", "Query", "Scan", "Source", "TempoSource", "open_source"]
