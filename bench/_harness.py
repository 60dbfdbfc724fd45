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
