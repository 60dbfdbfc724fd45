"""``agentops-otel gate``: read a window's sessions from a source (or counts from Prometheus), judge them,
report; exit 0 PASS, 1 FAIL, 3 INSUFFICIENT DATA."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TextIO, cast

from rich.console import Console

from agentops_otel import semconv
from agentops_otel._cli_args import EXIT_BOUND, EXIT_OK, EXIT_UNDECIDED, CliError
from agentops_otel._cli_reader import Reader, _color, _url_template
from agentops_otel.ci_run import current_run
from agentops_otel.gate import GateResult, evaluate_gate, report_doc, report_lines, variants_of
from agentops_otel.gate_prometheus import gate_prometheus, is_prometheus_uri
from agentops_otel.read._source import Query
from agentops_otel.render import _format as fmt
from agentops_otel.timeline import Timeline


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
    if args.since is None and args.until is not None and args.until < since:
        # main() refuses --until before an explicit --since; the default start needs the same check, or the
        # empty window reads as "no sessions" (a PASS under --min-sessions 0).
        hours = int(default_window.total_seconds() // 3600)
        raise CliError(f"--until ({args.until.isoformat()}) is before the default --since ({hours}h ago, "
                       f"{since.isoformat()}): pass --since too")
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
        doc = {**report_doc(res), "since": since.isoformat(), "source": reader.shown, "run": query.run}
        out.write(json.dumps(doc, indent=2) + "\n")
        return code
    template = _url_template(reader.uri)
    by_id: dict[str, Timeline] = args.by_id

    def link(sid: str) -> str:
        return fmt.url_for(by_id[sid].summary, template) if sid in by_id else ""

    run = f" of run {query.run}" if query.run is not None else ""
    lines = [fmt.escape(f"Sessions{run} since {since.strftime('%Y-%m-%d %H:%M:%S')} UTC in {reader.shown}: "
                        f"{res.sessions} (min {args.min_sessions})"), *report_lines(res, link)]
    if _color(args, out):
        console = Console(file=out, force_terminal=True, highlight=False, soft_wrap=True)
        for line in lines[:-1]:
            console.print(line, markup=False)
        style = "bold green" if res.ok else "bold red" if res.broken else "bold yellow"
        console.print(lines[-1], style=style, markup=False)
    else:
        out.write("\n".join(lines) + "\n")
    return code
