"""``agentops-otel sessions``: the recent sessions of a source as a table (or JSON), newest first.

Each listed session must match the filters on its own (a trace kept for one session can hold others),
``--limit`` says how many more there are, and a nested session cut from its parent says where it ran.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from rich.console import Console

from agentops_otel._cli_args import EXIT_OK
from agentops_otel._cli_reader import Reader, _color, _url_template
from agentops_otel.gate import never_ended
from agentops_otel.render import _format as fmt
from agentops_otel.render.json import summary_to_dict
from agentops_otel.timeline import Timeline

__all__ = ["cmd_sessions"]


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

