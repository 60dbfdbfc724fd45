"""``agentops-otel``: replay, list, diff and gate agent sessions from a file, Jaeger or Tempo; export one as a test.

The CLI is the CI-facing side of the package: ``gate`` is the session-failure-rate check a pipeline
runs after the agent tests, ``replay``/``diff`` are what a developer runs on the session link from a
failed build. So it is careful about two things: exit codes a script can rely on (0 fine, 1 a bound
broken or — for ``diff`` — the runs differ or can't be shown to agree, 2 usage or source trouble, 3
``gate`` could not decide, or ``diff`` compared data that contradicts itself) and errors a human can
act on (one line naming the source and what to check, never a traceback). The gate command lives in
``_cli_gate``, the session list in ``_cli_sessions``, the source handling in ``_cli_reader``, the command
line in ``_cli_parser`` and the parsers of its values in ``_cli_args``.
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

from agentops_otel._cli_args import EXIT_BOUND, EXIT_OK, EXIT_UNDECIDED, EXIT_USAGE, PROG, CliError, parse_time
from agentops_otel._cli_gate import GATE_SOURCES, GateSource, cmd_gate, gate_query
from agentops_otel._cli_output import Output
from agentops_otel._cli_parser import build_parser
from agentops_otel._cli_reader import Reader, _color, _source_uri
from agentops_otel._cli_sessions import cmd_sessions
from agentops_otel.diff import diff_timelines, render_diff
from agentops_otel.gate import top_level
from agentops_otel.read import ReadError
from agentops_otel.read._errors import why_undecodable
from agentops_otel.render.html import GENERATOR_META, render_html
from agentops_otel.render.json import render_json
from agentops_otel.render.text import render_text

__all__ = ["EXIT_BOUND", "EXIT_OK", "EXIT_UNDECIDED", "EXIT_USAGE", "GATE_SOURCES", "PROG", "CliError", "GateSource",
           "Reader", "build_parser", "gate_query", "main", "parse_time"]


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
