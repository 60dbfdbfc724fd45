"""The CI gate at production volume: the same verdict from a file and from Jaeger (paged), side by side.

Plain script, one run::

    python bench/bench_gate.py                      # 100k sessions from a file, 20k loaded into Jaeger
    python bench/bench_gate.py --jaeger-sessions 100000
    python bench/bench_gate.py --quick              # 10k / 2k, a smoke run

Each source is judged by ``agentops-otel gate --json`` in-process over the window holding every
session, and the table says how many sessions each one actually saw (against how many exist), how
long the verdict took, sessions per second, and how many requests a backend needed. A backend row
whose count is short of the total is a gate judging a sample: the point of paging is that it is not.

Loading Jaeger (OTLP/HTTP, in-memory store) is timed apart and is not part of the gate's time. The
Jaeger binary comes from ``scripts/backends.sh`` (``make backends``); without it the row says so.

Adding a source: write ``def bench_<name>(ctx: Context) -> Row | None`` and append it to
:data:`SOURCES` (None: the source is not available here, with the reason in ``ctx.notes``).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests" / "e2e"))

from make_otlp_file import generate_lines, write_file  # noqa: E402

from agentops_otel.cli import main as cli_main  # noqa: E402

SPANS_PER_SESSION = 4
T0_S = 1_767_000_000
"""make_otlp_file starts session i at T0 + i seconds."""


@dataclass
class Row:
    source: str
    seen: int
    total: int
    failures: int
    seconds: float
    requests: str = ""
    note: str = ""


@dataclass
class Context:
    """What every source's benchmark may use: the sizes, a scratch folder, the window, notes to print."""

    sessions: int
    jaeger_sessions: int
    page_size: int
    workdir: Path
    notes: list[str] = field(default_factory=list)

    def window(self, sessions: int) -> list[str]:
        return ["--since", str(T0_S - 60), "--until", str(T0_S + sessions + 3600)]


def gate(source: str, args: list[str], *extra: str) -> tuple[dict[str, Any], float]:
    """The gate's JSON figures and the wall time of the whole command."""
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    cli_main(["gate", "--source", source, "--max-failure-rate", "0.5", "--min-sessions", "0", "--json",
              *args, *extra], stdout=out, stderr=err)
    elapsed = time.perf_counter() - start
    try:
        doc: dict[str, Any] = json.loads(out.getvalue())
    except ValueError:
        raise SystemExit(f"gate over {source} failed: {err.getvalue().strip()}") from None
    return doc, elapsed


def bench_file(ctx: Context) -> Row | None:
    """Gate over an OTLP JSON-lines file holding every session (read twice: index, then the sessions)."""
    path = ctx.workdir / "sessions.jsonl"
    start = time.perf_counter()
    size = write_file(str(path), ctx.sessions * SPANS_PER_SESSION, ctx.sessions)
    ctx.notes.append(f"file: {size / 1e6:.0f} MB, {ctx.sessions * SPANS_PER_SESSION:,} spans, "
                     f"written in {time.perf_counter() - start:.1f} s")
    doc, elapsed = gate(str(path), ctx.window(ctx.sessions))
    return Row("file", doc["sessions"], ctx.sessions, doc["failures"], elapsed, "-",
               "complete" if doc["complete"] else "; ".join(doc["unseen"]))


def bench_jaeger(ctx: Context) -> Row | None:
    """Gate over the real Jaeger v2 (in-memory store), paging ``--page-size`` traces per request."""
    import httpx
    from _backends import BackendUnavailable, locate_binaries, start_jaeger

    try:
        binary = locate_binaries(["jaeger"])["jaeger"]
    except BackendUnavailable as exc:
        ctx.notes.append(f"jaeger: not run ({str(exc).splitlines()[0]})")
        return None
    backend = start_jaeger(binary, ctx.workdir)
    try:
        n = ctx.jaeger_sessions
        start = time.perf_counter()
        with httpx.Client(timeout=60) as client:
            for line in generate_lines(n * SPANS_PER_SESSION, n):
                client.post(backend.otlp_http_traces_url, content=line,
                            headers={"Content-Type": "application/json"}).raise_for_status()
        source = f"jaeger://{backend.query_url.removeprefix('http://')}"
        args = [*ctx.window(n), "--service", "bench-agent", "--page-size", str(ctx.page_size)]
        deadline = time.monotonic() + 300
        while True:  # Jaeger's batch processor stores asynchronously
            doc, _ = gate(source, args)
            if doc["sessions"] >= n or time.monotonic() > deadline:
                break
            time.sleep(1)
        ctx.notes.append(f"jaeger: loaded {n:,} sessions over OTLP/HTTP in {time.perf_counter() - start:.1f} s "
                         "(not part of the gate's time)")
        doc, elapsed = gate(source, args)
        scans = _requests(source, args)
        ctx.notes.append(f"jaeger: one search without paging (the gate before #13) sees {_one_search(source, n)} "
                         f"of {n:,} sessions")
        return Row(f"jaeger (page {ctx.page_size})", doc["sessions"], n, doc["failures"], elapsed, scans,
                   "complete" if doc["complete"] else "; ".join(doc["unseen"])[:200])
    finally:
        backend.process.stop()


def _requests(source: str, args: list[str]) -> str:
    """How many search requests the paged read took (asked again through the reader, untimed)."""
    from agentops_otel.read import open_source
    from agentops_otel.read._source import Query

    since, until = float(args[args.index("--since") + 1]), float(args[args.index("--until") + 1])
    page = int(args[args.index("--page-size") + 1]) if "--page-size" in args else 100
    src = open_source(source)
    try:
        scan = src.scan(Query(since=since, until=until, service="bench-agent", page=page))
    finally:
        src.close()
    return str(scan.requests)


def _one_search(source: str, sessions: int) -> int:
    """Sessions a single search at Jaeger's default depth (100) returns."""
    from agentops_otel.read import is_session_root, open_source

    src = open_source(source)
    try:
        return sum(1 for r in src.search(since=T0_S - 60, until=T0_S + sessions + 3600, service="bench-agent")
                   if is_session_root(r))
    finally:
        src.close()


def bench_prometheus(ctx: Context) -> Row | None:
    """Gate over the real Prometheus holding the session counters of ``--sessions`` session roots, pushed
    through the real collector (session-metrics.yaml); the gate's time is its three PromQL queries."""
    from _backends import BackendUnavailable
    from _gate_prometheus import prometheus_with_sessions

    try:
        with prometheus_with_sessions(ctx.sessions, ctx.workdir, SPANS_PER_SESSION) as (source, service, loading):
            args = ["--since", "10m", "--service", service]
            gate(source, args)  # warm: the first query loads the series' chunks
            doc, elapsed = gate(source, args)
    except BackendUnavailable as exc:
        ctx.notes.append(f"prometheus: not run ({str(exc).splitlines()[0]})")
        return None
    ctx.notes.append(f"prometheus: the file's {ctx.sessions:,} session roots through the collector into Prometheus in "
                     f"{loading:.1f} s (not part of the gate's time)")
    return Row("prometheus", doc["sessions"], ctx.sessions, doc["failures"], elapsed, "3 queries",
               "exact counters, no search cap")


SOURCES: list[Callable[[Context], Row | None]] = [bench_file, bench_jaeger, bench_prometheus]
"""One function per source, run in this order; another source appends its own."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100_000, help="sessions in the file (default 100000)")
    parser.add_argument("--jaeger-sessions", type=int, default=20_000,
                        help="sessions loaded into Jaeger (default 20000: loading 100k takes minutes here)")
    parser.add_argument("--page-size", type=int, default=1000, help="traces per Jaeger search (default 1000)")
    parser.add_argument("--quick", action="store_true", help="10k sessions in the file, 2k in Jaeger")
    args = parser.parse_args(argv)
    if args.quick:
        args.sessions, args.jaeger_sessions = 10_000, 2_000
    with tempfile.TemporaryDirectory(prefix="bench-gate-") as tmp:
        ctx = Context(args.sessions, args.jaeger_sessions, args.page_size, Path(tmp))
        rows = [row for bench in SOURCES if (row := bench(ctx)) is not None]
    print(f"gate over N sessions ({SPANS_PER_SESSION} spans each); 'seen' is what the gate judged")
    header = ("source", "seen / total", "failed", "time", "sessions/s", "requests", "")
    table = [header] + [(r.source, f"{r.seen:,} / {r.total:,}", f"{r.failures:,}", f"{r.seconds:.2f} s",
                         f"{r.seen / r.seconds:,.0f}" if r.seconds else "-", r.requests, r.note) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    for note in ctx.notes:
        print(f"  {note}")
    short = [r.source for r in rows if r.seen != r.total]
    if short:
        print(f"NOT ALL SESSIONS SEEN by: {', '.join(short)}")
    return 1 if short else 0


if __name__ == "__main__":
    raise SystemExit(main())
