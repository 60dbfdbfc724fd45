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
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from agentops_otel import genai_spans
from agentops_otel import semconv as sc
from agentops_otel.read._errors import ReadError, TraceNotFound
from agentops_otel.read._http import norm_trace_id, parse_headers, shown_url, split_url
from agentops_otel.read._paging import Coverage
from agentops_otel.read._record import SpanRecord
from agentops_otel.read._select import (
    Index,
    RootFilter,
    dedup,
    filter_records,
    matching_roots,
    search_in,
    select,
    selected,
)
from agentops_otel.read._time import TimeArg

# One search over a backend fetches at most this many traces per service.
_SEARCH_DEPTH = 100
_LLM_MARKERS = (*((sc.GEN_AI_OPERATION_NAME, op) for op in sorted(sc.LLM_OPERATIONS)),
                (sc.OPENINFERENCE_SPAN_KIND, sc.OPENINFERENCE_KIND_LLM))
"""How Tempo's search finds the LLM spans of any instrumentation: a trace that has them but no
session (an app traced only by openai-v2, OpenLLMetry, OpenInference) is listed as a session of its
own, as it is from a file. Jaeger's search takes no alternatives: it is asked once more without an
attribute filter. Either only when no filter a root alone could meet (end state, tags, run) is given."""


def _agent_traces(records: list[SpanRecord]) -> list[SpanRecord]:
    """The traces holding a session's span or any instrumentation's LLM span.

    A backend holds every service's traces; one without either (a plain HTTP request) is no agent run.
    """
    keep = {r.trace_id for r in records if r.session_id is not None or genai_spans.is_llm(r.attributes)}
    return [r for r in records if r.trace_id in keep]


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
        """Spans of the sessions whose root matches every given filter, nested sessions included (with
        the sessions nested in them; ``limit`` counts sessions, most recent first)."""
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


# --- files ------------------------------------------------------------------------------------
class FileSource:
    """An OTLP JSON(-lines) file, plain or gzip; every query streams it (twice when filtering)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        if not os.path.exists(self.path):
            raise ReadError(f"{self.path}: no such file")

    def _stream(self, unseen: list[str] | None = None) -> Iterator[SpanRecord]:
        from agentops_otel.read.otlp_json import read_otlp_file

        return read_otlp_file(self.path, unseen=unseen)

    def trace(self, trace_id: str) -> list[SpanRecord]:
        tid = norm_trace_id(trace_id)
        out = [r for r in self._stream() if r.trace_id == tid]
        if not out:
            raise TraceNotFound(f"no spans of trace {tid} in {self.path}")
        return out

    def session(self, session_id: str) -> list[SpanRecord]:
        index = Index()
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
        flt = RootFilter(since, until, service, tags, state)
        if flt.empty and limit is None:
            yield from self._stream()
            return
        index = Index()
        for r in self._stream():
            index.add(r)
        keep = index.keep(*select(index, flt, limit, nested=True))  # a listing: nested sessions match too
        for r in self._stream():
            if keep(r):
                yield r

    def scan(self, query: Query) -> Scan:
        index = Index()
        # A last line still being written is not seen: the gate says so (and won't pass unless --allow-incomplete).
        unseen: list[str] = []
        for r in self._stream(unseen):
            index.add(r)
        flt = RootFilter(query.since, query.until, query.service, query.tags, None, query.run)
        roots = matching_roots(index, flt)
        if query.limit is not None and len(roots) > query.limit:
            unseen.append(f"{len(roots) - query.limit} of the window's {len(roots)} sessions not read "
                          f"(--limit {query.limit})")
            roots = roots[: query.limit]
        keep = index.keep(*selected(index, roots))
        return Scan([r for r in self._stream() if keep(r)], unseen)

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
            raise TraceNotFound(f"Jaeger at {self.reader.shown_url} has no spans with "
                                f"{sc.SESSION_ID}={session_id}")
        # Sessions nested in a separate trace name their parent on the root.
        found += self.reader.search(attributes={sc.SESSION_PARENT_ID: session_id}, limit=_SEARCH_DEPTH)
        return filter_records(dedup(found), {session_id})

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
        if _pages(limit, tags):
            found = self.reader.scan(service, since, until, attrs if state is not None or tags else None,
                                     page=_SEARCH_DEPTH, coverage=Coverage())
            yield from search_in(_agent_traces(found), since, until, service, tags, state, limit, nested=True)
            return
        depth = max(limit or _SEARCH_DEPTH, 1)
        found = self.reader.search(service=service, since=since, until=until, attributes=attrs, limit=depth)
        if state is None:  # a trace without session can match: look beyond session roots
            found += self.reader.search(service=service, since=since, until=until, attributes=None, limit=depth)
        yield from search_in(_agent_traces(found), since, until, service, tags, state, limit, nested=True)

    def scan(self, query: Query) -> Scan:
        attrs: dict[str, str] | None = None
        if query.run is not None:
            # The run id alone: a session killed before its root was exported has no invoke_agent span, but
            # each of its spans names the run (on the span, or on the resource of the provider we built).
            attrs = {sc.RUN_ID: query.run}
        elif query.tags:
            attrs = {sc.GEN_AI_OPERATION_NAME: sc.OP_INVOKE_AGENT}
        # else a trace without session can match: page through every trace of the window once (a
        # superset of the session roots; Jaeger 2.13 ignores the attribute filter anyway).
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
            raise TraceNotFound(f"Tempo at {self.reader.shown_url} has no spans with {sc.SESSION_ID}={session_id}")
        return filter_records(dedup(found), {session_id})

    def search(
        self,
        since: TimeArg = None,
        until: TimeArg = None,
        service: str | None = None,
        tags: Sequence[str] | None = None,
        state: str | None = None,
        limit: int | None = None,
    ) -> Iterator[SpanRecord]:
        conds = [_traceql_roots(with_llm_spans=state is None and not tags)]
        if state is not None:
            conds.append(f'span."{sc.SESSION_END_STATE}" = {_traceql_string(state)}')
        if service is not None:
            conds.append(f"resource.service.name = {_traceql_string(service)}")
        traceql = "{ " + " && ".join(conds) + " }"
        if _pages(limit, tags):
            found = self.reader.scan(traceql, since, until, page=_SEARCH_DEPTH, coverage=Coverage())
        else:
            found = self.reader.search(traceql, since=since, until=until, limit=max(limit or _SEARCH_DEPTH, 1))
        yield from search_in(_agent_traces(found), since, until, service, tags, state, limit, nested=True)

    def scan(self, query: Query) -> Scan:
        if query.run is not None:
            # Any span of one of the run's sessions, not only its root: one killed before its root was
            # exported is still the run's (each span names the run, on the span or its resource).
            conds = [f'span."{sc.SESSION_ID}" != nil', f".{sc.RUN_ID} = {_traceql_string(query.run)}"]
        else:
            conds = [_traceql_roots(with_llm_spans=not query.tags)]
        if query.service is not None:
            conds.append(f"resource.service.name = {_traceql_string(query.service)}")
        coverage = Coverage()
        found = self.reader.scan("{ " + " && ".join(conds) + " }", query.since, query.until, page=query.page,
                                 coverage=coverage, max_traces=query.limit)
        return _scanned(found, query, coverage)

    def close(self) -> None:
        self.reader.close()


def _pages(limit: int | None, tags: Sequence[str] | None) -> bool:
    """Whether a listing must page through the whole window: for every session (no limit), or with tags,
    which the backends cannot match on (a list attribute), so a search ``limit`` traces deep would only
    see the newest traces and miss an older tagged session outright."""
    return limit is None or bool(tags)


def _traceql_roots(*, with_llm_spans: bool) -> str:
    """Session roots, and with ``with_llm_spans`` any instrumentation's LLM span (see ``_LLM_MARKERS``)."""
    root = f'span."{sc.GEN_AI_OPERATION_NAME}" = "{sc.OP_INVOKE_AGENT}"'
    if not with_llm_spans:
        return root
    alternatives = [root, *(f'span."{key}" = "{value}"' for key, value in _LLM_MARKERS)]
    return "(" + " || ".join(alternatives) + ")"


def _scanned(found: list[SpanRecord], query: Query, coverage: Coverage) -> Scan:
    records = list(search_in(_agent_traces(found), query.since, query.until, query.service, query.tags, None, None,
                              query.run))
    return Scan(records, coverage.unseen, coverage.requests)


def _traceql_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


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
    parts = split_url(text)
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
        raise ReadError(f"unknown source scheme {scheme!r} in {shown_url(uri)!r}: use a file path, "
                        "jaeger://host:16686, http(s)://… (Jaeger) or tempo://host:3200")
    if not os.path.exists(text):
        hint = "" if text.endswith(_FILE_SUFFIXES) else " (expected a .jsonl, .json or .gz file)"
        raise ReadError(f"{text}: no such file{hint}")
    return FileSource(text)


__all__ = ["FileSource", "JaegerSource", "Query", "Scan", "Source", "TempoSource", "open_source"]
