"""The measuring half shared by the LLM-client benches (``bench_openai.py``, ``bench_anthropic.py``).

Each bench says what to call and which instrumentations to compare; this module times them the same
way: variants alternate in rounds (so machine noise hits every contender alike), CPU time of the
calling thread by default, medians of medians, and the report prints added microseconds over the bare
SDK with the ratio to the cheapest contender. ``measure_interleaved`` (bench_openai's real-HTTP
table) alternates call by call instead and pairs each variant's call with bare's in the same cycle.

``--instructions`` (both benches) counts instead of timing: the bench re-runs itself under valgrind's
callgrind (``run_under_callgrind``); the child makes each variant's calls between two ``os.getppid()``
markers (``count_loops``), callgrind dumps its counters at every marker, and the instructions executed
on the calling thread between a variant's two markers, divided by the number of calls, are that
variant's cost per call (``report_instructions``). Deterministic and immune to machine load, but a
proxy: it ignores cache misses and whatever the kernel does for the call (sockets).
"""

from __future__ import annotations

import gc
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

HERE = Path(__file__).resolve().parent
BENCH_VENV = HERE / ".venv"
TARGET = 0.5
"""Our added time may be at most this fraction of the cheapest contender's."""


def maybe_reexec(script: str, argv: list[str], contenders_importable: Callable[[], bool]) -> None:
    """Run inside bench/.venv (made by bench/setup.sh) when the contenders live only there."""
    if "--no-reexec" in argv or contenders_importable():
        return
    python = BENCH_VENV / "bin" / "python"
    if python.exists() and Path(sys.prefix).resolve() != BENCH_VENV.resolve():
        print(f"(re-running in {python} where the contenders are installed)", flush=True)
        os.execv(str(python), [str(python), script, *argv, "--no-reexec"])


class DropExporter(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


@dataclass
class Variant:
    name: str
    on: Callable[[], object]
    off: Callable[[], object]


def noop() -> None:
    return None


CLOCK: list[Callable[[], int]] = [time.thread_time_ns]
"""CPU time of this thread by default: on a shared, busy machine, time spent descheduled is not ours."""


def timed(fn: Callable[[], None], n: int) -> list[int]:
    clock = CLOCK[0]
    out = []
    for _ in range(n):
        t0 = clock()
        fn()
        out.append(clock() - t0)
    return out


def measure(plain: Callable[[], None], with_floor_span: Callable[[], None], variants: list[Variant],
            rounds: int, per_round: int) -> dict[str, tuple[float, float]]:
    """Per variant: (median µs per call, median added µs over ``bare``), both as medians over rounds.

    The ``floor`` variant runs ``with_floor_span`` (the bare call inside one precomputed SDK span);
    every other variant runs ``plain`` with its instrumentation switched on.
    """
    fns = {v.name: (with_floor_span if v.name == "floor" else plain) for v in variants}
    per_variant: dict[str, list[float]] = {v.name: [] for v in variants}
    added: dict[str, list[float]] = {v.name: [] for v in variants}
    for r in range(rounds):
        order = variants[r % len(variants):] + variants[:r % len(variants)]
        medians: dict[str, float] = {}
        for v in order:
            v.on()
            try:
                timed(fns[v.name], 3)  # warm caches after switching
                gc.collect()
                gc.disable()
                try:
                    samples = timed(fns[v.name], per_round)
                finally:
                    gc.enable()
            finally:
                v.off()
            medians[v.name] = statistics.median(samples) / 1000
        for v in variants:
            per_variant[v.name].append(medians[v.name])
            added[v.name].append(medians[v.name] - medians["bare"])
    return {k: (statistics.median(per_variant[k]), statistics.median(added[k])) for k in per_variant}


def report(results: dict[str, dict[str, tuple[float, float]]], variants: list[Variant],
           others: list[Variant]) -> bool:
    """Print the table and the ratios; True when the target was met in every scenario."""
    names = [v.name for v in variants if v.name != "bare"]
    header = f"{'scenario':<11}{'bare µs':>9}" + "".join(f"{'+' + n + ' µs':>22}" for n in names)
    print(header)
    print("-" * len(header))
    for sc_name, res in results.items():
        print(f"{sc_name:<11}{res['bare'][0]:>9.1f}" + "".join(f"{res[n][1]:>22.1f}" for n in names))
    print()
    ok = True
    for sc_name, res in results.items():
        ours = res["agentops_otel"][1]
        floor_added = res["floor"][1]
        line = (f"{sc_name:<11} ours/floor = {ours / floor_added:5.2f}" if floor_added > 0
                else f"{sc_name:<11} ours/floor = n/a  ")
        if others:
            cheapest_name = min((v.name for v in others), key=lambda n: res[n][1])
            cheapest = res[cheapest_name][1]
            if cheapest <= 0.01 * res["bare"][0]:
                line += "   ours/cheapest contender: n/a (added times are below this transport's noise)"
            else:
                ratio = ours / cheapest
                ok &= ratio <= TARGET
                line += (f"   ours/cheapest contender ({cheapest_name}) = {ratio:5.2f}"
                         f"   [target <= {TARGET:.2f}: {'met' if ratio <= TARGET else 'MISSED'}]")
        print(line)
    if others:
        print(f"\ntarget (ours <= half the cheapest contender's added time): {'met' if ok else 'MISSED'}")
    return ok


# --- two clocks, call-by-call pairs, robust statistics (bench_openai's real-HTTP table) ------------

def trimmed_mean(values: Sequence[float], cut: float = 0.2) -> float:
    """Mean of the middle values (``cut`` of each end dropped): steadier than a mean, finer than a median."""
    ordered = sorted(values)
    k = int(len(ordered) * cut)
    middle = ordered[k:len(ordered) - k] or ordered
    return sum(middle) / len(middle)


@dataclass
class Added:
    """One variant's added µs per call over ``bare``, from differences paired cycle by cycle (both clocks).

    ``cpu_diffs`` / ``wall_diffs``: the differences themselves, one per cycle, for confidence intervals.
    """

    base_cpu: float
    base_wall: float
    cpu_median: float
    cpu_trimmed: float
    wall_median: float
    wall_trimmed: float
    cpu_diffs: list[float]
    wall_diffs: list[float]
    processes: list[int] | None = None
    """How many of the diffs each worker process measured, in order (None: all from this process)."""


def pool(parts: Sequence[Added]) -> Added:
    """One variant's figures from several processes' (``--processes``): the diffs pooled, the statistics
    recomputed over them, the base the median of the processes' bases.

    Why processes at all: consecutive runs of one process each, minutes apart, moved the ratio further
    than each run's own interval said (0.42 to 0.57 on tool calls); a process's memory layout, and the
    load on a shared machine for the minutes it runs, are the same for every cycle in it, so cycles of
    one process are not independent samples of what a call costs. Several shorter processes sample them.
    """
    dc = [d for p in parts for d in p.cpu_diffs]
    dw = [d for p in parts for d in p.wall_diffs]
    return Added(statistics.median(p.base_cpu for p in parts), statistics.median(p.base_wall for p in parts),
                 statistics.median(dc), trimmed_mean(dc), statistics.median(dw), trimmed_mean(dw), dc, dw,
                 [len(p.cpu_diffs) for p in parts])


def measure_interleaved(fns: dict[str, Callable[[], None]], variants: list[Variant], cycles: int,
                        warm: int = 1, calls: int = 1) -> dict[str, Added]:
    """Per variant: added µs per call over ``bare``, from differences paired call by call.

    A cycle switches every variant on in turn (the order rotates from cycle to cycle), makes ``warm``
    untimed calls (caches after the switch), times ``calls`` calls, and switches it off again; only the
    calls are timed. A variant's added time is the median over cycles of its time minus ``bare``'s in
    the same cycle, so drift slower than a cycle (a few tens of ms) cancels out, and the bare call's
    own variance is faced by every variant alike. The cyclic GC runs between cycles, never inside one,
    over what the cycles allocated only (the heap from before is frozen: a full collection of it would
    cost ~50 ms a cycle).
    """
    cpu: dict[str, list[float]] = {v.name: [] for v in variants}
    wall: dict[str, list[float]] = {v.name: [] for v in variants}
    gc.collect()
    gc.freeze()
    try:
        for c in range(cycles):
            _cycle(fns, variants[c % len(variants):] + variants[:c % len(variants)], warm, calls, cpu, wall)
    finally:
        gc.unfreeze()
    out: dict[str, Added] = {}
    for v in variants:
        dc = [a - b for a, b in zip(cpu[v.name], cpu["bare"], strict=True)]
        dw = [a - b for a, b in zip(wall[v.name], wall["bare"], strict=True)]
        out[v.name] = Added(statistics.median(cpu["bare"]), statistics.median(wall["bare"]),
                            statistics.median(dc), trimmed_mean(dc), statistics.median(dw), trimmed_mean(dw),
                            dc, dw)
    return out


def _cycle(fns: dict[str, Callable[[], None]], order: list[Variant], warm: int, calls: int,
           cpu: dict[str, list[float]], wall: dict[str, list[float]]) -> None:
    """One cycle of ``measure_interleaved``: each variant in ``order`` on, its calls, off."""
    gc.collect()
    gc.disable()
    try:
        for v in order:
            fn = fns[v.name]
            v.on()
            try:
                for _ in range(warm):
                    fn()
                c_sum = w_sum = 0
                for _ in range(calls):
                    w0 = time.perf_counter_ns()
                    c0 = time.thread_time_ns()
                    fn()
                    c_sum += time.thread_time_ns() - c0
                    w_sum += time.perf_counter_ns() - w0
            finally:
                v.off()
            cpu[v.name].append(c_sum / calls / 1000)
            wall[v.name].append(w_sum / calls / 1000)
    finally:
        gc.enable()


def ratio_interval(num: Sequence[float], den: Sequence[float], level: float = 0.95,
                   resamples: int = 1000, processes: Sequence[int] | None = None) -> tuple[float, float] | None:
    """Bootstrap interval of ``median(num) / median(den)``, cycles resampled in pairs (they share ``bare``).

    With ``processes`` (how many cycles each worker process measured, in order) the resampling has two
    levels: processes first, then cycles within each drawn process, so the interval also holds what
    differs from one process to the next (see :func:`pool`). None when ``den``'s median comes out at
    or below 0 in too many resamples for the interval to mean anything. Seeded: the same samples give
    the same interval.
    """
    rng = random.Random(0)
    n = len(num)
    groups: list[range] = []
    start = 0
    for size in processes or [n]:
        groups.append(range(start, start + size))
        start += size
    ratios: list[float] = []
    for _ in range(resamples):
        if len(groups) == 1:
            idx = [rng.randrange(n) for _ in range(n)]
        else:
            idx = [g[rng.randrange(len(g))] for g in (rng.choice(groups) for _ in groups) for _ in g]
        d = statistics.median([den[i] for i in idx])
        ratios.append(statistics.median([num[i] for i in idx]) / d if d > 0 else float("inf"))
    ratios.sort()
    lo, hi = ratios[int(resamples * (1 - level) / 2)], ratios[int(resamples * (1 + level) / 2) - 1]
    return None if hi == float("inf") else (lo, hi)


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "n/a"
    return f"{one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


# --- instruction counts under callgrind (``--instructions``) -----------------------------------------

INSTRUCTIONS_NOTE = (
    "instructions executed on the calling thread, counted by valgrind's callgrind: deterministic and\n"
    "immune to machine load, but only a proxy for CPU time (it ignores cache misses, and the kernel's\n"
    "socket work: the calls go through an in-process MockTransport). The real-HTTP CPU-time table\n"
    "remains the end-to-end measurement.")
CHILD_FLAG = "--instructions-child"
"""Passed (with the dump directory) to the bench re-run under callgrind: count, don't time."""


def quiet_batch_processor() -> BatchSpanProcessor:
    """A BatchSpanProcessor to a dropping exporter that never wakes its worker during a run.

    Queue and batch size so large the calling thread never signals the worker, a schedule delay of
    weeks: ending a span is a deque append, and no other thread's work lands between the markers.
    """
    huge = 10**8
    return BatchSpanProcessor(DropExporter(), max_queue_size=huge, max_export_batch_size=huge,
                              schedule_delay_millis=1e12)


@dataclass
class Loop:
    """One scenario's variants and the call each of them makes (``fns[variant.name]``)."""

    scenario: str
    variants: list[Variant]
    fns: dict[str, Callable[[], None]]


def count_loops(loops: list[Loop], out_dir: Path, warmup: int, calls: int) -> None:
    """The child's side: each variant's ``calls`` calls between two ``os.getppid()`` markers.

    Switched on, ``warmup`` calls outside the markers (first-call caches, lazy imports), a full
    collection, then the measured calls with the cyclic GC off (as when timing). The labels, in marker
    order, go to ``out_dir/labels.json`` for the parent.
    """
    labels: list[list[str]] = []
    for loop in loops:
        for v in loop.variants:
            fn = loop.fns[v.name]
            v.on()
            try:
                for _ in range(warmup):
                    fn()
                gc.collect()
                gc.disable()
                try:
                    os.getppid()  # callgrind dumps here (--dump-before=getppid): the loop starts
                    for _ in range(calls):
                        fn()
                    os.getppid()  # ... and ends
                finally:
                    gc.enable()
            finally:
                v.off()
            labels.append([loop.scenario, v.name])
            print(f"  counted {loop.scenario}: {v.name}", flush=True)
    (out_dir / "labels.json").write_text(json.dumps(labels))


def _dump_total(path: Path) -> int:
    for line in path.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise ValueError(f"no summary line in {path}")


def run_under_callgrind(script: str, child_args: list[str], calls: int) -> dict[str, dict[str, float]] | None:
    """Re-run ``script`` under callgrind with ``CHILD_FLAG``; instructions per call, by scenario and variant.

    None (after saying why) when valgrind is missing or the child failed. The child runs with
    ``PYTHONHASHSEED=0`` so that dict and set layouts, and with them the counts, repeat run to run.
    """
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print("valgrind is not installed: get it with `apt-get install valgrind` (Debian/Ubuntu) "
              "or your system's package manager, then run again")
        return None
    with tempfile.TemporaryDirectory(prefix="bench-callgrind-") as tmp:
        out_dir = Path(tmp)
        cmd = [valgrind, "--tool=callgrind", "--separate-threads=yes", "--dump-before=getppid",
               f"--callgrind-out-file={out_dir}/cg.%p", f"--log-file={out_dir}/valgrind.log",
               sys.executable, script, *child_args, "--no-reexec", CHILD_FLAG, str(out_dir)]
        started = time.monotonic()
        proc = subprocess.Popen(cmd, env={**os.environ, "PYTHONHASHSEED": "0"})
        proc.wait()  # valgrind runs the program in its own process: proc.pid names the dumps
        labels_file = out_dir / "labels.json"
        if proc.returncode != 0 or not labels_file.exists():
            log = out_dir / "valgrind.log"
            print(f"the run under callgrind failed (exit {proc.returncode})")
            if log.exists():
                print("\n".join(log.read_text().splitlines()[-15:]))
            return None
        labels = json.loads(labels_file.read_text())
        # One dump per marker per thread: cg.PID.K-TT, K counting dumps from 1, TT the thread (01 = the
        # calling one). Dump 2i (i = 1, 2, ...) closes the i-th measured loop.
        parts: dict[int, Path] = {}
        for path in out_dir.glob(f"cg.{proc.pid}.*-01"):
            m = re.fullmatch(rf"cg\.{proc.pid}\.(\d+)-01", path.name)
            if m:
                parts[int(m.group(1))] = path
        if any(2 * i not in parts for i in range(1, len(labels) + 1)):
            print(f"expected {2 * len(labels)} dumps of thread 1, found {len(parts)} "
                  "(did something else call getppid?)")
            return None
        print(f"(callgrind run took {time.monotonic() - started:.0f} s)")
        out: dict[str, dict[str, float]] = {}
        for i, (scenario, variant) in enumerate(labels, start=1):
            out.setdefault(scenario, {})[variant] = _dump_total(parts[2 * i]) / calls
        return out


def count_instructions(script: str, argv: list[str], warmup: int, calls: int, sdk: str, server: str,
                       peer_names: list[str], ours: str) -> int:
    """The parent side of ``--instructions``: run ``script`` under callgrind, then print the table."""
    print(f"counting instructions under valgrind (callgrind): {calls} calls per variant; this takes minutes",
          flush=True)
    counts = run_under_callgrind(script, argv, calls)
    if counts is None:
        return 0
    print(f"python {sys.version.split()[0]}, {sdk}; transport: in-process httpx2.MockTransport replaying "
          f"{server}'s bytes; BatchSpanProcessor that never wakes its worker")
    if not peer_names:
        print("peers not installed: run bench/setup.sh (creates bench/.venv) to compare")
    report_instructions(counts, ours, "floor", peer_names, calls, warmup)
    return 0


def report_instructions(counts: dict[str, dict[str, float]], ours: str, floor: str, peer_names: list[str],
                        calls: int, warmup: int) -> bool:
    """The instruction table and ratios, in the CPU table's style; True when ours met the target everywhere."""
    print(f"\n{INSTRUCTIONS_NOTE}")
    print(f"{calls} calls per variant per scenario after {warmup} warm-up calls, cyclic GC off in the loop; "
          "PYTHONHASHSEED=0")
    names = [n for n in next(iter(counts.values())) if n != "bare"]
    width = max(15, *(len(n) + 3 for n in names))
    header = f"{'scenario':<11}{'bare kI':>9}" + "".join(f"{'+' + n:>{width}}" for n in names)
    print(header + "      (added thousands of instructions per call)")
    print("-" * len(header))
    for sc_name, res in counts.items():
        bare = res["bare"]
        print(f"{sc_name:<11}{bare / 1000:>9.1f}" + "".join(f"{(res[n] - bare) / 1000:>{width}.1f}" for n in names))
    ok = True
    for sc_name, res in counts.items():
        def added(n: str, res: dict[str, float] = res) -> float:
            return res[n] - res["bare"]
        line = f"{sc_name:<11} ours/floor = {added(ours) / added(floor):5.2f}"
        peers = [p for p in peer_names if p in res]
        if peers:
            cheapest = min(peers, key=added)
            ratio = added(ours) / added(cheapest)
            ok &= ratio <= TARGET
            line += (f"   ours/cheapest peer ({cheapest}) = {ratio:5.2f}"
                     f"   [target <= {TARGET:.2f}: {'met' if ratio <= TARGET else 'MISSED'}]")
            for other in (n for n in res if n.startswith(ours + "+")):  # ours in another setting: shown, not judged
                line += f"\n{'':<11} {other}/cheapest peer = {added(other) / added(cheapest):5.2f}   (not judged)"
        print(line)
    if peer_names:
        print(f"\ntarget (ours <= {TARGET} x the cheapest peer, instructions, every scenario): "
              f"{'met' if ok else 'MISSED'}")
    return ok
