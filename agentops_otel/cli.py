"""``agentops-otel``: replay, list, diff and gate agent sessions from a file, Jaeger or Tempo; export one as a test.

The CLI is the CI-facing side of the package: ``gate`` is the session-failure-rate check a pipeline
runs after the agent tests, ``replay``/``diff`` are what a developer runs on the session link from a
failed build. So it is careful about two things: exit codes a script can rely on (0 fine, 1 a bound
broken or — for ``diff`` — the runs differ, 2 usage or source trouble) and errors a human can act on
(one line naming the source and what to check, never a traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO, cast

from rich.console import Console

from agentops_otel import config, semconv
from agentops_otel.ci_run import current_run
from agentops_otel.diff import diff_timelines, render_diff
from agentops_otel.gate import (
    GateResult,
    evaluate_gate,
    never_ended,
    report_doc,
    report_lines,
    top_level,
    variants_of,
)
from agentops_otel.gate_prometheus import gate_prometheus, is_prometheus_uri
from agentops_otel.read import ReadError, Source, SpanRecord, TraceNotFound, open_source, read_otlp_file
from agentops_otel.read._http import parse_headers
from agentops_otel.read._source import Query, Scan
from agentops_otel.reassemble import reassemble
from agentops_otel.render import _format as fmt
from agentops_otel.render.html import render_html
from agentops_otel.render.json import render_json, summary_to_dict
from agentops_otel.render.text import render_text
from agentops_otel.timeline import Timeline

PROG = "agentops-otel"
EXIT_OK = 0
EXIT_BOUND = 1
"""``gate``: a bound was broken; ``diff``: the sessions differ."""
EXIT_USAGE = 2
"""Bad arguments, unreadable source, unknown id."""
EXIT_UNDECIDED = 3
"""``gate``: INSUFFICIENT DATA, too little to decide either way (never a pass)."""

_TRACE_ID = re.compile(r"^[0-9a-fA-F]{16,32}$")
"""A trace id as backends show it: 32 hex digits, or fewer with leading zeros trimmed (Tempo's search,
Grafana: 31 for a random id starting with 0, 16 for a 64-bit one)."""
_JAEGER = re.compile(r"^(jaeger\+https|jaeger\+http|jaeger|https|http)://", re.I)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)\s*$")
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}



class CliError(Exception):
    """A failure the user can fix; printed as one line, exit code 2."""


# --- arguments -------------------------------------------------------------------------------------


def parse_time(text: str, *, now: datetime | None = None) -> datetime:
    """``1h``/``30m``/``2d`` ago, an ISO 8601 time (naive = UTC) or unix seconds."""
    now = now or datetime.now(UTC)
    match = _DURATION.match(text)
    if match:
        return now - timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])
    try:
        return datetime.fromtimestamp(float(text), tz=UTC)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid time {text!r}: use a duration ago (30m, 1h, 2d), ISO 8601 or unix seconds"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_MAX_CONFIDENCE = 0.999999
"""Beyond this the normal quantile of the Wilson interval is lost to float rounding."""


def _run_id(text: str) -> str:
    """A CI run id: blank would match sessions recorded outside any run, never what was meant."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty run id matches no run: give the id (or use --this-run)")
    return text.strip()


def _rate(text: str) -> float:
    """A failure rate as a fraction (0.05) or a percentage (5%)."""
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid rate {text!r}: use a fraction (0.05) or 5%") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"rate {text!r} is outside 0..1")
    return value


def _confidence(text: str) -> float:
    """A confidence level as a fraction (0.95) or a percentage (95%), from 50% to 99.9999%.

    Below 50% the "interval" is narrower than the point estimate's noise: the number was almost surely an
    error rate (0.05 for 95%), so it is refused rather than gated on.
    """
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid confidence {text!r}: use a fraction (0.95) or 95%") from None
    if value > 1 and not text.endswith("%"):
        raise argparse.ArgumentTypeError(f"confidence {text!r} is above 1: for a percentage write {text}%")
    if not 0.5 <= value <= _MAX_CONFIDENCE:
        raise argparse.ArgumentTypeError(
            f"confidence {text!r} looks like an error rate: did you mean {1 - value:.4g}? "
            f"(a level from 0.5 to {_MAX_CONFIDENCE})" if 0 < value < 0.5 else
            f"confidence {text!r} must be from 0.5 to {_MAX_CONFIDENCE} (e.g. 0.95)")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _non_negative(kind: type[int] | type[float]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid number {text!r}") from None
        if value < 0:
            raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the docs and the tests)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Replay, list, diff and gate AI-agent sessions recorded with OpenTelemetry.",
        epilog=f"Sources: a file of OTLP JSON lines (default {config.DEFAULT_FILE}, env {semconv.ENV_FILE}), "
        "jaeger://host:16686 (or http(s)://host:16686), tempo://host:3200; gate also takes "
        "prometheus://host:9090 (session metrics, collector-config/session-metrics.yaml).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    source = argparse.ArgumentParser(add_help=False)
    source.add_argument("--source", "-s", help="file path, jaeger://host:port or tempo://host:port "
                        f"(default: ${semconv.ENV_FILE} or {config.DEFAULT_FILE})")
    source.add_argument("--timeout", type=_non_negative(float), default=10.0,
                        help="seconds to wait for a backend (default 10)")
    source.add_argument("--header", "-H", action="append", default=[], metavar="'NAME: VALUE'",
                        help="send this header to the backend, e.g. 'X-Scope-OrgID: team-a' (repeatable; "
                        f"default ${semconv.ENV_SOURCE_HEADERS}, name=value,…)")
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("--color", dest="color", action="store_true", default=None, help="force colour")
    output.add_argument("--no-color", dest="color", action="store_false", help="never colour")

    filters = argparse.ArgumentParser(add_help=False)
    filters.add_argument("--until", type=parse_time, help="end of the window (default now)")
    filters.add_argument("--service", help="only sessions of this service.name")
    filters.add_argument("--tag", action="append", default=[], help="only sessions with this tag (repeatable)")

    rp = sub.add_parser("replay", parents=[source, output], help="show one session (or all in a file)",
                        description="Replay a session by session id or trace id (32 hex digits, or fewer "
                        "as backends show them, leading zeros trimmed). For a file source the id is optional: "
                        "without it every session in the file is shown.")
    rp.add_argument("id", nargs="?", help="session id or trace id")
    rp.add_argument("--html", metavar="OUT", help="also write a self-contained HTML replay to OUT")
    rp.add_argument("--json", action="store_true", help="print the JSON document instead of text")
    rp.add_argument("--max-field", type=_non_negative(int), default=80,
                    help="characters shown per input/output in text (default 80)")
    rp.add_argument("--width", type=_non_negative(int), help="cut text lines at this width")

    ls = sub.add_parser("sessions", parents=[source, filters, output], help="list recent sessions")
    ls.add_argument("--since", type=parse_time, help="start of the window: 1h, 30m, ISO time (default: all)")
    ls.add_argument("--state", choices=semconv.END_STATES, help="only sessions that ended so")
    ls.add_argument("--limit", type=_non_negative(int), default=20, help="at most N sessions (default 20)")
    ls.add_argument("--open", action="store_true",
                    help="only sessions the program never ended: ended by our exit hook or the pytest plugin, "
                         "or whose root span never arrived (a crash, or still running)")
    ls.add_argument("--json", action="store_true", help="print JSON instead of a table")

    gt = sub.add_parser("gate", parents=[source, filters, output], help="fail CI when sessions fail too often",
                        description="Check recent sessions against bounds: exit 0 PASS, 1 FAIL (a bound is broken), "
                        f"{EXIT_UNDECIDED} INSUFFICIENT DATA (too few sessions, an interval too wide to decide "
                        "under --confidence, or an incomplete read under --require-complete). Backends are read "
                        "page by page over the whole window.")
    gt.add_argument("--since", type=parse_time, default=None,
                    help="start of the window (default 1h; 24h with --run/--this-run)")
    run = gt.add_mutually_exclusive_group()
    run.add_argument("--run", metavar="ID", type=_run_id, help="only sessions of this CI run (their agentops.run.id)")
    run.add_argument("--this-run", action="store_true",
                     help=f"only sessions of the CI run this runs in (${semconv.ENV_RUN_ID}, else GITHUB_RUN_ID-"
                     "GITHUB_RUN_ATTEMPT, CI_PIPELINE_ID, BUILDKITE_BUILD_ID, CIRCLE_WORKFLOW_ID, Jenkins' "
                     "BUILD_TAG, BUILD_ID, …: the same lookup the sessions were stamped with)")
    gt.add_argument("--require-complete", action="store_true",
                    help=f"exit {EXIT_UNDECIDED} unless the source showed every session of the window")
    gt.add_argument("--confidence", type=_confidence, metavar="LEVEL",
                    help="decide on the Wilson interval at this level (e.g. 0.95): PASS needs its upper end "
                    f"within --max-failure-rate, else INSUFFICIENT DATA (exit {EXIT_UNDECIDED})")
    gt.add_argument("--page-size", type=_positive, default=100, metavar="N",
                    help="traces per backend search request (default 100; keep below Jaeger's max_traces)")
    gt.add_argument("--max-failure-rate", type=_rate, required=True, help="e.g. 0.05 or 5%%")
    gt.add_argument("--max-cost-per-session", type=_non_negative(float),
                    help="USD bound for every session; a session whose cost is incomplete (a call without "
                    "usage or a known price) breaks it unless --allow-unpriced")
    gt.add_argument("--allow-unpriced", action="store_true",
                    help="bound only the priced calls; the report lists the sessions whose cost is a lower bound")
    gt.add_argument("--min-sessions", type=_non_negative(int), default=1,
                    help="fail when fewer sessions are found (default 1: an empty window is suspicious)")
    gt.add_argument("--limit", type=_non_negative(int), default=None,
                    help="read at most N sessions (default: every session of the window)")
    gt.add_argument("--json", action="store_true", help="print the figures as JSON")

    df = sub.add_parser("diff", parents=[source, output], help="where two sessions diverge",
                        description="Exit 0 when the sessions' steps agree, 1 when they differ.")
    df.add_argument("a", help="session id or trace id (e.g. the passing run)")
    df.add_argument("b", help="session id or trace id (e.g. the failing run)")
    df.add_argument("--source-b", help="read B from another source (default: --source)")

    ex = sub.add_parser("export-test", parents=[source], help="turn a session into a pytest regression test",
                        description="Write a pytest file and its cassette that replay the session through the "
                        "agent's entry point and assert what it did (calls in order, end state, cost bound).")
    ex.add_argument("id", help="session id (the agent's session)")
    ex.add_argument("--call", required=True, metavar="MODULE:FUNCTION", help="the agent's entry point")
    ex.add_argument("--args", metavar="JSON", help="its arguments as a JSON list (default: the first recorded "
                    "call's single text argument)")
    ex.add_argument("--out", metavar="PATH", help="test file to write (default tests/test_session_<id>.py)")
    ex.add_argument("--run-tools", action="store_true", help="run tools for real instead of answering them "
                    "from the recording")
    ex.add_argument("--agent-version", help="pin the cassette to this agent version")
    return parser


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
        self.is_file = _is_file(uri)
        self._timeout = timeout
        self._headers = parse_headers(list(headers)) if headers else None
        self._source: Source | None = None
        self._console = Console(file=err, stderr=True) if _isatty(err) else None
        if self.is_file and not _file_path(uri).is_file():
            hint = f" (the default source; pass --source or set {semconv.ENV_FILE})" if default else ""
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
        return self._console.status(f"{what} from {self.uri}…", spinner="dots")

    def collect(self, what: str, fetch: Callable[[], Iterable[SpanRecord]]) -> list[SpanRecord]:
        """Drain a reader with a spinner and a running count (files can hold millions of spans)."""
        with self._status(what) as status:
            out: list[SpanRecord] = []
            last = time.monotonic()
            for record in fetch():
                out.append(record)
                if status is not None and time.monotonic() - last > 0.1:
                    status.update(f"{what} from {self.uri}… {len(out):,} spans")
                    last = time.monotonic()
            return out

    def all_spans(self) -> list[SpanRecord]:
        if not self.is_file:
            raise CliError("a session or trace id is required for a backend source "
                           f"(list recent ones with: {PROG} sessions --source {self.uri})")
        return self.collect("Reading spans", lambda: read_otlp_file(_file_path(self.uri)))

    def sessions_for(self, ident: str) -> list[Timeline]:
        """Sessions for an id: a hex trace id (16-32 digits) is tried as a trace first, then as a session id."""
        if _TRACE_ID.match(ident):
            try:
                found = top_level(self._assemble(self.collect("Reading trace", lambda: self.source.trace(ident))))
            except TraceNotFound:
                found = []
            if found:
                return found
        try:
            records = self.collect("Reading session", lambda: self.source.session(ident))
        except TraceNotFound:
            records = []
        timelines = self._assemble(records)
        exact = [t for t in timelines if t.summary.session_id == ident]
        if not exact:
            kind = "session or trace" if _TRACE_ID.match(ident) else "session"
            raise CliError(f"no {kind} {ident!r} in {self.uri}")
        return exact

    def session(self, ident: str) -> Timeline:
        return self.sessions_for(ident)[0]

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
        return f"{scheme}://{uri[match.end():].rstrip('/')}" + "/trace/{trace_id}?uiFind={span_id}"
    return config.url_template()


def _color(args: argparse.Namespace, out: TextIO) -> bool:
    if args.color is not None:
        return bool(args.color)
    return fmt.want_color(out)


# --- commands --------------------------------------------------------------------------------------


def cmd_replay(args: argparse.Namespace, reader: Reader, out: TextIO, err: TextIO) -> int:
    if args.id:
        timelines = reader.sessions_for(args.id)
    else:
        timelines = top_level(Reader._assemble(reader.all_spans()))
        if not timelines:
            raise CliError(f"no sessions in {reader.uri}")
    if args.html:
        try:
            Path(args.html).write_text(render_html(timelines if len(timelines) > 1 else timelines[0]),
                                       encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot write {args.html}: {exc.strerror or exc}") from None
        print(f"wrote {args.html} ({len(timelines)} session{'s' if len(timelines) != 1 else ''})", file=err)
    if args.json:
        out.write(render_json(timelines[0] if len(timelines) == 1 else timelines))
        return EXIT_OK
    color = _color(args, out)
    out.write("\n".join(render_text(t, color=color, width=args.width, max_field=args.max_field)
                        for t in timelines))
    return EXIT_OK


def _table(rows: list[list[str]], header: list[str]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in [header, *rows]]


def cmd_sessions(args: argparse.Namespace, reader: Reader, out: TextIO, err: TextIO) -> int:
    found = reader.search(since=args.since, until=args.until, service=args.service, tags=args.tag,
                          state=args.state, limit=args.limit or None)
    found = [t for t in found if args.state is None or t.summary.end_state == args.state]
    if args.open:
        found = [t for t in found if never_ended(t.summary)]
    found.sort(key=lambda t: t.summary.start_ns, reverse=True)
    if args.limit:
        found = found[: args.limit]
    template = _url_template(reader.uri)
    if args.json:
        docs = [{**summary_to_dict(t.summary), "steps": len(t.steps), "url": fmt.url_for(t.summary, template)}
                for t in found]
        out.write(json.dumps({"schema": "agentops-otel/sessions@1", "sessions": docs}, indent=2) + "\n")
        return EXIT_OK
    if not found:
        print(f"no sessions in {reader.uri} matching the filters", file=err)
        return EXIT_OK
    header = ["SESSION", "START (UTC)", "NAME", "STATE", "DURATION", "COST", "STEPS", "URL"]
    rows = []
    for t in found:
        s = t.summary
        name = fmt.cut(fmt.clean(s.name or ""), 30) + (" (nested)" if s.parent_session_id else "") + (
            " (no session.id)" if s.pseudo else "")
        rows.append([s.session_id, fmt.start_time(s.start_ns).removesuffix(" UTC"), name, fmt.status_of(s),
                     fmt.duration(s.duration_s), fmt.money(s.cost_usd) + ("" if s.cost_complete else "+"),
                     str(len(t.steps)), fmt.url_for(s, template)])
    lines = _table(rows, header)
    if _color(args, out):
        console = Console(file=out, force_terminal=True, width=max(len(line) for line in lines) + 1,
                          highlight=False, soft_wrap=True)
        console.print(lines[0], style="bold", markup=False)
        styles = {"Fail": "red", "Success": "green"}
        for line, t in zip(lines[1:], found, strict=True):
            console.print(line, style=styles.get(t.summary.end_state or "", "yellow"), markup=False)
    else:
        out.write("\n".join(lines) + "\n")
    return EXIT_OK


def gate_query(args: argparse.Namespace) -> Query:
    """The window and filters ``gate`` judges (``--this-run`` resolved from the environment)."""
    run = args.run
    if args.this_run:
        found = current_run()
        if found is None:
            raise CliError(f"--this-run: no CI run id in the environment (set {semconv.ENV_RUN_ID}, or run in "
                           "GitHub Actions, GitLab CI, Jenkins, Buildkite, CircleCI, …); or pass --run ID")
        run = found.id
    default_window = timedelta(hours=24 if run is not None else 1)
    since = args.since or datetime.now(UTC) - default_window
    return Query(since=since, until=args.until, service=args.service, tags=tuple(args.tag), run=run,
                 page=args.page_size, limit=args.limit)


GateSource = Callable[[argparse.Namespace, Reader, Query], GateResult]
"""Reads what a gate needs from one kind of source and judges it."""


def _gate_spans(args: argparse.Namespace, reader: Reader, query: Query) -> GateResult:
    """Sessions listed span by span (a file, Jaeger, Tempo), reassembled and judged one by one."""
    scan = reader.scan(query)
    found = reader._assemble(scan.records)
    args.by_id = {t.summary.session_id: t for t in found}
    return evaluate_gate(found, max_failure_rate=args.max_failure_rate, max_cost=args.max_cost_per_session,
                         min_sessions=args.min_sessions, allow_unpriced=args.allow_unpriced,
                         confidence=args.confidence, unseen=scan.unseen, require_complete=args.require_complete,
                         variants=variants_of(scan.records))


GATE_SOURCES: list[tuple[Callable[[str], bool], GateSource]] = [(is_prometheus_uri, gate_prometheus)]
"""Sources that judge sessions without listing them, tried in order before :func:`_gate_spans`:
``(accepts(uri), judge)``."""


def _gate_source(uri: str) -> GateSource:
    return next((judge for accepts, judge in GATE_SOURCES if accepts(uri)), _gate_spans)


def cmd_gate(args: argparse.Namespace, reader: Reader, out: TextIO, err: TextIO) -> int:
    query = gate_query(args)
    args.by_id = {}
    res = _gate_source(reader.uri)(args, reader, query)
    code = EXIT_OK if res.ok else EXIT_BOUND if res.broken else EXIT_UNDECIDED
    since = cast(datetime, query.since)
    if args.json:
        doc = {**report_doc(res), "since": since.isoformat(), "source": reader.uri, "run": query.run}
        out.write(json.dumps(doc, indent=2) + "\n")
        return code
    template = _url_template(reader.uri)
    by_id: dict[str, Timeline] = args.by_id

    def link(sid: str) -> str:
        return fmt.url_for(by_id[sid].summary, template) if sid in by_id else ""

    run = f" of run {query.run}" if query.run is not None else ""
    lines = [f"Sessions{run} since {since.strftime('%Y-%m-%d %H:%M:%S')} UTC in {reader.uri}: {res.sessions}"
             f" (min {args.min_sessions})", *report_lines(res, link)]
    if _color(args, out):
        console = Console(file=out, force_terminal=True, highlight=False, soft_wrap=True)
        for line in lines[:-1]:
            console.print(line, markup=False)
        style = "bold green" if res.ok else "bold red" if res.broken else "bold yellow"
        console.print(lines[-1], style=style, markup=False)
    else:
        out.write("\n".join(lines) + "\n")
    return code


def cmd_diff(args: argparse.Namespace, reader: Reader, out: TextIO, err: TextIO) -> int:
    a = reader.session(args.a)
    if args.source_b:
        other = Reader(args.source_b, args.timeout, err, headers=args.header)
        try:
            b = other.session(args.b)
        finally:
            other.close()
    else:
        b = reader.session(args.b)
    diff = diff_timelines(a, b)
    out.write(render_diff(diff, color=_color(args, out)))
    return EXIT_OK if diff.same else EXIT_BOUND


def cmd_export_test(args: argparse.Namespace, reader: Reader, out: TextIO, err: TextIO) -> int:
    from agentops_otel.testing._cassette import CassetteError
    from agentops_otel.testing._export_test import export_test
    from agentops_otel.testing._from_trace import cassette_from_timeline

    try:
        call_args = None if args.args is None else json.loads(args.args)
    except ValueError as exc:
        raise CliError(f"--args is not JSON: {exc}") from None
    if call_args is not None and not isinstance(call_args, list):
        raise CliError("--args must be a JSON list, e.g. '[\"I was charged twice\"]'")
    try:
        cassette = cassette_from_timeline(reader.session(args.id), source=reader.uri,
                                          agent_version=args.agent_version)
        target = args.out or f"tests/test_session_{re.sub(r'[^0-9a-zA-Z]+', '_', args.id)[:12]}.py"
        done = export_test(cassette, target, call=args.call, args=call_args, source=reader.uri,
                           run_tools=args.run_tools)
    except CassetteError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot write the test: {exc}") from None
    print(f"wrote {done.test_path} ({done.test_name}) and {done.cassette_path} "
          f"({len(cassette.steps)} steps)", file=out)
    return EXIT_OK


_COMMANDS: dict[str, Callable[[argparse.Namespace, Reader, TextIO, TextIO], int]] = {
    "replay": cmd_replay,
    "sessions": cmd_sessions,
    "gate": cmd_gate,
    "diff": cmd_diff,
    "export-test": cmd_export_test,
}


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run one command; returns the exit code (the console script passes it to ``sys.exit``)."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has already printed usage and the message
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    reader: Reader | None = None
    try:
        reader = Reader(_source_uri(args), args.timeout, err, default=not args.source, headers=args.header)
        return _COMMANDS[args.command](args, reader, out, err)
    except (CliError, ReadError) as exc:
        print(f"{PROG}: error: {_one_line(exc)}", file=err)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=err)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    finally:
        if reader is not None:
            try:
                reader.close()
            except ReadError:
                pass


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
