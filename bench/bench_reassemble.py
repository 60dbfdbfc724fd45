"""Reassembly throughput against parse-only, and peak memory on a million spans.

Plain script, one run, prints ratios::

    python bench/bench_reassemble.py            # 200k spans / 2k sessions, then 1M spans for memory
    python bench/bench_reassemble.py --quick    # smaller sizes, for a smoke run

Throughput: spans/s of ``reassemble(read_otlp_file(path))`` (read, decode, group, order, build every
Timeline) against the rate at which each JSON parser merely parses the same file line by line and
keeps the result, with the cyclic GC enabled and paused. The ratio is taken against the fastest
parse-only configuration measured. Each timing is the best of a few repetitions, so page-cache and
allocator warm-up do not count against either side.

Memory: a fresh child process streams a 1M-span file through ``reassemble`` and reports its peak RSS
(``VmHWM``) next to that of an idle interpreter with the same imports.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import msgspec
from make_otlp_file import write_file

# --- a full typed schema: what "just parse it with msgspec structs" costs -----------------------


class _AnyValue(msgspec.Struct, gc=False):
    stringValue: str | None = None
    intValue: int | None = None
    doubleValue: float | None = None
    boolValue: bool | None = None
    arrayValue: _Array | None = None
    kvlistValue: _KvList | None = None
    bytesValue: str | None = None


class _KV(msgspec.Struct, gc=False):
    key: str
    value: _AnyValue | None = None


class _Array(msgspec.Struct, gc=False):
    values: list[_AnyValue] = []


class _KvList(msgspec.Struct, gc=False):
    values: list[_KV] = []


class _Event(msgspec.Struct, gc=False):
    name: str = ""
    timeUnixNano: int = 0
    attributes: list[_KV] = []


class _Status(msgspec.Struct, gc=False):
    code: int = 0
    message: str = ""


class _Span(msgspec.Struct, gc=False):
    traceId: str = ""
    spanId: str = ""
    parentSpanId: str = ""
    flags: int = 0
    name: str = ""
    kind: int = 0
    startTimeUnixNano: int = 0
    endTimeUnixNano: int = 0
    attributes: list[_KV] = []
    events: list[_Event] = []
    status: _Status | None = None


class _Scope(msgspec.Struct, gc=False):
    name: str = ""
    version: str = ""


class _ScopeSpans(msgspec.Struct, gc=False):
    scope: _Scope | None = None
    spans: list[_Span] = []


class _Resource(msgspec.Struct, gc=False):
    attributes: list[_KV] = []


class _ResourceSpans(msgspec.Struct, gc=False):
    resource: _Resource | None = None
    scopeSpans: list[_ScopeSpans] = []


class _Doc(msgspec.Struct, gc=False):
    resourceSpans: list[_ResourceSpans] = []


def _parsers() -> dict[str, Callable[[bytes], Any]]:
    found: dict[str, Callable[[bytes], Any]] = {"stdlib json": json.loads}
    try:
        import orjson

        found["orjson"] = orjson.loads
    except ImportError:
        pass
    found["msgspec (generic)"] = msgspec.json.Decoder().decode
    found["msgspec (typed structs)"] = msgspec.json.Decoder(_Doc, strict=False).decode
    return found


def _best(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        result = fn()
        dt = time.perf_counter() - t
        best = min(best, dt)
        del result
    gc.collect()
    return best


def _parse_file(path: str, decode: Callable[[bytes], Any], pause_gc: bool) -> list[Any]:
    was = gc.isenabled()
    if pause_gc:
        gc.disable()
    try:
        with open(path, "rb") as fh:
            return [decode(line) for line in fh if line.strip()]
    finally:
        if was:
            gc.enable()


def throughput(n_spans: int, n_sessions: int, workdir: str, repeat: int) -> None:
    from agentops_otel.read import read_otlp_file
    from agentops_otel.reassemble import reassemble

    path = os.path.join(workdir, "bench.jsonl")
    size = write_file(path, n_spans, n_sessions)
    print(f"file: {n_spans:,} spans, {n_sessions:,} sessions, {size / 1e6:.0f} MB ({size / n_spans:.0f} B/span)")
    print("\nparse only (read + parse every line, keep the result):")
    rates: dict[str, float] = {}
    for name, decode in _parsers().items():
        for pause in (False, True):
            reps = 1 if not pause and name in ("stdlib json", "orjson", "msgspec (generic)") else repeat
            dt = _best(lambda d=decode, p=pause: _parse_file(path, d, p), reps)  # type: ignore[misc]
            label = f"{name}, GC {'paused' if pause else 'on'}"
            rates[label] = n_spans / dt
            print(f"  {label:40s} {dt:7.3f} s  {n_spans / dt / 1e3:8.0f} k spans/s")
    fastest = max(rates, key=lambda k: rates[k])
    print(f"  fastest: {fastest}")

    def e2e() -> Any:
        r = reassemble(read_otlp_file(path))
        assert r.accounting.balanced and r.accounting.spans_in == n_spans
        return r

    dt = _best(e2e, repeat)
    e2e_rate = n_spans / dt
    r = e2e()
    print("\nend to end: reassemble(read_otlp_file(path)) -> every Timeline built")
    print(f"  {dt:7.3f} s  {e2e_rate / 1e3:8.0f} k spans/s   ({len(r.sessions):,} sessions)")
    print(f"\nRATIO end-to-end / fastest parse-only ({fastest}): {e2e_rate / rates[fastest]:.2f}  (target >= 0.80)")
    print(f"RATIO end-to-end / msgspec typed structs, GC on: "
          f"{e2e_rate / rates['msgspec (typed structs), GC on']:.2f}")
    if "orjson, GC paused" in rates:
        print(f"RATIO end-to-end / orjson, GC paused: {e2e_rate / rates['orjson, GC paused']:.2f}")

    # What replaying costs on top: decode every step's content once.
    t = time.perf_counter()
    for tl in r.sessions:
        for st in tl.steps:
            _ = (st.input, st.output, st.cost_usd, st.error)
    dt_content = time.perf_counter() - t
    print(f"\n(for scale) decoding every step's content afterwards: {dt_content:.3f} s "
          f"({n_spans / dt_content / 1e3:.0f} k spans/s)")


_CHILD = r"""
import sys, time
sys.path.insert(0, {root!r})


def hwm_kib():
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork+exec, so a child started by a big
    # parent would report the parent's peak.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


from agentops_otel.read import read_otlp_file
from agentops_otel.reassemble import reassemble
idle = hwm_kib()
t = time.perf_counter()
r = reassemble(read_otlp_file({path!r}))
dt = time.perf_counter() - t
steps = sum(len(tl.steps) for tl in r.sessions)
peak = hwm_kib()
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
anon, mapped = (int(status.get(k, "0 kB").split()[0]) for k in ("RssAnon", "RssFile"))
print(r.accounting.spans_in, len(r.sessions), steps, idle, peak, dt, r.accounting.balanced, anon, mapped)
"""

def memory(n_spans: int, n_sessions: int, workdir: str) -> None:
    path = os.path.join(workdir, "big.jsonl")
    t = time.perf_counter()
    size = write_file(path, n_spans, n_sessions)
    print(f"\nmemory: wrote {n_spans:,} spans / {n_sessions:,} sessions, {size / 1e9:.2f} GB "
          f"in {time.perf_counter() - t:.0f} s")
    root = str(Path(__file__).resolve().parent.parent)
    out = subprocess.run([sys.executable, "-c", _CHILD.format(root=root, path=path)], check=True,
                         capture_output=True, text=True).stdout.split()
    spans, sessions, steps, idle, peak, dt, balanced, anon, mapped = out
    peak_mb = int(peak) / 1024
    print(f"  reassembled {int(spans):,} spans into {int(sessions):,} sessions ({int(steps):,} steps) "
          f"in {float(dt):.1f} s, accounting balanced: {balanced}")
    print(f"  idle interpreter + imports: {int(idle) / 1024:.0f} MiB; peak RSS: {peak_mb:.0f} MiB "
          f"({(int(peak) - int(idle)) * 1024 / int(spans):.0f} B/span)")
    # The file is read through a memory map: its pages count in RSS while resident, though the kernel can drop
    # them at will (they are the file's, in the page cache); the heap is what the process keeps.
    print(f"  at the end: heap (RssAnon) {int(anon) / 1024:.0f} MiB, the file's mapped pages (RssFile) "
          f"{int(mapped) / 1024:.0f} MiB")
    print(f"RATIO peak RSS / 1 GiB: {peak_mb / 1024:.2f}  (target < 1.00)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20k spans and 100k for memory")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    n, sessions, big = (20_000, 200, 100_000) if args.quick else (200_000, 2_000, 1_000_000)
    with tempfile.TemporaryDirectory(prefix="agentops-bench-") as workdir:
        if not args.skip_throughput:
            throughput(n, sessions, workdir, args.repeat)
        if not args.skip_memory:
            memory(big, big // 100, workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
