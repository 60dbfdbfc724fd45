"""The measuring half shared by the LLM-client benches (``bench_openai.py``, ``bench_anthropic.py``).

Each bench says what to call and which instrumentations to compare; this module times them the same
way: variants alternate in rounds (so machine noise hits every contender alike), CPU time of the
calling thread by default, medians of medians, and the report prints added microseconds over the bare
SDK with the ratio to the cheapest contender.
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

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
    on: Callable[[], None]
    off: Callable[[], None]


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


# --- two clocks, robust statistics (bench_openai's real-HTTP table) ------------------------------

def trimmed_mean(values: Sequence[float], cut: float = 0.2) -> float:
    """Mean of the middle values (``cut`` of each end dropped): steadier than a mean, finer than a median."""
    ordered = sorted(values)
    k = int(len(ordered) * cut)
    middle = ordered[k:len(ordered) - k] or ordered
    return sum(middle) / len(middle)


@dataclass
class Added:
    """One variant's added µs per call over ``bare``, from per-round differences (both clocks)."""

    base_cpu: float
    base_wall: float
    cpu_median: float
    cpu_trimmed: float
    wall_median: float
    wall_trimmed: float


def measure_both(fns: dict[str, Callable[[], None]], variants: list[Variant], rounds: int,
                 per_round: int) -> dict[str, Added]:
    """Per variant: added µs per call over ``bare`` on the calling thread's CPU clock and on the wall clock.

    Variants alternate in rounds (the order rotates), each switched on with its own ``on()`` and off
    again after its calls; a round's value is the median of its calls, and the added time is the
    median (and the 20 %-trimmed mean) over rounds of ``variant - bare`` in the same round.
    """
    cpu: dict[str, list[float]] = {v.name: [] for v in variants}
    wall: dict[str, list[float]] = {v.name: [] for v in variants}
    for r in range(rounds):
        order = variants[r % len(variants):] + variants[:r % len(variants)]
        for v in order:
            fn = fns[v.name]
            v.on()
            try:
                for _ in range(3):  # warm caches (and the pooled connection) after switching
                    fn()
                gc.collect()
                gc.disable()
                c_samples: list[int] = []
                w_samples: list[int] = []
                try:
                    for _ in range(per_round):
                        w0 = time.perf_counter_ns()
                        c0 = time.thread_time_ns()
                        fn()
                        c_samples.append(time.thread_time_ns() - c0)
                        w_samples.append(time.perf_counter_ns() - w0)
                finally:
                    gc.enable()
            finally:
                v.off()
            cpu[v.name].append(statistics.median(c_samples) / 1000)
            wall[v.name].append(statistics.median(w_samples) / 1000)
    out: dict[str, Added] = {}
    for v in variants:
        dc = [a - b for a, b in zip(cpu[v.name], cpu["bare"], strict=True)]
        dw = [a - b for a, b in zip(wall[v.name], wall["bare"], strict=True)]
        out[v.name] = Added(statistics.median(cpu["bare"]), statistics.median(wall["bare"]),
                            statistics.median(dc), trimmed_mean(dc), statistics.median(dw), trimmed_mean(dw))
    return out


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "n/a"
    return f"{one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"
