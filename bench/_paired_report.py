"""The pooled worker processes and the ratio table of ``bench_openai.py``'s real-HTTP measurement."""

from __future__ import annotations

import dataclasses
import json
import statistics
import subprocess
import tempfile
from pathlib import Path

from _harness import TARGET, Added, pool, ratio_interval

IN_SESSION = "ours+session"
"""Ours as the product is used: ``init()`` on the provider, each call inside an open session (its processor stamps
the span and rolls its tokens and cost up into the session). Printed, not judged: the target compares each
contender switched on by its own ``instrument()``, and the peers have no sessions."""


def dump_results(path: Path, results: dict[str, dict[str, Added]]) -> None:
    """A worker process's figures, for :func:`run_workers` to read back."""
    path.write_text(json.dumps({sc: {v: dataclasses.asdict(a) for v, a in by_v.items()}
                                for sc, by_v in results.items()}))


def run_workers(argv: list[str], processes: int, cycles: int) -> dict[str, dict[str, Added]]:
    """Run ``argv`` (a worker's command line) ``processes`` times, one after the other, each for its share of
    ``cycles``, and pool what they measured (:func:`_harness.pool`)."""
    per = -(-cycles // processes)
    runs: list[dict[str, dict[str, Added]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(processes):
            out = Path(tmp) / f"worker{i}.json"
            subprocess.run([*argv, "--processes", "1", "--cycles", str(per), "--worker-out", str(out)], check=True)
            data = json.loads(out.read_text())
            runs.append({sc: {v: Added(**a) for v, a in by_v.items()} for sc, by_v in data.items()})
            print(f"  worker process {i + 1}/{processes} done ({per} cycles)", flush=True)
    return {sc: {v: pool([run[sc][v] for run in runs]) for v in runs[0][sc]} for sc in runs[0]}


def print_table(title: str, results: dict[str, dict[str, Added]], names: list[str], peer_names: list[str],
                clock: str) -> bool:
    """One clock's table and ratios; True when ours met the target in every scenario."""
    print(f"\n{title}")
    header = f"{'scenario':<11}{'bare µs':>9}" + "".join(f"{'+' + n:>15}" for n in names if n != "bare")
    print(header + "      (added µs per call: median / trimmed mean of per-cycle differences)")
    print("-" * len(header))
    for sc_name, res in results.items():
        base = res["bare"].base_cpu if clock == "cpu" else res["bare"].base_wall
        cells = []
        for n in names:
            if n == "bare":
                continue
            a = res[n]
            med, trim = (a.cpu_median, a.cpu_trimmed) if clock == "cpu" else (a.wall_median, a.wall_trimmed)
            cells.append(f"{med:>7.1f}/{trim:<7.1f}")
        print(f"{sc_name:<11}{base:>9.1f}" + "".join(f"{c:>15}" for c in cells))
    ok = True
    for sc_name, res in results.items():
        def added(n: str, res: dict[str, Added] = res) -> float:
            return res[n].cpu_median if clock == "cpu" else res[n].wall_median
        ours, floor = added("ours"), added("floor")
        line = f"{sc_name:<11} ours/floor = {ours / floor:5.2f}" if floor > 0 else f"{sc_name:<11} ours/floor = n/a"
        if peer_names:
            cheapest = min(peer_names, key=added)
            if added(cheapest) <= 0 or ours <= 0:
                line += (f"   ours/cheapest peer ({cheapest}): n/a (an added time at or below 0: "
                         "below this clock's noise)")
                ok = False
            else:
                ratio = ours / added(cheapest)
                ok &= ratio <= TARGET
                line += f"   ours/cheapest peer ({cheapest}) = {ratio:5.2f}"
                num, den = ((res["ours"].cpu_diffs, res[cheapest].cpu_diffs) if clock == "cpu" else
                            (res["ours"].wall_diffs, res[cheapest].wall_diffs))
                if num:
                    interval = ratio_interval(num, den, processes=res["ours"].processes)
                    line += (f" (95% CI {interval[0]:.2f} to {interval[1]:.2f})" if interval else
                             " (95% CI unbounded)")
                line += f"   [target <= {TARGET:.2f}: {'met' if ratio <= TARGET else 'MISSED'}]"
                if num:
                    line += _per_process(num, den, res["ours"].processes)
                if IN_SESSION in res and added(cheapest) > 0:
                    line += (f"\n{'':<11} {IN_SESSION}/cheapest peer = {added(IN_SESSION) / added(cheapest):5.2f}"
                             "   (not judged: init() and an open session, which no peer has)")
        print(line)
    return ok


def _per_process(num: list[float], den: list[float], processes: list[int] | None) -> str:
    """Each worker process's own ratio, to show how far they spread (empty for one process)."""
    if not processes or len(processes) < 2:
        return ""
    out, start = [], 0
    for size in processes:
        d = statistics.median(den[start:start + size])
        out.append(f"{statistics.median(num[start:start + size]) / d:.2f}" if d > 0 else "n/a")
        start += size
    return f"\n{'':<11} per process: {' '.join(out)}"
