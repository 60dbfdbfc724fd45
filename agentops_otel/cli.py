"""``agentops-otel``: replay, list, diff and gate agent sessions from a file, Jaeger or Tempo; export one as a test.

The CLI is the CI-facing side of the package: ``gate`` is the session-failure-rate check a pipeline
runs after the agent tests, ``replay``/``diff`` are what a developer runs on the session link from a
failed build. So it is careful about two things: exit codes a script can rely on (0 fine, 1 a bound
broken or — for ``diff`` — the runs differ or can't be shown to agree, 2 usage or source trouble, 3
``gate`` could not decide, or ``diff`` compared data that contradicts itself) and errors a human can
act on (one line naming the source and what to check, never a traceback). The gate command lives in
``_cli_gate``, the source handling in ``_cli_reader``, the argument parsers in ``_cli_args``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO, cast

from rich.console import Console

from agentops_otel import config, semconv
from agentops_otel._cli_args import (
    EXIT_BOUND,
    EXIT_OK,
    EXIT_UNDECIDED,
    EXIT_USAGE,
    PROG,
    CliError,
    _confidence,
    _end_state,
    _non_negative,
    _out_path,
    _positive,
    _rate,
    _run_id,
    _session_id,
    _source,
    parse_time,
)
from agentops_otel._cli_gate import GATE_SOURCES, GateSource, cmd_gate, gate_query
from agentops_otel._cli_output import Output
from agentops_otel._cli_reader import Reader, _color, _source_uri, _url_template
from agentops_otel.diff import diff_timelines, render_diff
from agentops_otel.gate import never_ended, top_level
from agentops_otel.read import ReadError
from agentops_otel.read._errors import why_undecodable
from agentops_otel.render import _format as fmt
from agentops_otel.render.html import GENERATOR_META, render_html
from agentops_otel.render.json import render_json, summary_to_dict
from agentops_otel.render.text import render_text
from agentops_otel.timeline import Timeline

__all__ = ["EXIT_BOUND", "EXIT_OK", "EXIT_UNDECIDED", "EXIT_USAGE", "GATE_SOURCES", "PROG", "CliError", "GateSource",
           "Reader", "build_parser", "gate_query", "main", "parse_time"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the docs and the tests)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Replay, list, diff and gate AI-agent sessions recorded with OpenTelemetry.",
        epilog=f"Sources: a file of OTLP JSON lines (default {config.DEFAULT_FILE}, env {semconv.ENV_FILE}), "
        "jaeger://host:16686 (or http(s)://host:16686), tempo://host:3200; gate also takes "
        "prometheus://host:9090 (session metrics, collector-config/session-metrics.yaml).",
    )
    parser.add_argument("--version", action="store_true", help="print the installed version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")  # required, unless --version (see main)

    source = argparse.ArgumentParser(add_help=False)
    source.add_argument("--source", "-s", type=_source, help="file path, jaeger://host:port or tempo://host:port "
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
                        "without it every session in the file is shown (`replay FILE` is `replay --source FILE`).")
    rp.add_argument("id", nargs="?", type=_session_id, help="session id or trace id (or a trace file: all of it)")
    rp.add_argument("--html", metavar="OUT", type=_out_path,
                    help="also write a self-contained HTML replay to OUT")
    rp.add_argument("--json", action="store_true", help="print the JSON document instead of text")
    rp.add_argument("--max-field", type=_non_negative(int), default=80,
                    help="characters shown per input/output in text (default 80)")
    rp.add_argument("--width", type=_non_negative(int), help="cut text lines at this width")

    ls = sub.add_parser("sessions", parents=[source, filters, output], help="list recent sessions")
    ls.add_argument("--since", type=parse_time, help="start of the window: 1h, 30m, ISO time (default: all)")
    ls.add_argument("--state", type=_end_state, choices=semconv.END_STATES,
                    help="only sessions that ended so (any case)")
    ls.add_argument("--limit", type=_non_negative(int), default=20, help="at most N sessions (default 20; 0 for all)")
    ls.add_argument("--open", action="store_true",
                    help="only sessions the program never ended: ended by our exit hook or the pytest plugin, "
                         "or whose root span never arrived (a crash, or still running)")
    ls.add_argument("--json", action="store_true", help="print JSON instead of a table")

    gt = sub.add_parser("gate", parents=[source, filters, output], help="fail CI when sessions fail too often",
                        description="Check recent sessions against bounds: exit 0 PASS, 1 FAIL (a bound is broken), "
                        f"{EXIT_UNDECIDED} INSUFFICIENT DATA (too few sessions, an interval too wide to decide "
                        "under --confidence, or a source that could not show every session: see "
                        "--allow-incomplete). Backends are read page by page over the whole window.")
    gt.add_argument("--since", type=parse_time, default=None,
                    help="start of the window (default 1h; 24h with --run/--this-run)")
    run = gt.add_mutually_exclusive_group()
    run.add_argument("--run", metavar="ID", type=_run_id, help="only sessions of this CI run (their agentops.run.id)")
    run.add_argument("--this-run", action="store_true",
                     help=f"only sessions of the CI run this runs in (${semconv.ENV_RUN_ID}, else GITHUB_RUN_ID-"
                     "GITHUB_RUN_ATTEMPT, CI_PIPELINE_ID, BUILDKITE_BUILD_ID, CIRCLE_WORKFLOW_ID, Jenkins' "
                     "BUILD_TAG, BUILD_ID, …: the same lookup the sessions were stamped with)")
    complete = gt.add_mutually_exclusive_group()
    complete.add_argument("--require-complete", dest="require_complete", action="store_true", default=True,
                          help=f"exit {EXIT_UNDECIDED} unless the source showed every session of the window "
                          "(the default; kept for scripts that say so)")
    complete.add_argument("--allow-incomplete", dest="require_complete", action="store_false",
                          help="judge the sessions the source showed when it could not show them all (a line "
                          "still being written, a backend's cut, --limit): the report lists what was not seen")
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
                    help="INSUFFICIENT DATA (exit 3) when fewer sessions are found: too few to judge, never a "
                    "pass (default 1: an empty window is suspicious)")
    gt.add_argument("--limit", type=_non_negative(int), default=None,
                    help="read at most N sessions (default: every session of the window)")
    gt.add_argument("--json", action="store_true", help="print the figures as JSON")

    df = sub.add_parser("diff", parents=[source, output], help="where two sessions diverge",
                        description="Exit 0 when the sessions' steps agree, 1 when they differ or can't be shown "
                                    "to agree (arguments or messages not recorded, cut, or unreadable; spans of "
                                    "a session lost), 3 when a session's data contradicts itself (copies of one "
                                    "span that differ, an attribute key given twice with different values, "
                                    "several roots, a Success root with status ERROR, a root under one session's "
                                    "span naming another as its parent: what the gate does not judge), whatever "
                                    "the steps compared as kept.")
    df.add_argument("a", type=_session_id, help="session id or trace id (e.g. the passing run)")
    df.add_argument("b", type=_session_id, help="session id or trace id (e.g. the failing run)")
    df.add_argument("--source-b", type=_source, help="read B from another source (default: --source)")

    ex = sub.add_parser("export-test", parents=[source], help="turn a session into a pytest regression test",
                        description="Write a pytest file and its cassette that replay the session through the "
                        "agent's entry point and assert what it did (calls in order, end state, cost bound).")
    ex.add_argument("id", type=_session_id, help="session id (the agent's session)")
    ex.add_argument("--call", required=True, metavar="MODULE:FUNCTION", help="the agent's entry point")
    ex.add_argument("--args", metavar="JSON", help="its arguments as a JSON list, e.g. '[\"I was charged twice\"]' "
                    "(needed: a session does not record what its entry point was called with)")
    ex.add_argument("--out", metavar="PATH", type=_out_path,
                    help="test file to write (default tests/test_session_<id>.py)")
    ex.add_argument("--run-tools", action="store_true", help="run tools for real instead of answering them "
                    "from the recording")
    ex.add_argument("--agent-version", help="pin the cassette to this agent version")
    ex.add_argument("--force", action="store_true", help="replace the test file and its cassette when they exist "
                    "(default: refuse, exit 2)")
    return parser


# --- commands --------------------------------------------------------------------------------------


def cmd_replay(args: argparse.Namespace, reader: Reader, out: TextIO, err: TextIO) -> int:
    if args.id:
        timelines = reader.sessions_for(args.id)
    else:
        timelines = top_level(Reader._assemble(reader.all_spans()))
        if not timelines:
            raise CliError(f"no sessions in {reader.shown}")
    if args.html:
        _write_page(Path(args.html), render_html(timelines if len(timelines) > 1 else timelines[0]))
        print(f"wrote {args.html} ({len(timelines)} session{'s' if len(timelines) != 1 else ''})", file=err)
    if args.json:
        out.write(render_json(timelines[0] if len(timelines) == 1 else timelines))
        return EXIT_OK
    color = _color(args, out)
    out.write("\n".join(render_text(t, color=color, width=args.width, max_field=args.max_field)
                        for t in timelines))
    return EXIT_OK


def _write_page(path: Path, page: str) -> None:
    """Write the replay page 0600 (it holds prompts and tool values), replacing only a page of ours.

    Any other existing file (the trace file being read, a page of the user's) is refused: a typo in
    ``--html`` must not cost data.
    """
    try:
        with path.open("rb") as old:
            head = old.read(4096)
    except FileNotFoundError:
        head = None
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
    if head is not None and GENERATOR_META.encode() not in head:
        raise CliError(f"refusing to write over {path}: it is not an HTML replay {PROG} wrote "
                       "(choose another path, or remove the file first)")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(page)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None


def _table(rows: list[list[str]], header: list[str]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in [header, *rows]]


def cmd_sessions(args: argparse.Namespace, reader: Reader, out: TextIO, err: TextIO) -> int:
    # A file is read whole anyway, so every matching session is assembled and the ones --limit leaves out
    # are counted (selected by their roots, as with a limit: no limit would read every span, a verdict
    # written apart from its session's root among them, as a session); a backend is asked for one more
    # than the limit, enough to say that more exist.
    fetch = sys.maxsize if reader.is_file else args.limit + 1 if args.limit else None
    found = reader.search(since=args.since, until=args.until, service=args.service, tags=args.tag,
                          state=args.state, limit=fetch)
    # The reader selects whole traces; a trace it kept for one session can hold others (a tagged test's
    # session and the agent's nested one): each listed session must match on its own.
    found = [t for t in found if (args.state is None or t.summary.end_state == args.state)
             and set(args.tag) <= set(t.summary.tags)]
    if args.open:
        found = [t for t in found if never_ended(t.summary)]
    found.sort(key=lambda t: t.summary.start_ns, reverse=True)
    more = max(len(found) - args.limit, 0) if args.limit else 0
    if args.limit:
        found = found[: args.limit]
    template = _url_template(reader.uri)
    if args.json:
        docs = [{**summary_to_dict(t.summary), "steps": len(t.steps), "url": fmt.url_for(t.summary, template)}
                for t in found]
        out.write(json.dumps({"schema": "agentops-otel/sessions@1", "sessions": docs, "more": more,
                              "more_exact": reader.is_file or not more}, indent=2) + "\n")
        return EXIT_OK
    if not found:
        print(f"no sessions in {reader.shown} matching the filters", file=err)
        return EXIT_OK
    _print_sessions(args, found, template, out)
    if more:
        count = f"{more} more session{'s' if more != 1 else ''}" if reader.is_file else "more sessions"
        print(f"… {count} not shown (the newest {args.limit} are): --limit N lists N, --limit 0 all", file=err)
    return EXIT_OK


def _print_sessions(args: argparse.Namespace, found: list[Timeline], template: str, out: TextIO) -> None:
    header = ["SESSION", "START (UTC)", "NAME", "STATE", "DURATION", "COST", "STEPS", "URL"]
    listed = {t.summary.session_id for t in found}
    rows = []
    for t in found:
        s = t.summary
        keyed = " (foreign session.id)" if s.foreign_session_id else " (no session.id)"
        # A nested session cut from its parent (by --limit or a filter) says where it ran: alone it reads
        # as a run of its own.
        nested = ("" if not s.parent_session_id else " (nested)" if s.parent_session_id in listed
                  else f" (nested in {fmt.escape(s.parent_session_id)}, not listed)")
        name = fmt.cut(fmt.clean(s.name or ""), 30) + nested + (keyed if s.pseudo else "")
        rows.append([fmt.escape(s.session_id), fmt.start_time(s.start_ns).removesuffix(" UTC"), name, fmt.status_of(s),
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


def cmd_diff(args: argparse.Namespace, reader: Reader, out: TextIO, err: TextIO) -> int:
    # With the sessions nested in each: what they say two ways leaves the diff as undecided as the gate.
    a, nested_a = reader.session_with_nested(args.a)
    if args.source_b:
        other = Reader(args.source_b, args.timeout, err, headers=args.header)
        try:
            b, nested_b = other.session_with_nested(args.b)
        finally:
            other.close()
    else:
        b, nested_b = reader.session_with_nested(args.b)
    diff = diff_timelines(a, b, nested_a=nested_a, nested_b=nested_b)
    out.write(render_diff(diff, color=_color(args, out)))
    # Like the gate's INSUFFICIENT DATA: what the data says two ways decides nothing, either way.
    return EXIT_UNDECIDED if diff.contradictions else EXIT_OK if diff.same else EXIT_BOUND


def cmd_export_test(args: argparse.Namespace, reader: Reader, out: TextIO, err: TextIO) -> int:
    from agentops_otel.testing._cassette import CassetteError
    from agentops_otel.testing._export_test import export_test
    from agentops_otel.testing._from_trace import cassette_from_timeline
    from agentops_otel.testing._matching import calls_in
    from agentops_otel.testing._order import unordered_calls

    try:
        call_args = None if args.args is None else json.loads(args.args)
    except (ValueError, RecursionError) as exc:
        raise CliError(f"--args is not JSON: {why_undecodable(exc)}") from None
    if call_args is not None and not isinstance(call_args, list):
        raise CliError("--args must be a JSON list, e.g. '[\"I was charged twice\"]'")
    try:
        timeline = reader.session(args.id)
        cassette = cassette_from_timeline(timeline, source=reader.shown, agent_version=args.agent_version)
        target = args.out or f"tests/test_session_{re.sub(r'[^0-9a-zA-Z]+', '_', args.id)[:12]}.py"
        done = export_test(cassette, target, call=args.call, args=call_args, source=reader.shown,
                           run_tools=args.run_tools, force=args.force,
                           overlapping=unordered_calls(timeline, calls_in(timeline)))
    except CassetteError as exc:
        raise CliError(str(exc)) from None
    except FileExistsError as exc:
        raise CliError(f"not writing the test: {exc}") from None
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


def _installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("agentops-otel-replay")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run one command; returns the exit code (the console script passes it to ``sys.exit``)."""
    out = cast(TextIO, Output(stdout or sys.stdout))  # see _cli_output: the exit code survives a lost reader
    err = stderr or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.version:
            print(f"{PROG} {_installed_version()}", file=out)
            return EXIT_OK
        if args.command is None:
            parser.error("the following arguments are required: COMMAND")
    except SystemExit as exc:  # argparse has already printed usage and the message
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    since, until = getattr(args, "since", None), getattr(args, "until", None)
    if since is not None and until is not None and until < since:  # an empty window would read as no sessions
        print(f"{PROG}: error: --until ({until.isoformat()}) is before --since ({since.isoformat()})", file=err)
        return EXIT_USAGE
    if args.command == "replay" and args.id and not args.source and os.path.isfile(args.id):
        args.source, args.id = args.id, None  # `replay FILE`: every session in it, as `replay --source FILE`
    reader: Reader | None = None
    try:
        reader = Reader(_source_uri(args), args.timeout, err, default=not args.source, headers=args.header)
        code = _COMMANDS[args.command](args, reader, out, err)
        out.flush()  # a write error buffered until now is reported here, not by the interpreter at exit
        return code
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
