"""The CLI's one door to a source: open it lazily, show progress, reassemble what it returns."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console

from agentops_otel import config, semconv
from agentops_otel._cli_args import _JAEGER, _SCHEME, _TRACE_ID, _UUID, PROG, CliError
from agentops_otel._diff_contradictions import nested_in
from agentops_otel.gate import top_level
from agentops_otel.read import Source, SpanRecord, TraceNotFound, open_source, read_otlp_file
from agentops_otel.read._http import link_url, parse_headers, shown_url
from agentops_otel.read._source import Query, Scan
from agentops_otel.reassemble import reassemble
from agentops_otel.render import _format as fmt
from agentops_otel.timeline import PSEUDO_SESSION_PREFIX, Timeline

# --- reading ---------------------------------------------------------------------------------------


def _is_file(uri: str) -> bool:
    return uri.startswith("file://") or not _SCHEME.match(uri)


def _file_path(uri: str) -> Path:
    return Path(uri[len("file://"):] if uri.startswith("file://") else uri)


class Reader:
    """A source plus the console for progress: the one place the CLI touches readers."""

    def __init__(self, uri: str, timeout: float, err: TextIO, *, default: bool = False,
                 headers: Sequence[str] = ()) -> None:
        self.uri = uri
        self.shown = shown_url(uri)
        """The source as messages and reports show it: without credentials (``https://ci:token@…``)."""
        self.is_file = _is_file(uri)
        self._timeout = timeout
        self._headers = parse_headers(list(headers)) if headers else None
        self._source: Source | None = None
        self._console = Console(file=err, stderr=True) if _isatty(err) else None
        if self.is_file and not _file_path(uri).is_file():
            hint = f" (the default source; pass --source or set {semconv.ENV_FILE})" if default else ""
            if _file_path(uri).is_dir():
                raise CliError(f"{uri} is a directory: --source takes one OTLP JSON(-lines) file (.jsonl, .json "
                               f"or .gz), jaeger://host:16686 or tempo://host:3200{hint}")
            if _file_path(uri).exists():  # a pipe (--source <(zcat …)) or a device: read more than once
                raise CliError(f"{uri} is not a regular file (a pipe or a device): save it to a file first, "
                               f"--source reads its file more than once{hint}")
            raise CliError(f"no such file: {uri}{hint}")

    @property
    def source(self) -> Source:
        if self._source is None:
            self._source = open_source(self.uri, timeout=self._timeout, headers=self._headers)
        return self._source

    def close(self) -> None:
        if self._source is not None:
            self._source.close()

    def _status(self, what: str) -> AbstractContextManager[Any]:
        if self._console is None:
            return nullcontext()
        return self._console.status(f"{what} from {self.shown}…", spinner="dots")

    def collect(self, what: str, fetch: Callable[[], Iterable[SpanRecord]]) -> list[SpanRecord]:
        """Drain a reader with a spinner and a running count (files can hold millions of spans)."""
        with self._status(what) as status:
            out: list[SpanRecord] = []
            last = time.monotonic()
            for record in fetch():
                out.append(record)
                if status is not None and time.monotonic() - last > 0.1:
                    status.update(f"{what} from {self.shown}… {len(out):,} spans")
                    last = time.monotonic()
            return out

    def all_spans(self) -> list[SpanRecord]:
        if not self.is_file:
            raise CliError("a session or trace id is required for a backend source "
                           f"(list recent ones with: {PROG} sessions --source {self.shown})")
        return self.collect("Reading spans", lambda: read_otlp_file(_file_path(self.uri)))

    def sessions_for(self, ident: str) -> list[Timeline]:
        """Sessions for an id: a hex trace id (16-32 digits) is tried as a trace first, then as a session id."""
        return self._read(ident)[0]

    def _read(self, ident: str) -> tuple[list[Timeline], list[Timeline]]:
        """:meth:`sessions_for`, with every session reassembled from what was read for it (nested ones too)."""
        trace_id = ident.removeprefix(PSEUDO_SESSION_PREFIX)
        if trace_id != ident and _TRACE_ID.match(trace_id):
            # The id `sessions` and `gate` show for a trace without session.id names that trace.
            return self._read(trace_id)
        if _TRACE_ID.match(ident):
            try:
                everything = self._assemble(self.collect("Reading trace", lambda: self.source.trace(ident)))
            except TraceNotFound:
                everything = []
            if found := top_level(everything):
                return found, everything
        try:
            records = self.collect("Reading session", lambda: self.source.session(ident))
        except TraceNotFound:
            records = []
        timelines = self._assemble(records)
        exact = [t for t in timelines if t.summary.session_id == ident]
        if not exact and _UUID.match(ident) and ident != ident.lower():
            # A UUID is the same id in either case (RFC 9562), and ours are written in lower case:
            # one copied from a tool that shows it upper-cased still names its session.
            return self._read(ident.lower())
        if not exact:
            kind = "session or trace" if _TRACE_ID.match(ident) else "session"
            raise CliError(f"no {kind} {ident!r} in {self.shown}")
        return exact, timelines

    def session(self, ident: str) -> Timeline:
        return self.sessions_for(ident)[0]

    def session_with_nested(self, ident: str) -> tuple[Timeline, list[Timeline]]:
        """:meth:`session`, and the sessions nested in it read along with it (see ``_diff_contradictions``)."""
        found, everything = self._read(ident)
        return found[0], nested_in(found[0], everything)

    def search(self, *, since: datetime | None, until: datetime | None, service: str | None,
               tags: Sequence[str], state: str | None, limit: int | None) -> list[Timeline]:
        records = self.collect("Searching sessions", lambda: self.source.search(
            since=since, until=until, service=service, tags=list(tags) or None, state=state, limit=limit))
        return self._assemble(records)

    def scan(self, query: Query) -> Scan:
        """Every session of the window (backends page through it), and what could not be seen."""
        with self._status("Reading sessions"):
            return self.source.scan(query)

    @staticmethod
    def _assemble(records: list[SpanRecord]) -> list[Timeline]:
        # A trace without a session.id is a session too (marked pseudo): listed, replayed, gated.
        result = reassemble(records) if records else None
        sessions = [*result.sessions, *result.pseudo_sessions] if result is not None else []
        sessions.sort(key=lambda t: (t.summary.start_ns, t.summary.session_id))
        return sessions


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _source_uri(args: argparse.Namespace) -> str:
    return str(args.source) if args.source else config.file_path()


def _url_template(uri: str) -> str:
    """Links point at the Jaeger being read, unless the user configured a template."""
    if os.environ.get(semconv.ENV_URL_TEMPLATE) or config.state.url_template:
        return config.url_template()
    match = _JAEGER.match(uri)
    if match:
        scheme = "https" if match.group(1).endswith("https") else "http"
        host = link_url(uri)[match.end():].rstrip("/")  # credentials stay out of links
        return f"{scheme}://{host}" + "/trace/{trace_id}?uiFind={span_id}"
    return config.url_template()


def _color(args: argparse.Namespace, out: TextIO) -> bool:
    if args.color is not None:
        return bool(args.color)
    return fmt.want_color(out)
