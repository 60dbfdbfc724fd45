"""The ``agentops-otel`` command line as argparse sees it: every command, its arguments and their help.

Kept apart from :mod:`agentops_otel.cli`, which runs the commands (and re-exports ``build_parser``), so
the whole interface reads in one place; what each argument accepts is parsed by the converters in
``_cli_args``.
"""

from __future__ import annotations

import argparse

from agentops_otel import config, semconv
from agentops_otel._cli_args import (
    EXIT_UNDECIDED,
    PROG,
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

__all__ = ["build_parser"]


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
